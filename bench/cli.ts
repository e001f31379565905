import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError } from 'commander';
import { initBackend, parseThreads, type BackendInfo } from '../src/backend';
import { countTrainableParams } from '../src/models';
import { UserError, runMain } from '../src/util/errors';
import { writeJsonAtomic } from '../src/util/atomic';
import { runTorchBench, type TorchResult } from './torch_runner';
import {
  BENCH_MODELS,
  WORKLOADS,
  WORKLOAD_TITLES,
  benchWorkload,
  parseBenchModel,
  parseWorkloads,
  setupBench,
  type BenchModel,
  type Workload,
  type WorkloadResult,
} from './workloads';

export interface BenchOptions {
  model: BenchModel;
  backend?: string;
  /**
   * Thread counts of the wasm backend to run the workloads at, comma-separated (e.g. '1,2'): one
   * pass per count, then a speed-up line per workload. Default: initBackend's count
   * (BIAMAT_THREADS, else all cores).
   */
  threads?: string;
  batch: number;
  reps: number;
  warmup: number;
  workloads: string;
  imageSize: number;
  json?: string;
  torch: boolean;
  /** PyTorch's thread count for its first run (default: its own default). */
  torchThreads?: number;
  /** PyTorch device: 'cpu' or 'cuda' (fp32, TF32 off unless torchTf32), e.g. on the GPU machine. */
  torchDevice?: string;
  /** On cuda: let PyTorch use TF32 tensor cores (its cuDNN default) instead of fp32. */
  torchTf32?: boolean;
  profile: number;
}

/** One pass over the workloads on one backend at one thread count. */
export interface BenchRun {
  backend: BackendInfo;
  results: WorkloadResult[];
  /** Size of the wasm module's linear memory after the run (it only grows: its peak). */
  wasmHeapBytes: number | null;
  /** webgpu: bytes of GPU buffers allocated after the run (the buffer pool only grows). */
  gpuAllocatedBytes: number | null;
}

/** A run's wall-time speed-up on a workload over the first run (e.g. 2 threads vs 1). */
export interface Speedup {
  workload: Workload;
  threads: number;
  baseThreads: number;
  /** First run's ms per step ÷ this run's (median, wall time). */
  speedup: number;
}

/** One PyTorch run: at its default thread count, or at one of ours. */
export interface TorchRun extends TorchResult {
  /** Whether this run kept PyTorch's own thread count (or --torch-threads). */
  own: boolean;
}

/** tfjs images/s ÷ PyTorch images/s for one of our runs against one PyTorch run. */
export interface TorchRatio {
  workload: Workload;
  threads: number;
  torchThreads: number;
  /** Wall time. */
  ratio: number;
  /** CPU time: like for like only where both sides run one thread. */
  cpuRatio: number;
}

export interface BenchReport {
  model: BenchModel;
  params: number;
  batch: number;
  imageSize: number;
  reps: number;
  warmup: number;
  runs: BenchRun[];
  speedups: Speedup[];
  /** PyTorch at its own thread count first, then at each of ours it did not run at yet. */
  torch: TorchRun[];
  /** Each of our runs against PyTorch's own run and against its run at equal threads. */
  ratios: TorchRatio[];
  date: string;
  /**
   * True in the copies of the JSON written after each workload while the bench still runs: a
   * run killed by a deadline leaves the workloads it finished.
   */
  partial?: boolean;
}

const MB = 1024 * 1024;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** '1,2' → [1, 2]; each a positive integer, none twice. */
export function parseThreadList(list: string): number[] {
  const counts = list.split(',').map((v) => parseThreads(v, '--threads'));
  if (new Set(counts).size !== counts.length)
    throw new UserError(`--threads ${list} names a count twice`, 'e.g. --threads 1,2');
  return counts;
}

/** Bytes of GPU buffers the webgpu backend holds (its pool only grows: the peak); null elsewhere. */
function gpuAllocatedBytes(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const memory = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
  return memory.numBytesAllocatedInGPU ?? null;
}

function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8?.buffer.byteLength ?? null;
}

const threadsLabel = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

