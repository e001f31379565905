/**
 * How long a row will take before it runs (`npm run repro -- --plan`): a few timed training
 * steps of the row's scaled model and method on the selected backend, on random inputs (no data
 * is loaded, nothing is trained, written or cached), times the steps the run needs — epochs ×
 * steps per epoch, the per-epoch checkpoint selection, the evaluation attacks, and what a row
 * builds first (Table 6's robust dataset, RST's labeller, a source run). Runs already in the run
 * cache cost nothing; a run counted once in a plan (a source another notebook trains first)
 * is not counted again.
 *
 * The timed batch is at most `maxTimingBatch` images and the attack at most one step; the time
 * scales linearly to the config's batch and attack steps (on a GPU, where large batches are
 * cheaper per image, this overestimates). Evaluation costs one forward+backward pass per attack
 * step and image; AutoAttack (paper scale) is counted as AUTOATTACK_PASSES passes per image.
 */
import * as tf from '@tensorflow/tfjs';
import { datasetInfo, parseLocalName, readCacheMeta, stepsPerEpoch } from '../data';
import { initBackend, type BackendInfo } from '../backend';
import { createModel } from '../models';
import { cachedResult, runPaths } from '../train/run-cache';
import { SgdMomentum } from '../train/optimizer';
import { trainStep, type StepBatch } from '../train/steps';
import type { SelectionRule } from '../train/losses';
import { Rng } from '../util/rng';
import type { Profile } from './profiles';
import { scaleConfig } from './scale';
import { withOverrides, type ExperimentConfig } from './schema';
import type { DataPresence } from './standins';
import { findExperiment } from './tables';
import { modelSpec, trainConfig } from './training';

/** Rough forward+backward passes per test image of AutoAttack standard (APGD-CE, APGD-T, FAB-T on the points still robust; Square's 5000 queries forward only). */
export const AUTOATTACK_PASSES = 2500;
/** Table 5's parts as shares of the training set (splitParts: A half, B and C a quarter each). */
const PART_SHARE = { A: 0.5, B: 0.25, C: 0.25 } as const;

/** Images in a split of a local dataset ('tin32#0-99' counts its class range), or undefined. */
export function datasetSplitSize(local: string, split: 'train' | 'test'): number | undefined {
  const { name, classes } = parseLocalName(local);
  let n: number | undefined;
  let total: number | undefined;
  try {
    const meta = readCacheMeta(name);
    n = meta?.splits[split]?.n;
    total = meta?.classNames.length;
  } catch {
    // not prepared: the official counts below
  }
  try {
    const info = datasetInfo(name);
    n ??= info.officialCounts?.[split];
    total ??= info.classNames?.length;
  } catch {
    return undefined;
  }
  if (n === undefined || !classes) return n;
  return total ? Math.round((n * (classes[1] - classes[0] + 1)) / total) : undefined;
}

function classCount(local: string): number {
  const { name, classes } = parseLocalName(local);
  if (classes) return classes[1] - classes[0] + 1;
  try {
    const meta = readCacheMeta(name);
    if (meta) return meta.classNames.length;
  } catch {
    // not prepared
  }
  try {
    return datasetInfo(name).classNames?.length ?? 10;
  } catch {
    return 10;
  }
}

/** What one training step of a config costs on this backend. */
export interface StepCost {
  /** What was timed: model, method, timed batch. */
  label: string;
  /** Seconds per training step at the config's batch sizes and attack steps. */
  secondsPerStep: number;
  /** Seconds per forward+backward pass of one image (what evaluation attacks cost per step and image). */
  secondsPerImagePass: number;
}

export interface TimerOptions {
  /** Backend to time on (undefined: initBackend's choice, as the notebooks make it). */
  backend?: string;
  /** Timed steps per distinct model and method, after one untimed warm-up step. */
  timedSteps?: number;
  maxTimingBatch?: number;
  log?: (line: string) => void;
}

/** Times steps once per distinct (model, method, batch, attack) and remembers the cost. */
export class StepTimer {
  /** Seconds per timed step, by what was timed (model, method, timed batch, timed attack steps). */
  private readonly timings = new Map<string, Promise<number>>();
  private backendInfo?: Promise<BackendInfo>;

