/**
 * The one training loop (docs/method.md §1–§2): epochs of `trainStep`, BiaMAT's warm-up / one-shot
 * threshold / per-batch selection, the LR schedule, per-step JSONL logging (losses, the
 * Figure 3 ratio r = n_high/n_aux, time), best-PGD checkpoint selection, an atomic checkpoint
 * after every epoch and exact resume, and a clear stop on NaN or divergence.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { SingleBar, Presets } from 'cli-progress';
import type { TwoHeadModel } from '../models/types';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import { thresholdFromConfidences, type SelectionRule } from './losses';
import { sgdFor, type SgdMomentum } from './optimizer';
import { learningRate, type ScheduleKind } from './schedule';
import { primaryConfidence, trainStep, type StepBatch, type StepSettings, type StepStats } from './steps';
import { loadCheckpoint, loadWeights, saveCheckpoint, saveWeights, type TrainState } from './resume';
import type { RunPaths } from './run-cache';

/**
 * How auxiliary data is used:
 *   'none'     no aux data (AT, TRADES, standard, RST — RST's pseudo-labelled half is primary data)
 *   'biamat'   confidence-based selection with τ = γ·mean confidence (Algorithm 1)
 *   'naive'    multi-domain AT with true labels (γ = 0: all aux samples high)
 *   'uniform'  uniform labels only, through the primary head (all low; the OAT-like rows)
 *   'pretrain' Hendrycks et al.: adversarial training on aux only (aux head) for up to
 *              pretrainEpochs, then fine-tuning of all layers on the primary data from the BEST
 *              pre-training epoch b (evaluatePretrain), at epoch b of one global LR schedule
 */
export type AuxMode = 'none' | 'biamat' | 'naive' | 'uniform' | 'pretrain';

export interface TrainConfig {
  steps: StepSettings;
  auxMode: AuxMode;
  /** Weight of the aux loss (Table 12). */
  alpha: number;
  /** τ = γ · mean primary confidence (Table 12). */
  gamma: number;
  epochs: number;
  /** α = 0 for this many epochs (fractions allowed: rounded to whole steps). Paper: 5. */
  warmupEpochs: number;
  /**
   * Hendrycks pre-training epochs on aux (auxMode 'pretrain'), counted inside `epochs`: one global
   * schedule of `epochs` epochs, pre-training on [0, pretrainEpochs), fine-tuning from the best
   * pre-training epoch to the end.
   */
  pretrainEpochs: number;
  lr: number;
  schedule: ScheduleKind;
  momentum: number;
  weightDecay: number;
  /** 'all' trainable variables (released TRADES code) or conv/dense 'kernels' only (released AT code). */
  weightDecayOn: 'all' | 'kernels';
  /** Seed of the training randomness (attack starts); data order is seeded by the data source. */
  seed: number;
  /** Loss above this counts as divergence (a CE of 1e3 means probabilities of e^−1000). */
  divergenceLoss: number;
}

/** Where batches come from. The trainer disposes every tensor it receives. */
export interface TrainData {
  stepsPerEpoch: number;
  batches(epoch: number): Iterable<StepBatch> | AsyncIterable<StepBatch>;
}

export interface TrainOptions {
  paths: RunPaths;
  /** Accuracy under the checkpoint-selection attack (PGD on the test set); higher is better. */
  evaluate?: (model: TwoHeadModel, epoch: number) => Promise<number>;
  /**
   * Which epochs (1-based) `evaluate` runs after: from `fromEpoch` on, every `every` epochs
   * (released AT code: every 2 epochs after the first LR decay; TRADES: every epoch from 99).
   * Default: every epoch.
   */
  evaluateEpochs?: { every: number; fromEpoch: number };
  /** Hendrycks et al.: the metric that picks the pre-training epoch fine-tuning starts from. */
  evaluatePretrain?: (model: TwoHeadModel, epoch: number) => Promise<number>;
  /** 'best': keep the best-evaluated weights (the paper, Rice et al.); 'last': the final ones. */
  checkpointRule: 'best' | 'last';
  progress?: boolean;
  /** Stop (checkpointed) after this many epochs in this call: for tests and time-boxed runs. */
  stopAfterEpochs?: number;
  /** Where the resume notice goes (default: silent). */
  log?: (line: string) => void;
  /** Called after every step; throwing from it simulates a kill. */
  onStep?: (record: StepRecord) => void;
}

