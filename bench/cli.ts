import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError } from 'commander';
import { initBackend, type BackendInfo } from '../src/backend';
import { countTrainableParams } from '../src/models';
import { runMain } from '../src/util/errors';
import { writeJsonAtomic } from '../src/util/atomic';
import { runTorchBench, type TorchResult } from './torch_runner';
import {
  BENCH_MODELS,
  WORKLOADS,
  benchWorkload,
  parseBenchModel,
  parseWorkloads,
  setupBench,
  type BenchModel,
  type WorkloadResult,
} from './workloads';

export interface BenchOptions {
  model: BenchModel;
  backend?: string;
  batch: number;
  reps: number;
  warmup: number;
  workloads: string;
  imageSize: number;
  json?: string;
  torch: boolean;
  torchThreads?: number;
  /** PyTorch device: 'cpu' or 'cuda' (fp32, TF32 off), e.g. on the GPU machine. */
  torchDevice?: string;
  profile: number;
}

export interface BenchReport {
  model: BenchModel;
  params: number;
  batch: number;
  imageSize: number;
  reps: number;
  warmup: number;
  backend: BackendInfo;
  /** Size of the wasm module's linear memory after the run (it only grows: its peak). */
  wasmHeapBytes: number | null;
  /** webgpu: bytes of GPU buffers allocated after the run (the buffer pool only grows). */
  gpuAllocatedBytes: number | null;
  results: WorkloadResult[];
  torch: TorchResult | null;
  /** tfjs images/s ÷ PyTorch images/s per workload (wall time). */
  ratios: Partial<Record<string, number>>;
  /** The same on CPU time: steadier on a shared machine, fair when both use one thread. */
  cpuRatios: Partial<Record<string, number>>;
  date: string;
}

const MB = 1024 * 1024;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
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

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = console.log,
): Promise<BenchReport> {
  const workloads = parseWorkloads(opts.workloads);
  const backend = await initBackend({ backend: opts.backend, log });
  const spec = BENCH_MODELS[opts.model];
  const params = countTrainableParams({ ...spec, numClasses: 10, numAuxClasses: 10, seed: 0 });
  log(
    `model ${opts.model} (${(params / 1e6).toFixed(2)}M params), batch ${opts.batch} (BiaMAT ${opts.batch}+${opts.batch}), ` +
      `${opts.imageSize}×${opts.imageSize}, warm-up ${opts.warmup}, median of ${opts.reps}`,
  );
  const setup = setupBench(opts.model, opts.batch, opts.imageSize);
  const results: WorkloadResult[] = [];
  try {
    for (const workload of workloads) {
      const r = await benchWorkload(workload, setup, { reps: opts.reps, warmup: opts.warmup });
      results.push(r);
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
  if (heap !== null) log(`wasm heap ${(heap / MB).toFixed(0)} MB (of 4096 MB max)`);
  const gpuBytes = gpuAllocatedBytes();
  if (gpuBytes !== null)
    log(`GPU buffers allocated ${(gpuBytes / MB).toFixed(0)} MB (peak: the pool only grows)`);

  let torch: TorchResult | null = null;
  const ratios: BenchReport['ratios'] = {};
  const cpuRatios: BenchReport['cpuRatios'] = {};
  if (opts.torch) {
    torch = runTorchBench({
      model: opts.model,
      batch: opts.batch,
      reps: opts.reps,
      warmup: opts.warmup,
      workloads,
      threads: opts.torchThreads,
      device: opts.torchDevice,
      imageSize: opts.imageSize,
    });
    log(
      `PyTorch ${torch.torch} on ${torch.device}, ${torch.threads} thread(s)` +
        (torch.gpuPeakBytes ? `, GPU peak ${(torch.gpuPeakBytes / MB).toFixed(0)} MB` : '') +
        ':',
    );
    for (const t of torch.results) {
      const ours = results.find((r) => r.workload === t.workload);
      const ratio = ours ? ours.imagesPerSec / t.imagesPerSec : NaN;
      const cpuRatio = ours ? ours.imagesPerCpuSec / t.imagesPerCpuSec : NaN;
      ratios[t.workload] = ratio;
      cpuRatios[t.workload] = cpuRatio;
      log(
        `${(ours?.title ?? t.workload).padEnd(28)} ${t.msMedian.toFixed(0).padStart(8)} ms/step (CPU ${t.cpuMsMedian.toFixed(0)} ms)` +
          `  ${t.imagesPerSec.toFixed(1).padStart(8)} img/s  tfjs/torch = ${ratio.toFixed(3)} (CPU time: ${cpuRatio.toFixed(3)})`,
      );
    }
  }
  const report: BenchReport = {
    model: opts.model,
    params,
    batch: opts.batch,
    imageSize: opts.imageSize,
    reps: opts.reps,
    warmup: opts.warmup,
    backend,
    wasmHeapBytes: heap,
    gpuAllocatedBytes: gpuBytes,
    results,
    torch,
    ratios,
    cpuRatios,
    date: new Date().toISOString(),
  };
  if (opts.json) {
    await writeJsonAtomic(opts.json, report);
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
    .option('--torch', 'also run bench/torch_bench.py (PyTorch) and print tfjs/torch ratios', false)
    .option('--torch-device <device>', 'PyTorch device: cpu, or cuda (fp32 with TF32 off)', 'cpu')
    .option('--torch-threads <n>', 'PyTorch CPU threads (default: torch default = all cores)', positiveInt)
    .option('--json <file>', 'write the full report (per-rep times, kernel profile) as JSON');
}

if (require.main === module) {
  runMain(async () => {
    const program = benchCommand().parse(process.argv);
    await runBench(program.opts<BenchOptions>());
  });
}
