/**
 * runExperiment: one paper row, end to end — scale the config, load (and if needed import) the
 * datasets, train every seed with the one training loop (cached by config hash, resumable),
 * pick the reported checkpoint, evaluate (clean, PGD-k, CW-k, AutoAttack when present, FGSM
 * for Table 6) and return the metrics with the fields a reproducible result must carry
 * (AutoAttack#54, TRADES#9): ε as an exact fraction, train/eval attack steps and step size,
 * BN mode, checkpoint rule, seeds, backend, versions.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  ensureDataset,
  loadDataset,
  pairedBatches,
  subsetByClass,
  subsetByCount,
  stepsPerEpoch,
} from '../data';
import type { ImageDataset } from '../data/types';
import { createModel, asClassifier, type ModelSpec } from '../models';
import { saveModel, loadModel } from '../models/checkpoint';
import type { TwoHeadModel } from '../models/types';
import { PGD } from '../attacks/pgd';
import { CW } from '../attacks/cw';
import { FGSM } from '../attacks/fgsm';
import { AutoAttack } from '../attacks/autoattack';
import type { Attack } from '../attacks/types';
import { initBackend } from '../backend';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { train, loadReportedWeights, type TrainConfig, type TrainData } from '../train/trainer';
import { runPaths, cachedResult, writeResult, writeConfig } from '../train/run_cache';
import { primaryConfidence, type StepBatch } from '../train/steps';
import { selectByConfidence } from '../train/losses';
import { buildRobustDataset, representationOf } from '../train/robust_dataset';
import { pseudoLabelled } from '../train/pseudo_labels';
import { fracString, fracValue, withOverrides, type ExperimentConfig } from './schema';
import { scaleConfig, type Profile } from './scale';
import { parseLocalName, type DataPresence } from './standins';
import { ALL_EXPERIMENTS } from './tables';

export interface RunOptions {
  profile: Profile;
  resultsDir: string;
  /** tfjs backend ('cpu', 'wasm', 'tfjs-node', …); undefined: initBackend's auto choice. */
  backend?: string;
  dataDir?: string;
  progress?: boolean;
  log?: (line: string) => void;
  presence?: DataPresence;
  /** Overrides applied AFTER scaling (so `train.epochs=2` holds at every profile); validated. */
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
  fgsm?: number;
  error?: number;
  /** BiaMAT: the threshold and the last epoch's mean n_high / n_aux (Figure 3). */
  tau: number | null;
  ratioHigh: number | null;
  bestEpoch: number | null;
  trainSeconds: number;
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
  cached?: boolean;
}

const MODEL_BASE = 'model';

let backendOnce: ReturnType<typeof initBackend> | null = null;

function versions(): Record<string, string> {
  let workbench = 'unknown';
  try {
    workbench = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    /* not in the repo layout */
  }
  return { node: process.version, tfjs: tf.version.tfjs, workbench };
}

async function loadLocal(local: string, split: 'train' | 'test', dataDir?: string): Promise<ImageDataset> {
  const { name, classes } = parseLocalName(local);
  await ensureDataset(name, { dataDir });
  const ds = loadDataset(name, split, { dataDir });
  if (!classes) return ds;
  const ids = Array.from({ length: classes[1] - classes[0] + 1 }, (_, i) => classes[0] + i);
  return subsetByClass(ds, ids, { relabel: true });
}

function subset(ds: ImageDataset, count: number | null, seed: number): ImageDataset {
  return count === null || count >= ds.n ? ds : subsetByCount(ds, count, { seed, classBalanced: true });
}

