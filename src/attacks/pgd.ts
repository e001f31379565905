import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import {
  checkEps,
  checkInputs,
  checkPositiveInt,
  crossEntropySum,
  cwMargin,
  linfBounds,
  normalNoise,
  project,
  sampleRngs,
  uniformNoise,
  type LinfOptions,
} from './common';

export interface PgdMaximizeOptions {
  eps: number;
  stepSize: number;
  steps: number;
  /** 'uniform': x + U(−ε, ε) (Madry); 'normal': x + startStd·N(0,1) (TRADES, 0.001); 'none': x. */
  start: 'uniform' | 'normal' | 'none';
  startStd?: number;
  /**
   * Project the random start into the ε-ball ∩ [0,1] before the first gradient (default true,
   * as Madry's code clips its start); TRADES' code takes the first gradient at x + 0.001·N(0,1)
   * unclipped (false).
   */
  projectStart?: boolean;
  rng: Rng;
}

/**
 * The random start's offset from x, one stream per sample drawn from `rng` (see sampleRngs),
 * or null for start 'none'. Exported so a reference implementation can be given the same noise.
 */
export function startNoise(x: tf.Tensor4D, opts: PgdMaximizeOptions): tf.Tensor4D | null {
  if (opts.start === 'none') return null;
  const rngs = sampleRngs(opts.rng, x.shape[0]);
  const sampleShape = x.shape.slice(1);
  return (
    opts.start === 'uniform'
      ? uniformNoise(rngs, sampleShape, -opts.eps, opts.eps)
      : normalNoise(rngs, sampleShape, opts.startStd ?? 0.001)
  ) as tf.Tensor4D;
}

/**
 * Projected gradient ascent in the L∞ ball ∩ [0,1] (Madry et al. 2018, arXiv 1706.06083):
 * x' ← Π(x' + stepSize · sign(∇ loss(x'))). The reusable core: training passes its own combined
 * loss (BiaMAT's unweighted sum of CEs, TRADES' KL); `loss` must be a sum over samples so
 * steps do not depend on batch composition. The start point is projected unless
 * `projectStart` is false. Random starts draw one stream per sample from `rng` (see
 * sampleRngs). Returns a new tensor; x is not disposed.
 */
export function pgdMaximize(
  loss: (xAdv: tf.Tensor4D) => tf.Scalar,
  x: tf.Tensor4D,
  opts: PgdMaximizeOptions,
): tf.Tensor4D {
  checkEps(opts.eps);
  checkEps(opts.stepSize, 'stepSize');
  if (!(Number.isInteger(opts.steps) && opts.steps >= 0))
    throw new UserError(`PGD steps must be a non-negative integer, got ${opts.steps}`);
  const { lo, hi } = linfBounds(x, opts.eps);
  let xAdv = tf.tidy(() => {
    const noise = startNoise(x, opts);
    if (noise === null) return tf.clone(x);
    const start = tf.add(x, noise) as tf.Tensor4D;
    return opts.projectStart === false ? start : project(start, lo, hi);
  });
  const gradFn = tf.grad((xa: tf.Tensor) => loss(xa as tf.Tensor4D));
  for (let i = 0; i < opts.steps; i++) {
    const next = tf.tidy(() => {
      const g = gradFn(xAdv);
      return project(tf.add(xAdv, tf.mul(tf.sign(g), opts.stepSize)) as tf.Tensor4D, lo, hi);
    });
    xAdv.dispose();
    xAdv = next;
  }
  lo.dispose();
  hi.dispose();
  return xAdv;
}

export interface PgdOptions extends LinfOptions {
  /** Step size; default 2/255 (the paper's PGD-10/100/CW-100). */
  stepSize?: number;
  /** Iterations; default 10. */
  steps?: number;
  /** Uniform random start in the ε-ball (default true). */
  randomStart?: boolean;
  /** 'ce' (PGD-k) or 'cw' (CW-k: PGD on the CW margin, κ = 50). Default 'ce'. */
  loss?: 'ce' | 'cw';
  /** Restarts; the first successful restart per sample is kept. Default 1. */
  restarts?: number;
}

/**
 * PGD-k with cross-entropy (Madry et al. 2018) or CW-k (PGD on the Carlini–Wagner margin,
 * arXiv 1608.04644, as in the paper's CW-100 evaluation), L∞. Defaults: ε given, step 2/255,
 * 10 steps, uniform random start, 1 restart.
 *
 *   const xAdv = await new PGD({ eps: 8/255, steps: 100 }).perturb(asClassifier(model), x, y);
 */
export class PGD implements Attack {
  readonly name: string;
  readonly eps: number;
  readonly stepSize: number;
  readonly steps: number;
  readonly randomStart: boolean;
  readonly loss: 'ce' | 'cw';
  readonly restarts: number;
  /** One stream per restart, each consumed in sample order across batches (batch-size independent). */
  private readonly restartRngs: Rng[];

  constructor(opts: PgdOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.stepSize = opts.stepSize ?? 2 / 255;
    this.steps = opts.steps ?? 10;
    this.randomStart = opts.randomStart ?? true;
    this.loss = opts.loss ?? 'ce';
    this.restarts = opts.restarts ?? 1;
    checkPositiveInt(this.restarts, 'PGD restarts');
    if (this.loss !== 'ce' && this.loss !== 'cw')
      throw new UserError(`PGD loss must be 'ce' or 'cw', got ${this.loss}`);
    const rng = new Rng(opts.seed ?? 0).fork(`pgd-${this.loss}`);
    this.restartRngs = Array.from({ length: this.restarts }, (_, r) => rng.fork(`restart-${r}`));
    this.name = `${this.loss === 'ce' ? 'PGD' : 'CW'}-${this.steps}`;
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    const lossFn = (xa: tf.Tensor4D): tf.Scalar =>
      tf.tidy(() =>
        this.loss === 'ce'
          ? crossEntropySum(model.logits(xa), y)
          : (tf.sum(tf.minimum(cwMargin(model.logits(xa), y), 50)) as tf.Scalar),
      );
    const opts = (r: number): PgdMaximizeOptions => ({
      eps: this.eps,
      stepSize: this.stepSize,
      steps: this.steps,
      start: this.randomStart ? 'uniform' : 'none',
      rng: this.restartRngs[r],
    });
    let best = pgdMaximize(lossFn, x, opts(0));
    for (let r = 1; r < this.restarts; r++) {
      const cand = pgdMaximize(lossFn, x, opts(r));
      // Keep, per sample, the first restart that fools the model.
      const next = tf.tidy(() => {
        const stillCorrect = tf.equal(tf.argMax(model.logits(best), 1), tf.cast(y, 'int32'));
        const m = tf.reshape(stillCorrect, [-1, 1, 1, 1]);
        return tf.where(tf.broadcastTo(m, x.shape), cand, best) as tf.Tensor4D;
      });
      best.dispose();
      cand.dispose();
      best = next;
    }
    return best;
  }
}
