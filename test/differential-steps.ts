/**
 * One BiaMAT training step through our trainStep and through the PyTorch transcription, from the
 * same weights, batch, threshold τ and attack start noise (shared by the AT and TRADES
 * differential tests; not a test file itself).
 */
import * as tf from '@tensorflow/tfjs';
import { startNoise } from '../src/attacks/pgd';
import { createModel, type ModelSpec, type TwoHeadModel } from '../src/models';
import { sgdFor } from '../src/train/optimizer';
import { primaryConfidence, trainStep, type AttackSettings, type StepSettings } from '../src/train/steps';
import { Rng } from '../src/util/rng';
import { relErr, runReference, variableErrors, type RefTensor } from './differential-fixture';

export const B = 4;
const H = 8;

/** The rules a step follows (the released code's, or a deliberately changed one). */
export interface StepRules {
  attack: AttackSettings;
  base: 'at' | 'trades';
  highLoss: 'trades' | 'adv-ce';
  weightDecayOn: 'all' | 'kernels';
}

export interface StepCase {
  spec: ModelSpec;
  rules: StepRules;
  alpha: number;
  lr: number;
  /** Large enough that decaying the wrong variables shows in the numbers. */
  weightDecay: number;
}

/** A seeded batch: B primary images of K classes and B aux images of K~ classes, 8×8. */
export function makeBatch(spec: ModelSpec) {
  const rng = new Rng(11);
  const img = () => tf.tensor4d(rng.uniformArray(B * H * H * 3), [B, H, H, 3]);
  const labels = (k: number) =>
    tf.tensor1d(
      Int32Array.from({ length: B }, () => rng.int(k)),
      'int32',
    );
  return { x: img(), y: labels(spec.numClasses), xAux: img(), yAux: labels(spec.numAuxClasses) };
}

/** A fresh model with moved BN averages (so eval-mode confidences are not the initial ones). */
export function freshModel(spec: ModelSpec): TwoHeadModel {
  const model = createModel(spec);
  const warm = tf.tensor4d(new Rng(9).uniformArray(2 * B * H * H * 3), [2 * B, H, H, 3]);
  const out = model.forward(warm, { training: true, updateStats: true });
  tf.dispose([warm, out.primary, out.aux!]);
  return model;
}

/** τ between the aux images' confidences, so the step has low and high images. */
export async function middleTau(model: TwoHeadModel, xAux: tf.Tensor4D): Promise<number> {
  const conf = Array.from(await primaryConfidence(model, xAux)).sort((a, b) => a - b);
  return (conf[B / 2 - 1] + conf[B / 2]) / 2;
}

const ATTACK_SEED = 7;

function settings(c: StepCase): StepSettings {
  return { base: c.rules.base, attack: c.rules.attack, beta: 6, highLoss: c.rules.highLoss };
}

/** Our step: the losses, the adversarial batch, and (in the model) the updated weights and BN averages. */
export async function ourStep(c: StepCase, model: TwoHeadModel, tau: number) {
  const batch = makeBatch(c.spec);
  const opt = sgdFor(model, {
    momentum: 0.9,
    weightDecay: c.weightDecay,
    weightDecayOn: c.rules.weightDecayOn,
  });
  let xAdv: Float32Array = new Float32Array();
  const stats = await trainStep(model, opt, batch, settings(c), {
    alpha: c.alpha,
    selection: { kind: 'threshold', tau },
    primaryHead: 'primary',
    lr: c.lr,
    rng: new Rng(ATTACK_SEED),
    onAdversarial: (t) => (xAdv = t.dataSync() as Float32Array),
  });
  opt.dispose();
  tf.dispose(Object.values(batch));
  return { stats, xAdv };
}

/**
 * The reference's step from the same weights, batch, τ and start noise; with `givenXAdv` (TRADES)
 * its update uses that adversarial batch, while it still reports its own attack's batch.
 */
export async function referenceStep(
  c: StepCase,
  model: TwoHeadModel,
  tau: number,
  givenXAdv?: Float32Array,
): Promise<Record<string, RefTensor>> {
  const batch = makeBatch(c.spec);
  const xAll = tf.concat([batch.x, batch.xAux]) as tf.Tensor4D;
  const a = c.rules.attack;
  // The same draws our pgdMaximize makes from the same seed.
  const noise = startNoise(xAll, {
    eps: a.eps,
    stepSize: a.stepSize,
    steps: a.steps,
    start: c.rules.base === 'at' ? 'uniform' : 'normal',
    startStd: 0.001,
    rng: new Rng(ATTACK_SEED),
  })!;
  const ref = await runReference(
    `${c.rules.base}-step`,
    model,
    c.spec,
    {
      ...batch,
      noise,
      ...(givenXAdv ? { xAdvGiven: { data: givenXAdv, shape: xAll.shape } } : {}),
    },
    {
      tau,
      selection: 'threshold',
      numClasses: c.spec.numClasses,
      alpha: c.alpha,
      beta: 6,
      highLoss: c.rules.highLoss,
      lr: c.lr,
      weightDecay: c.weightDecay,
      // The reference always follows the released rules: AT decays kernels only, TRADES everything.
      weightDecayOn: c.rules.base === 'at' ? 'kernels' : 'all',
      attack: { eps: a.eps, stepSize: a.stepSize, steps: a.steps },
    },
  );
  tf.dispose([xAll, noise, ...Object.values(batch)]);
  return ref;
}

/** The share of pixels where two adversarial batches agree (|Δ| ≤ 1e-6). */
export function pixelAgreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) <= 1e-6) same++;
  return a.length === b.length && a.length > 0 ? same / a.length : 0;
}

/** Every number of our step against the reference's: adversarial batch, losses, weights, BN averages. */
export async function stepErrors(
  model: TwoHeadModel,
  ours: Awaited<ReturnType<typeof ourStep>>,
  ref: Record<string, RefTensor>,
): Promise<Record<string, number>> {
  const { loss, lossPrimary, lossAux, nLow } = ours.stats;
  const refLow = Array.from(ref.low.data).reduce((a, b) => a + b, 0);
  return {
    selection: nLow === refLow ? 0 : Infinity,
    xAdv: relErr(ours.xAdv, ref.xAdv.data),
    loss: relErr([loss], [ref.losses.data[0]]),
    lossPrimary: relErr([lossPrimary], [ref.losses.data[1]]),
    lossAux: relErr([lossAux], [ref.losses.data[2]]),
    ...(await variableErrors(model, ref)),
  };
}
