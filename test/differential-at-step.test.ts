// Differential test: one AT+BiaMAT training step (the released AT code's rules, docs/method.md
// §1.3 and §3) through our trainStep and through the PyTorch transcription, from the same
// weights, batch, τ and start noise: the adversarial batch, the losses, every updated weight
// and the BN running averages agree to 1e-4 (relative). Changing one rule — weight decay on BN
// γ/β, BN averages moved by the attack, per-set means instead of the sum — breaks agreement.
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../src/models';
import type { AttackSettings } from '../src/train/steps';
import { describeWithTorch, TOLERANCE, worst, type RefTensor } from './differential-fixture';
import {
  freshModel,
  makeBatch,
  middleTau,
  ourStep,
  referenceStep,
  stepErrors,
  type StepCase,
} from './differential-steps';

const spec: ModelSpec = { arch: 'at-wrn', depth: 10, widen: 2, numClasses: 4, numAuxClasses: 3, seed: 5 };
const attack: AttackSettings = {
  eps: 8 / 255,
  stepSize: 2 / 255,
  steps: 3,
  bn: 'train',
  bnUpdatesStats: false,
  objective: 'sum',
};
const released: StepCase = {
  spec,
  rules: { base: 'at', attack, highLoss: 'trades', weightDecayOn: 'kernels' },
  alpha: 1,
  lr: 0.1,
  weightDecay: 0.05,
};

describeWithTorch('differential: AT+BiaMAT step vs PyTorch', () => {
  let ref: Record<string, RefTensor>;
  let tau = 0;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const model = freshModel(spec);
    const { xAux } = makeBatch(spec);
    tau = await middleTau(model, xAux);
    ref = await referenceStep(released, model, tau);
    model.dispose();
  });

  test('the released rules: adversarial batch, losses, weights and BN averages agree', async () => {
    const model = freshModel(spec);
    const ours = await ourStep(released, model, tau);
    const errors = await stepErrors(model, ours, ref);
    expect(ours.stats.nLow).toBe(2); // τ splits the aux batch: both sets are exercised
    expect(worst(errors)).toEqual({ name: worst(errors).name, error: expect.any(Number) });
    expect(worst(errors).error).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
  });

  test.each([
    ['weight decay on BN γ/β too', { weightDecayOn: 'all' as const }, /param-.*bn.*\.(weight|bias)/],
    ['BN averages moved by the attack', { attack: { ...attack, bnUpdatesStats: true } }, /state-/],
    [
      'a mean per set in the attack objective',
      { attack: { ...attack, objective: 'set-means' as const } },
      /xAdv|param-/,
    ],
  ])('a changed rule breaks agreement: %s', async (_name, change, where) => {
    const model = freshModel(spec);
    const changed: StepCase = { ...released, rules: { ...released.rules, ...change } };
    const errors = await stepErrors(model, await ourStep(changed, model, tau), ref);
    const broken = Object.entries(errors)
      .filter(([, e]) => e > TOLERANCE)
      .map(([name]) => name);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.some((n) => where.test(n))).toBe(true);
    model.dispose();
  });
});
