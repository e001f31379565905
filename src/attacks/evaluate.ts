import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { UserError } from '../util/errors';
import { AutoAttack, type AutoAttackStage } from './autoattack';
import { checkInputs, correctFlags, epsFraction } from './common';

export interface RobustAccuracyResult {
  attack: string;
  /** Exact ε if the attack has one, e.g. '8/255'. */
  eps: string | null;
  n: number;
  batchSize: number;
  cleanAccuracy: number;
  /** Share of points classified correctly both clean and at the attack's output (RobustBench's robust accuracy). */
  robustAccuracy: number;
  /**
   * Share of points classified correctly at the attack's output, whatever the clean prediction:
   * what the released PGD/CW evaluation scripts report. Equal to robustAccuracy for AutoAttack,
   * which leaves misclassified points alone.
   */
  adversarialAccuracy: number;
  /** Per point: 1 if classified correctly both clean and under the attack. */
  robustFlags: number[];
  /** Largest L∞ distance between an adversarial input and its clean input. */
  maxPerturbation: number;
  xAdvMin: number;
  xAdvMax: number;
  seconds: number;
  /** AutoAttack only: each attack of the ensemble in order, with the worst-case accuracy after it. */
  stages?: AutoAttackStage[];
}

/**
 * Clean and robust accuracy of `model` under `attack` on (x, y): the one path every reported
 * robust number takes. Points are attacked `batchSize` at a time, in order (so seeded attacks
 * give the same flags at any batch size); AutoAttack runs once over the whole set (each of its
 * attacks on the points still robust) and reports the accuracy after each attack. Throws if
 * the attack leaves the ε-ball (beyond 1e-6) or [0,1], or returns NaN: a broken attack must not
 * produce a number.
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
  if (attack instanceof AutoAttack) return autoAttackAccuracy(model, attack, x, y, batchSize);
  await checkInputs(x, y);
  const start = Date.now();
  const n = x.shape[0];
  const robustFlags: number[] = [];
  let clean = 0,
    adversarial = 0,
    nanCount = 0;
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
    const stats = tf.tidy(() =>
      tf.stack([
        tf.max(tf.abs(tf.sub(xAdv, xb))),
        tf.min(xAdv),
        tf.max(xAdv),
        tf.sum(tf.cast(tf.isNaN(xAdv), 'float32')),
      ]),
    );
    const [dev, lo, hi, nans] = await stats.data();
    tf.dispose([stats, xAdv, xb, yb]);
    maxPerturbation = Math.max(maxPerturbation, dev);
    xAdvMin = Math.min(xAdvMin, lo);
    xAdvMax = Math.max(xAdvMax, hi);
    nanCount += nans;
    for (let j = 0; j < size; j++) {
      clean += cleanFlags[j];
      adversarial += advFlags[j];
      robustFlags.push(cleanFlags[j] && advFlags[j] ? 1 : 0);
    }
  }
  checkAdversarialBounds(attack, n, { maxPerturbation, xAdvMin, xAdvMax, nanCount });
  return {
    attack: attack.name,
    eps: attack.eps === undefined ? null : epsFraction(attack.eps),
    n,
    batchSize,
    cleanAccuracy: n ? clean / n : 0,
    robustAccuracy: n ? robustFlags.reduce((a, b) => a + b, 0) / n : 0,
    adversarialAccuracy: n ? adversarial / n : 0,
    robustFlags,
    maxPerturbation,
    xAdvMin: n ? xAdvMin : 0,
    xAdvMax: n ? xAdvMax : 0,
    seconds: (Date.now() - start) / 1000,
  };
}

/** AutoAttack over the whole set at once: its checks run once, and the per-attack accuracies are kept. */
async function autoAttackAccuracy(
  model: Classifier,
  attack: AutoAttack,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  batchSize: number,
): Promise<RobustAccuracyResult> {
  const r = await attack.run(model, x, y, batchSize);
  checkAdversarialBounds(attack, r.n, r);
  return {
    attack: attack.name,
    eps: r.eps,
    n: r.n,
    batchSize,
    cleanAccuracy: r.cleanAccuracy,
    robustAccuracy: r.robustAccuracy,
    adversarialAccuracy: r.robustAccuracy,
    robustFlags: r.robustFlags,
    maxPerturbation: r.maxPerturbation,
    xAdvMin: r.xAdvMin,
    xAdvMax: r.xAdvMax,
    seconds: r.seconds,
    stages: r.stages,
  };
}

/** The ε-ball, [0,1] and NaN checks every reported number passes. */
function checkAdversarialBounds(
  attack: { name: string; eps?: number },
  n: number,
  s: { maxPerturbation: number; xAdvMin: number; xAdvMax: number; nanCount: number },
): void {
  if (s.nanCount > 0) throw new Error(`${attack.name} returned ${s.nanCount} NaN pixel(s)`);
  if (attack.eps !== undefined && s.maxPerturbation > attack.eps + 1e-6)
    throw new Error(`${attack.name} left the ε-ball: max |x_adv − x| = ${s.maxPerturbation} > ${attack.eps}`);
  if (n > 0 && (s.xAdvMin < 0 || s.xAdvMax > 1))
    throw new Error(`${attack.name} left [0,1]: x_adv in [${s.xAdvMin}, ${s.xAdvMax}]`);
}
