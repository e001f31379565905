/**
 * A tiny, trivially learnable training problem shared by the training tests and the WebGPU
 * check (bench/webgpu-check.ts): data, step settings, a config and a model that train in
 * milliseconds.
 */
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../src/models';
import type { TwoHeadModel } from '../src/models/types';
import { Rng } from '../src/util/rng';
import { train, type StepRecord, type TrainConfig, type TrainData } from '../src/train/trainer';
import type { RunPaths } from '../src/train/run-cache';
import type { StepBatch, StepSettings } from '../src/train/steps';

// A trivially learnable problem: 8×8 images, class 0 dark, class 1 bright (plus noise). The aux
// set has 3 classes of random textures. Tiny model (small-cnn width 4), 8 + 8 samples a batch.
export const H = 8;
export const B = 8;

export function makeBatch(rng: Rng, withAux: boolean, auxShift = 0): StepBatch {
  const y = Int32Array.from({ length: B }, () => rng.int(2));
  const x = new Float32Array(B * H * H * 3);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < H * H * 3; j++)
      x[i * H * H * 3 + j] = Math.min(1, Math.max(0, 0.25 + 0.5 * y[i] + rng.normal(0, 0.1)));
  const batch: StepBatch = { x: tf.tensor4d(x, [B, H, H, 3]), y: tf.tensor1d(y, 'int32') };
  if (withAux) {
    batch.xAux = tf.tensor4d(rng.uniformArray(B * H * H * 3, auxShift, 1), [B, H, H, 3]);
    batch.yAux = tf.tensor1d(
      Int32Array.from({ length: B }, () => rng.int(3)),
      'int32',
    );
  }
  return batch;
}

export function dataSource(stepsPerEpoch: number, withAux: boolean, seed = 1, auxShift = 0): TrainData {
  return {
    stepsPerEpoch,
    *batches(epoch: number) {
      const rng = new Rng(seed).fork(`data-${epoch}`);
      for (let i = 0; i < stepsPerEpoch; i++) yield makeBatch(rng, withAux, auxShift);
    },
  };
}

export const atSteps: StepSettings = {
  base: 'at',
  attack: { eps: 2 / 255, stepSize: 1 / 255, steps: 1, bn: 'train', bnUpdatesStats: false, objective: 'sum' },
  beta: 6,
  highLoss: 'trades',
};
export const tradesSteps: StepSettings = {
  base: 'trades',
  attack: { eps: 2 / 255, stepSize: 1 / 255, steps: 1, bn: 'eval', bnUpdatesStats: false, objective: 'sum' },
  beta: 6,
  highLoss: 'trades',
};

export function config(over: Partial<TrainConfig>): TrainConfig {
  return {
    steps: atSteps,
    auxMode: 'none',
    alpha: 1,
    gamma: 0.55,
    epochs: 1,
    warmupEpochs: 0,
    pretrainEpochs: 0,
    lr: 0.05,
    schedule: 'constant',
    momentum: 0.9,
    weightDecay: 0,
    weightDecayOn: 'all',
    seed: 3,
    divergenceLoss: 1e3,
    ...over,
  };
}

export function model(): TwoHeadModel {
  return createModel({ arch: 'small-cnn', width: 4, numClasses: 2, numAuxClasses: 3, seed: 0 });
}

/** Trains `m` (checkpointing the last epoch into `paths`) and returns every step record. */
export async function trainRecords(
  m: TwoHeadModel,
  cfg: TrainConfig,
  data: TrainData,
  paths: RunPaths,
): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  await train(m, cfg, data, { paths, checkpointRule: 'last', onStep: (r) => records.push(r) });
  return records;
}