/** Several aux sets as one auxiliary task: images concatenated, labels offset (Table 4). */
function mergeAux(sets: ImageDataset[]): ImageDataset {
  if (sets.length === 1) return sets[0];
  const pixels = sets[0].height * sets[0].width * sets[0].channels;
  const n = sets.reduce((s, d) => s + d.n, 0);
  const images = new Uint8Array(n * pixels);
  const labels = new Int32Array(n);
  let o = 0;
  let offset = 0;
  for (const d of sets) {
    images.set(d.images, o * pixels);
    for (let i = 0; i < d.n; i++) labels[o + i] = d.labels[i] + offset;
    o += d.n;
    offset += d.classNames.length;
  }
  return {
    ...sets[0],
    name: sets.map((d) => d.name).join('+'),
    n,
    images,
    labels,
    classNames: sets.flatMap((d) => d.classNames.map((c) => `${d.name}:${c}`)),
    provenance: {
      source: sets.map((d) => d.provenance.source).join(' + '),
      note: 'merged auxiliary datasets',
    },
  };
}

/** Table 5: parts A (25k) / B (12.5k) / C (12.5k, uniform noise) of a seeded split of the train set. */
function splitParts(ds: ImageDataset, parts: ('A' | 'B' | 'C')[], noise: number, seed: number): ImageDataset {
  const order = new Rng(seed).fork('table5-split').permutation(ds.n);
  const a = Math.round(ds.n / 2);
  const b = Math.round((ds.n * 3) / 4);
  const ranges = { A: [0, a], B: [a, b], C: [b, ds.n] } as const;
  const pixels = ds.height * ds.width * ds.channels;
  const idx = parts.flatMap((p) => Array.from(order.subarray(ranges[p][0], ranges[p][1])));
  const noisyFrom = parts.includes('C') ? idx.length - (ds.n - b) : idx.length;
  const noiseRng = new Rng(seed).fork('table5-noise');
  const images = new Uint8Array(idx.length * pixels);
  idx.forEach((j, i) => {
    for (let k = 0; k < pixels; k++) {
      let v = ds.images[j * pixels + k];
      if (i >= noisyFrom)
        v = Math.min(255, Math.max(0, Math.round(v + 255 * noiseRng.uniform(-noise, noise))));
      images[i * pixels + k] = v;
    }
  });
  return {
    ...ds,
    n: idx.length,
    images,
    labels: Int32Array.from(idx, (j) => ds.labels[j]),
    provenance: { ...ds.provenance, note: `parts ${parts.join('+')} (C: uniform noise ±${noise})` },
  };
}

async function accuracy(
  model: TwoHeadModel,
  test: ImageDataset,
  attack: Attack | null,
  batchSize = 128,
  limit?: number,
): Promise<number> {
  const n = Math.min(limit ?? test.n, test.n);
  const clf = asClassifier(model, 'primary', 'eval');
  const pixels = test.height * test.width * test.channels;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const xs = new Float32Array(m * pixels);
    for (let k = 0; k < m * pixels; k++) xs[k] = test.images[s * pixels + k] / 255;
    const x = tf.tensor4d(xs, [m, test.height, test.width, test.channels]);
    const y = tf.tensor1d(test.labels.subarray(s, s + m), 'int32');
    const xa = attack ? await attack.perturb(clf, x, y) : x;
    const hits = tf.tidy(() => tf.sum(tf.equal(tf.argMax(clf.logits(xa), 1), y)));
    correct += (await hits.data())[0];
    hits.dispose();
    tf.dispose(xa === x ? [x, y] : [x, y, xa]);
  }
  return (100 * correct) / n;
}

function modelSpec(c: ExperimentConfig, numClasses: number, numAux: number, seed: number): ModelSpec {
  return { ...c.model, numClasses, numAuxClasses: numAux, normalization: null, seed };
}

function trainConfig(c: ExperimentConfig, seed: number): TrainConfig {
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
    seed,
    divergenceLoss: 1e3,
  };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

function findConfig(id: string): ExperimentConfig {
  const c = ALL_EXPERIMENTS.find((e) => e.id === id);
  if (!c)
    throw new UserError(`no experiment with id ${id}`, 'list them with: npx tsx src/experiments/cli.ts list');
  return c;
}

