import * as tf from '@tensorflow/tfjs';

/**
 * Every kernel the training path runs (forward and backward): conv/BN/ReLU/linear nets,
 * cross-entropy and KL losses, PGD (sign, clip, min/max projection), the SGD-momentum
 * update and accuracy. Collected with `tf.profile` over a conv+BN net's PGD-AT step, plus
 * the kernels behind gradients of the projection and of concatenating the two batches.
 */
export const TRAINING_KERNELS: readonly string[] = [
  // convolutions and linear layers
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'BatchMatMul',
  // batch norm (tf.batchNorm or written from tf.moments), ReLU, global average pool
  'FusedBatchNorm',
  'Mean',
  'SquaredDifference',
  'Rsqrt',
  'Sqrt',
  'Relu',
  'Step',
  // losses: softmax, log-softmax (max, exp, sum, log), one-hot labels
  'Softmax',
  'Max',
  'Exp',
  'Log',
  'Sum',
  'OneHot',
  // PGD: sign of the gradient, projection to the ε-ball and [0, 1]
  'Sign',
  'ClipByValue',
  'Maximum',
  'Minimum',
  'GreaterEqual',
  'LessEqual',
  'Select',
  // elementwise arithmetic, shapes and gradient plumbing
  'Add',
  'AddN',
  'Sub',
  'Multiply',
  'RealDiv',
  'Neg',
  'Square',
  'Cast',
  'Reshape',
  'Transpose',
  'Tile',
  'Slice',
  'Concat',
  'PadV2',
  'Fill',
  'Identity',
  'ZerosLike',
  'OnesLike',
  // accuracy
  'ArgMax',
  'Equal',
];

/** Training kernels that `backendName` has no implementation of. */
export function missingTrainingKernels(backendName: string): string[] {
  return TRAINING_KERNELS.filter((name) => tf.getKernel(name, backendName) === undefined);
}
