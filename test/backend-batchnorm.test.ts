import * as tf from '@tensorflow/tfjs';
import { batchNormElementwise, batchNormTraining, registerWasmTrainingKernels } from '../src/backend';
import { Rng } from '../src/util/rng';
import { maxRelativeError } from '../src/backend/kernel-check';

// The hand-written batch-norm gradient against tfjs autodiff through tf.moments + elementwise ops.

beforeAll(() => registerWasmTrainingKernels());

describe.each(['cpu', 'wasm'])('batchNormTraining on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  test.each([
    [4, 5, 5, 3],
    [2, 8, 8, 16],
  ])(
    'values, batch statistics and gradients match autodiff for x of shape [%i,%i,%i,%i]',
    async (...shape) => {
      const rng = new Rng(5);
      const size = shape.reduce((a, b) => a * b);
      const c = shape[3];
      const x = tf.tensor4d(rng.normalArray(size, 1.5, 2), shape as [number, number, number, number]);
      const gamma = tf.tensor1d(rng.normalArray(c, 1, 0.3));
      const beta = tf.tensor1d(rng.normalArray(c));
      const dy = tf.tensor4d(rng.normalArray(size), x.shape);
      const before = tf.memory().numTensors;

      const reference = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return batchNormElementwise(xx, mean, variance, b, g, 1e-5);
      };
      const ours = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { y, mean, variance } = batchNormTraining(xx as tf.Tensor4D, g, b, 1e-5);
        tf.dispose([mean, variance]);
        return y;
      };
      const lossOf =
        (f: (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
        (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(xx, g, b), dy));
      const expected = tf.tidy(() => [
        reference(x, gamma, beta),
        ...tf.grads(lossOf(reference))([x, gamma, beta]),
      ]);
      const actual = tf.tidy(() => [ours(x, gamma, beta), ...tf.grads(lossOf(ours))([x, gamma, beta])]);
      for (let i = 0; i < 4; i++) {
        expect(actual[i].shape).toEqual(expected[i].shape);
        const err = maxRelativeError(
          (await actual[i].data()) as Float32Array,
          (await expected[i].data()) as Float32Array,
        );
        expect(err).toBeLessThanOrEqual(1e-4);
      }
      const { y, mean, variance } = batchNormTraining(x, gamma, beta);
      const moments = tf.moments(x, [0, 1, 2]);
      expect(
        maxRelativeError((await mean.data()) as Float32Array, (await moments.mean.data()) as Float32Array),
      ).toBeLessThan(1e-5);
      expect(
        maxRelativeError(
          (await variance.data()) as Float32Array,
          (await moments.variance.data()) as Float32Array,
        ),
      ).toBeLessThan(1e-5);
      tf.dispose([y, mean, variance, moments.mean, moments.variance, ...expected, ...actual]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, gamma, beta, dy]);
    },
  );
});
