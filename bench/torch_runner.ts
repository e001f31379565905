import { spawnSync } from 'child_process';
import * as path from 'path';
import { UserError } from '../src/util/errors';
import type { Workload, WorkloadResult } from './workloads';

/** What bench/torch_bench.py prints as its last stdout line (JSON). */
export interface TorchResult {
  torch: string;
  device: string;
  /** Whether TF32 tensor cores were allowed (cuda with --tf32). */
  tf32?: boolean;
  threads: number;
  /** The same timing fields as our own workloads report (no title, tensor bytes or kernel profile). */
  results: Pick<
    WorkloadResult,
    | 'workload'
    | 'images'
    | 'msPerStep'
    | 'msMedian'
    | 'imagesPerSec'
    | 'cpuMsPerStep'
    | 'cpuMsMedian'
    | 'imagesPerCpuSec'
  >[];
  rssPeakBytes: number;
  /** torch.cuda.max_memory_allocated on cuda, else null. */
  gpuPeakBytes: number | null;
  /** True on the lines printed before the last workload finished. */
  partial?: boolean;
}

const SCRIPT = path.join(__dirname, 'torch_bench.py');

/**
 * A Python that can import torch: BIAMAT_TORCH_PYTHON, else Debian's /usr/bin/python3
 * (apt package python3-torch), else `python3` on PATH. Null if none can.
 */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.BIAMAT_TORCH_PYTHON ? [env.BIAMAT_TORCH_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status === 0) return python;
  }
  return null;
}

/** Runs the same workload in PyTorch (CPU, or CUDA with `device: 'cuda'`) and returns its numbers. */
export function runTorchBench(opts: {
  model: string;
  batch: number;
  reps: number;
  warmup: number;
  workloads: Workload[];
  threads?: number;
  imageSize?: number;
  /** 'cpu' (default) or 'cuda'. */
  device?: string;
  /** On cuda: TF32 tensor cores allowed (PyTorch's cuDNN default); else fp32. */
  tf32?: boolean;
}): TorchResult {
  const python = findTorchPython();
  if (!python) {
    throw new UserError(
      '--torch needs a Python with PyTorch, none found',
      'apt-get install -y python3-torch (Debian, /usr/bin/python3), or set BIAMAT_TORCH_PYTHON=/path/to/python',
    );
  }
  const args = [
    SCRIPT,
    '--model',
    opts.model,
    '--batch',
    String(opts.batch),
    '--reps',
    String(opts.reps),
    '--warmup',
    String(opts.warmup),
    '--workloads',
    opts.workloads.join(','),
    '--image-size',
    String(opts.imageSize ?? 32),
  ];
  if (opts.threads) args.push('--threads', String(opts.threads));
  if (opts.device) args.push('--device', opts.device);
  if (opts.tf32) args.push('--tf32');
  const run = spawnSync(python, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`${python} ${SCRIPT} exited with ${run.status ?? run.signal}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as TorchResult;
}
