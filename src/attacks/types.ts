import type * as tf from '@tensorflow/tfjs';
import type { Classifier } from '../models/types';

/**
 * One call shape for every attack (torchattacks / AutoAttack): given a classifier, clean
 * inputs in [0,1] and true labels, return adversarial inputs in [0,1] within the ε-ball.
 * The caller owns x, y and the returned tensor. Async because attacks that read values
 * back (APGD checkpoints, AutoAttack's robust flags) must use `await t.data()`: the WebGPU
 * backend has no synchronous read-back.
 */
export interface Attack {
  readonly name: string;
  perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D>;
}
