/**
 * The pure half of bench/gpu/measure.ts: its arguments, what each part runs at full and tiny
 * size, how the time limit is shared among parts and runs, and the summary built from the JSON
 * the runs leave in the output folder (so a rerun of some parts, or a run cut short, still
 * summarises everything there).
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../src/util/errors';
import type { BenchReport } from '../cli';
import type { TorchResult } from '../torch_runner';
import { WORKLOADS, type BenchModel, type Workload } from '../workloads';
import type { SweepReport } from './gemm-sweep';
import type { TrainStepsReport } from './train-steps';

export const PARTS = ['a', 'b', 'c'] as const;
export type Part = (typeof PARTS)[number];
export const PART_TITLES: Record<Part, string> = {
  a: 'training-step workloads: webgpu (kernels none / default / all) and PyTorch CUDA fp32 / TF32',
  b: 'conv GEMM variants on WRN-16-4 shapes, each checked against cpu, then timed',
  c: 'training steps of a small-profile row on a CIFAR-10 subset',
};

export interface MeasureArgs {
  outDir: string;
  timeoutS: number;
  parts: Part[];
  tiny: boolean;
}

/** `<out-dir> <timeout-seconds> [--only a,b,c] [--tiny]`. */
export function parseMeasureArgs(argv: string[]): MeasureArgs {
  const usage = 'usage: measure.sh <out-dir> <timeout-seconds> [--only a,b,c] [--tiny]';
  const positional: string[] = [];
  let parts: Part[] = [...PARTS];
  let tiny = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--tiny') tiny = true;
    else if (arg === '--only') {
      const list = (argv[++i] ?? '').split(',').map((p) => p.trim());
      for (const p of list)
        if (!(PARTS as readonly string[]).includes(p))
          throw new UserError(
            `--only: unknown part "${p}"`,
            `use a comma-separated subset of ${PARTS.join(',')}`,
          );
      parts = PARTS.filter((p) => list.includes(p));
    } else if (arg.startsWith('--')) throw new UserError(`unknown option ${arg}`, usage);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new UserError('need an output folder and a time limit', usage);
  const timeoutS = Number(positional[1]);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UserError(`time limit "${positional[1]}" is not a positive number of seconds`, usage);
  return { outDir: positional[0], timeoutS, parts, tiny };
}

/** BIAMAT_WEBGPU_KERNELS settings part a compares: tfjs's own, our default set, every replacement. */
export const KERNEL_SETS = ['none', 'default', 'all'] as const;
export type KernelSet = (typeof KERNEL_SETS)[number];

export interface MeasureSizes {
  models: BenchModel[];
  batch: number;
  imageSize: number;
  reps: number;
  warmup: number;
  /** tfjs's stock kernels are slow (dW: one thread per weight): the before/after pair only. */
  workloadsFor: Record<KernelSet, Workload[]>;
  torchReps: number;
  sweep: { batch: number; imageSize: number; reps: number; variants: number };
  train: { row: string; profile: string; steps: number };
}

export function measureSizes(tiny: boolean): MeasureSizes {
  const all = [...WORKLOADS];
  return tiny
    ? {
        models: ['small-cnn', 'wrn-16-4'],
        batch: 2,
        imageSize: 8,
        reps: 1,
        warmup: 1,
        workloadsFor: { none: ['clean', 'at'], default: all, all },
        torchReps: 1,
        sweep: { batch: 2, imageSize: 8, reps: 2, variants: 3 },
        train: { row: 'table2/c10-at', profile: 'smoke', steps: 12 },
      }
    : {
        models: ['small-cnn', 'wrn-16-4'],
        batch: 128,
        imageSize: 32,
        reps: 2,
        warmup: 2,
        workloadsFor: { none: ['clean', 'at'], default: all, all },
        torchReps: 5,
        sweep: { batch: 128, imageSize: 32, reps: 10, variants: Infinity },
        train: { row: 'table2/c10-at', profile: 'small', steps: 300 },
      };
}

