/**
 * The experiments' evaluation goes through the attacks module's one robust-accuracy path: PGD/CW
 * as the released scripts count them, AutoAttack once over its images with the accuracy after
 * each of its attacks, and the per-attack metrics flattened for records and reports.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../src/data';
import { PGD } from '../src/attacks';
import {
  attackAccuracy,
  cleanAccuracy,
  evalDescription,
  evaluateModel,
  flatMetrics,
  metricLabelOf,
} from '../src/experiments/evaluate';
import { scaleConfig } from '../src/experiments/scale';
import type { ExperimentConfig } from '../src/experiments/schema';
import { ALL_EXPERIMENTS } from '../src/experiments/tables';
import { asClassifier, createModel, type TwoHeadModel } from '../src/models';
import { fracValue } from '../src/util/fraction';

const SIDE = 8;
let model: TwoHeadModel;
let testSet: ImageDataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = createModel({ arch: 'small-cnn', width: 4, numClasses: 10, numAuxClasses: 10, seed: 0 });
  const n = 6;
  const images = Uint8Array.from({ length: n * SIDE * SIDE * 3 }, (_, i) => (i * 97 + 13) % 256);
  // Labels = the model's own predictions: every point is correct clean, so every attack has work.
  const x = tf.tensor4d(
    Float32Array.from(images, (v) => v / 255),
    [n, SIDE, SIDE, 3],
  );
  const pred = tf.tidy(() => tf.argMax(asClassifier(model, 'primary', 'eval').logits(x), 1));
  const labels = Int32Array.from(await pred.data());
  tf.dispose([x, pred]);
  testSet = {
    name: 'synthetic',
    split: 'test',
    n,
    height: SIDE,
    width: SIDE,
    channels: 3,
    images,
    labels,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    provenance: { source: 'test' },
  };
});
afterAll(() => model.dispose());

function smokeConfig(): ExperimentConfig {
  const c = scaleConfig(
    ALL_EXPERIMENTS.find((e) => e.id === 'table2/c10-at')!,
    'smoke',
    () => true,
  ).config;
  return { ...c, eval: { ...c.eval, pgdSteps: 2, cwSteps: 2, autoattackImages: 3 } };
}

describe('evaluateModel', () => {
  test('clean, PGD and CW on every test image, AutoAttack on its first images with the accuracy after each attack', async () => {
    const c = smokeConfig();
    const before = tf.memory().numTensors;
    const m = await evaluateModel(model, testSet, c, 0, () => {});
    expect(tf.memory().numTensors).toBe(before);
    expect(m.clean).toBe(100);
    expect(Object.keys(m.aaAfter!)).toEqual(['APGD-CE', 'APGD-T', 'FAB-T', 'Square']);
    expect(m.aa).toBe(m.aaAfter!.Square);
    const after = Object.values(m.aaAfter!);
    after.slice(1).forEach((v, i) => expect(v).toBeLessThanOrEqual(after[i]));
    // Three images: every AutoAttack number is a multiple of 100/3.
    for (const v of after) expect(Math.abs(v / (100 / 3) - Math.round(v / (100 / 3)))).toBeLessThan(1e-9);

    // The PGD metric is the attacks module's adversarial accuracy on all six images.
    const pgd = new PGD({
      eps: fracValue(c.eval.eps),
      stepSize: fracValue(c.eval.stepSize),
      steps: 2,
      randomStart: c.eval.randomStart,
      seed: 0,
    });
    const r = await attackAccuracy(model, testSet, pgd);
    expect(r.n).toBe(6);
    expect(m.pgd).toBe(100 * r.adversarialAccuracy);
    expect(await cleanAccuracy(model, testSet, { limit: 4 })).toBe(100);

    const flat = flatMetrics(m);
    expect(Object.keys(flat)).toEqual(['clean', 'pgd', 'cw', 'aa', 'aa:APGD-CE', 'aa:APGD-T', 'aa:FAB-T']); // after Square is `aa` itself
    expect(metricLabelOf('aa:FAB-T')).toBe('AA after FAB-T');
    expect(metricLabelOf('pgd', 'PGD-20')).toBe('PGD-20');
  });

  test('evalDescription says which ε, step and start each column uses', () => {
    expect(evalDescription(smokeConfig())).toBe(
      'PGD-2 and CW-2 at ε 8/255, step 4/255, random start; AutoAttack standard at ε 8/255 on the first 3 test images',
    );
    const trades = ALL_EXPERIMENTS.find((e) => e.id === 'table2/c10-trades')!;
    expect(evalDescription(trades)).toMatch(
      /^PGD-\d+ and CW-\d+ at ε 31\/1000, step 3\/1000, no random start; AutoAttack standard at ε 31\/1000 on every test image$/,
    );
  });
});
