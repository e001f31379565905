import * as tf from '@tensorflow/tfjs';
import { PGD, pgdMaximize } from '../src/attacks/pgd';
import { crossEntropySum, epsFraction } from '../src/attacks/common';
import type { Classifier } from '../src/models/types';
import { Rng } from '../src/util/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** logits = flatten(x)·W + b: the closed-form case. */
function linearClassifier(w: tf.Tensor2D, b: tf.Tensor1D): Classifier {
  return { logits: (x) => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], -1]), w), b) as tf.Tensor2D };
}

describe('PGD', () => {
  it('finds the closed-form optimum clip(x + ε·sign(w_other − w_y)) on a 2-class linear model', async () => {
    const rng = new Rng(3);
    const d = 4 * 4 * 3;
    const w = tf.tensor2d(rng.normalArray(d * 2), [d, 2]);
    const b = tf.tensor1d([0.1, -0.2]);
    const x = tf.tensor4d(rng.uniformArray(5 * d), [5, 4, 4, 3]);
    const y = tf.tensor1d([0, 1, 0, 1, 1], 'int32');
    const eps = 8 / 255;
    const xAdv = await new PGD({ eps, stepSize: 2 / 255, steps: 20, seed: 1 }).perturb(
      linearClassifier(w, b),
      x,
      y,
    );
    const expected = tf.tidy(() => {
      const dir = tf.sub(tf.slice(w, [0, 1], [d, 1]), tf.slice(w, [0, 0], [d, 1])).reshape([1, d]); // w1 − w0
      const sgn = tf.mul(tf.sign(dir), tf.reshape(tf.sub(1, tf.mul(y, 2)), [5, 1])); // y=0: +, y=1: −
      return tf.clipByValue(tf.add(tf.reshape(x, [5, d]), tf.mul(sgn, eps)), 0, 1).reshape(x.shape);
    });
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(xAdv, expected))));
    expect((await diff.data())[0]).toBeLessThan(1e-6);
    tf.dispose([w, b, x, y, xAdv, expected, diff]);
  });

  it('respects ε and [0,1] exactly, is seeded, and leaks no tensors', async () => {
    const rng = new Rng(4);
    const d = 8 * 8 * 3;
    const w = tf.tensor2d(rng.normalArray(d * 3), [d, 3]);
    const b = tf.zeros([3]) as tf.Tensor1D;
    const model = linearClassifier(w, b);
    const x = tf.tensor4d(rng.uniformArray(6 * d), [6, 8, 8, 3]);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const eps = 8 / 255;
    for (const loss of ['ce', 'cw'] as const) {
      const before = tf.memory().numTensors;
      const a = await new PGD({ eps, steps: 3, seed: 7, loss }).perturb(model, x, y);
      const a2 = await new PGD({ eps, steps: 3, seed: 7, loss }).perturb(model, x, y);
      expect(tf.memory().numTensors).toBe(before + 2);
      const [maxDev, lo, hi] = await tf
        .tidy(() => tf.stack([tf.max(tf.abs(tf.sub(a, x))), tf.min(a), tf.max(a)]))
        .data();
      expect(maxDev).toBeLessThanOrEqual(eps + 1e-6);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(Array.from(await a2.data())).toEqual(Array.from(await a.data()));
      tf.dispose([a, a2]);
    }
    tf.dispose([w, b, x, y]);
  });

  it('pgdMaximize accepts a custom loss and start modes; perturb rejects inputs outside [0,1]', async () => {
    const x = tf.fill([2, 2, 2, 1], 0.5) as tf.Tensor4D;
    // Maximising Σx pushes every pixel to x + ε.
    const up = pgdMaximize((xa) => tf.sum(xa) as tf.Scalar, x, {
      eps: 0.1,
      stepSize: 0.05,
      steps: 3,
      start: 'normal',
      startStd: 0.001,
      rng: new Rng(0),
    });
    for (const v of await up.data()) expect(v).toBeCloseTo(0.6, 6);
    const w = tf.ones([4, 2]) as tf.Tensor2D;
    const model = linearClassifier(w, tf.zeros([2]) as tf.Tensor1D);
    const bad = tf.fill([2, 2, 2, 1], 1.5) as tf.Tensor4D;
    await expect(new PGD({ eps: 0.1 }).perturb(model, bad, tf.tensor1d([0, 1], 'int32'))).rejects.toThrow(
      /\[0,1\]/,
    );
    expect(() => new PGD({ eps: 8 })).toThrow(/8\/255/);
    // crossEntropySum is the summed CE.
    const ce = crossEntropySum(tf.tensor2d([[0, 0]]), tf.tensor1d([1], 'int32'));
    expect((await ce.data())[0]).toBeCloseTo(Math.log(2), 6);
    tf.dispose([x, up, w, bad, ce]);
  });

  it('gives the same adversarial inputs whatever the batch split (restarts included)', async () => {
    const rng = new Rng(9);
    const d = 4 * 4 * 3;
    const model = linearClassifier(tf.tensor2d(rng.normalArray(d * 3), [d, 3]), tf.zeros([3]) as tf.Tensor1D);
    const x = tf.tensor4d(rng.uniformArray(6 * d), [6, 4, 4, 3]);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const make = () => new PGD({ eps: 0.05, stepSize: 0.01, steps: 3, restarts: 2, seed: 4 });
    const whole = await make().perturb(model, x, y);
    const split = make();
    const parts = [];
    for (let s = 0; s < 6; s += 4)
      parts.push(await split.perturb(model, x.slice(s, Math.min(4, 6 - s)), y.slice(s, Math.min(4, 6 - s))));
    const joined = tf.concat(parts);
    expect(Array.from(await joined.data())).toEqual(Array.from(await whole.data()));
    tf.dispose([whole, joined, ...parts, x, y]);
  });

  it('epsFraction records ε exactly', () => {
    expect(epsFraction(8 / 255)).toBe('8/255');
    expect(epsFraction(0.031)).toBe('31/1000');
    expect(epsFraction(2 / 255)).toBe('2/255');
    expect(epsFraction(0.5)).toBe('1/2');
  });
});