/** Share of the time left that a part gets, relative to the parts still to run (leftovers flow on). */
const PART_WEIGHTS: Record<Part, number> = { a: 0.55, b: 0.2, c: 0.25 };

/** Milliseconds part `part` may use, given the time left and the parts still to run (it included). */
export function partBudgetMs(part: Part, remainingMs: number, partsLeft: Part[]): number {
  const total = partsLeft.reduce((a, p) => a + PART_WEIGHTS[p], 0);
  return Math.max(0, (remainingMs * PART_WEIGHTS[part]) / total);
}

/** Milliseconds each of the `runsLeft` runs of a part may use: an equal share of what is left. */
export function runBudgetMs(remainingMs: number, runsLeft: number): number {
  return Math.max(0, remainingMs / Math.max(1, runsLeft));
}

/** What happened to one run (a child process), as measure.json records it. */
export interface RunStatus {
  part: Part;
  name: string;
  status: 'done' | 'partial' | 'stopped at its time limit' | 'failed' | 'skipped';
  seconds: number;
  budgetSeconds: number;
  detail?: string;
}

export const benchJsonName = (model: BenchModel, kernels: KernelSet) => `a-${model}-webgpu-${kernels}.json`;
export const torchJsonName = (model: BenchModel, precision: 'fp32' | 'tf32') =>
  `a-${model}-torch-${precision}.json`;
export const SWEEP_JSON = 'b-gemm-sweep.json';
export const TRAIN_DIR = 'c-train';

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

const num = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** The slowest kernels of each model's AT step (its profiled warm-up step), per kernel set. */
function kernelProfiles(outDir: string, models: BenchModel[]): string[] {
  const lines: string[] = [];
  for (const model of models)
    for (const k of KERNEL_SETS) {
      const at = readJson<BenchReport>(path.join(outDir, benchJsonName(model, k)))?.runs[0]?.results.find(
        (r) => r.workload === 'at',
      );
      if (!at) continue;
      if (lines.length === 0)
        lines.push('', 'Slowest kernels of the PGD-10 AT step (profiled step, kernel ms [calls]):', '');
      const top = at.kernels.slice(0, 5).map((x) => `${x.name} ${num(x.ms, 0)} [${x.calls}]`);
      lines.push(`- ${model}, kernels ${k}: ${top.join(', ')}`);
    }
  return lines;
}

