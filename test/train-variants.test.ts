import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../src/data/types';
import { topKPerClass, pseudoLabelled } from '../src/train/pseudo-labels';
import { buildRobustDataset, representationOf } from '../src/train/robust-dataset';
import { perClassHighRatio } from '../src/experiments/sources';
import { model } from './train-fixtures';
import { Rng } from '../src/util/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyDataset(n: number, classes: number, seed = 0): ImageDataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 8 * 8 * 3);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  return {
    name: 'tiny',
    split: 'train',
    n,
    height: 8,
    width: 8,
    channels: 3,
    images,
    labels: Int32Array.from({ length: n }, (_, i) => i % classes),
    classNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    provenance: { source: 'test' },
  };
}

describe('Carmon et al. RST pseudo-labels', () => {
  test('top-k per predicted class by confidence (hand-checked)', () => {
    const label = Int32Array.from([0, 1, 0, 0, 1, 1]);
    const conf = Float32Array.from([0.9, 0.5, 0.7, 0.95, 0.6, 0.6]);
    // class 0: 3 (0.95), 0 (0.9) | class 1: 4 (0.6, lower index wins the tie), 5 (0.6)
    expect(Array.from(topKPerClass(label, conf, 2, 2))).toEqual([0, 3, 4, 5]);
    expect(Array.from(topKPerClass(label, conf, 2, 1))).toEqual([3, 4]);
  });

  test('the pseudo-labelled set carries the labeller’s predictions and the primary class names', async () => {
    const m = model(); // 2 primary classes
    const aux = tinyDataset(12, 3);
    const ds = await pseudoLabelled(aux, m, ['dark', 'bright'], 2);
    m.dispose();
    expect(ds.n).toBeLessThanOrEqual(4);
    expect(ds.classNames).toEqual(['dark', 'bright']);
    expect(Array.from(ds.labels).every((l) => l === 0 || l === 1)).toBe(true);
    expect(ds.images.length).toBe(ds.n * 8 * 8 * 3);
  });
});

describe('Ilyas et al. robust dataset', () => {
  test('normalised-gradient descent from another image moves g(x_r) towards g(x)', async () => {
    const m = model();
    const { fn: g } = representationOf(m);
    const ds = tinyDataset(4, 2, 1);
    const dist = (a: ImageDataset, b: ImageDataset) =>
      tf.tidy(() => {
        const f = (d: ImageDataset) =>
          g(tf.div(tf.tensor4d(d.images, [d.n, 8, 8, 3], 'float32'), 255) as tf.Tensor4D);
        return tf.sum(tf.square(tf.sub(f(a), f(b)))).dataSync()[0];
      });
    const start = await buildRobustDataset(g, ds, { steps: 0, stepSize: 0.1, batchSize: 4, seed: 3 });
    const robust = await buildRobustDataset(g, ds, { steps: 20, stepSize: 0.05, batchSize: 4, seed: 3 });
    expect(Array.from(robust.labels)).toEqual(Array.from(ds.labels));
    // Step 0 is a different training image; descent brings the representations closer.
    expect(Buffer.from(start.images).equals(Buffer.from(ds.images))).toBe(false);
    expect(dist(robust, ds)).toBeLessThan(dist(start, ds));
    m.dispose();
  });
});

describe('Table 14 statistic', () => {
  test('per-class share of aux images with c ≥ τ; τ = 0 → all high, τ > 1 → none', async () => {
    const m = model();
    const aux = tinyDataset(6, 3);
    const all = await perClassHighRatio(m, aux, 0);
    expect(all).toEqual({ c0: 1, c1: 1, c2: 1, all: 1 });
    const none = await perClassHighRatio(m, aux, 1.01);
    expect(none.all).toBe(0);
    m.dispose();
  });
});
