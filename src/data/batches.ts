import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import type { ImageDataset } from './types';

/** The paper's augmentation (Appendix E): zero-pad 4, random 32×32 crop, random horizontal flip. */
export interface AugmentOptions {
  /** Zero padding before the random crop; 0 disables cropping. Default 4. */
  pad?: number;
  /** Random horizontal flip with probability 1/2. Default true. */
  flip?: boolean;
}

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Gathers images `indices` of an NHWC uint8 array into float32 [0,1], augmenting each one when
 * `rng` is given (draws per image, in order: crop dy, crop dx, flip), else copying as is.
 */
export function gatherBatch(
  images: Uint8Array,
  shape: ImageShape,
  indices: ArrayLike<number>,
  rng: Rng | null,
  opts: AugmentOptions = {},
  out?: Float32Array,
): Float32Array {
  const { height: H, width: W, channels: C } = shape;
  const size = H * W * C;
  const pad = rng ? (opts.pad ?? 4) : 0;
  const flipOn = rng ? (opts.flip ?? true) : false;
  const x = out ?? new Float32Array(indices.length * size);
  const scale = 1 / 255;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * size;
    const dst = b * size;
    const dy = pad > 0 ? rng!.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? rng!.int(2 * pad + 1) - pad : 0;
    const flip = flipOn && rng!.next() < 0.5;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      const row = dst + y * W * C;
      if (sy < 0 || sy >= H) {
        x.fill(0, row, row + W * C);
        continue;
      }
      for (let xo = 0; xo < W; xo++) {
        // Crop first, then flip the crop (torchvision's RandomCrop → RandomHorizontalFlip).
        const sx = (flip ? W - 1 - xo : xo) + dx;
        const o = row + xo * C;
        if (sx < 0 || sx >= W) {
          for (let c = 0; c < C; c++) x[o + c] = 0;
        } else {
          const s = src + (sy * W + sx) * C;
          for (let c = 0; c < C; c++) x[o + c] = images[s + c] * scale;
        }
      }
    }
  }
  return x;
}

/** Augments a whole uint8 NHWC batch (n = images.length / pixels) into float32 [0,1]. Tensor-free. */
export function augmentBatch(
  images: Uint8Array,
  shape: ImageShape,
  rng: Rng,
  opts: AugmentOptions = {},
): Float32Array {
  const n = images.length / (shape.height * shape.width * shape.channels);
  return gatherBatch(
    images,
    shape,
    Int32Array.from({ length: n }, (_, i) => i),
    rng,
    opts,
  );
}

export interface PairedBatchOptions {
  primary: ImageDataset;
  aux?: ImageDataset;
  batchSize?: number;
  auxBatchSize?: number;
  seed: number;
  /** Which epoch to stream: epochs are independent of each other given (seed, epoch). */
  epoch: number;
  augment?: boolean | AugmentOptions;
  /** Drop the last, smaller primary batch. Default false (as PyTorch's DataLoader). */
  dropLast?: boolean;
}

export interface PairedArrayBatch {
  step: number;
  x: Float32Array;
  y: Int32Array;
  n: number;
  indices: Int32Array;
  xAux?: Float32Array;
  yAux?: Int32Array;
  auxN?: number;
  auxIndices?: Int32Array;
}

