/**
 * runExperiment: one paper row, end to end — scale the config to the profile, load the
 * datasets, train every seed with the one training loop (cached by config hash, resumable),
 * keep the reported checkpoint, evaluate, and return the metrics with what a reproducible
 * result must carry (AutoAttack#54, TRADES#9): ε as an exact fraction, train/eval attack steps
 * and step size, BN mode, checkpoint rule, seeds, backend, versions.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadLocal, mergeDatasets, splitParts, subsetOrAll, type ImageDataset } from '../data';
import { initBackend, type BackendInfo } from '../backend';
import { createModel, type TwoHeadModel } from '../models';
import { loadModel, saveModel } from '../models/weights';
import { runPaths, cachedResult, writeResult, writeConfig, type RunPaths } from '../train/run-cache';
import { train, loadReportedWeights } from '../train/trainer';
import { UserError } from '../util/errors';
import { fracString } from '../util/fraction';
import { mean, sampleSd } from '../util/stats';
import { evalRecord, evaluateModel, flatMetrics, selectionEvaluator } from './evaluate';
import type { Profile } from './profiles';
import { withOverrides, type ExperimentConfig } from './schema';
import { scaleConfig, type ScaledExperiment } from './scale';
import { perClassHighRatio, robustDatasetFrom, rstPseudoLabels } from './sources';
import type { DataPresence } from './standins';
import { findExperiment } from './tables';
import { lastEpochRatio, modelSpec, trainConfig, trainData } from './training';

/** How to run experiments: the one options type of runExperiment, runTable and the CLIs. */
export interface RunOptions {
  profile: Profile;
  /** The run cache: one folder per (experiment, profile, seed, config hash). */
  resultsDir: string;
  /** tfjs backend ('cpu', 'wasm', 'tfjs-node', …); undefined: initBackend's auto choice. */
  backend?: string;
  dataDir?: string;
  progress?: boolean;
  log?: (line: string) => void;
  presence?: DataPresence;
  /** Dotted overrides applied before and after scaling (so `train.epochs=2` holds at every profile); validated. */
  overrides?: Record<string, unknown>;
  /** Time-boxed runs: stop each seed after this many epochs in this call (rerun to continue). */
  stopAfterEpochs?: number;
}

export interface SeedMetrics {
  seed: number;
  clean: number;
  pgd?: number;
  cw?: number;
  aa?: number;
  /** AutoAttack: worst-case accuracy (%) after each of its attacks, in order. */
  aaAfter?: Record<string, number>;
  fgsm?: number;
  error?: number;
  /** BiaMAT: the threshold and the last epoch's mean n_high / n_aux (Figure 3). */
  tau: number | null;
  ratioHigh: number | null;
  bestEpoch: number | null;
  trainSeconds: number;
  /** Table 14: share above τ per aux class and 'all'. */
  perClass?: Record<string, number>;
}

export interface ExperimentResult {
  id: string;
  table: string;
  row: string;
  profile: Profile;
  status: 'done' | 'unavailable' | 'partial';
  reason?: string;
  seeds: SeedMetrics[];
  mean: Record<string, number>;
  std: Record<string, number>;
  perClassHighRatio?: Record<string, number>;
  paper: ExperimentConfig['paper'];
  record: Record<string, unknown>;
}

const MODEL_BASE = 'model';

/** One backend per process: later experiments (and source runs) reuse the first choice. */
let backendOnce: Promise<BackendInfo> | null = null;

/** Runs (or returns the cached result of) one experiment at one profile. */
export async function runExperiment(config: ExperimentConfig, opts: RunOptions): Promise<ExperimentResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const scaled = resolve(config, opts);
  const c = scaled.config;
  const base = { id: c.id, table: c.table, row: c.row, profile: opts.profile, paper: c.paper };
  if (scaled.unavailable)
    return {
      ...base,
      status: 'unavailable',
      reason: scaled.unavailable,
      seeds: [],
      mean: {},
      std: {},
      record: {},
    };

  backendOnce ??= initBackend({ backend: opts.backend, log });
  const record = runRecord(c, scaled, await backendOnce);
  const seeds: SeedMetrics[] = [];
  let partial = false;
  for (const seed of c.seeds) {
    const paths = seedPaths(c, opts, seed);
    const cached = cachedResult<SeedMetrics>(paths);
    if (cached) {
      log(`${c.id} seed ${seed}: cached result in ${paths.dir}`);
      seeds.push(cached);
      continue;
    }
    writeConfig(paths, { config: c, seed, profile: opts.profile });
    const metrics = c.analysis
      ? await analyse(c, scaled, seed, opts)
      : await trainAndEvaluate(c, scaled, seed, paths, opts, log);
    if (metrics === null) {
      partial = true;
      continue;
    }
    writeResult(paths, metrics);
    seeds.push(metrics);
  }
  const perClass = seeds.find((s) => s.perClass)?.perClass;
  return {
    ...base,
    status: partial ? 'partial' : 'done',
    seeds,
    ...summarize(seeds),
    ...(perClass ? { perClassHighRatio: perClass } : {}),
    record,
  };
}

