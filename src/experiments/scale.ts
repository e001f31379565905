/**
 * ONE function shrinks a paper config for a smoke or small run (big_vision's runlocal), so
 * smoke, small and paper runs share every line of code and differ only in the numbers of
 * profiles.ts.
 *
 * Rules: ε is kept; the training step size scales by paper steps / new steps (2/255 × 10/2 =
 * 10/255), so k·step stays the same multiple of ε; evaluation uses max(paper step, 2.5ε/k); the
 * warm-up keeps its share of training (5/100 → 0.05 of the epochs) but at least a quarter epoch,
 * so τ is set after some training; pre-training epochs and RST labeller epochs scale the same
 * way; AutoAttack is off below paper scale (hours on CPU); checkpoint selection uses the
 * profile's PGD steps on the scaled test set, from the same share of training on. Datasets map to the offline stand-ins
 * (standins.ts); a row whose dataset has neither a stand-in nor a local import is marked
 * unavailable.
 */
import type { Fraction } from '../util/fraction';
import { PROFILE_SPECS, type Profile } from './profiles';
import type { ExperimentConfig } from './schema';
import { localDataset, type DataPresence } from './standins';

export interface ScaledExperiment {
  profile: Profile;
  config: ExperimentConfig;
  /** Local dataset names for primary and each aux set (paper names at paper scale). */
  data: { primary: string | null; aux: (string | null)[] };
  /** Why this row cannot run here, or null. */
  unavailable: string | null;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** step × paperSteps / newSteps as a reduced exact fraction. */
export function scaleStep(step: Fraction, paperSteps: number, newSteps: number): Fraction {
  if (newSteps === 0 || paperSteps === 0) return step;
  // Keep the paper's denominator when possible (2/255 × 10/2 = 10/255, not 2/51).
  if ((step.num * paperSteps) % newSteps === 0)
    return { num: (step.num * paperSteps) / newSteps, den: step.den };
  const num = step.num * paperSteps;
  const den = step.den * newSteps;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** Eval step with fewer steps: max(paper step, 2.5·ε/k) (Madry's rule), exact. */
export function evalStep(paperStep: Fraction, eps: Fraction, steps: number): Fraction {
  if (steps === 0) return paperStep;
  const num = 5 * eps.num;
  const den = 2 * eps.den * steps;
  if (num / den <= paperStep.num / paperStep.den) return paperStep;
  if (num % (2 * steps) === 0) return { num: num / (2 * steps), den: eps.den };
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

export function scaleConfig(
  config: ExperimentConfig,
  profile: Profile,
  presence?: DataPresence,
): ScaledExperiment {
  const data = {
    primary: localDataset(config.primary, profile, presence),
    aux: config.aux.map((a) => localDataset(a, profile, presence)),
  };
  const missing = [config.primary, ...config.aux].filter(
    (_, i) => (i === 0 ? data.primary : data.aux[i - 1]) === null,
  );
  const unavailable =
    missing.length > 0
      ? `unavailable offline: ${missing.join(', ')} has no offline stand-in and is not imported ` +
        `(npm run data -- import ${missing[0]} --from <official files>)`
      : null;
  const p = PROFILE_SPECS[profile].scale;
  if (p === null) return { profile, config, data, unavailable };

  const c = config;
  const share = (epochs: number) => (c.train.epochs > 0 ? (epochs / c.train.epochs) * p.epochs : 0);
  const pretrain = c.method.pretrainEpochs > 0 ? Math.max(1, Math.round(share(c.method.pretrainEpochs))) : 0;
  // Hendrycks rows need at least one fine-tuning epoch after pre-training.
  const epochs = Math.max(p.epochs, pretrain + (pretrain > 0 ? 1 : 0));
  const scaleEpoch = (e: number) => Math.min(epochs, Math.max(1, Math.round((e / c.train.epochs) * epochs)));
  const trainSteps = c.train.attack.steps === 0 ? 0 : p.trainSteps;
  const evalSteps = (k: number) => (k === 0 ? 0 : p.evalSteps);
  const scaled: ExperimentConfig = {
    ...c,
    model: p.model,
    method: {
      ...c.method,
      pretrainEpochs: pretrain,
      rst: c.method.rst
        ? {
            labelerEpochs: Math.max(1, Math.round((c.method.rst.labelerEpochs / c.train.epochs) * p.epochs)),
            topKPerClass: Math.max(1, Math.round((c.method.rst.topKPerClass * p.aux) / 50000)),
          }
        : null,
    },
    train: {
      ...c.train,
      epochs,
      warmupEpochs: c.train.warmupEpochs > 0 ? Math.max(0.25, share(c.train.warmupEpochs)) : 0,
      batchSize: Math.min(c.train.batchSize, p.batch),
      auxBatchSize: Math.min(c.train.auxBatchSize, p.batch),
      attack: {
        ...c.train.attack,
        steps: trainSteps,
        stepSize: scaleStep(c.train.attack.stepSize, c.train.attack.steps, trainSteps),
      },
    },
    eval: {
      ...c.eval,
      pgdSteps: evalSteps(c.eval.pgdSteps),
      cwSteps: evalSteps(c.eval.cwSteps),
      stepSize: evalStep(c.eval.stepSize, c.eval.eps, evalSteps(c.eval.pgdSteps)),
      autoattackImages: c.eval.autoattack ? Math.min(p.autoattackImages, p.primaryTest) : null,
      selectionPgdSteps: c.eval.selectionPgdSteps === 0 ? 0 : p.selectionSteps,
      selectionImages:
        c.eval.selectionImages === null ? p.primaryTest : Math.min(c.eval.selectionImages, p.primaryTest),
      // Candidates start at the same share of training; short runs consider every epoch from there.
      selectionFromEpoch: scaleEpoch(c.eval.selectionFromEpoch),
      selectionEvery: epochs >= 10 * c.eval.selectionEvery ? c.eval.selectionEvery : 1,
    },
    seeds: c.seeds.slice(0, p.maxSeeds),
    subset: { primaryTrain: p.primaryTrain, primaryTest: p.primaryTest, aux: p.aux },
    robustDataset: c.robustDataset ? { ...c.robustDataset, steps: p.robustDatasetSteps } : null,
  };
  return { profile, config: scaled, data, unavailable };
}