export function stepsPerEpoch(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Tensor-free lockstep batches: an epoch is one pass over the primary dataset in a seeded
 * order; every primary batch is paired with the next `auxBatchSize` images of an endless
 * auxiliary stream made of independently shuffled passes over the auxiliary dataset. The aux
 * position at the start of epoch e is e × steps × auxBatchSize, so any epoch can be produced
 * on its own (resuming a run gives the same batches).
 */
export function* pairedBatchArrays(opts: PairedBatchOptions): Generator<PairedArrayBatch> {
  const { primary, aux, seed, epoch } = opts;
  const B = opts.batchSize ?? 128;
  const AB = opts.auxBatchSize ?? 128;
  if (!(B > 0) || !(AB > 0)) throw new UserError(`batch sizes must be positive (got ${B}, ${AB})`);
  if (primary.n === 0) throw new UserError(`dataset ${primary.name}/${primary.split} is empty`);
  if (aux && aux.n === 0) throw new UserError(`auxiliary dataset ${aux.name}/${aux.split} is empty`);
  const shape: ImageShape = primary;
  if (aux && (aux.height !== shape.height || aux.width !== shape.width || aux.channels !== shape.channels))
    throw new UserError(
      `auxiliary ${aux.name} is ${aux.height}×${aux.width}×${aux.channels}, primary ${primary.name} is ${shape.height}×${shape.width}×${shape.channels}`,
      'use datasets of the same image shape (all workbench datasets are 32×32×3)',
    );
  const augment = opts.augment ?? true;
  const augOpts: AugmentOptions = typeof augment === 'object' ? augment : {};
  const root = () => new Rng(seed);
  const order = root().fork(`primary-order/${epoch}`).permutation(primary.n);
  const augRng = augment ? root().fork(`primary-augment/${epoch}`) : null;
  const auxAugRng = augment ? root().fork(`aux-augment/${epoch}`) : null;
  const steps = stepsPerEpoch(primary.n, B, opts.dropLast);
  let auxPos = epoch * steps * AB;
  let auxPass = -1;
  let auxOrder: Int32Array = new Int32Array(0);
  const pixels = shape.height * shape.width * shape.channels;
  for (let step = 0; step < steps; step++) {
    const indices = order.subarray(step * B, Math.min(primary.n, (step + 1) * B));
    const n = indices.length;
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = primary.labels[indices[i]];
    const batch: PairedArrayBatch = {
      step,
      n,
      indices,
      y,
      x: gatherBatch(primary.images, shape, indices, augRng, augOpts, new Float32Array(n * pixels)),
    };
    if (aux) {
      const auxIndices = new Int32Array(AB);
      for (let i = 0; i < AB; i++, auxPos++) {
        const pass = Math.floor(auxPos / aux.n);
        if (pass !== auxPass) {
          auxPass = pass;
          auxOrder = root().fork(`aux-order/${pass}`).permutation(aux.n);
        }
        auxIndices[i] = auxOrder[auxPos - pass * aux.n];
      }
      const yAux = new Int32Array(AB);
      for (let i = 0; i < AB; i++) yAux[i] = aux.labels[auxIndices[i]];
      batch.auxIndices = auxIndices;
      batch.yAux = yAux;
      batch.auxN = AB;
      batch.xAux = gatherBatch(
        aux.images,
        shape,
        auxIndices,
        auxAugRng,
        augOpts,
        new Float32Array(AB * pixels),
      );
    }
    yield batch;
  }
}

export interface PairedBatch {
  step: number;
  /** float32 [0,1] NHWC. */
  x: tf.Tensor4D;
  /** int32 class ids. */
  y: tf.Tensor1D;
  xAux?: tf.Tensor4D;
  yAux?: tf.Tensor1D;
}

/** pairedBatchArrays as tensors: one tf.tensor per array. The caller disposes them. */
export function* pairedBatches(opts: PairedBatchOptions): Generator<PairedBatch> {
  const { height: H, width: W, channels: C } = opts.primary;
  for (const b of pairedBatchArrays(opts)) {
    const out: PairedBatch = {
      step: b.step,
      x: tf.tensor4d(b.x, [b.n, H, W, C], 'float32'),
      y: tf.tensor1d(b.y, 'int32'),
    };
    if (b.xAux && b.yAux) {
      out.xAux = tf.tensor4d(b.xAux, [b.auxN!, H, W, C], 'float32');
      out.yAux = tf.tensor1d(b.yAux, 'int32');
    }
    yield out;
  }
}

/** A new dataset made of the given images (copied), in the given order. */
export function takeIndices(ds: ImageDataset, indices: ArrayLike<number>, note: string): ImageDataset {
  const pixels = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(ds.images.subarray(j * pixels, (j + 1) * pixels), i * pixels);
    labels[i] = ds.labels[j];
  }
  const prev = ds.provenance.note;
  return {
    ...ds,
    n: indices.length,
    images,
    labels,
    provenance: { ...ds.provenance, note: prev ? `${prev}; ${note}` : note },
  };
}

/**
 * `count` images chosen with a seeded shuffle (kept in dataset order). classBalanced: as even
 * a share per class as possible (the first count % K classes get one more).
 */
export function subsetByCount(
  ds: ImageDataset,
  count: number,
  opts: { seed: number; classBalanced?: boolean },
): ImageDataset {
  if (!Number.isInteger(count) || count <= 0 || count > ds.n)
    throw new UserError(
      `subset of ${count} images asked from ${ds.name}/${ds.split}, which has ${ds.n}`,
      `use 1..${ds.n}`,
    );
  const rng = new Rng(opts.seed).fork('subset');
  let chosen: number[];
  if (!opts.classBalanced) chosen = Array.from(rng.permutation(ds.n).subarray(0, count));
  else {
    const K = ds.classNames.length;
    const byClass: number[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < ds.n; i++) byClass[ds.labels[i]].push(i);
    chosen = [];
    for (let c = 0; c < K; c++) {
      const want = Math.floor(count / K) + (c < count % K ? 1 : 0);
      if (byClass[c].length < want)
        throw new UserError(
          `class-balanced subset of ${count} needs ${want} images of class '${ds.classNames[c]}', ${ds.name}/${ds.split} has ${byClass[c].length}`,
          'ask for fewer images or drop classBalanced',
        );
      chosen.push(...(rng.shuffle(byClass[c]) as number[]).slice(0, want));
    }
  }
  chosen.sort((a, b) => a - b);
  return takeIndices(
    ds,
    chosen,
    `subset: ${count} images${opts.classBalanced ? ' (class-balanced)' : ''}, seed ${opts.seed}`,
  );
}

/**
 * Only the images of the given classes (ids or names). relabel (default): labels become
 * positions in `classes` and classNames shrink to them.
 */
export function subsetByClass(
  ds: ImageDataset,
  classes: (number | string)[],
  opts: { relabel?: boolean } = {},
): ImageDataset {
  const ids = classes.map((c) => {
    const id = typeof c === 'number' ? c : ds.classNames.indexOf(c);
    if (!(id >= 0 && id < ds.classNames.length))
      throw new UserError(
        `class ${JSON.stringify(c)} is not in ${ds.name}`,
        `classes: ${ds.classNames.slice(0, 20).join(', ')}…`,
      );
    return id;
  });
  const pos = new Map(ids.map((id, i) => [id, i]));
  const keep: number[] = [];
  for (let i = 0; i < ds.n; i++) if (pos.has(ds.labels[i])) keep.push(i);
  const sub = takeIndices(ds, keep, `classes: ${ids.map((i) => ds.classNames[i]).join(', ')}`);
  if (opts.relabel ?? true) {
    for (let i = 0; i < sub.n; i++) sub.labels[i] = pos.get(sub.labels[i])!;
    sub.classNames = ids.map((i) => ds.classNames[i]);
  }
  return sub;
}
