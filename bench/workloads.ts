import * as tf from '@tensorflow/tfjs';
import { createModel, type ModelSpec, type TwoHeadModel } from '../src/models';
import { pgdMaximize } from '../src/attacks/pgd';
import { Rng } from '../src/util/rng';
import { UserError } from '../src/util/errors';

/** Models the bench knows, as createModel specs (CIFAR-10 primary head, 10-class aux head). */
export const BENCH_MODELS = {
  'small-cnn': { arch: 'small-cnn' },
  'wrn-16-4': { arch: 'wrn', depth: 16, widen: 4 },
  'wrn-28-10': { arch: 'wrn', depth: 28, widen: 10 },
} as const satisfies Record<string, Pick<ModelSpec, 'arch' | 'depth' | 'widen'>>;
export type BenchModel = keyof typeof BENCH_MODELS;

export const WORKLOADS = ['clean', 'pgd', 'at', 'biamat'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const WORKLOAD_TITLES: Record<Workload, string> = {
  clean: 'clean training step',
  pgd: 'PGD-10 attack (eval mode)',
  at: 'PGD-10 AT step',
  biamat: 'BiaMAT PGD-10 AT step',
};

/** The paper's CIFAR-10 L∞ attack: ε = 8/255, step 2/255, 10 steps, uniform random start. */
const EPS = 8 / 255;
const STEP_SIZE = 2 / 255;
const PGD_STEPS = 10;
const NUM_CLASSES = 10;
const NUM_AUX_CLASSES = 10;

export function parseBenchModel(name: string): BenchModel {
  if (name in BENCH_MODELS) return name as BenchModel;
  throw new UserError(`unknown bench model "${name}"`, `use one of: ${Object.keys(BENCH_MODELS).join(', ')}`);
}

export function parseWorkloads(list: string): Workload[] {
  const names = list.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(WORKLOADS as readonly string[]).includes(n))
      throw new UserError(
        `unknown workload "${n}"`,
        `use a comma-separated subset of: ${WORKLOADS.join(',')}`,
      );
  return names as Workload[];
}

export interface WorkloadResult {
  workload: Workload;
  title: string;
  /** Images one step processes (BiaMAT: primary + auxiliary). */
  images: number;
  msPerStep: number[];
  msMedian: number;
  imagesPerSec: number;
  /**
   * Process CPU time (user + system) per step. On a shared machine wall time includes waiting
   * for a core; CPU time does not, so it is the steadier number for single-threaded backends.
   */
  cpuMsPerStep: number[];
  cpuMsMedian: number;
  imagesPerCpuSec: number;
  /** tf.profile's peakBytes over one (warm-up) step: tensor bytes the backend held at most. */
  peakTensorBytes: number;
  /** Largest process RSS seen after a step. */
  rssPeakBytes: number;
  /** Per-kernel time over the profiled step, slowest first. */
  kernels: KernelTime[];
}

export interface KernelTime {
  name: string;
  calls: number;
  ms: number;
}

export interface BenchSetup {
  model: TwoHeadModel;
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  xAux: tf.Tensor4D;
  yAux: tf.Tensor2D;
  optimizer: tf.MomentumOptimizer;
  rng: Rng;
  dispose(): void;
}

/** A model and a fixed synthetic batch (uniform pixels, random labels): speed does not depend on content. */
export function setupBench(modelName: BenchModel, batch: number, imageSize = 32, seed = 0): BenchSetup {
  const rng = new Rng(seed);
  const model = createModel({
    ...BENCH_MODELS[modelName],
    numClasses: NUM_CLASSES,
    numAuxClasses: NUM_AUX_CLASSES,
    normalization: { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] },
    seed,
  });
  const images = (r: Rng) =>
    tf.tensor4d(r.uniformArray(batch * imageSize * imageSize * 3), [batch, imageSize, imageSize, 3]);
  const labels = (r: Rng, k: number) =>
    tf.tidy(
      () =>
        tf.oneHot(
          tf.tensor1d(
            Int32Array.from({ length: batch }, () => r.int(k)),
            'int32',
          ),
          k,
        ) as tf.Tensor2D,
    );
  const data = rng.fork('data');
  const x = images(data);
  const y = labels(data, NUM_CLASSES);
  const xAux = images(data);
  const yAux = labels(data, NUM_AUX_CLASSES);
  const optimizer = tf.train.momentum(0.1, 0.9) as tf.MomentumOptimizer;
  return {
    model,
    x,
    y,
    xAux,
    yAux,
    optimizer,
    rng: rng.fork('attack'),
    dispose() {
      optimizer.dispose();
      // tfjs 4.22's MomentumOptimizer.dispose() forgets SGDOptimizer's learning-rate scalar `c`.
      tf.dispose((optimizer as unknown as { c?: tf.Tensor }).c);
      tf.dispose([x, y, xAux, yAux]);
      model.dispose();
    },
  };
}

