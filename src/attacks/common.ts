import * as tf from '@tensorflow/tfjs';
import type { Classifier } from '../models/types';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';

/**
 * What every attack shares (torchattacks' base class, without its magic): input checks, the
 * L∞-ball ∩ [0,1] projection, per-sample random streams, the standard losses, and exact ε
 * fractions for results.
 */

/** Options every attack accepts. eps is the L∞ radius in [0,1] pixel units, e.g. 8/255. */
export interface LinfOptions {
  eps: number;
  /** Seed for the attack's random streams (random starts, Square's proposals). Default 0. */
  seed?: number;
}

/** ε as an exact fraction string for results (the one helper lives in util/fraction). */
export { epsFraction } from '../util/fraction';

export function checkEps(eps: number, what = 'eps'): void {
  if (!(Number.isFinite(eps) && eps >= 0 && eps <= 1))
    throw new UserError(
      `${what} must be in [0, 1] (pixel scale), got ${eps}`,
      `write it as a fraction, e.g. ${what}: 8/255`,
    );
}

export function checkPositiveInt(v: number, what: string): void {
  if (!(Number.isInteger(v) && v >= 1)) throw new UserError(`${what} must be a positive integer, got ${v}`);
}

/** Shape checks and the [0,1] input requirement (auto-attack#13/#16/#46: normalise inside the model). */
export async function checkInputs(x: tf.Tensor4D, y: tf.Tensor1D): Promise<void> {
  if (x.rank !== 4 || y.rank !== 1 || x.shape[0] !== y.shape[0])
    throw new UserError(
      `attack inputs must be x [N,H,W,C] and y [N], got x ${JSON.stringify(x.shape)} and y ${JSON.stringify(y.shape)}`,
    );
  if (x.dtype !== 'float32') throw new UserError(`attack input x must be float32, got ${x.dtype}`);
  if (x.shape[0] === 0) return;
  const range = tf.tidy(() => tf.stack([tf.min(x), tf.max(x)]));
  const [lo, hi] = await range.data();
  range.dispose();
  if (!(lo >= 0 && hi <= 1))
    throw new UserError(
      `attack input x must lie in [0,1], got range [${lo}, ${hi}]`,
      'feed [0,1] images and put normalisation inside the model (ModelSpec.normalization)',
    );
}

/** Bounds of the feasible set: [max(x−ε, 0), min(x+ε, 1)]. */
export function linfBounds(x: tf.Tensor4D, eps: number): { lo: tf.Tensor4D; hi: tf.Tensor4D } {
  return tf.tidy(() => ({ lo: tf.maximum(tf.sub(x, eps), 0), hi: tf.minimum(tf.add(x, eps), 1) }));
}

/** Projection onto the L∞ ball around x intersected with [0,1], given precomputed bounds. */
export function project(xAdv: tf.Tensor4D, lo: tf.Tensor4D, hi: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.minimum(tf.maximum(xAdv, lo), hi));
}

/**
 * One independent random stream per sample, forked in order from the attack's stream. All of
 * a sample's randomness comes from its own stream, so results do not depend on how the data
 * is split into batches (yaodongyu/TRADES#3) as long as batches are attacked in order.
 */
export function sampleRngs(rng: Rng, n: number): Rng[] {
  return Array.from({ length: n }, () => rng.fork('sample'));
}

/** [N, ...shape] tensor of per-sample uniforms in [lo, hi). */
export function uniformNoise(rngs: Rng[], sampleShape: number[], lo: number, hi: number): tf.Tensor {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(rngs.length * per);
  rngs.forEach((r, i) => buf.set(r.uniformArray(per, lo, hi), i * per));
  return tf.tensor(buf, [rngs.length, ...sampleShape]);
}

/** [N, ...shape] tensor of per-sample normals. */
export function normalNoise(rngs: Rng[], sampleShape: number[], std: number): tf.Tensor {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(rngs.length * per);
  rngs.forEach((r, i) => buf.set(r.normalArray(per, 0, std), i * per));
  return tf.tensor(buf, [rngs.length, ...sampleShape]);
}

/** Σ_i CE(z_i, y_i) — summed so each sample's gradient is independent of the batch size. */
export function crossEntropySum(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    if (logits.shape[0] === 0) return tf.scalar(0);
    const oneHot = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))) as tf.Scalar;
  });
}

/**
 * Per-sample CW margin max_{j≠y} z_j − z_y (positive = misclassified). The CW-k evaluation
 * maximises Σ min(margin, κ) with PGD; κ = 50 as in the common PGD-CW code (only caps the loss).
 */
export function cwMargin(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]);
    const correct = tf.sum(tf.mul(oneHot, logits), 1);
    const other = tf.max(tf.sub(logits, tf.mul(oneHot, 1e9)), 1);
    return tf.sub(other, correct) as tf.Tensor1D;
  });
}

/** Per-sample correctness flags (1 = argmax equals label). */
export async function correctFlags(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<Uint8Array> {
  const eq = tf.tidy(() => tf.equal(tf.argMax(model.logits(x), 1), tf.cast(y, 'int32')));
  const data = await eq.data();
  eq.dispose();
  return Uint8Array.from(data);
}

/** Gathers rows of t by index (returns a new tensor). */
export function take<T extends tf.Tensor>(t: T, idx: number[]): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(idx, 'int32'))) as T;
}

