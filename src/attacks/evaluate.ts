import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { UserError } from '../util/errors';
import { checkInputs, correctFlags, epsFraction } from './common';

export interface RobustAccuracyResult {
  attack: string;
  /** Exact ε if the attack has one, e.g. '8/255'. */
  eps: string | null;
  n: number;
  batchSize: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  /** Per point: 1 if classified correctly both clean and under the attack. */
  robustFlags: number[];
  /** Largest L∞ distance between an adversarial input and its clean input. */
  maxPerturbation: number;
  xAdvMin: number;
  xAdvMax: number;
  seconds: number;
}

/**
 * Clean and robust accuracy of `model` under `attack` on (x, y), attacking `batchSize` points at
 * a time, in order (so seeded attacks give the same flags at any batch size). A point is robust
 * if it is classified correctly clean and at the attack's output. Throws if the attack leaves
 * the ε-ball (beyond 1e-6) or [0,1]: a broken attack must not produce a number.
 */
export async function robustAccuracy(
  model: Classifier,
  attack: Attack & { eps?: number },
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  batchSize: number,
): Promise<RobustAccuracyResult> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new UserError(`batchSize must be a positive integer, got ${batchSize}`);
  await checkInputs(x, y);
  const start = Date.now();
  const n = x.shape[0];
  const robustFlags: number[] = [];
  let clean = 0;
  let maxPerturbation = 0,
    xAdvMin = Infinity,
    xAdvMax = -Infinity;
  for (let s = 0; s < n; s += batchSize) {
    const size = Math.min(batchSize, n - s);
    const xb = x.slice(s, size),
      yb = y.slice(s, size);
    const cleanFlags = await correctFlags(model, xb, yb);
    const xAdv = await attack.perturb(model, xb, yb);
    const advFlags = await correctFlags(model, xAdv, yb);
    const stats = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(xAdv, xb))), tf.min(xAdv), tf.max(xAdv)]));
    const [dev, lo, hi] = await stats.data();
    tf.dispose([stats, xAdv, xb, yb]);
    maxPerturbation = Math.max(maxPerturbation, dev);
    xAdvMin = Math.min(xAdvMin, lo);
    xAdvMax = Math.max(xAdvMax, hi);
    for (let j = 0; j < size; j++) {
      clean += cleanFlags[j];
      robustFlags.push(cleanFlags[j] && advFlags[j] ? 1 : 0);
    }
  }
  if (attack.eps !== undefined && maxPerturbation > attack.eps + 1e-6)
    throw new Error(`${attack.name} left the ε-ball: max |x_adv − x| = ${maxPerturbation} > ${attack.eps}`);
  if (n > 0 && (xAdvMin < 0 || xAdvMax > 1))
    throw new Error(`${attack.name} left [0,1]: x_adv in [${xAdvMin}, ${xAdvMax}]`);
  return {
    attack: attack.name,
    eps: attack.eps === undefined ? null : epsFraction(attack.eps),
    n,
    batchSize,
    cleanAccuracy: n ? clean / n : 0,
    robustAccuracy: n ? robustFlags.reduce((a, b) => a + b, 0) / n : 0,
    robustFlags,
    maxPerturbation,
    xAdvMin: n ? xAdvMin : 0,
    xAdvMax: n ? xAdvMax : 0,
    seconds: (Date.now() - start) / 1000,
  };
}