const sumCE = (labels: tf.Tensor2D, logits: tf.Tensor2D) =>
  tf.losses.softmaxCrossEntropy(labels, logits, undefined, undefined, tf.Reduction.SUM) as tf.Scalar;
const meanCE = (labels: tf.Tensor2D, logits: tf.Tensor2D) =>
  tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;

/** One step of each workload; returns a scalar to read back so the step has surely finished. */
export function stepFunction(workload: Workload, s: BenchSetup): () => tf.Scalar {
  const { model, x, y, xAux, yAux, optimizer } = s;
  const vars = model.trainableVariables;
  const attackMode = { training: true, updateStats: false };
  const pgdOpts = () => ({
    eps: EPS,
    stepSize: STEP_SIZE,
    steps: PGD_STEPS,
    start: 'uniform' as const,
    rng: s.rng,
  });
  const train = (loss: () => tf.Scalar) => optimizer.minimize(loss, true, vars) as tf.Scalar;
  switch (workload) {
    case 'clean':
      return () => train(() => meanCE(y, model.forward(x, { training: true }).primary));
    case 'pgd':
      return () =>
        tf.tidy(() => {
          const xAdv = pgdMaximize(
            (xa) => sumCE(y, model.forward(xa, { training: false }).primary),
            x,
            pgdOpts(),
          );
          return tf.mean(xAdv) as tf.Scalar;
        });
    case 'at':
      return () =>
        tf.tidy(() => {
          const xAdv = pgdMaximize((xa) => sumCE(y, model.forward(xa, attackMode).primary), x, pgdOpts());
          return train(() => meanCE(y, model.forward(xAdv, { training: true }).primary));
        });
    case 'biamat': {
      // Primary and auxiliary batches go through the shared trunk together; the loss is the
      // unweighted sum of both heads' cross-entropies (docs/method.md §2), for the attack and the update.
      const n = x.shape[0];
      const bothLoss = (
        xb: tf.Tensor4D,
        mode: { training: boolean; updateStats?: boolean },
        reduce: typeof sumCE,
      ) => {
        const { primary, aux } = model.forward(xb, mode);
        const primaryOwn = tf.slice(primary, [0, 0], [n, -1]);
        const auxOwn = tf.slice(aux as tf.Tensor2D, [n, 0], [-1, -1]);
        return tf.add(reduce(y, primaryOwn), reduce(yAux, auxOwn)) as tf.Scalar;
      };
      return () =>
        tf.tidy(() => {
          const both = tf.concat([x, xAux]);
          const xAdv = pgdMaximize((xa) => bothLoss(xa, attackMode, sumCE), both, pgdOpts());
          return train(() => bothLoss(xAdv, { training: true }, meanCE));
        });
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function runStep(step: () => tf.Scalar): Promise<void> {
  const out = step();
  await out.data();
  out.dispose();
}

/**
 * Times one workload: `warmup` untimed steps (the last one under tf.profile, for peak tensor
 * bytes and the per-kernel profile), then `reps` timed steps; reports the median.
 */
export async function benchWorkload(
  workload: Workload,
  s: BenchSetup,
  opts: { reps: number; warmup: number; onStep?: (ms: number) => void },
): Promise<WorkloadResult> {
  const step = stepFunction(workload, s);
  const images = workload === 'biamat' ? 2 * s.x.shape[0] : s.x.shape[0];
  for (let i = 0; i < opts.warmup - 1; i++) await runStep(step);
  const profile = await tf.profile(() => runStep(step));
  const byName = new Map<string, KernelTime>();
  for (const k of profile.kernels) {
    const entry = byName.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, entry);
  }
  const kernels = [...byName.values()].sort((a, b) => b.ms - a.ms);
  const msPerStep: number[] = [];
  const cpuMsPerStep: number[] = [];
  let rssPeakBytes = process.memoryUsage().rss;
  for (let i = 0; i < opts.reps; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await runStep(step);
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    msPerStep.push(ms);
    cpuMsPerStep.push((cpu.user + cpu.system) / 1000);
    opts.onStep?.(ms);
    rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss);
  }
  const msMedian = median(msPerStep);
  const cpuMsMedian = median(cpuMsPerStep);
  return {
    workload,
    title: WORKLOAD_TITLES[workload],
    images,
    msPerStep,
    msMedian,
    imagesPerSec: (images * 1000) / msMedian,
    cpuMsPerStep,
    cpuMsMedian,
    imagesPerCpuSec: (images * 1000) / cpuMsMedian,
    peakTensorBytes: profile.peakBytes,
    rssPeakBytes,
    kernels,
  };
}