  constructor(private readonly opts: TimerOptions = {}) {}

  /** The backend the steps are timed on (initialised on first use). */
  backend(): Promise<BackendInfo> {
    this.backendInfo ??= initBackend({ backend: this.opts.backend, log: this.opts.log ?? false });
    return this.backendInfo;
  }

  /** How many distinct steps were timed so far. */
  get timed(): number {
    return this.timings.size;
  }

  /**
   * The cost of one training step of `c` (a scaled config): one timing per distinct model,
   * method and timed batch, scaled to the config's batch sizes and attack steps.
   */
  async cost(c: ExperimentConfig, numClasses: number, numAux: number): Promise<StepCost> {
    const maxB = this.opts.maxTimingBatch ?? 16;
    const k = c.train.attack.steps;
    const kTimed = Math.min(k, 1);
    const rst = c.method.auxMode === 'rst';
    const usesAux = numAux > 0 && !rst;
    // RST trains on primary and pseudo-labelled aux images in one batch.
    const primary = c.train.batchSize + (rst ? c.train.auxBatchSize : 0);
    const aux = usesAux ? c.train.auxBatchSize * Math.max(1, c.aux.length) : 0;
    const scale = Math.min(1, maxB / Math.max(primary, aux));
    const b = Math.max(1, Math.round(primary * scale));
    const bAux = usesAux ? Math.max(1, Math.round(aux * scale)) : 0;
    const timed = withOverrides(c, { train: { attack: { steps: kTimed } } });
    // γ, α, β and the like do not change a step's cost: one timing serves every row that differs only there.
    const m = c.method;
    const key = JSON.stringify([
      c.model,
      m.base,
      m.auxMode,
      m.highLoss,
      c.train.attack.bn,
      numClasses,
      usesAux ? numAux : 0,
      b,
      bAux,
      kTimed,
    ]);
    let timing = this.timings.get(key);
    if (!timing) {
      timing = this.time(timed, numClasses, usesAux ? numAux : 0, b, bAux);
      this.timings.set(key, timing);
    }
    const measured = await timing;
    const arch =
      c.model.arch === 'wrn'
        ? `wrn-${c.model.depth}-${c.model.widen}`
        : `${c.model.arch}${c.model.width ? ` w${c.model.width}` : ''}`;
    return {
      label: `${arch}, ${c.method.base}${c.method.auxMode === 'none' ? '' : `+${c.method.auxMode}`}, ${b}${bAux ? `+${bAux}` : ''} images × ${kTimed} attack step(s)`,
      secondsPerStep: (measured * (k + 1) * (primary + aux)) / ((kTimed + 1) * (b + bAux)),
      secondsPerImagePass: measured / ((kTimed + 1) * (b + bAux)),
    };
  }

  /** Mean seconds of `timedSteps` steps after one warm-up step, on random inputs. */
  private async time(
    c: ExperimentConfig,
    numClasses: number,
    numAux: number,
    b: number,
    bAux: number,
  ): Promise<number> {
    await this.backend();
    const cfg = trainConfig(c, 0);
    const model = createModel(modelSpec(c, numClasses, numAux, 0));
    const opt = new SgdMomentum(model.trainableVariables, {
      momentum: cfg.momentum,
      weightDecay: cfg.weightDecay,
    });
    const batch: StepBatch = {
      x: tf.randomUniform([b, 32, 32, 3]) as tf.Tensor4D,
      y: tf.randomUniform([b], 0, numClasses, 'int32') as tf.Tensor1D,
      ...(bAux > 0
        ? {
            xAux: tf.randomUniform([bAux, 32, 32, 3]) as tf.Tensor4D,
            yAux: tf.randomUniform([bAux], 0, numAux, 'int32') as tf.Tensor1D,
          }
        : {}),
    };
    const selection: SelectionRule =
      cfg.auxMode === 'naive'
        ? { kind: 'all-high' }
        : cfg.auxMode === 'uniform'
          ? { kind: 'all-low' }
          : { kind: 'threshold', tau: 0 };
    const ctx = { alpha: cfg.alpha, selection, primaryHead: 'primary' as const, lr: 0.01, rng: new Rng(0) };
    const seconds: number[] = [];
    try {
      for (let i = 0; i <= (this.opts.timedSteps ?? 2); i++) {
        const t0 = performance.now();
        await trainStep(model, opt, batch, cfg.steps, ctx);
        if (i > 0) seconds.push((performance.now() - t0) / 1000); // step 0 warms the kernels up
      }
    } finally {
      tf.dispose(
        [batch.x, batch.y, batch.xAux, batch.yAux].filter(
          (t: tf.Tensor | undefined): t is tf.Tensor => t !== undefined,
        ),
      );
      opt.dispose();
      model.dispose();
    }
    return seconds.reduce((a, s) => a + s, 0) / seconds.length;
  }
}