/** Runs the workloads on the backend as it is now initialised, logging a line each. */
async function runWorkloads(
  opts: BenchOptions,
  workloads: Workload[],
  backend: BackendInfo,
  log: (line: string) => void,
  onResult: (results: WorkloadResult[]) => void = () => {},
): Promise<BenchRun> {
  const setup = setupBench(opts.model, opts.batch, opts.imageSize);
  const results: WorkloadResult[] = [];
  try {
    for (const workload of workloads) {
      const r = await benchWorkload(workload, setup, { reps: opts.reps, warmup: opts.warmup });
      results.push(r);
      onResult(results);
      log(
        `${r.title.padEnd(28)} ${r.msMedian.toFixed(0).padStart(8)} ms/step (CPU ${r.cpuMsMedian.toFixed(0)} ms)` +
          `  ${r.imagesPerSec.toFixed(1).padStart(8)} img/s (${r.imagesPerCpuSec.toFixed(1)} per CPU-s)` +
          `  peak tensors ${(r.peakTensorBytes / MB).toFixed(0)} MB  RSS ${(r.rssPeakBytes / MB).toFixed(0)} MB`,
      );
      if (opts.profile > 0) {
        const total = r.kernels.reduce((a, k) => a + k.ms, 0);
        for (const k of r.kernels.slice(0, opts.profile))
          log(
            `    ${k.name.padEnd(24)} ${k.ms.toFixed(0).padStart(7)} ms ${((100 * k.ms) / total).toFixed(1).padStart(5)}%  ${k.calls} calls`,
          );
      }
    }
  } finally {
    setup.dispose();
  }
  const heap = wasmHeapBytes();
  if (heap !== null) log(`wasm heap ${(heap / MB).toFixed(0)} MB (of 4096 MB max, shared by all threads)`);
  const gpuBytes = gpuAllocatedBytes();
  if (gpuBytes !== null)
    log(`GPU buffers allocated ${(gpuBytes / MB).toFixed(0)} MB (peak: the pool only grows)`);
  return { backend, results, wasmHeapBytes: heap, gpuAllocatedBytes: gpuBytes };
}