/** Markdown tables of everything the output folder holds. */
export function summarize(outDir: string, statuses: RunStatus[] = []): string {
  const lines: string[] = [];
  const models: BenchModel[] = ['small-cnn', 'wrn-16-4'];
  lines.push('## a. training-step workloads, images/s (ratio: best webgpu ÷ PyTorch)', '');
  lines.push(
    '| model | workload | webgpu none | webgpu default | webgpu all | PyTorch fp32 | PyTorch TF32 | ratio fp32 | ratio TF32 |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const tableStart = lines.length;
  const devices = new Set<string>();
  for (const model of models) {
    const bench = Object.fromEntries(
      KERNEL_SETS.map((k) => [k, readJson<BenchReport>(path.join(outDir, benchJsonName(model, k)))]),
    ) as Record<KernelSet, BenchReport | null>;
    const torch = {
      fp32: readJson<TorchResult>(path.join(outDir, torchJsonName(model, 'fp32'))),
      tf32: readJson<TorchResult>(path.join(outDir, torchJsonName(model, 'tf32'))),
    };
    // The adapter once; which kernels are ours is in the column heads.
    for (const k of KERNEL_SETS)
      for (const r of bench[k]?.runs ?? []) devices.add(r.backend.device.split(', our kernels')[0]);
    for (const t of Object.values(torch))
      if (t) devices.add(`PyTorch ${t.torch} on ${t.device}${t.tf32 ? ' (TF32)' : ''}`);
    if (!KERNEL_SETS.some((k) => bench[k]) && !torch.fp32 && !torch.tf32) continue;
    for (const w of WORKLOADS) {
      const ours = KERNEL_SETS.map(
        (k) => bench[k]?.runs[0]?.results.find((r) => r.workload === w)?.imagesPerSec,
      );
      const [fp32, tf32] = [torch.fp32, torch.tf32].map(
        (t) => t?.results.find((r) => r.workload === w)?.imagesPerSec,
      );
      const defined = ours.filter((v): v is number => v !== undefined);
      const best = defined.length ? Math.max(...defined) : undefined;
      const ratio = (t: number | undefined) => (best !== undefined && t ? best / t : undefined);
      lines.push(
        `| ${model} | ${w} | ${ours.map((v) => num(v)).join(' | ')} | ${num(fp32)} | ${num(tf32)} | ${num(ratio(fp32), 3)} | ${num(ratio(tf32), 3)} |`,
      );
    }
  }
  if (lines.length === tableStart) lines.splice(tableStart - 2, 2, 'no workload results');
  if (devices.size) lines.push('', `Devices: ${[...devices].join('; ')}.`);
  lines.push(...kernelProfiles(outDir, models));

  const sweep = readJson<SweepReport>(path.join(outDir, SWEEP_JSON));
  lines.push('', '## b. conv GEMM variants (forward + dx of every WRN-16-4 shape)', '');
  if (!sweep) lines.push('no sweep results');
  else {
    const tfjs = sweep.results.find((r) => r.variant === 'tfjs');
    const total = (r: (typeof sweep.results)[number]) => r.timings.reduce((a, t) => a + t.ms, 0);
    const complete = (r: (typeof sweep.results)[number]) => r.timings.length === (tfjs?.timings.length ?? -1);
    lines.push(
      `batch ${sweep.batch}, ${sweep.imageSize}×${sweep.imageSize}, ${sweep.reps} calls per shape${sweep.stoppedEarly ? '; stopped early by its time limit' : ''}`,
      '',
    );
    lines.push('| variant | checked vs cpu (max rel. error) | shapes timed | ms total | speed-up vs tfjs |');
    lines.push('|---|---|---:|---:|---:|');
    for (const r of sweep.results) {
      const checked =
        r.variant === 'tfjs'
          ? 'baseline'
          : r.worstRelativeError === null
            ? '—'
            : `${r.checked ? 'yes' : 'NO'} (${r.worstRelativeError.toExponential(1)})`;
      const speedup = tfjs && complete(r) && complete(tfjs) ? total(tfjs) / total(r) : undefined;
      lines.push(
        `| ${r.variant} | ${checked} | ${r.timings.length} | ${r.timings.length ? num(total(r), 2) : '—'} | ${num(speedup, 2)} |`,
      );
    }
  }

  const trained = readJson<TrainStepsReport>(path.join(outDir, TRAIN_DIR, 'train.json'));
  lines.push('', '## c. training steps on the data subset', '');
  if (!trained) lines.push('no training results');
  else {
    lines.push(
      '| row | profile | subset | steps | s/step (median) | images/s | clean test acc. % | stopped by |',
    );
    lines.push('|---|---|---|---:|---:|---:|---:|---|');
    const first = trained.steps[0]?.loss;
    const last = trained.steps[trained.steps.length - 1]?.loss;
    lines.push(
      `| ${trained.row} | ${trained.profile} | ${trained.subset} | ${trained.steps.length} | ${num(trained.medianStepSeconds, 3)} | ${num(trained.imagesPerSec)} | ${num(trained.cleanTestAccuracy)} | ${trained.stoppedBy} |`,
    );
    lines.push('', `loss first → last step: ${num(first, 3)} → ${num(last, 3)}; backend: ${trained.backend}`);
  }
  if (statuses.length) {
    lines.push('', '## runs', '', '| part | run | status | s | budget s |', '|---|---|---|---:|---:|');
    for (const s of statuses)
      lines.push(
        `| ${s.part} | ${s.name} | ${s.status}${s.detail ? `: ${s.detail}` : ''} | ${num(s.seconds)} | ${num(s.budgetSeconds)} |`,
      );
  }
  return lines.join('\n') + '\n';
}