/** Runs (or returns the cached result of) one experiment at one profile. */
export async function runExperiment(config: ExperimentConfig, opts: RunOptions): Promise<ExperimentResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // Overrides go in before scaling (so e.g. `aux` picks its stand-in) and again after (so
  // e.g. `train.epochs` holds at every profile).
  const pre = opts.overrides ? withOverrides(config, opts.overrides) : config;
  const scaled = scaleConfig(pre, opts.profile, opts.presence);
  if (opts.overrides) scaled.config = withOverrides(scaled.config, opts.overrides);
  const c = scaled.config;
  const base = {
    id: c.id,
    table: c.table,
    row: c.row,
    profile: opts.profile,
    paper: c.paper,
  };
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
  // One backend per process: later experiments (and source runs) reuse the first choice.
  backendOnce ??= initBackend({ backend: opts.backend, log: (l) => log(l) });
  const backend = await backendOnce;
  const record = {
    eps: fracString(c.eval.eps),
    trainAttack: {
      method: c.method.base,
      eps: fracString(c.train.attack.eps),
      steps: c.train.attack.steps,
      stepSize: fracString(c.train.attack.stepSize),
      bnMode: c.train.attack.bn,
      bnUpdatesStats: c.train.attack.bnUpdatesStats,
    },
    evalAttacks: {
      pgd: { steps: c.eval.pgdSteps, stepSize: fracString(c.eval.stepSize), randomStart: true },
      cw: { steps: c.eval.cwSteps, stepSize: fracString(c.eval.stepSize), kappa: 50 },
      autoattack: c.eval.autoattack ? 'standard' : 'off',
      fgsm: c.eval.fgsm,
    },
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

  const dataDir = opts.dataDir;
  const seedResults: SeedMetrics[] = [];
  let perClass: Record<string, number> | undefined;
  let partial = false;
  for (const seed of c.seeds) {
    const paths = runPaths(opts.resultsDir, `${c.id}/${opts.profile}/seed${seed}`, { config: c, seed });
    const cached = cachedResult<SeedMetrics & { perClass?: Record<string, number> }>(paths);
    if (cached) {
      log(`${c.id} seed ${seed}: cached result in ${paths.dir}`);
      seedResults.push(cached);
      perClass = cached.perClass ?? perClass;
      continue;
    }
    writeConfig(paths, { config: c, seed, profile: opts.profile });

    if (c.analysis) {
      const src = await runExperiment(findConfig(c.analysis.sourceId), { ...opts, overrides: undefined });
      if (src.status !== 'done')
        throw new UserError(`source run ${c.analysis.sourceId} did not finish`, 'run it first');
      const srcDir = runPaths(opts.resultsDir, `${c.analysis.sourceId}/${opts.profile}/seed${seed}`, {
        config: scaleConfig(findConfig(c.analysis.sourceId), opts.profile, opts.presence).config,
        seed,
      });
      const { model } = loadModel(path.join(srcDir.dir, MODEL_BASE));
      const tau = src.seeds[0].tau ?? 0;
      const aux = subset(
        mergeAux(await Promise.all(scaled.data.aux.map((a) => loadLocal(a!, 'train', dataDir)))),
        c.subset.aux,
        seed,
      );
      perClass = await perClassHighRatio(model, aux, tau);
      model.dispose();
      const r = { ...src.seeds[0], perClass };
      writeResult(paths, r);
      seedResults.push(r);
      continue;
    }

    // Data.
    let primary = subset(
      await loadLocal(scaled.data.primary!, 'train', dataDir),
      c.subset.primaryTrain,
      seed,
    );
    const test = subset(await loadLocal(scaled.data.primary!, 'test', dataDir), c.subset.primaryTest, seed);
    if (c.splitParts) primary = splitParts(primary, c.splitParts.parts, c.splitParts.noiseAmplitude, seed);
    let aux: ImageDataset | undefined =
      scaled.data.aux.length > 0
        ? mergeAux(
            await Promise.all(
              scaled.data.aux.map(async (a) =>
                subset(await loadLocal(a!, 'train', dataDir), c.subset.aux, seed),
              ),
            ),
          )
        : undefined;
    const numClasses = primary.classNames.length;
    let numAux = aux && c.method.auxMode !== 'rst' ? aux.classNames.length : 0;

    if (c.robustDataset) {
      const rd = c.robustDataset;
      const src = await runExperiment(findConfig(rd.sourceId), {
        ...opts,
        overrides: undefined,
        stopAfterEpochs: undefined,
      });
      if (src.status !== 'done')
        throw new UserError(`source run ${rd.sourceId} did not finish`, 'run it first');
      const srcPaths = runPaths(opts.resultsDir, `${rd.sourceId}/${opts.profile}/seed${src.seeds[0].seed}`, {
        config: scaleConfig(findConfig(rd.sourceId), opts.profile, opts.presence).config,
        seed: src.seeds[0].seed,
      });
      const { model: srcModel } = loadModel(path.join(srcPaths.dir, MODEL_BASE));
      const rep = representationOf(srcModel);
      log(`${c.id}: building the robust dataset (${primary.n} images, ${rd.steps} steps, g = ${rep.layer})`);
      primary = await buildRobustDataset(rep.fn, primary, {
        steps: rd.steps,
        stepSize: rd.stepSize,
        batchSize: 128,
        seed,
      });
      srcModel.dispose();
    }

    if (c.method.auxMode === 'rst' && aux && c.method.rst) {
      // Carmon et al.: a standard classifier labels aux; top-k per class become primary data.
      const labCfg: ExperimentConfig = {
        ...c,
        id: `${c.id}/labeller`,
        method: { ...c.method, base: 'standard', auxMode: 'none', rst: null },
        train: { ...c.train, epochs: c.method.rst.labelerEpochs },
        checkpoint: 'last',
      };
      const labPaths = runPaths(opts.resultsDir, `${c.id}/${opts.profile}/labeller-seed${seed}`, {
        config: labCfg,
        seed,
      });
      const labeller = createModel(modelSpec(c, numClasses, 0, seed));
      await train(labeller, trainConfig(labCfg, seed), dataFor(primary, undefined, labCfg, seed, false), {
        paths: labPaths,
        checkpointRule: 'last',
        progress: opts.progress,
      });
      aux = await pseudoLabelled(aux, labeller, primary.classNames, c.method.rst.topKPerClass);
      labeller.dispose();
      log(`${c.id}: ${aux.n} pseudo-labelled aux images`);
      numAux = 0;
    }

    const spec = modelSpec(c, numClasses, numAux, seed);
    const model = createModel(spec);
    const tcfg = trainConfig(c, seed);
    const evalEps = fracValue(c.eval.eps);
    const selection =
      c.checkpoint === 'best' && c.eval.selectionPgdSteps > 0
        ? new PGD({
            eps: evalEps,
            stepSize: fracValue(c.eval.stepSize),
            steps: c.eval.selectionPgdSteps,
            seed,
          })
        : null;
    const t0 = Date.now();
    const out = await train(model, tcfg, dataFor(primary, aux, c, seed, c.method.auxMode === 'rst'), {
      paths,
      checkpointRule: c.checkpoint,
      progress: opts.progress,
      stopAfterEpochs: opts.stopAfterEpochs,
      log,
      evaluate: selection
        ? (m) => accuracy(m, test, selection, 128, c.eval.selectionImages ?? undefined)
        : undefined,
    });
    const trainSeconds = (Date.now() - t0) / 1000;
    if (!out.finished) {
      partial = true;
      model.dispose();
      log(
        `${c.id} seed ${seed}: stopped after epoch ${out.state.epoch} of ${c.train.epochs}; rerun to continue`,
      );
      continue;
    }
    loadReportedWeights(model, paths, c.checkpoint);
    await saveModel(path.join(paths.dir, MODEL_BASE), model, spec, { id: c.id, profile: opts.profile, seed });
    const metrics: SeedMetrics = {
      seed,
      clean: await accuracy(model, test, null),
      tau: out.state.tau,
      ratioHigh: lastEpochRatio(paths.log),
      bestEpoch: out.state.bestEpoch,
      trainSeconds,
    };
    const stepSize = fracValue(c.eval.stepSize);
    if (c.eval.pgdSteps > 0)
      metrics.pgd = await accuracy(
        model,
        test,
        new PGD({ eps: evalEps, stepSize, steps: c.eval.pgdSteps, seed }),
      );
    if (c.eval.cwSteps > 0)
      metrics.cw = await accuracy(
        model,
        test,
        new CW({ eps: evalEps, stepSize, steps: c.eval.cwSteps, seed }),
      );
    if (c.eval.fgsm) metrics.fgsm = await accuracy(model, test, new FGSM({ eps: evalEps }));
    if (c.eval.autoattack) metrics.aa = await autoAttackAccuracy(model, test, evalEps, seed, log);
    if (c.table === 'table5') metrics.error = 100 - metrics.clean;
    model.dispose();
    writeResult(paths, metrics);
    seedResults.push(metrics);
  }

  const keys = ['clean', 'pgd', 'cw', 'aa', 'fgsm', 'error'] as const;
  const meanOut: Record<string, number> = {};
  const stdOut: Record<string, number> = {};
  for (const k of keys) {
    const xs = seedResults.map((s) => s[k]).filter((v): v is number => typeof v === 'number');
    if (xs.length > 0) {
      meanOut[k] = mean(xs);
      stdOut[k] = std(xs);
    }
  }
  return {
    ...base,
    status: partial ? 'partial' : 'done',
    seeds: seedResults,
    mean: meanOut,
    std: stdOut,
    ...(perClass ? { perClassHighRatio: perClass } : {}),
    record,
  };
}

