import * as tf from '@tensorflow/tfjs';

/**
 * Batch normalisation written with elementwise ops only:
 *   (x − mean) · scale / √(variance + ε) + offset.
 * Same values as `tf.batchNorm`, but its gradient works on every backend: the gradient of
 * `tf.batchNorm` (kernel FusedBatchNorm) throws inside tfjs 4.22's webgpu backend (a TypeError
 * reading `incRef` of undefined, seen on an H100 under Dawn), while this form trains there.
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

/**
 * Training-mode batch norm over N, H, W with a hand-written gradient (tf.customGrad):
 *
 *   x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/√(σ² + ε) · (dy − dβ/n − x̂·dγ/n)
 *
 * tfjs's autodiff through tf.moments and the elementwise formula builds many full-size
 * temporaries (each Mean/Sum gradient materialises a ones-tensor of x's shape); this needs
 * about 7 full-size passes forward and 7 backward and keeps only x̂ for the backward.
 * Returns the batch mean and biased variance too (for running statistics; not
 * differentiated). The caller owns them: they are kept out of any enclosing tf.tidy, so
 * dispose them (or use them in assign) explicitly.
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  varianceEpsilon = 1e-5,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  const norm = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const xt = xIn as tf.Tensor4D;
    const { mean, variance } = tf.moments(xt, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const xHat = tf.mul(tf.sub(xt, mean), invStd);
    (save as unknown as (tensors: tf.Tensor[]) => void)([xHat, invStd, gammaIn as tf.Tensor]);
    stats = { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D };
    return {
      value: tf.add(tf.mul(xHat, gammaIn as tf.Tensor), betaIn as tf.Tensor),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedXHat, savedInvStd, savedGamma] = saved;
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, savedXHat), [0, 1, 2]);
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(savedXHat, tf.div(dGamma, n)));
        const dx = tf.mul(centred, tf.mul(savedGamma, savedInvStd));
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = norm(x, gamma, beta) as tf.Tensor4D;
  const { mean, variance } = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  return { y, mean, variance };
}
