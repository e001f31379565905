/**
 * A class-balanced subset of a prepared dataset, small enough to travel with the code to the GPU
 * machine (whose runs carry at most 64 MiB and cannot reach ../shared).
 *
 * The subset gets its own identity: its own name (`cifar10-subset-2000-500`), its own folder
 * outside the data cache, and a meta.json that says which images of which cache it holds (the
 * parent's SHA-256s and the indices' hash). It is never written into `.data/<name>`, and the
 * training part of bench/gpu/measure.ts writes its run folder under its own output folder, so a
 * subset can never be mistaken for the full dataset by the data cache or by the run cache.
 *
 *   npx tsx bench/gpu/measure.ts export-subset --dataset cifar10 --train 2000 --test 500 --out .gpu/data
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset, readCacheMeta, type ImageDataset } from '../../src/data';
import { CACHE_FORMAT, readCacheSplit, writeCache, type CacheMeta, type Split } from '../../src/data/cache';
import { UserError } from '../../src/util/errors';

export interface SubsetRequest {
  dataset: string;
  train: number;
  test: number;
  /** Folder the subset's folder is written into. */
  out: string;
  /** Where the parent cache lives (default: the data cache, BIAMAT_DATA_DIR or .data). */
  dataDir?: string;
}

export function subsetName(r: Pick<SubsetRequest, 'dataset' | 'train' | 'test'>): string {
  return `${r.dataset}-subset-${r.train}-${r.test}`;
}

/** The first ⌈n / classes⌉ images of each class, in dataset order, then the first n of those in order. */
export function balancedIndices(labels: Int32Array, numClasses: number, n: number): Int32Array {
  if (n > labels.length)
    throw new UserError(
      `a subset of ${n} images needs that many, the split has ${labels.length}`,
      'ask for fewer',
    );
  const perClass = Math.ceil(n / numClasses);
  const taken = new Array<number>(numClasses).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < labels.length && picked.length < perClass * numClasses; i++)
    if (taken[labels[i]] < perClass) {
      taken[labels[i]]++;
      picked.push(i);
    }
  return Int32Array.from(picked.slice(0, n));
}

function pick(d: ImageDataset, indices: Int32Array) {
  const pixels = d.height * d.width * d.channels;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, i) => {
    images.set(d.images.subarray(src * pixels, (src + 1) * pixels), i * pixels);
    labels[i] = d.labels[src];
  });
  return { images, labels, n: indices.length };
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Writes `<out>/<subsetName>/` in the data cache's format; returns its folder. */
export function exportSubset(r: SubsetRequest): string {
  const parent = readCacheMeta(r.dataset, { dataDir: r.dataDir });
  if (!parent)
    throw new UserError(`dataset '${r.dataset}' is not prepared`, `npm run data -- import ${r.dataset}`);
  const name = subsetName(r);
  const splits: Partial<Record<Split, ReturnType<typeof pick>>> = {};
  const indexHashes: string[] = [];
  for (const [split, n] of [
    ['train', r.train],
    ['test', r.test],
  ] as const) {
    const d = loadDataset(r.dataset, split, { dataDir: r.dataDir });
    const indices = balancedIndices(d.labels, d.classNames.length, n);
    indexHashes.push(`${split} ${sha256(new Uint8Array(indices.buffer))}`);
    splits[split] = pick(d, indices);
  }
  const parentImages = (['train', 'test'] as const).map((s) => `${s} ${parent.splits[s]?.images.sha256}`);
  writeCache(
    {
      name,
      height: parent.height,
      width: parent.width,
      channels: parent.channels,
      classNames: parent.classNames,
      splits,
      provenance: {
        ...parent.provenance,
        note:
          `class-balanced subset of the '${r.dataset}' cache (first images of each class in order); ` +
          `parent images sha256: ${parentImages.join(', ')}; subset indices sha256: ${indexHashes.join(', ')}`,
      },
    },
    { dataDir: r.out },
  );
  return path.join(r.out, name);
}

/** Reads one split of an exported subset folder, checking the files against its meta.json. */
export function readSubset(dir: string, split: Split): ImageDataset {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as CacheMeta;
  if (meta.format !== CACHE_FORMAT || !meta.splits[split])
    throw new UserError(`${dir}: not a subset folder with a ${split} split`, 'export it again');
  return readCacheSplit(dir, meta, split, { verify: true, fix: 'export it again' });
}
