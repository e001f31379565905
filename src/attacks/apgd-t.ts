import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import { apgdRun, attackRobustPoints } from './apgd';
import {
  checkEps,
  checkInputs,
  checkPositiveInt,
  dlrTargetedLoss,
  sampleRngs,
  topIndices,
  type LinfOptions,
} from './common';

export interface ApgdTargetedOptions extends LinfOptions {
  /** Iterations per target (100 in AutoAttack standard). */
  iterations?: number;
  /** Target classes: the 2nd … (n+1)-th most likely classes at the clean point (9). */
  targetClasses?: number;
  rho?: number;
}

/**
 * APGD-T, L∞ (Croce & Hein 2020, arXiv 2003.01690): APGD on the targeted DLR loss
 * −(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2), once per target class t = the k-th most likely class
 * of the clean input (k = 2 … targetClasses+1), each run only on points not yet fooled.
 * Defaults as AutoAttack standard: 100 iterations, 9 targets, 1 restart, ρ = 0.75. Needs ≥ 4
 * classes; with K classes at most K−1 targets are used.
 */
export class APGDT implements Attack {
  readonly name = 'APGD-T';
  readonly eps: number;
  readonly iterations: number;
  readonly targetClasses: number;
  readonly rho: number;
  private readonly rng: Rng;

  constructor(opts: ApgdTargetedOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.iterations = opts.iterations ?? 100;
    this.targetClasses = opts.targetClasses ?? 9;
    this.rho = opts.rho ?? 0.75;
    checkPositiveInt(this.iterations, 'APGD-T iterations');
    checkPositiveInt(this.targetClasses, 'APGD-T targetClasses');
    this.rng = new Rng(opts.seed ?? 0).fork('apgd-t');
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    const rngs = sampleRngs(this.rng, x.shape[0]);
    const probe = tf.tidy(() => model.logits(x.slice(0, Math.min(1, x.shape[0]))));
    const numClasses = probe.shape[1];
    probe.dispose();
    if (numClasses < 4)
      throw new UserError(
        `APGD-T's targeted DLR loss needs at least 4 classes, the model has ${numClasses}`,
        'use APGD-CE / PGD for this model',
      );
    const targets = Math.min(this.targetClasses, numClasses - 1);
    return attackRobustPoints(model, x, y, targets, async (xs, ys, idx, round) => {
      // Target: the (round+2)-th most likely class at the clean point.
      const target = tf.tidy(() => {
        const top = topIndices(model.logits(xs), round + 2);
        return tf.reshape(tf.slice(top, [0, round + 1], [-1, 1]), [-1]) as tf.Tensor1D;
      });
      try {
        return await apgdRun(
          model,
          xs,
          ys,
          (z) => dlrTargetedLoss(z, ys, target),
          idx.map((i) => rngs[i]),
          { eps: this.eps, iterations: this.iterations, rho: this.rho },
        );
      } finally {
        target.dispose();
      }
    });
  }
}