export interface StepRecord extends StepStats {
  epoch: number;
  step: number;
  globalStep: number;
  lr: number;
  alpha: number;
  tau: number | null;
  /** Figure 3: n_high / n_aux (null without aux data). */
  ratioHigh: number | null;
  seconds: number;
}

export interface TrainOutcome {
  state: TrainState;
  finished: boolean;
  /** Epochs whose evaluation ran in this call, with the metric. */
  evaluations: { epoch: number; metric: number }[];
}

function selectionFor(cfg: TrainConfig, warm: boolean, tau: number | null): SelectionRule {
  if (warm || cfg.auxMode === 'naive') return { kind: 'all-high' };
  if (cfg.auxMode === 'uniform') return { kind: 'all-low' };
  return { kind: 'threshold', tau: tau as number };
}

function disposeBatch(b: StepBatch): void {
  tf.dispose(
    [b.x, b.y, b.xAux, b.yAux].filter((t: tf.Tensor | undefined): t is tf.Tensor => t !== undefined),
  );
}

/** Trains `model` in place, resuming from `paths.checkpoint` if present. */
export async function train(
  model: TwoHeadModel,
  cfg: TrainConfig,
  data: TrainData,
  opts: TrainOptions,
): Promise<TrainOutcome> {
  const { paths } = opts;
  fs.mkdirSync(paths.dir, { recursive: true });
  const opt = sgdFor(model, cfg);
  let state: TrainState = {
    epoch: 0,
    step: 0,
    tau: null,
    logBytes: 0,
    bestEpoch: null,
    bestMetric: null,
    pretrainBestEpoch: null,
    pretrainBestMetric: null,
    finetuning: false,
    configHash: paths.hash,
  };
  const every = opts.evaluateEpochs ?? { every: 1, fromEpoch: 1 };
  const evaluatesAfter = (epoch1: number) =>
    epoch1 >= every.fromEpoch && (epoch1 - every.fromEpoch) % every.every === 0;
  const resumed = loadCheckpoint(paths.checkpoint, model, paths.hash);
  if (resumed) {
    state = resumed.state;
    opt.setState(resumed.momentum);
    opts.log?.(
      `resuming ${paths.dir} after epoch ${state.epoch} of ${cfg.epochs} (step ${state.step}, τ ${state.tau ?? 'not set yet'})`,
    );
  }
  // Lines written after the last checkpoint belong to an epoch that will run again.
  if (fs.existsSync(paths.log)) fs.truncateSync(paths.log, state.logBytes);
  const usesAux = cfg.auxMode !== 'none';
  const warmupSteps = Math.round(cfg.warmupEpochs * data.stepsPerEpoch);
  const evaluations: { epoch: number; metric: number }[] = [];
  const bar = opts.progress
    ? new SingleBar(
        {
          format:
            'epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | r {ratio} | ETA {eta_formatted}',
          etaBuffer: 20,
        },
        Presets.shades_classic,
      )
    : null;
  const totalSteps = cfg.epochs * data.stepsPerEpoch;
  bar?.start(totalSteps, state.step, { epoch: state.epoch + 1, loss: '-', ratio: '-' });
  let epochsThisCall = 0;
  try {
    while (state.epoch < cfg.epochs) {
      if (opts.stopAfterEpochs !== undefined && epochsThisCall >= opts.stopAfterEpochs) break;
      const epoch = state.epoch;
      const lr = learningRate(cfg.schedule, cfg.lr, epoch, cfg.epochs);
      const rng = new Rng(cfg.seed).fork(`epoch-${epoch}`);
      const pretraining = cfg.auxMode === 'pretrain' && !state.finetuning && epoch < cfg.pretrainEpochs;
      let i = 0;
      for await (const raw of data.batches(epoch)) {
        const t0 = Date.now();
        let batch = raw;
        let owned: StepBatch | null = null;
        if (cfg.auxMode === 'pretrain' || cfg.auxMode === 'none') {
          // Hendrycks pre-training: the aux batch IS the training batch (aux head). Otherwise aux is unused.
          if (pretraining) {
            if (!raw.xAux || !raw.yAux)
              throw new UserError(
                'pre-training needs an auxiliary dataset',
                'set aux datasets in the config',
              );
            batch = { x: raw.xAux, y: raw.yAux };
          } else batch = { x: raw.x, y: raw.y };
          owned = raw;
        }
        const global = state.step;
        const warm = usesAux && global < warmupSteps;
        if (cfg.auxMode === 'biamat' && !warm && state.tau === null) {
          // Algorithm 1 step 2: once, on this batch's clean primary inputs, eval mode; never updated.
          state.tau = thresholdFromConfidences(await primaryConfidence(model, batch.x), cfg.gamma);
        }
        const alpha = usesAux && !warm && !pretraining ? cfg.alpha : 0;
        let stats: StepStats;
        try {
          stats = await trainStep(model, opt, batch, cfg.steps, {
            alpha,
            selection: selectionFor(cfg, warm, state.tau),
            primaryHead: pretraining ? 'aux' : 'primary',
            lr,
            rng,
          });
        } finally {
          disposeBatch(owned ?? batch);
        }
        if (!Number.isFinite(stats.loss) || stats.loss > cfg.divergenceLoss)
          throw new UserError(
            `training diverged at epoch ${epoch + 1}, step ${i + 1} (global step ${global + 1}): loss = ${stats.loss}` +
              ` (primary ${stats.lossPrimary}, aux ${stats.lossAux}, lr ${lr})`,
            `lower the learning rate (lr, now ${cfg.lr}) or alpha, check the inputs are in [0,1] and labels in range; ` +
              `the last good checkpoint (end of epoch ${epoch}) is in ${paths.checkpoint} and a rerun resumes from it`,
          );
        const record: StepRecord = {
          epoch: epoch + 1,
          step: i + 1,
          globalStep: global + 1,
          lr,
          alpha,
          tau: state.tau,
          ...stats,
          ratioHigh: stats.nAux > 0 ? stats.nHigh / stats.nAux : null,
          seconds: (Date.now() - t0) / 1000,
        };
        fs.appendFileSync(paths.log, JSON.stringify(record) + '\n');
        state.step++;
        i++;
        bar?.update(state.step, {
          epoch: epoch + 1,
          loss: stats.loss.toFixed(3),
          ratio: record.ratioHigh === null ? '-' : record.ratioHigh.toFixed(2),
        });
        opts.onStep?.(record);
      }
      if (i === 0)
        throw new UserError(`epoch ${epoch + 1} produced no batches`, 'check the dataset subset sizes');
      state.epoch++;
      epochsThisCall++;
      if (pretraining) await endOfPretrainEpoch(model, opt, cfg, opts, state);
      else if (opts.evaluate && evaluatesAfter(state.epoch)) {
        const metric = await opts.evaluate(model, state.epoch);
        evaluations.push({ epoch: state.epoch, metric });
        if (opts.checkpointRule === 'best' && (state.bestMetric === null || metric > state.bestMetric)) {
          state.bestMetric = metric;
          state.bestEpoch = state.epoch;
          await saveWeights(paths.best, model);
        }
      }
      state.logBytes = fs.existsSync(paths.log) ? fs.statSync(paths.log).size : 0;
      await saveCheckpoint(paths.checkpoint, model, await opt.getState(), state);
    }
  } finally {
    bar?.stop();
    opt.dispose();
  }
  return { state, finished: state.epoch >= cfg.epochs, evaluations };
}

