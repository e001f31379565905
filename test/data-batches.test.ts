import * as tf from '@tensorflow/tfjs';
import {
  augmentBatch,
  gatherBatch,
  pairedBatchArrays,
  pairedBatches,
  stepsPerEpoch,
  subsetByClass,
  subsetByCount,
  type ImageDataset,
} from '../src/data';
import { Rng } from '../src/util/rng';

/** A synthetic dataset: image i has pixel (y, x, c) = (i*7 + y*5 + x*3 + c) % 256, label i % K. */
function synthetic(n: number, K = 4, size = 8, name = 'syn'): ImageDataset {
  const images = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++)
          images[((i * size + y) * size + x) * 3 + c] = (i * 7 + y * 5 + x * 3 + c) % 256;
  return {
    name,
    split: 'train',
    n,
    height: size,
    width: size,
    channels: 3,
    images,
    labels: Int32Array.from({ length: n }, (_, i) => i % K),
    classNames: Array.from({ length: K }, (_, k) => `k${k}`),
    provenance: { source: 'test' },
  };
}

const px = (i: number, y: number, x: number, c: number) => ((i * 7 + y * 5 + x * 3 + c) % 256) / 255;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('augmentation', () => {
  const ds = synthetic(3);
  const shape = { height: 8, width: 8, channels: 3 };

  it('without rng is a plain [0,1] gather', () => {
    const x = gatherBatch(ds.images, shape, [2, 0], null);
    expect(x[0]).toBeCloseTo(px(2, 0, 0, 0), 6);
    expect(x[192 + 5 * 24 + 4 * 3 + 1]).toBeCloseTo(px(0, 5, 4, 1), 6);
  });

  it('matches a naive pad-4 / crop / flip reference with the same draws', () => {
    const rng = new Rng(11);
    const x = augmentBatch(ds.images, shape, rng);
    const ref = new Rng(11);
    for (let i = 0; i < 3; i++) {
      const dy = ref.int(9) - 4,
        dx = ref.int(9) - 4,
        flip = ref.next() < 0.5;
      for (let y = 0; y < 8; y++)
        for (let xo = 0; xo < 8; xo++)
          for (let c = 0; c < 3; c++) {
            // Naive: zero-padded 16×16 image, crop at (dy+4, dx+4), then mirror the crop.
            const cx = flip ? 7 - xo : xo;
            const sy = y + dy,
              sx = cx + dx;
            const want = sy >= 0 && sy < 8 && sx >= 0 && sx < 8 ? px(i, sy, sx, c) : 0;
            expect(x[((i * 8 + y) * 8 + xo) * 3 + c]).toBeCloseTo(want, 6);
          }
    }
  });

  it('produces zero borders, flips, and crop offsets over many draws', () => {
    const rng = new Rng(5);
    let sawZero = false,
      sawIdentity = false;
    for (let t = 0; t < 200; t++) {
      const x = augmentBatch(ds.images.subarray(0, 192), shape, rng);
      if (x.some((v, j) => v === 0 && ds.images[j] !== 0)) sawZero = true;
      if (x.every((v, j) => Math.abs(v - ds.images[j] / 255) < 1e-6)) sawIdentity = true;
    }
    expect(sawZero).toBe(true);
    expect(sawIdentity).toBe(true); // dy = dx = 0, no flip: 1/162 per draw
  });
});