/** Overrides go in before scaling (so e.g. `aux` picks its stand-in) and again after (so e.g. `train.epochs` holds). */
function resolve(config: ExperimentConfig, opts: RunOptions): ScaledExperiment {
  const pre = opts.overrides ? withOverrides(config, opts.overrides) : config;
  const scaled = scaleConfig(pre, opts.profile, opts.presence);
  if (opts.overrides) scaled.config = withOverrides(scaled.config, opts.overrides);
  return scaled;
}

/** The run folder of one seed of a (scaled) config. */
function seedPaths(c: ExperimentConfig, opts: RunOptions, seed: number): RunPaths {
  return runPaths(opts.resultsDir, `${c.id}/${opts.profile}/seed${seed}`, { config: c, seed });
}

/** Trains one seed, keeps the reported checkpoint, evaluates; null when stopped early (rerun to continue). */
async function trainAndEvaluate(
  c: ExperimentConfig,
  scaled: ScaledExperiment,
  seed: number,
  paths: RunPaths,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<SeedMetrics | null> {
  const dataOpts = { dataDir: opts.dataDir };
  let primary = subsetOrAll(
    await loadLocal(scaled.data.primary!, 'train', dataOpts),
    c.subset.primaryTrain,
    seed,
  );
  const test = subsetOrAll(
    await loadLocal(scaled.data.primary!, 'test', dataOpts),
    c.subset.primaryTest,
    seed,
  );
  if (c.splitParts) primary = splitParts(primary, c.splitParts.parts, c.splitParts.noiseAmplitude, seed);
  let aux: ImageDataset | undefined =
    scaled.data.aux.length > 0
      ? mergeDatasets(
          await Promise.all(
            scaled.data.aux.map(async (a) =>
              subsetOrAll(await loadLocal(a!, 'train', dataOpts), c.subset.aux, seed),
            ),
          ),
        )
      : undefined;

  if (c.robustDataset) {
    const source = await finishedSource(c.robustDataset.sourceId, seed, opts);
    primary = await robustDatasetFrom(source.model, primary, c.robustDataset, seed, (l) =>
      log(`${c.id}: ${l}`),
    );
    source.model.dispose();
  }
  const rst = c.method.auxMode === 'rst' && aux !== undefined && c.method.rst !== null;
  if (rst) {
    const runId = `${c.id}/${opts.profile}/labeller-seed${seed}`;
    aux = await rstPseudoLabels(c, primary, aux!, seed, {
      resultsDir: opts.resultsDir,
      runId,
      progress: opts.progress,
    });
    log(`${c.id}: ${aux.n} pseudo-labelled aux images`);
  }

  const numAux = aux && !rst ? aux.classNames.length : 0;
  const spec = modelSpec(c, primary.classNames.length, numAux, seed);
  const model = createModel(spec);
  const t0 = Date.now();
  // Hendrycks et al.: the best pre-training epoch is picked on the aux set's own test split.
  const auxTest =
    c.method.auxMode === 'pretrain'
      ? mergeDatasets(await Promise.all(scaled.data.aux.map((a) => loadLocal(a!, 'test', dataOpts))))
      : undefined;
  const out = await train(model, trainConfig(c, seed), trainData(primary, aux, c, seed, rst), {
    paths,
    checkpointRule: c.checkpoint,
    progress: opts.progress,
    stopAfterEpochs: opts.stopAfterEpochs,
    log,
    evaluate: selectionEvaluator(c, test, seed),
    evaluateEpochs: { every: c.eval.selectionEvery, fromEpoch: c.eval.selectionFromEpoch },
    evaluatePretrain: auxTest ? selectionEvaluator(c, auxTest, seed, 'aux') : undefined,
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  if (!out.finished) {
    model.dispose();
    log(
      `${c.id} seed ${seed}: stopped after epoch ${out.state.epoch} of ${c.train.epochs}; rerun to continue`,
    );
    return null;
  }
  loadReportedWeights(model, paths, c.checkpoint);
  await saveModel(path.join(paths.dir, MODEL_BASE), model, spec, { id: c.id, profile: opts.profile, seed });
  const evaluated = await evaluateModel(model, test, c, seed, log);
  model.dispose();
  return {
    seed,
    ...evaluated,
    ...(c.table === 'table5' ? { error: 100 - evaluated.clean } : {}),
    tau: out.state.tau,
    ratioHigh: lastEpochRatio(paths.log),
    bestEpoch: out.state.bestEpoch,
    trainSeconds,
  };
}

/** Table 14: the finished source model's share of aux images above its τ, per aux class. */
async function analyse(
  c: ExperimentConfig,
  scaled: ScaledExperiment,
  seed: number,
  opts: RunOptions,
): Promise<SeedMetrics> {
  const source = await finishedSource(c.analysis!.sourceId, seed, opts);
  const aux = subsetOrAll(
    mergeDatasets(
      await Promise.all(scaled.data.aux.map((a) => loadLocal(a!, 'train', { dataDir: opts.dataDir }))),
    ),
    c.subset.aux,
    seed,
  );
  const perClass = await perClassHighRatio(source.model, aux, source.metrics.tau ?? 0);
  source.model.dispose();
  return { ...source.metrics, perClass };
}

/**
 * Another experiment's reported model and metrics for the same seed at this profile, training
 * it first if needed (the run cache makes it the very run its own notebook does).
 */
async function finishedSource(
  sourceId: string,
  seed: number,
  opts: RunOptions,
): Promise<{ model: TwoHeadModel; metrics: SeedMetrics }> {
  const source = findExperiment(sourceId);
  const sourceOpts = { ...opts, overrides: { seeds: [seed] }, stopAfterEpochs: undefined };
  const result = await runExperiment(source, sourceOpts);
  if (result.status !== 'done')
    throw new UserError(
      `source run ${sourceId} did not finish (${result.reason ?? result.status})`,
      'run it first',
    );
  const paths = seedPaths(resolve(source, sourceOpts).config, opts, seed);
  return { model: loadModel(path.join(paths.dir, MODEL_BASE)).model, metrics: result.seeds[0] };
}

function summarize(seeds: SeedMetrics[]): { mean: Record<string, number>; std: Record<string, number> } {
  const out = { mean: {} as Record<string, number>, std: {} as Record<string, number> };
  const flat = seeds.map(flatMetrics);
  for (const k of new Set(flat.flatMap((f) => Object.keys(f)))) {
    const xs = flat.map((f) => f[k]).filter((v): v is number => typeof v === 'number');
    out.mean[k] = mean(xs);
    out.std[k] = xs.length > 1 ? sampleSd(xs) : 0;
  }
  return out;
}

function versions(): Record<string, string> {
  let workbench = 'unknown';
  try {
    workbench = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    /* not in the repo layout */
  }
  return { node: process.version, tfjs: tf.version.tfjs, workbench };
}

/** What every result of this row records besides its numbers. */
function runRecord(
  c: ExperimentConfig,
  scaled: ScaledExperiment,
  backend: BackendInfo,
): Record<string, unknown> {
  return {
    eps: fracString(c.eval.eps),
    trainAttack: {
      method: c.method.base,
      eps: fracString(c.train.attack.eps),
      steps: c.train.attack.steps,
      stepSize: fracString(c.train.attack.stepSize),
      bnMode: c.train.attack.bn,
      bnUpdatesStats: c.train.attack.bnUpdatesStats,
    },
    evalAttacks: evalRecord(c),
    checkpointRule:
      c.checkpoint === 'best'
        ? `best PGD-${c.eval.selectionPgdSteps} accuracy on the test set`
        : 'last epoch',
    seeds: c.seeds,
    backend: backend.name,
    device: backend.device,
    versions: versions(),
    datasets: scaled.data,
    dataNote:
      'offline copies are lossy JPEG re-encodings: results are close to, not identical with, the official binaries',
    model: c.model,
    batch: { primary: c.train.batchSize, aux: c.train.auxBatchSize },
  };
}