/** PyTorch at its own thread count, then at each of our counts it has not run at. */
function runTorch(opts: BenchOptions, workloads: Workload[], runs: BenchRun[], log: (line: string) => void) {
  const run = (threads: number | undefined) =>
    runTorchBench({
      model: opts.model,
      batch: opts.batch,
      reps: opts.reps,
      warmup: opts.warmup,
      workloads,
      threads,
      device: opts.torchDevice,
      tf32: opts.torchTf32,
      imageSize: opts.imageSize,
    });
  const torch: TorchRun[] = [{ ...run(opts.torchThreads), own: true }];
  if ((opts.torchDevice ?? 'cpu') === 'cpu')
    for (const { backend } of runs)
      if (backend.threads > 0 && !torch.some((t) => t.threads === backend.threads))
        torch.push({ ...run(backend.threads), own: false });
  const ratios: TorchRatio[] = [];
  for (const t of torch) {
    const against = runs.filter((r) => t.own || r.backend.threads === t.threads);
    log(
      `PyTorch ${t.torch} on ${t.device}, ${threadsLabel(t.threads)}` +
        (t.own ? (opts.torchThreads ? ' (--torch-threads)' : ' (its default)') : ' (equal to ours)') +
        (t.gpuPeakBytes ? `, GPU peak ${(t.gpuPeakBytes / MB).toFixed(0)} MB` : '') +
        ':',
    );
    for (const tr of t.results) {
      const parts = against.map(({ backend, results }) => {
        const ours = results.find((r) => r.workload === tr.workload)!;
        const ratio = ours.imagesPerSec / tr.imagesPerSec;
        const cpuRatio = ours.imagesPerCpuSec / tr.imagesPerCpuSec;
        ratios.push({
          workload: tr.workload,
          threads: backend.threads,
          torchThreads: t.threads,
          ratio,
          cpuRatio,
        });
        const who = runs.length > 1 ? `tfjs ${threadsLabel(backend.threads)}` : 'tfjs';
        return `${who}/torch = ${ratio.toFixed(3)} (CPU time: ${cpuRatio.toFixed(3)})`;
      });
      log(
        `${WORKLOAD_TITLES[tr.workload].padEnd(28)} ${tr.msMedian.toFixed(0).padStart(8)} ms/step (CPU ${tr.cpuMsMedian.toFixed(0)} ms)` +
          `  ${tr.imagesPerSec.toFixed(1).padStart(8)} img/s  ${parts.join('; ')}`,
      );
    }
  }
  return { torch, ratios };
}

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = console.log,
): Promise<BenchReport> {
  const workloads = parseWorkloads(opts.workloads);
  const counts: Array<number | undefined> = opts.threads ? parseThreadList(opts.threads) : [undefined];
  const spec = BENCH_MODELS[opts.model];
  const params = countTrainableParams({ ...spec, numClasses: 10, numAuxClasses: 10, seed: 0 });
  const runs: BenchRun[] = [];
  const header = () => ({
    model: opts.model,
    params,
    batch: opts.batch,
    imageSize: opts.imageSize,
    reps: opts.reps,
    warmup: opts.warmup,
  });
  for (const threads of counts) {
    const backend = await initBackend({ backend: opts.backend, threads, log });
    if (counts.length > 1 && backend.name !== 'wasm')
      throw new UserError(
        `--threads ${opts.threads} compares thread counts of the wasm backend, but the backend is ${backend.name}`,
        'add --backend wasm',
      );
    if (runs.length === 0)
      log(
        `model ${opts.model} (${(params / 1e6).toFixed(2)}M params), batch ${opts.batch} (BiaMAT ${opts.batch}+${opts.batch}), ` +
          `${opts.imageSize}×${opts.imageSize}, warm-up ${opts.warmup}, median of ${opts.reps}`,
      );
    const saveSoFar = (results: WorkloadResult[]) => {
      if (!opts.json) return;
      const current = { backend, results, wasmHeapBytes: null, gpuAllocatedBytes: null };
      const soFar: BenchReport = {
        ...header(),
        runs: [...runs, current],
        speedups: [],
        torch: [],
        ratios: [],
        date: new Date().toISOString(),
        partial: true,
      };
      writeJsonAtomic(opts.json, soFar);
    };
    runs.push(await runWorkloads(opts, workloads, backend, log, saveSoFar));
  }
  const speedups: Speedup[] = [];
  const [base, ...others] = runs;
  for (const run of others)
    for (const r of run.results) {
      const first = base.results.find((b) => b.workload === r.workload)!;
      const speedup = first.msMedian / r.msMedian;
      speedups.push({
        workload: r.workload,
        threads: run.backend.threads,
        baseThreads: base.backend.threads,
        speedup,
      });
      log(
        `${r.title.padEnd(28)} speed-up ${threadsLabel(run.backend.threads)} vs ${base.backend.threads}: ${speedup.toFixed(2)}x` +
          ` (wall ${first.msMedian.toFixed(0)} → ${r.msMedian.toFixed(0)} ms/step; CPU ${first.cpuMsMedian.toFixed(0)} → ${r.cpuMsMedian.toFixed(0)} ms)`,
      );
    }
  const { torch, ratios } = opts.torch ? runTorch(opts, workloads, runs, log) : { torch: [], ratios: [] };
  const report: BenchReport = {
    ...header(),
    runs,
    speedups,
    torch,
    ratios,
    date: new Date().toISOString(),
  };
  if (opts.json) {
    writeJsonAtomic(opts.json, report);
    log(`wrote ${opts.json}`);
  }
  return report;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Images/s of a clean training step, a PGD-10 attack, a PGD-10 AT step and a BiaMAT PGD-10 AT step on the selected backend, with memory peaks; --torch runs the same workload in PyTorch for the ratio.',
    )
    .option(
      '--model <name>',
      `model: ${Object.keys(BENCH_MODELS).join(' | ')}`,
      parseBenchModel,
      'small-cnn' as BenchModel,
    )
    .option(
      '--backend <name>',
      'tfjs-node-gpu | tfjs-node | webgpu | wasm | cpu | auto (default: BIAMAT_BACKEND, else auto)',
    )
    .option(
      '--threads <list>',
      'wasm thread counts, comma-separated (e.g. 1,2): a pass per count and a speed-up line per workload (default: BIAMAT_THREADS, else all cores)',
    )
    .option(
      '--batch <n>',
      'batch size (BiaMAT: this many primary + this many auxiliary images)',
      positiveInt,
      128,
    )
    .option('--reps <n>', 'timed repetitions (median reported)', positiveInt, 3)
    .option('--warmup <n>', 'untimed warm-up steps (the last is profiled)', positiveInt, 2)
    .option('--workloads <list>', `comma-separated subset of ${WORKLOADS.join(',')}`, WORKLOADS.join(','))
    .option('--image-size <n>', 'image height and width', positiveInt, 32)
    .option('--profile <n>', 'print the n slowest kernels of each workload (0 = none)', (v) => Number(v), 0)
    .option(
      '--torch',
      'also run bench/torch_bench.py (PyTorch) at its default thread count and at each of ours, and print tfjs/torch ratios',
      false,
    )
    .option('--torch-device <device>', 'PyTorch device: cpu, or cuda (fp32 with TF32 off)', 'cpu')
    .option('--torch-tf32', 'on cuda: PyTorch with TF32 on (its cuDNN default) instead of fp32', false)
    .option(
      '--torch-threads <n>',
      "PyTorch's CPU threads in its first run (default: its own default)",
      positiveInt,
    )
    .option('--json <file>', 'write the full report (per-rep times, kernel profile) as JSON');
}

if (require.main === module) {
  runMain(async () => {
    const program = benchCommand().parse(process.argv);
    await runBench(program.opts<BenchOptions>());
  });
}
