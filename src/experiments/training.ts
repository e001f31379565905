/**
 * From an experiment config to what the training loop takes: the model spec, the TrainConfig,
 * the batch stream, and the Figure 3 statistic read back from a run's step log.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { pairedBatches, stepsPerEpoch, type ImageDataset } from '../data';
import type { ModelSpec } from '../models';
import type { StepBatch } from '../train/steps';
import type { TrainConfig, TrainData } from '../train/trainer';
import { fracValue } from '../util/fraction';
import { mean } from '../util/stats';
import type { ExperimentConfig } from './schema';

export function modelSpec(c: ExperimentConfig, numClasses: number, numAux: number, seed: number): ModelSpec {
  return { ...c.model, numClasses, numAuxClasses: numAux, normalization: null, seed };
}

export function trainConfig(c: ExperimentConfig, seed: number): TrainConfig {
  const m = c.method;
  const a = c.train.attack;
  return {
    steps: {
      base: m.base,
      attack: {
        eps: fracValue(a.eps),
        stepSize: fracValue(a.stepSize),
        steps: a.steps,
        bn: a.bn,
        bnUpdatesStats: a.bnUpdatesStats,
        objective: a.objective,
      },
      beta: m.beta,
      highLoss: m.highLoss,
    },
    auxMode: m.auxMode === 'rst' ? 'none' : m.auxMode,
    alpha: m.alpha,
    gamma: m.gamma,
    epochs: c.train.epochs,
    warmupEpochs: m.auxMode === 'none' || m.auxMode === 'rst' ? 0 : c.train.warmupEpochs,
    pretrainEpochs: m.pretrainEpochs,
    lr: c.train.lr,
    schedule: c.train.schedule,
    momentum: c.train.momentum,
    weightDecay: c.train.weightDecay,
    weightDecayOn: c.train.weightDecayOn,
    seed,
    divergenceLoss: 1e3,
  };
}

/** Batches for the trainer; RST (halfAndHalf) concatenates the pseudo-labelled half into the primary batch. */
export function trainData(
  primary: ImageDataset,
  aux: ImageDataset | undefined,
  c: ExperimentConfig,
  seed: number,
  halfAndHalf: boolean,
): TrainData {
  return {
    stepsPerEpoch: stepsPerEpoch(primary.n, c.train.batchSize),
    *batches(epoch: number): Generator<StepBatch> {
      for (const b of pairedBatches({
        primary,
        aux,
        batchSize: c.train.batchSize,
        // Several aux sets (Table 4): auxBatchSize images per set and step, from the merged pool.
        auxBatchSize: c.train.auxBatchSize * Math.max(1, c.aux.length),
        seed,
        epoch,
        augment: c.train.augment,
      })) {
        if (halfAndHalf && b.xAux && b.yAux) {
          const x = tf.concat([b.x, b.xAux]) as tf.Tensor4D;
          const y = tf.concat([b.y, b.yAux]) as tf.Tensor1D;
          tf.dispose([b.x, b.y, b.xAux, b.yAux]);
          yield { x, y };
        } else yield { x: b.x, y: b.y, xAux: b.xAux, yAux: b.yAux };
      }
    },
  };
}

interface LoggedStep {
  epoch: number;
  globalStep: number;
  tau: number | null;
  ratioHigh: number | null;
  alpha: number;
}

function readStepLog(logFile: string): LoggedStep[] {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LoggedStep);
}

/** The last epoch's mean r = n_high / n_aux over steps with the aux loss on, or null. */
export function lastEpochRatio(logFile: string): number | null {
  const recs = readStepLog(logFile);
  const last = recs.length ? recs[recs.length - 1].epoch : 0;
  const r = recs
    .filter((x) => x.epoch === last && x.ratioHigh !== null && x.alpha > 0)
    .map((x) => x.ratioHigh as number);
  return r.length ? mean(r) : null;
}

/** Figure 3: r = n_high / n_aux per training step, from the step τ is set on. */
export function selectionRatioCurve(logFile: string): { x: number[]; y: number[] } | null {
  if (!fs.existsSync(logFile)) return null;
  const steps = readStepLog(logFile).filter((s) => s.tau !== null && s.ratioHigh !== null);
  return { x: steps.map((s) => s.globalStep), y: steps.map((s) => s.ratioHigh as number) };
}
