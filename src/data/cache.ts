import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { hashFile } from './checksums';
import { resolveDataDir, type DataDirOptions } from './paths';
import { datasetInfo } from './registry';
import type { ImageDataset, Provenance } from './types';

/**
 * The prepared-dataset cache: `<dataDir>/<name>/{train,test}.images.u8` (raw NHWC bytes),
 * `{train,test}.labels.i32` (little-endian int32) and `meta.json`. Loading is two reads.
 */
export type Split = 'train' | 'test';
export const SPLITS: Split[] = ['train', 'test'];
export const CACHE_FORMAT = 'biamat-cache-v1';

export interface CacheFile {
  file: string;
  bytes: number;
  sha256: string;
}

export interface SplitMeta {
  n: number;
  /** Per-channel mean of the pixels in [0,1] (R, G, B). */
  channelMean: number[];
  /** Per-channel standard deviation of the pixels in [0,1]. */
  channelStd: number[];
  /** Images per class. */
  classCounts: number[];
  images: CacheFile;
  labels: CacheFile;
}

export interface CacheMeta {
  format: typeof CACHE_FORMAT;
  name: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  /** Source ids of the classes when they differ from the names (e.g. WordNet ids). */
  classIds?: string[];
  splits: Partial<Record<Split, SplitMeta>>;
  provenance: Provenance & { checkedAgainst?: string; warnings?: string[] };
  importSeconds?: number;
}

export interface SplitData {
  images: Uint8Array;
  labels: Int32Array;
  n: number;
}

export interface CacheContent {
  name: string;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  classIds?: string[];
  splits: Partial<Record<Split, SplitData>>;
  provenance: CacheMeta['provenance'];
  importSeconds?: number;
}

export function datasetDir(name: string, opts: DataDirOptions = {}): string {
  return path.join(resolveDataDir(opts), name);
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Per-channel mean and std over all pixels, in [0,1]. */
export function channelStats(images: Uint8Array, channels: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  // Sum in blocks of exact integers first: float error stays negligible over 150M bytes.
  for (let c = 0; c < channels; c++) {
    let s = 0,
      s2 = 0;
    for (let i = c; i < images.length; i += channels) {
      const v = images[i];
      s += v;
      s2 += v * v;
    }
    sum[c] = s;
    sumSq[c] = s2;
  }
  const count = images.length / channels;
  const mean = Array.from(sum, (s) => s / count / 255);
  const std = Array.from(sumSq, (s2, c) => Math.sqrt(Math.max(0, s2 / count / 65025 - mean[c] * mean[c])));
  return { mean, std };
}

/** Writes a whole dataset atomically: a failed import leaves the previous cache (or none). */
export function writeCache(content: CacheContent, opts: DataDirOptions = {}): CacheMeta {
  if (os.endianness() !== 'LE') throw new Error('the label cache format assumes a little-endian machine');
  const target = datasetDir(content.name, opts);
  const meta: CacheMeta = {
    format: CACHE_FORMAT,
    name: content.name,
    height: content.height,
    width: content.width,
    channels: content.channels,
    classNames: content.classNames,
    ...(content.classIds ? { classIds: content.classIds } : {}),
    splits: {},
    provenance: content.provenance,
    ...(content.importSeconds !== undefined ? { importSeconds: content.importSeconds } : {}),
  };
  const pixels = content.height * content.width * content.channels;
  replaceDirAtomic(target, (tmp) => {
    for (const split of SPLITS) {
      const data = content.splits[split];
      if (!data) continue;
      if (data.images.length !== data.n * pixels || data.labels.length !== data.n)
        throw new Error(`writeCache(${content.name}/${split}): sizes do not match n=${data.n}`);
      const labelBytes = new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength);
      const imagesFile = `${split}.images.u8`;
      const labelsFile = `${split}.labels.i32`;
      writeFileAtomic(path.join(tmp, imagesFile), data.images);
      writeFileAtomic(path.join(tmp, labelsFile), labelBytes);
      const stats = channelStats(data.images, content.channels);
      const classCounts = new Array<number>(content.classNames.length).fill(0);
      for (let i = 0; i < data.n; i++) classCounts[data.labels[i]]++;
      meta.splits[split] = {
        n: data.n,
        channelMean: stats.mean,
        channelStd: stats.std,
        classCounts,
        images: { file: imagesFile, bytes: data.images.length, sha256: sha256(data.images) },
        labels: { file: labelsFile, bytes: labelBytes.length, sha256: sha256(labelBytes) },
      };
    }
    writeJsonAtomic(path.join(tmp, 'meta.json'), meta);
  });
  return meta;
}

/** meta.json of a prepared dataset, or undefined when it is not prepared. */
export function readCacheMeta(name: string, opts: DataDirOptions = {}): CacheMeta | undefined {
  const file = path.join(datasetDir(name, opts), 'meta.json');
  if (!fs.existsSync(file)) return undefined;
  let meta: CacheMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(
      `${file}: unreadable (${(e as Error).message})`,
      `re-import: npm run data -- import ${name} ...`,
    );
  }
  if (meta.format !== CACHE_FORMAT)
    throw new UserError(`${file}: cache format '${meta.format}' is not ${CACHE_FORMAT}`, `re-import ${name}`);
  return meta;
}

