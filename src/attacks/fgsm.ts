import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { checkEps, checkInputs, crossEntropySum, linfBounds, project, type LinfOptions } from './common';

/**
 * FGSM, L∞ (Goodfellow et al. 2015, arXiv 1412.6572): one step x + ε·sign(∇CE), clipped to
 * [0,1]. No random start.
 *
 *   const xAdv = await new FGSM({ eps: 8/255 }).perturb(asClassifier(model), x, y);
 */
export class FGSM implements Attack {
  readonly name = 'FGSM';
  readonly eps: number;

  constructor(opts: LinfOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    return tf.tidy(() => {
      const g = tf.grad((xa: tf.Tensor) => crossEntropySum(model.logits(xa as tf.Tensor4D), y))(x);
      const { lo, hi } = linfBounds(x, this.eps);
      return project(tf.add(x, tf.mul(tf.sign(g), this.eps)) as tf.Tensor4D, lo, hi);
    });
  }
}