/** Batches for the trainer; RST concatenates the pseudo-labelled half into the primary batch. */
function dataFor(
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

function lastEpochRatio(logFile: string): number | null {
  if (!fs.existsSync(logFile)) return null;
  const recs = fs
    .readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as { epoch: number; ratioHigh: number | null; alpha: number });
  const last = recs.length ? recs[recs.length - 1].epoch : 0;
  const r = recs
    .filter((x) => x.epoch === last && x.ratioHigh !== null && x.alpha > 0)
    .map((x) => x.ratioHigh as number);
  return r.length ? mean(r) : null;
}

/** Table 14: per aux class, the share of its images with c(x~) ≥ τ (eval mode, clean, no augmentation). */
export async function perClassHighRatio(
  model: TwoHeadModel,
  aux: ImageDataset,
  tau: number,
): Promise<Record<string, number>> {
  const pixels = aux.height * aux.width * aux.channels;
  const high = new Float64Array(aux.classNames.length);
  const count = new Float64Array(aux.classNames.length);
  for (let s = 0; s < aux.n; s += 256) {
    const n = Math.min(256, aux.n - s);
    const xs = new Float32Array(n * pixels);
    for (let k = 0; k < n * pixels; k++) xs[k] = aux.images[s * pixels + k] / 255;
    const x = tf.tensor4d(xs, [n, aux.height, aux.width, aux.channels]);
    const sel = selectByConfidence(await primaryConfidence(model, x), { kind: 'threshold', tau });
    x.dispose();
    for (let i = 0; i < n; i++) count[aux.labels[s + i]]++;
    for (const i of sel.high) high[aux.labels[s + i]]++;
  }
  const out: Record<string, number> = {};
  aux.classNames.forEach((name, k) => {
    if (count[k] > 0) out[name] = high[k] / count[k];
  });
  out.all = high.reduce((a, b) => a + b, 0) / aux.n;
  return out;
}

/** AutoAttack 'standard' (the attacks helper's ensemble), robust accuracy = pointwise worst case. */
async function autoAttackAccuracy(
  model: TwoHeadModel,
  test: ImageDataset,
  eps: number,
  seed: number,
  log: (l: string) => void,
): Promise<number> {
  return accuracy(model, test, new AutoAttack({ eps, version: 'standard', seed, log }));
}