/** How to prepare a dataset, for error messages. */
export function importHint(name: string): string {
  const info = datasetInfo(name);
  const ways: string[] = [];
  if (info.sharedArchive)
    ways.push(`npm run data -- import ${name} --from ../shared/data/${info.sharedArchive}`);
  else if (info.localSource) ways.push(`npm run data -- import ${name}`);
  else ways.push(`npm run data -- import ${name} --from <archive or folder>`);
  if (info.remote) ways.push(`npm run data -- fetch ${name} (online)`);
  return ways.join('  or  ');
}

/** Reads `bytes` bytes of a file into a fresh Uint8Array (works past the 2 GiB readFile limit). */
function readExactly(file: string, bytes: number): Uint8Array {
  const size = fs.statSync(file).size;
  if (size !== bytes) throw new Error(`size ${size}`);
  const out = new Uint8Array(bytes);
  const fd = fs.openSync(file, 'r');
  try {
    let off = 0;
    while (off < bytes) {
      const n = fs.readSync(fd, out, off, Math.min(bytes - off, 1 << 30), off);
      if (n === 0) throw new Error('unexpected end of file');
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

export interface LoadOptions extends DataDirOptions {
  /** Re-hash the cache files against meta.json (slower; `verify` does this). */
  verify?: boolean;
}

/** A prepared split as an ImageDataset (raw bytes straight from the cache). */
export function loadDataset(name: string, split: Split, opts: LoadOptions = {}): ImageDataset {
  datasetInfo(name);
  const meta = readCacheMeta(name, opts);
  const dir = datasetDir(name, opts);
  if (!meta)
    throw new UserError(
      `dataset '${name}' is not prepared (no ${path.join(dir, 'meta.json')})`,
      importHint(name),
    );
  if (!meta.splits[split])
    throw new UserError(`dataset '${name}' has no '${split}' split in ${dir}`, importHint(name));
  return {
    ...readCacheSplit(dir, meta, split, { verify: opts.verify, fix: `re-import: ${importHint(name)}` }),
    name,
  };
}

/**
 * One split of a folder in the cache format (meta.json + raw files) as an ImageDataset: each
 * file checked against meta.json by size, and by SHA-256 with `verify`; `fix` is what a damaged
 * file's error tells the user to do. The split must be listed in `meta`.
 */
export function readCacheSplit(
  dir: string,
  meta: CacheMeta,
  split: Split,
  opts: { verify?: boolean; fix: string },
): ImageDataset {
  const s = meta.splits[split]!;
  const read = (f: CacheFile) => {
    const file = path.join(dir, f.file);
    let bytes: Uint8Array;
    try {
      bytes = readExactly(file, f.bytes);
    } catch (e) {
      throw new UserError(
        `${file}: missing or damaged cache file (${(e as Error).message}; meta.json says ${f.bytes} bytes)`,
        opts.fix,
      );
    }
    if (opts.verify && sha256(bytes) !== f.sha256)
      throw new UserError(`${file}: SHA-256 differs from meta.json (damaged cache)`, opts.fix);
    return bytes;
  };
  const images = read(s.images);
  const labels = new Int32Array(read(s.labels).buffer, 0, s.n);
  return {
    name: meta.name,
    split,
    n: s.n,
    height: meta.height,
    width: meta.width,
    channels: meta.channels,
    images,
    labels,
    classNames: meta.classNames,
    provenance: meta.provenance,
  };
}

export interface CacheCheck {
  name: string;
  ok: boolean;
  problems: string[];
  bytesOnDisk: number;
  meta?: CacheMeta;
}

/** Re-hashes every cache file of a dataset against meta.json. */
export function checkCache(name: string, opts: DataDirOptions = {}): CacheCheck {
  const dir = datasetDir(name, opts);
  const meta = readCacheMeta(name, opts);
  if (!meta) return { name, ok: false, problems: ['not prepared'], bytesOnDisk: 0 };
  const problems: string[] = [];
  let bytesOnDisk = fs.statSync(path.join(dir, 'meta.json')).size;
  for (const split of SPLITS) {
    const s = meta.splits[split];
    if (!s) continue;
    for (const f of [s.images, s.labels]) {
      const file = path.join(dir, f.file);
      if (!fs.existsSync(file)) {
        problems.push(`${f.file} missing`);
        continue;
      }
      const size = fs.statSync(file).size;
      bytesOnDisk += size;
      if (size !== f.bytes) problems.push(`${f.file} is ${size} bytes, meta.json says ${f.bytes}`);
      else if (hashFile(file) !== f.sha256) problems.push(`${f.file} SHA-256 differs from meta.json`);
    }
  }
  return { name, ok: problems.length === 0, problems, bytesOnDisk, meta };
}
