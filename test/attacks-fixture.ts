import * as tf from '@tensorflow/tfjs';
import { asClassifier, createModel, type TwoHeadModel } from '../src/models';
import type { Classifier } from '../src/models/types';
import { Rng } from '../src/util/rng';

/**
 * A trivially separable synthetic problem for attack tests: 8×8×3 images, K classes; class c
 * has a brighter 4×4 quadrant c (mod 4), channel c mod 3 tinted, plus uniform noise. A small
 * CNN learns it in a few seconds on the cpu backend.
 */
export function syntheticData(
  n: number,
  numClasses: number,
  seed: number,
): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const h = 8,
    c = 3;
  const xs = new Float32Array(n * h * h * c);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = rng.int(numClasses);
    ys[i] = label;
    const q = label % 4;
    for (let r = 0; r < h; r++)
      for (let col = 0; col < h; col++)
        for (let ch = 0; ch < c; ch++) {
          const inQuad = Math.floor(r / 4) === Math.floor(q / 2) && Math.floor(col / 4) === q % 2;
          const tint = ch === label % 3 && label >= 4 ? 0.25 : 0;
          xs[((i * h + r) * h + col) * c + ch] = Math.min(1, 0.3 * rng.next() + (inQuad ? 0.4 : 0.1) + tint);
        }
  }
  return { x: tf.tensor4d(xs, [n, h, h, c]), y: tf.tensor1d(ys, 'int32') };
}

/**
 * Trains the head of a width-8 small CNN on the synthetic problem (random conv features, BN
 * statistics from training mode); returns it and its eval-mode classifier. Only the head is
 * trained because tfjs's cpu Conv2DBackpropFilter is very slow; input gradients, which every
 * attack needs, still flow through the convolutions.
 */
export function trainedModel(
  numClasses: number,
  steps = 120,
  seed = 0,
): { model: TwoHeadModel; clf: Classifier } {
  const model = createModel({ arch: 'small-cnn', width: 8, numClasses, numAuxClasses: 0, seed });
  const opt = tf.train.adam(0.05);
  const { x, y } = syntheticData(512, numClasses, seed + 100);
  for (let s = 0; s < steps; s++) {
    const start = (s * 64) % 512;
    tf.tidy(() => {
      const xb = x.slice(start, 64),
        yb = y.slice(start, 64);
      opt.minimize(
        () => {
          const { primary } = model.forward(xb, { training: true });
          return tf.losses.softmaxCrossEntropy(tf.oneHot(yb, numClasses), primary) as tf.Scalar;
        },
        false,
        model.trainableVariables.filter((_, i) => model.variableNames()[i].startsWith('fc.')),
      );
    });
  }
  tf.dispose([x, y]);
  opt.dispose();
  return { model, clf: asClassifier(model, 'primary', 'eval') };
}

export async function accuracy(clf: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<number> {
  const c = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(clf.logits(x), 1), y), 'float32')));
  const v = (await c.data())[0];
  c.dispose();
  return v;
}

/** [max |a − x|, min a, max a]. */
export async function perturbationStats(a: tf.Tensor4D, x: tf.Tensor4D): Promise<[number, number, number]> {
  const s = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(a, x))), tf.min(a), tf.max(a)]));
  const d = await s.data();
  s.dispose();
  return [d[0], d[1], d[2]];
}