/** One run (row × seed) of a plan. */
export interface RunEstimate {
  id: string;
  seed: number;
  status: 'estimated' | 'cached' | 'counted earlier' | 'unavailable';
  seconds: number;
  /** What the time is made of, in one line. */
  detail: string;
}

export interface EstimateContext {
  profile: Profile;
  /** The run cache (`<results dir>/runs`): finished runs there cost nothing. */
  runsDir: string;
  timer: StepTimer;
  /** Run folders already counted in this plan (a source trained by an earlier notebook). */
  counted: Set<string>;
  presence?: DataPresence;
}

function minutes(s: number): string {
  return s < 90
    ? `${Math.round(s)} s`
    : s < 5400
      ? `${Math.round(s / 60)} min`
      : `${(s / 3600).toFixed(1)} h`;
}

/**
 * The runs of one planned row (a config with its seeds and overrides applied, as runTable runs
 * it), one per seed. Nothing is trained.
 */
export async function estimateExperiment(
  config: ExperimentConfig,
  ctx: EstimateContext,
): Promise<RunEstimate[]> {
  const scaled = scaleConfig(config, ctx.profile, ctx.presence);
  const c = scaled.config;
  if (scaled.unavailable)
    return c.seeds.map((seed) => ({
      id: c.id,
      seed,
      status: 'unavailable',
      seconds: 0,
      detail: scaled.unavailable!,
    }));
  const out: RunEstimate[] = [];
  for (const seed of c.seeds) {
    const paths = runPaths(ctx.runsDir, `${c.id}/${ctx.profile}/seed${seed}`, { config: c, seed });
    const base = { id: c.id, seed };
    if (cachedResult(paths))
      out.push({ ...base, status: 'cached', seconds: 0, detail: `cached in ${paths.dir}` });
    else if (ctx.counted.has(paths.dir))
      out.push({
        ...base,
        status: 'counted earlier',
        seconds: 0,
        detail: 'trained earlier in this plan (run cache)',
      });
    else {
      ctx.counted.add(paths.dir);
      out.push({ ...base, status: 'estimated', ...(await runCost(c, scaled.data, seed, ctx)) });
    }
  }
  return out;
}

/** A source run (Table 6's and 14's): its cost unless cached or counted already. */
async function sourceCost(
  sourceId: string,
  seed: number,
  ctx: EstimateContext,
): Promise<{ seconds: number; detail: string }> {
  const source = withOverrides(findExperiment(sourceId), { seeds: [seed] });
  const [r] = await estimateExperiment(source, ctx);
  return {
    seconds: r.seconds,
    detail:
      r.status === 'estimated'
        ? `source ${sourceId} ${minutes(r.seconds)}`
        : `source ${sourceId} ${r.status}`,
  };
}