/**
 * Hendrycks et al.: keep the best pre-training weights; after the last pre-training epoch, go back
 * to the best one and fine-tune from there — at that epoch of the global schedule, with fresh
 * momentum — so fine-tuning runs the rest of the one schedule.
 */
async function endOfPretrainEpoch(
  model: TwoHeadModel,
  opt: SgdMomentum,
  cfg: TrainConfig,
  opts: TrainOptions,
  state: TrainState,
): Promise<void> {
  const metric = opts.evaluatePretrain ? await opts.evaluatePretrain(model, state.epoch) : state.epoch;
  if (state.pretrainBestMetric === null || metric > state.pretrainBestMetric) {
    state.pretrainBestMetric = metric;
    state.pretrainBestEpoch = state.epoch;
    await saveWeights(opts.paths.pretrainBest, model);
  }
  if (state.epoch < cfg.pretrainEpochs) return;
  loadWeights(opts.paths.pretrainBest, model);
  opt.setState([]);
  const best = state.pretrainBestEpoch!;
  opts.log?.(
    `pre-training done: fine-tuning from its best epoch ${best} (metric ${state.pretrainBestMetric}), epochs ${best + 1}–${cfg.epochs} of the schedule`,
  );
  state.epoch = best;
  state.finetuning = true;
}

/** Loads the weights the checkpoint rule reports: the best-evaluated ones, or the current (last). */
export function loadReportedWeights(model: TwoHeadModel, paths: RunPaths, rule: 'best' | 'last'): void {
  if (rule === 'best' && fs.existsSync(paths.best)) loadWeights(paths.best, model);
}
