import * as tf from '@tensorflow/tfjs';
import {
  confidence,
  crossEntropySum,
  klSum,
  selectByConfidence,
  softCrossEntropySum,
  thresholdFromConfidences,
  uniformTarget,
} from '../src/train/losses';
import { learningRate, milestones } from '../src/train/schedule';
import { SgdMomentum } from '../src/train/optimizer';

// Logits [ln 3, 0] have softmax [3/4, 1/4]: every value below follows from that by hand.
const L3 = Math.log(3);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loss pieces (hand-computed)', () => {
  test('cross-entropy sum', () => {
    const v = crossEntropySum(
      tf.tensor2d([
        [L3, 0],
        [L3, 0],
      ]),
      tf.tensor1d([0, 1], 'int32'),
    );
    // −ln(3/4) − ln(1/4) = 0.287682 + 1.386294
    expect(v.dataSync()[0]).toBeCloseTo(1.673976, 5);
  });

  test('soft CE against the uniform target u = 1/K', () => {
    const u = uniformTarget(1, 2);
    expect(Array.from(u.dataSync())).toEqual([0.5, 0.5]);
    // −(½ ln ¾ + ½ ln ¼)
    expect(softCrossEntropySum(tf.tensor2d([[L3, 0]]), u).dataSync()[0]).toBeCloseTo(0.836988, 5);
  });

  test('KL(clean ‖ adv) as TRADES computes it', () => {
    // clean [½,½], adv [¾,¼]: ½(ln ½ − ln ¾) + ½(ln ½ − ln ¼) = 0.143841
    expect(klSum(tf.tensor2d([[L3, 0]]), tf.tensor2d([[0, 0]])).dataSync()[0]).toBeCloseTo(0.143841, 5);
    expect(klSum(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]])).dataSync()[0]).toBeCloseTo(0, 6);
  });

  test('empty sets contribute zero', () => {
    const empty = tf.zeros([0, 3]) as tf.Tensor2D;
    expect(crossEntropySum(empty, tf.tensor1d([], 'int32')).dataSync()[0]).toBe(0);
    expect(softCrossEntropySum(empty, uniformTarget(0, 3)).dataSync()[0]).toBe(0);
    expect(klSum(empty, empty).dataSync()[0]).toBe(0);
  });

  test('confidence is the max softmax', () => {
    expect(
      Array.from(
        confidence(
          tf.tensor2d([
            [L3, 0],
            [0, 0],
          ]),
        ).dataSync(),
      ),
    ).toEqual([expect.closeTo(0.75, 6), expect.closeTo(0.5, 6)]);
  });
});

describe('confidence-based selection (Algorithm 1)', () => {
  test('threshold τ = γ · mean primary confidence', () => {
    expect(thresholdFromConfidences([0.6, 0.8], 0.5)).toBeCloseTo(0.35, 12);
    expect(thresholdFromConfidences([0.6, 0.8], 0)).toBe(0);
  });

  test('c < τ is low, the rest (including c = τ) high', () => {
    const s = selectByConfidence([0.2, 0.5, 0.9, 0.49], { kind: 'threshold', tau: 0.5 });
    expect(Array.from(s.low)).toEqual([0, 3]);
    expect(Array.from(s.high)).toEqual([1, 2]);
  });

  test('γ = 0 (naive) routes everything high; uniform-only routes everything low', () => {
    const c = [0.01, 0.99];
    expect(Array.from(selectByConfidence(c, { kind: 'threshold', tau: 0 }).high)).toEqual([0, 1]);
    expect(Array.from(selectByConfidence(c, { kind: 'all-high' }).high)).toEqual([0, 1]);
    expect(Array.from(selectByConfidence(c, { kind: 'all-low' }).low)).toEqual([0, 1]);
  });
});

describe('schedules', () => {
  test('AT: ×0.1 at 60% and 90%', () => {
    expect(milestones('at', 100)).toEqual([60, 90]);
    expect(learningRate('at', 0.1, 59, 100)).toBeCloseTo(0.1, 12);
    expect(learningRate('at', 0.1, 60, 100)).toBeCloseTo(0.01, 12);
    expect(learningRate('at', 0.1, 90, 100)).toBeCloseTo(0.001, 12);
  });

  test('TRADES: ×0.1 when the 1-based epoch reaches 100 and 105 (99 / 5 / 6 epochs of 110), proportional for shorter runs', () => {
    expect(milestones('trades', 110)).toEqual([99, 104]);
    const rates = Array.from({ length: 110 }, (_, e) => learningRate('trades', 0.1, e, 110).toExponential(3));
    expect([
      rates.filter((r) => r === '1.000e-1').length,
      rates.filter((r) => r === '1.000e-2').length,
    ]).toEqual([99, 5]);
    expect(rates.filter((r) => r === '1.000e-3').length).toBe(6);
    expect(learningRate('trades', 0.1, 98, 110)).toBeCloseTo(0.1, 12); // epoch 99 (1-based)
    expect(learningRate('trades', 0.1, 99, 110)).toBeCloseTo(0.01, 12); // epoch 100
    expect(learningRate('trades', 0.1, 104, 110)).toBeCloseTo(0.001, 12); // epoch 105
    expect(milestones('trades', 11)).toEqual([10, 10]);
  });
});

describe('SGD as PyTorch', () => {
  test('momentum buffer, weight decay added to the gradient', async () => {
    const w = tf.variable(tf.scalar(1));
    const opt = new SgdMomentum([w], { momentum: 0.9, weightDecay: 0.1 });
    const g = tf.scalar(0.5);
    opt.step([g], 0.1); // g' = 0.5 + 0.1·1 = 0.6, buf = 0.6, w = 1 − 0.06
    expect(w.dataSync()[0]).toBeCloseTo(0.94, 6);
    opt.step([g], 0.1); // g' = 0.5 + 0.094, buf = 0.54 + 0.594 = 1.134, w = 0.94 − 0.1134
    expect(w.dataSync()[0]).toBeCloseTo(0.8266, 6);
    const state = await opt.getState();
    expect(state[0][0]).toBeCloseTo(1.134, 6);
    opt.dispose();
    w.dispose();
    g.dispose();
  });

  test('decayMask: the released AT code decays kernels only', () => {
    const [kernel, bnScale] = [tf.variable(tf.scalar(1)), tf.variable(tf.scalar(1))];
    const opt = new SgdMomentum([kernel, bnScale], {
      momentum: 0.9,
      weightDecay: 0.1,
      decayMask: [true, false],
    });
    const g = tf.scalar(0.5);
    opt.step([g, g], 0.1);
    expect(kernel.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.6, 6);
    expect(bnScale.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.5, 6); // no decay term
    expect(
      () => new SgdMomentum([kernel], { momentum: 0.9, weightDecay: 0.1, decayMask: [true, false] }),
    ).toThrow(/decayMask/);
    opt.dispose();
    tf.dispose([kernel, bnScale, g]);
  });
});