describe('paired batch streams', () => {
  const primary = synthetic(10, 2);
  const aux = synthetic(7, 3, 8, 'aux');
  const base = { primary, aux, batchSize: 4, auxBatchSize: 3, seed: 42 };
  const collect = (epoch: number, extra = {}) => [...pairedBatchArrays({ ...base, epoch, ...extra })];

  it('is deterministic for a seed and differs between epochs and seeds', () => {
    const a = collect(0),
      b = collect(0);
    expect(a.map((x) => Array.from(x.x))).toEqual(b.map((x) => Array.from(x.x)));
    expect(a.map((x) => Array.from(x.xAux!))).toEqual(b.map((x) => Array.from(x.xAux!)));
    const order = (bs: typeof a) => bs.flatMap((x) => Array.from(x.indices));
    expect(order(collect(1))).not.toEqual(order(a));
    expect(order([...pairedBatchArrays({ ...base, seed: 43, epoch: 0 })])).not.toEqual(order(a));
  });

  it('an epoch is one pass over the primary set; labels follow the indices', () => {
    const bs = collect(3);
    expect(bs.map((b) => b.n)).toEqual([4, 4, 2]);
    expect(stepsPerEpoch(10, 4)).toBe(3);
    const seen = bs.flatMap((b) => Array.from(b.indices)).sort((p, q) => p - q);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of bs) expect(Array.from(b.y)).toEqual(Array.from(b.indices, (i) => primary.labels[i]));
    for (const b of bs) expect(Array.from(b.yAux!)).toEqual(Array.from(b.auxIndices!, (i) => aux.labels[i]));
    expect(collect(0, { dropLast: true }).map((b) => b.n)).toEqual([4, 4]);
  });

  it('the aux stream runs on across epochs as independently shuffled full passes', () => {
    // 3 steps × 3 aux images per epoch = 9 per epoch; epochs 0..6 = 63 = 9 passes over 7 images.
    const stream = [0, 1, 2, 3, 4, 5, 6].flatMap((e) => collect(e).flatMap((b) => Array.from(b.auxIndices!)));
    const passes = Array.from({ length: 9 }, (_, k) => stream.slice(7 * k, 7 * k + 7));
    for (const p of passes) expect([...p].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set(passes.map((p) => p.join(','))).size).toBeGreaterThan(1);
  });

  it('without augmentation the pixels are the stored ones', () => {
    const [b] = collect(0, { augment: false });
    const i = b.indices[1];
    expect(b.x[192 + 3 * 24 + 2 * 3 + 1]).toBeCloseTo(px(i, 3, 2, 1), 6);
  });

  it('yields float32 [0,1] NHWC and int32 tensors without leaking', () => {
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 3; epoch++)
      for (const b of pairedBatches({ ...base, epoch })) {
        expect(b.x.shape).toEqual([b.y.shape[0], 8, 8, 3]);
        expect(b.xAux!.shape).toEqual([3, 8, 8, 3]);
        expect([b.x.dtype, b.y.dtype, b.yAux!.dtype]).toEqual(['float32', 'int32', 'int32']);
        const [min, max] = tf.tidy(() => [b.x.min().dataSync()[0], b.x.max().dataSync()[0]]);
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThanOrEqual(1);
        tf.dispose([b.x, b.y, b.xAux!, b.yAux!]);
      }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses datasets of different image shapes', () => {
    expect(() => collect(0, { aux: synthetic(5, 2, 16, 'aux') })).toThrow(
      /auxiliary aux is 16×16×3, primary syn is 8×8×3/,
    );
  });
});

describe('subsets', () => {
  const ds = synthetic(40, 4);

  it('subsetByCount is seeded, keeps dataset order and images', () => {
    const a = subsetByCount(ds, 10, { seed: 1 });
    expect(a.n).toBe(10);
    expect(subsetByCount(ds, 10, { seed: 1 }).images).toEqual(a.images);
    expect(subsetByCount(ds, 10, { seed: 2 }).images).not.toEqual(a.images);
    expect(a.provenance.note).toMatch(/subset: 10 images, seed 1/);
    expect(() => subsetByCount(ds, 41, { seed: 1 })).toThrow(
      /subset of 41 images asked from syn\/train, which has 40/,
    );
  });

  it('class-balanced subsets give each class its share', () => {
    const b = subsetByCount(ds, 10, { seed: 3, classBalanced: true });
    const counts = [0, 0, 0, 0];
    b.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual([3, 3, 2, 2]);
    const skewed = synthetic(6, 4);
    skewed.labels.set([0, 0, 0, 0, 1, 2]);
    expect(() => subsetByCount(skewed, 4, { seed: 1, classBalanced: true })).toThrow(
      /needs 1 images of class 'k3'/,
    );
  });

  it('subsetByClass keeps and relabels the chosen classes', () => {
    const s = subsetByClass(ds, ['k3', 1]);
    expect(s.n).toBe(20);
    expect(s.classNames).toEqual(['k3', 'k1']);
    expect(new Set(s.labels)).toEqual(new Set([0, 1]));
    // First kept image is dataset image 1 (class k1 → new label 1).
    expect(s.labels[0]).toBe(1);
    expect(s.images[0]).toBe(ds.images[192]);
    expect(subsetByClass(ds, [2], { relabel: false }).labels[0]).toBe(2);
    expect(() => subsetByClass(ds, ['dragon'])).toThrow(/class "dragon" is not in syn/);
  });
});