async function runCost(
  c: ExperimentConfig,
  data: { primary: string | null; aux: (string | null)[] },
  seed: number,
  ctx: EstimateContext,
): Promise<{ seconds: number; detail: string }> {
  const primary = data.primary!;
  const numClasses = classCount(primary);
  const auxNames = data.aux.filter((a): a is string => a !== null);
  const numAux = auxNames.reduce((a, n) => a + classCount(n), 0);
  const full = datasetSplitSize(primary, 'train') ?? 50_000;
  let nTrain = Math.min(c.subset.primaryTrain ?? full, full);
  if (c.splitParts) nTrain = Math.round(nTrain * c.splitParts.parts.reduce((a, p) => a + PART_SHARE[p], 0));
  const fullTest = datasetSplitSize(primary, 'test') ?? 10_000;
  const nTest = Math.min(c.subset.primaryTest ?? fullTest, fullTest);
  const nAux = auxNames.reduce(
    (a, n) => a + Math.min(c.subset.aux ?? Infinity, datasetSplitSize(n, 'train') ?? 50_000),
    0,
  );
  const parts: string[] = [];
  let seconds = 0;

  if (c.analysis) {
    const src = await sourceCost(c.analysis.sourceId, seed, ctx);
    const source = scaleConfig(
      withOverrides(findExperiment(c.analysis.sourceId), { seeds: [seed] }),
      ctx.profile,
    ).config;
    const cost = await ctx.timer.cost(source, numClasses, numAux);
    const pass = (nAux * cost.secondsPerImagePass) / 2; // forward only
    return {
      seconds: src.seconds + pass,
      detail: `${src.detail}; confidences of ${nAux} aux images ${minutes(pass)}`,
    };
  }
  if (c.robustDataset) {
    const src = await sourceCost(c.robustDataset.sourceId, seed, ctx);
    const source = scaleConfig(
      withOverrides(findExperiment(c.robustDataset.sourceId), { seeds: [seed] }),
      ctx.profile,
    ).config;
    const cost = await ctx.timer.cost(source, numClasses, numAux);
    const build = nTrain * c.robustDataset.steps * cost.secondsPerImagePass;
    seconds += src.seconds + build;
    parts.push(
      src.detail,
      `robust dataset ${nTrain} images × ${c.robustDataset.steps} steps ${minutes(build)}`,
    );
  }
  if (c.method.auxMode === 'rst' && c.method.rst) {
    const labeller = withOverrides(c, {
      method: { base: 'standard', auxMode: 'none' },
      train: { epochs: c.method.rst.labelerEpochs, attack: { steps: 0 } },
    });
    const cost = await ctx.timer.cost(labeller, numClasses, 0);
    const s = c.method.rst.labelerEpochs * stepsPerEpoch(nTrain, c.train.batchSize) * cost.secondsPerStep;
    seconds += s + (nAux * cost.secondsPerImagePass) / 2;
    parts.push(`RST labeller ${c.method.rst.labelerEpochs} epoch(s) ${minutes(s)}`);
  }
  const cost = await ctx.timer.cost(c, numClasses, c.method.auxMode === 'rst' ? 0 : numAux);
  const steps = c.train.epochs * stepsPerEpoch(nTrain, c.train.batchSize);
  const train = steps * cost.secondsPerStep;
  const selection =
    c.checkpoint === 'best' && c.eval.selectionPgdSteps > 0
      ? c.train.epochs *
        (c.eval.selectionImages ?? nTest) *
        (c.eval.selectionPgdSteps + 1) *
        cost.secondsPerImagePass
      : 0;
  const passes = 1 + c.eval.pgdSteps + c.eval.cwSteps + (c.eval.fgsm ? 1 : 0);
  const aaImages = c.eval.autoattack ? Math.min(c.eval.autoattackImages ?? nTest, nTest) : 0;
  const evaluation = (nTest * passes + aaImages * AUTOATTACK_PASSES) * cost.secondsPerImagePass;
  seconds += train + selection + evaluation;
  parts.push(
    `train ${c.train.epochs} epoch(s) × ${stepsPerEpoch(nTrain, c.train.batchSize)} steps × ${cost.secondsPerStep.toFixed(2)} s ${minutes(train)}`,
    ...(selection > 0 ? [`checkpoint selection ${minutes(selection)}`] : []),
    `evaluation ${nTest} images × ${passes} pass${passes === 1 ? '' : 'es'}${aaImages ? ` + AutoAttack ${aaImages} images × ~${AUTOATTACK_PASSES}` : ''} ${minutes(evaluation)}`,
  );
  return { seconds, detail: parts.join('; ') };
}
