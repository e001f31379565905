/**
 * Dataset transforms the experiments need, each written once: a class range of a dataset
 * ('tin32#0-99'), a seeded subset, several auxiliary sets merged into one task, Table 5's
 * A/B/C split with noise on C, and uint8 images → float [0,1] tensors in order (evaluation,
 * labelling, robust datasets).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { gatherBatch, subsetByClass, subsetByCount } from './batches';
import { loadDataset } from './cache';
import { ensureDataset } from './ensure';
import type { DataDirOptions } from './paths';
import type { ImageDataset } from './types';

/**
 * A local dataset name with an optional class range: 'tin32' or 'tin32#0-99' (classes 0..99
 * of tin32, relabelled 0..99).
 */
export function parseLocalName(local: string): { name: string; classes: [number, number] | null } {
  const [name, range] = local.split('#');
  if (range === undefined) return { name, classes: null };
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (!m || Number(m[1]) > Number(m[2]))
    throw new UserError(`dataset '${local}': class range '${range}' is not lo-hi`, "write e.g. 'tin32#0-99'");
  return { name, classes: [Number(m[1]), Number(m[2])] };
}

/** Loads a local dataset split (importing it on first use), restricted to its class range if any. */
export async function loadLocal(
  local: string,
  split: 'train' | 'test',
  opts: DataDirOptions = {},
): Promise<ImageDataset> {
  const { name, classes } = parseLocalName(local);
  await ensureDataset(name, opts);
  const ds = loadDataset(name, split, opts);
  if (!classes) return ds;
  const ids = Array.from({ length: classes[1] - classes[0] + 1 }, (_, i) => classes[0] + i);
  return subsetByClass(ds, ids, { relabel: true });
}

/** A class-balanced seeded subset of `count` images, or the dataset itself (null, or count ≥ n). */
export function subsetOrAll(ds: ImageDataset, count: number | null, seed: number): ImageDataset {
  return count === null || count >= ds.n ? ds : subsetByCount(ds, count, { seed, classBalanced: true });
}

/** Several datasets as one task: images concatenated, labels offset, class names prefixed (Table 4). */
export function mergeDatasets(sets: ImageDataset[]): ImageDataset {
  if (sets.length === 0) throw new Error('mergeDatasets: no datasets');
  if (sets.length === 1) return sets[0];
  const pixels = sets[0].height * sets[0].width * sets[0].channels;
  const n = sets.reduce((s, d) => s + d.n, 0);
  const images = new Uint8Array(n * pixels);
  const labels = new Int32Array(n);
  let o = 0;
  let offset = 0;
  for (const d of sets) {
    images.set(d.images, o * pixels);
    for (let i = 0; i < d.n; i++) labels[o + i] = d.labels[i] + offset;
    o += d.n;
    offset += d.classNames.length;
  }
  return {
    ...sets[0],
    name: sets.map((d) => d.name).join('+'),
    n,
    images,
    labels,
    classNames: sets.flatMap((d) => d.classNames.map((c) => `${d.name}:${c}`)),
    provenance: {
      source: sets.map((d) => d.provenance.source).join(' + '),
      note: 'merged datasets',
    },
  };
}

export type SplitPart = 'A' | 'B' | 'C';

/**
 * Table 5: parts A (first half) / B (next quarter) / C (last quarter, uniform noise ±noise added,
 * clipped) of a seeded permutation of the training set, concatenated in the order given.
 */
export function splitParts(ds: ImageDataset, parts: SplitPart[], noise: number, seed: number): ImageDataset {
  const order = new Rng(seed).fork('table5-split').permutation(ds.n);
  const a = Math.round(ds.n / 2);
  const b = Math.round((ds.n * 3) / 4);
  const ranges = { A: [0, a], B: [a, b], C: [b, ds.n] } as const;
  const pixels = ds.height * ds.width * ds.channels;
  const idx = parts.flatMap((p) => Array.from(order.subarray(ranges[p][0], ranges[p][1])));
  const noisyFrom = parts.includes('C') ? idx.length - (ds.n - b) : idx.length;
  const noiseRng = new Rng(seed).fork('table5-noise');
  const images = new Uint8Array(idx.length * pixels);
  idx.forEach((j, i) => {
    for (let k = 0; k < pixels; k++) {
      let v = ds.images[j * pixels + k];
      if (i >= noisyFrom)
        v = Math.min(255, Math.max(0, Math.round(v + 255 * noiseRng.uniform(-noise, noise))));
      images[i * pixels + k] = v;
    }
  });
  return {
    ...ds,
    n: idx.length,
    images,
    labels: Int32Array.from(idx, (j) => ds.labels[j]),
    provenance: { ...ds.provenance, note: `parts ${parts.join('+')} (C: uniform noise ±${noise})` },
  };
}

/** Images `indices` of a dataset as a float32 [0,1] NHWC tensor, unaugmented. */
export function imageTensor(ds: ImageDataset, indices: ArrayLike<number>): tf.Tensor4D {
  const x = gatherBatch(ds.images, ds, indices, null);
  return tf.tensor4d(x, [indices.length, ds.height, ds.width, ds.channels]);
}

/** Consecutive images [start, start + count) as a float32 [0,1] tensor. */
export function imageRange(ds: ImageDataset, start: number, count: number): tf.Tensor4D {
  return imageTensor(
    ds,
    Array.from({ length: count }, (_, i) => start + i),
  );
}

/** The first `limit` images (default all) in order, `batchSize` at a time, with their labels. */
export function* orderedBatches(
  ds: ImageDataset,
  batchSize: number,
  limit = ds.n,
): Generator<{ start: number; x: tf.Tensor4D; y: tf.Tensor1D }> {
  const n = Math.min(limit, ds.n);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    yield {
      start,
      x: imageRange(ds, start, count),
      y: tf.tensor1d(ds.labels.subarray(start, start + count), 'int32'),
    };
  }
}