/** Writes rows `idx` of `base` with `rows` (returns a new tensor; base untouched). */
export function scatterRows<T extends tf.Tensor>(base: T, idx: number[], rows: tf.Tensor): T {
  if (idx.length === 0) return tf.clone(base);
  return tf.tidy(() => {
    const n = base.shape[0];
    const pos = new Int32Array(n).fill(-1);
    idx.forEach((r, j) => (pos[r] = j));
    const spread = tf.gather(
      rows,
      tf.tensor1d(
        Int32Array.from(pos, (p) => Math.max(p, 0)),
        'int32',
      ),
    );
    return tf.where(
      rowMask(
        Array.from(pos, (p) => p >= 0),
        base.shape,
      ),
      spread,
      base,
    );
  }) as T;
}

/**
 * A bool tensor of `shape` whose row i is all `mask[i]`, built on the host: tfjs broadcasts a
 * [n,1,…] condition with Tile, which on wasm costs more than the attack step around it.
 */
export function rowMask(mask: ArrayLike<number | boolean>, shape: number[]): tf.Tensor {
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const full = new Uint8Array(mask.length * per);
  for (let i = 0; i < mask.length; i++) if (mask[i]) full.fill(1, i * per, (i + 1) * per);
  return tf.tensor(full, shape, 'bool');
}

/** Per-sample loss of logits (higher = more adversarial). */
export type SampleLoss = (logits: tf.Tensor2D) => tf.Tensor1D;

/**
 * One forward/backward pass: per-sample losses, logits and ∇_x Σ loss. All three returned
 * tensors belong to the caller. Summing keeps each sample's gradient independent of the batch.
 */
export function lossAndGrad(
  model: Classifier,
  x: tf.Tensor4D,
  loss: SampleLoss,
): { grad: tf.Tensor4D; loss: tf.Tensor1D; logits: tf.Tensor2D } {
  let kept: { loss: tf.Tensor1D; logits: tf.Tensor2D } | null = null;
  const grad = tf.tidy(() =>
    tf.grad((xa: tf.Tensor) => {
      const logits = model.logits(xa as tf.Tensor4D);
      const l = loss(logits);
      kept = { loss: tf.keep(tf.clone(l)), logits: tf.keep(tf.clone(logits)) };
      return tf.sum(l);
    })(x),
  ) as tf.Tensor4D;
  const k = kept as unknown as { loss: tf.Tensor1D; logits: tf.Tensor2D };
  return { grad, loss: k.loss, logits: k.logits };
}

/**
 * Row-wise choice: rows where mask[i] is set come from a, the others from b (new tensor). The
 * values are copied, never recomputed, so the result is bit-identical however it is built.
 */
export function selectRows<T extends tf.Tensor>(mask: ArrayLike<number | boolean>, a: T, b: T): T {
  let set = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) set++;
  if (set === mask.length) return tf.clone(a);
  if (set === 0) return tf.clone(b);
  return tf.tidy(() => tf.where(rowMask(mask, a.shape), a, b)) as T;
}

/** Values of the logit at index `idx[i]` per row, differentiable (tfjs has no TopK gradient). */
export function pickLogit(logits: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.sum(tf.mul(logits, tf.oneHot(tf.cast(idx, 'int32'), logits.shape[1])), 1),
  ) as tf.Tensor1D;
}

/** Indices of the k largest logits per row, largest first (not differentiated). */
export function topIndices(logits: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => tf.topk(logits, k).indices) as tf.Tensor2D;
}

/**
 * The k largest logits per row, largest first, as differentiable values: repeatedly take the
 * max and mask its argmax (tf.topk has no gradient in tfjs).
 */
export function largestLogits(logits: tf.Tensor2D, k: number): tf.Tensor1D[] {
  const out: tf.Tensor1D[] = [];
  let masked: tf.Tensor2D = logits;
  for (let i = 0; i < k; i++) {
    out.push(tf.max(masked, 1) as tf.Tensor1D);
    if (i < k - 1) masked = tf.sub(masked, tf.mul(tf.oneHot(tf.argMax(masked, 1), logits.shape[1]), 1e9));
  }
  return out;
}

/**
 * Difference of logits ratio (Croce & Hein 2020, arXiv 2003.01690):
 * −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12), π sorting logits in decreasing order.
 */
export function dlrLoss(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [z1, , z3] = largestLogits(logits, 3);
    const oneHot = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]);
    const zy = tf.sum(tf.mul(oneHot, logits), 1);
    const maxOther = tf.max(tf.sub(logits, tf.mul(oneHot, 1e9)), 1);
    return tf.neg(tf.div(tf.sub(zy, maxOther), tf.add(tf.sub(z1, z3), 1e-12))) as tf.Tensor1D;
  });
}

/** Targeted DLR: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12). Needs ≥ 4 classes. */
export function dlrTargetedLoss(logits: tf.Tensor2D, y: tf.Tensor1D, target: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [z1, , z3, z4] = largestLogits(logits, 4);
    const denom = tf.add(tf.sub(z1, tf.mul(tf.add(z3, z4), 0.5)), 1e-12);
    return tf.neg(tf.div(tf.sub(pickLogit(logits, y), pickLogit(logits, target)), denom)) as tf.Tensor1D;
  });
}

/** Per-sample cross-entropy. */
export function crossEntropyPerSample(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.neg(tf.sum(tf.mul(tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]), tf.logSoftmax(logits)), 1)),
  ) as tf.Tensor1D;
}

/** Indices i with flags[i] set. */
export function indicesWhere(flags: ArrayLike<number | boolean>): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i);
  return out;
}
