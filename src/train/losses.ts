/**
 * The loss pieces of AT, TRADES and BiaMAT (docs/method.md §1), as small pure tensor functions, plus the
 * confidence-based selection of Algorithm 1. Sums are sums over samples; the callers divide
 * by the normaliser the released code uses (B, B~ or n_low + n_high), so the pieces can be
 * checked by hand.
 */
import * as tf from '@tensorflow/tfjs';

/** u = 1/K · 1 for each of n rows: "the expectation of random labels" (docs/method.md §1). */
export function uniformTarget(n: number, numClasses: number): tf.Tensor2D {
  return tf.fill([n, numClasses], 1 / numClasses) as tf.Tensor2D;
}

/** Σ_i −log softmax(logits_i)[y_i], zero for an empty batch: the attacks' cross-entropy, one definition. */
export { crossEntropySum } from '../attacks/common';

/** Σ_i −Σ_k target_ik · log softmax(logits_i)_k (soft-label CE; with u this is BiaMAT's low-set loss). */
export function softCrossEntropySum(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    if (logits.shape[0] === 0) return tf.scalar(0);
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)))) as tf.Scalar;
  });
}

/**
 * Σ_i KL(softmax(clean_i) ‖ softmax(adv_i)), exactly TRADES' released
 * `KLDivLoss(size_average=False)(log_softmax(adv), softmax(clean))`: the clean distribution is
 * the reference. Zero for an empty batch.
 */
export function klSum(advLogits: tf.Tensor2D, cleanLogits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    if (advLogits.shape[0] === 0) return tf.scalar(0);
    const logpClean = tf.logSoftmax(cleanLogits);
    const pClean = tf.exp(logpClean);
    return tf.sum(tf.mul(pClean, tf.sub(logpClean, tf.logSoftmax(advLogits)))) as tf.Scalar;
  });
}

/** c(x) = max softmax of the given logits, per row (Algorithm 1's confidence). */
export function confidence(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.max(tf.softmax(logits), 1) as tf.Tensor1D);
}

/** How auxiliary samples are routed: BiaMAT's threshold, or one of the ablation rows. */
export type SelectionRule =
  | { kind: 'threshold'; tau: number } // c < τ → low (u, primary head), else high (label, aux head)
  | { kind: 'all-high' } // naive multi-domain AT with true labels (γ = 0), and the warm-up
  | { kind: 'all-low' }; // uniform labels only (OAT-like rows)

export interface Selection {
  /** Indices (into the aux batch) trained with target u through the primary head. */
  low: Int32Array;
  /** Indices trained with their true labels through the auxiliary head. */
  high: Int32Array;
}

/**
 * Splits an aux batch by confidence (Algorithm 1 step 3): c(x~) < τ is "low", the rest "high".
 * A NaN confidence counts as high (it is not below τ), as `conf < tau` does in PyTorch.
 */
export function selectByConfidence(conf: ArrayLike<number>, rule: SelectionRule): Selection {
  const low: number[] = [];
  const high: number[] = [];
  for (let i = 0; i < conf.length; i++) {
    const isLow = rule.kind === 'all-low' || (rule.kind === 'threshold' && conf[i] < rule.tau);
    (isLow ? low : high).push(i);
  }
  return { low: Int32Array.from(low), high: Int32Array.from(high) };
}

/** τ = γ · mean primary confidence (Algorithm 1 step 2). γ = 0 gives τ = 0: every aux sample is high. */
export function thresholdFromConfidences(primaryConf: ArrayLike<number>, gamma: number): number {
  if (primaryConf.length === 0) throw new RangeError('thresholdFromConfidences: empty primary batch');
  let s = 0;
  for (let i = 0; i < primaryConf.length; i++) s += primaryConf[i];
  return (gamma * s) / primaryConf.length;
}

/** Rows `idx` of t (gather along axis 0); an empty index gives an empty tensor of the right width. */
export function rows<T extends tf.Tensor>(t: T, idx: Int32Array): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(idx, 'int32'), 0)) as T;
}

/**
 * Per-row versions ([N] losses) for masked sums: selecting rows by multiplying with a 0/1 mask
 * instead of tf.gather keeps every gradient on kernels all backends have (gather's gradient
 * needs UnsortedSegmentSum, missing on wasm: tfjs#8082).
 */
export function crossEntropyRows(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.neg(
        tf.sum(tf.mul(tf.oneHot(labels.toInt(), logits.shape[1]), tf.logSoftmax(logits)), 1),
      ) as tf.Tensor1D,
  );
}

export function softCrossEntropyRows(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)) as tf.Tensor1D);
}

export function klRows(advLogits: tf.Tensor2D, cleanLogits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logpClean = tf.logSoftmax(cleanLogits);
    return tf.sum(tf.mul(tf.exp(logpClean), tf.sub(logpClean, tf.logSoftmax(advLogits))), 1) as tf.Tensor1D;
  });
}

/** A float 0/1 mask of length n with ones at `idx`. */
export function indexMask(n: number, idx: Int32Array): tf.Tensor1D {
  const m = new Float32Array(n);
  for (const i of idx) m[i] = 1;
  return tf.tensor1d(m);
}
