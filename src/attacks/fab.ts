import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { UserError } from '../util/errors';
import { attackRobustPoints } from './apgd';
import { projectLinfHyperplane } from './fab-projection';
import {
  checkEps,
  checkInputs,
  checkPositiveInt,
  lossAndGrad,
  pickLogit,
  selectRows,
  topIndices,
  type LinfOptions,
} from './common';

export { projectLinfHyperplane } from './fab-projection';

export interface FabOptions extends LinfOptions {
  /** Iterations per target (100). */
  iterations?: number;
  /** Target classes: the 2nd … (n+1)-th most likely clean classes (9). */
  targetClasses?: number;
  /** Largest step toward the original point per iteration, α_max (0.1). */
  alphaMax?: number;
  /** Extrapolation (overshoot) factor η (1.05). */
  eta?: number;
  /** Backward step toward the original point after success, β (0.9). */
  beta?: number;
}

/**
 * FAB-T, L∞ (Croce & Hein 2020, "Minimally distorted adversarial examples with a fast adaptive
 * boundary attack", arXiv 1907.02044), targeted version as in AutoAttack standard: for each
 * target t (k-th most likely clean class, k = 2 … 10) and each still-robust point, repeat
 * `iterations` times: linearise z_t − z_y at the current iterate, project both the iterate and
 * the original point onto the linearised decision hyperplane (within [0,1]), step to a convex
 * combination weighted by α = min(‖δ_cur‖/(‖δ_cur‖+‖δ_orig‖), α_max) with overshoot η, and
 * after a success move back toward the original by β. The smallest successful perturbation is
 * kept; it counts only if its L∞ norm is ≤ ε. No random start (1 restart, as in 'standard').
 */
export class FABT implements Attack {
  readonly name = 'FAB-T';
  readonly eps: number;
  readonly iterations: number;
  readonly targetClasses: number;
  readonly alphaMax: number;
  readonly eta: number;
  readonly beta: number;

  constructor(opts: FabOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.iterations = opts.iterations ?? 100;
    this.targetClasses = opts.targetClasses ?? 9;
    this.alphaMax = opts.alphaMax ?? 0.1;
    this.eta = opts.eta ?? 1.05;
    this.beta = opts.beta ?? 0.9;
    checkPositiveInt(this.iterations, 'FAB iterations');
    checkPositiveInt(this.targetClasses, 'FAB targetClasses');
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    const probe = tf.tidy(() => model.logits(x.slice(0, Math.min(1, x.shape[0]))));
    const numClasses = probe.shape[1];
    probe.dispose();
    if (numClasses < 2) throw new UserError(`FAB-T needs at least 2 classes, the model has ${numClasses}`);
    const targets = Math.min(this.targetClasses, numClasses - 1);
    return attackRobustPoints(model, x, y, targets, async (xs, ys, _idx, round) => {
      const target = tf.tidy(() => {
        const top = topIndices(model.logits(xs), round + 2);
        return tf.reshape(tf.slice(top, [0, round + 1], [-1, 1]), [-1]) as tf.Tensor1D;
      });
      try {
        return await this.run(model, xs, ys, target);
      } finally {
        target.dispose();
      }
    });
  }

  private async run(
    model: Classifier,
    x0: tf.Tensor4D,
    y: tf.Tensor1D,
    target: tf.Tensor1D,
  ): Promise<{ xAdv: tf.Tensor4D; fooled: Uint8Array }> {
    const n = x0.shape[0];
    const flat0 = tf.reshape(x0, [n, -1]) as tf.Tensor2D;
    let x1 = tf.clone(x0);
    let best = tf.clone(x0);
    const bestNorm = new Float32Array(n).fill(1e10);
    for (let it = 0; it < this.iterations; it++) {
      // f = z_t − z_y (positive = target wins) and its gradient at the current iterate.
      const {
        grad,
        loss: f,
        logits,
      } = lossAndGrad(model, x1, (z) => tf.sub(pickLogit(z, target), pickLogit(z, y)));
      // The plane w·z = w·x1 − f (linearised z_t − z_y = 0); project x1 and x0 onto it.
      const { w, flat1, tw, ww, bb } = tf.tidy(() => {
        const w = tf.reshape(grad, [n, -1]) as tf.Tensor2D;
        const flat1 = tf.reshape(x1, [n, -1]) as tf.Tensor2D;
        const b = tf.sub(tf.sum(tf.mul(w, flat1), 1), f) as tf.Tensor1D;
        return {
          w,
          flat1,
          tw: tf.concat([flat1, flat0]) as tf.Tensor2D,
          ww: tf.concat([w, w]) as tf.Tensor2D,
          bb: tf.concat([b, b]) as tf.Tensor1D,
        };
      });
      const d = await projectLinfHyperplane(tw, ww, bb);
      const next = tf.tidy(() => {
        const [d1, d2] = tf.split(d, 2);
        const a1 = tf.maximum(tf.max(tf.abs(d1), 1, true), 1e-8);
        const a2 = tf.maximum(tf.max(tf.abs(d2), 1, true), 1e-8);
        const alpha = tf.minimum(tf.maximum(tf.div(a1, tf.add(a1, a2)), 0), this.alphaMax);
        const moved = tf.add(
          tf.mul(tf.add(flat1, tf.mul(d1, this.eta)), tf.sub(1, alpha)),
          tf.mul(tf.add(flat0, tf.mul(d2, this.eta)), alpha),
        );
        return tf.reshape(tf.clipByValue(moved, 0, 1), x0.shape) as tf.Tensor4D;
      });
      tf.dispose([w, flat1, tw, ww, bb, d]);
      tf.dispose([grad, f, logits, x1]);
      x1 = next;
      const stats = tf.tidy(() =>
        tf.stack([
          tf.cast(tf.notEqual(tf.argMax(model.logits(x1), 1), tf.cast(y, 'int32')), 'float32'),
          tf.max(tf.abs(tf.sub(tf.reshape(x1, [n, -1]), flat0)), 1),
        ]),
      );
      const s = await stats.data();
      stats.dispose();
      const isAdv = new Uint8Array(n);
      const better = new Uint8Array(n);
      for (let j = 0; j < n; j++) {
        isAdv[j] = s[j] > 0 ? 1 : 0;
        if (isAdv[j] && s[n + j] < bestNorm[j]) {
          better[j] = 1;
          bestNorm[j] = s[n + j];
        }
      }
      if (better.some((v) => v)) best = replaceWith(best, selectRows(better, x1, best));
      if (isAdv.some((v) => v)) {
        const back = tf.tidy(() => tf.add(x0, tf.mul(tf.sub(x1, x0), this.beta)) as tf.Tensor4D);
        x1 = replaceWith(x1, selectRows(isAdv, back, x1));
        back.dispose();
      }
    }
    tf.dispose([x1, flat0]);
    const fooled = Uint8Array.from(bestNorm, (v) => (v <= this.eps ? 1 : 0));
    return { xAdv: best, fooled };
  }
}

function replaceWith<T extends tf.Tensor>(old: T, next: T): T {
  old.dispose();
  return next;
}
