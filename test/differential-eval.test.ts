// Differential test: the evaluation attacks as the released scripts run them (docs/method.md §3) —
// PGD-k with a random start (AT rows) and CW-k without one (TRADES rows' evaluate.py defaults),
// eval-mode BN — through our PGD / CW classes and through the PyTorch transcription, from the same
// weights, images and start noise: adversarial examples agree to 1e-4 and so do the robust flags.
import * as tf from '@tensorflow/tfjs';
import { CW, PGD } from '../src/attacks';
import { startNoise } from '../src/attacks/pgd';
import { asClassifier, type ModelSpec } from '../src/models';
import { Rng } from '../src/util/rng';
import { describeWithTorch, relErr, runReference, TOLERANCE } from './differential-fixture';
import { freshModel } from './differential-steps';

const spec: ModelSpec = { arch: 'at-wrn', depth: 10, widen: 2, numClasses: 4, numAuxClasses: 0, seed: 8 };
const N = 6;
const SEED = 3;

describeWithTorch('differential: PGD-k / CW-k evaluation vs PyTorch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each([
    ['PGD-5, ε 8/255, step 2/255, random start', 'ce' as const, 8 / 255, 2 / 255, true],
    ['CW-5, ε 0.031, step 0.003, no random start', 'cw' as const, 0.031, 0.003, false],
  ])('%s', async (_name, loss, eps, stepSize, randomStart) => {
    const model = freshModel(spec);
    const rng = new Rng(21);
    const x = tf.tensor4d(rng.uniformArray(N * 8 * 8 * 3), [N, 8, 8, 3]);
    const y = tf.tensor1d(
      Int32Array.from({ length: N }, () => rng.int(4)),
      'int32',
    );
    const attack =
      loss === 'ce'
        ? new PGD({ eps, stepSize, steps: 5, randomStart, seed: SEED })
        : new CW({ eps, stepSize, steps: 5, randomStart, seed: SEED });
    // The start our PGD draws: the first restart's stream of its seed.
    const noise = randomStart
      ? startNoise(x, {
          eps,
          stepSize,
          steps: 5,
          start: 'uniform',
          rng: new Rng(SEED).fork(`pgd-${loss}`).fork('restart-0'),
        })
      : null;
    const ref = await runReference(
      'eval',
      model,
      spec,
      { x, y, ...(noise ? { noise } : {}) },
      {
        attack: { loss, eps, stepSize, steps: 5 },
      },
    );
    const clf = asClassifier(model, 'primary', 'eval');
    const xAdv = await attack.perturb(clf, x, y);
    const correct = tf.tidy(() => tf.cast(tf.equal(tf.argMax(clf.logits(xAdv), 1), y), 'int32'));
    expect(relErr(await xAdv.data(), ref.xAdv.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(Array.from(await correct.data())).toEqual(Array.from(ref.correct.data));
    // The attack moved the images (the comparison is not of two copies of x).
    expect(relErr(await x.data(), ref.xAdv.data)).toBeGreaterThan(TOLERANCE);
    tf.dispose([x, y, xAdv, correct, ...(noise ? [noise] : [])]);
    model.dispose();
  });
});
