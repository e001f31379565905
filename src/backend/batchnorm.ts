import * as tf from '@tensorflow/tfjs';

/**
 * Batch normalisation written with elementwise ops only:
 *   (x − mean) · scale / √(variance + ε) + offset.
 * Same values as `tf.batchNorm`, but its gradient works on every backend: the gradient of
 * `tf.batchNorm` (kernel FusedBatchNorm) throws inside tfjs 4.22's webgpu backend
 * (`incRef` of undefined; see shared/gpu/README.md), while this form trains there.
 * `mean`, `variance`, `offset`, `scale` broadcast against x's last (channel) axis.
 */
export function batchNormElementwise<T extends tf.Tensor>(
  x: T,
  mean: tf.Tensor,
  variance: tf.Tensor,
  offset: tf.Tensor,
  scale: tf.Tensor,
  varianceEpsilon = 1e-5,
): T {
  return tf.tidy(() => {
    const multiplier = tf.mul(tf.rsqrt(tf.add(variance, varianceEpsilon)), scale);
    return tf.add(tf.mul(tf.sub(x, mean), multiplier), offset) as T;
  });
}
