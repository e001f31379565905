import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { benchCommand, parseThreadList, runBench, type BenchOptions } from '../bench/cli';
import { findTorchPython } from '../bench/torch_runner';
import { WORKLOADS } from '../bench/workloads';
import { UserError } from '../src/util/errors';

// End-to-end on a tiny config; no timing assertions (speed targets live in `npm run bench`).
const tiny: BenchOptions = {
  model: 'small-cnn',
  backend: 'wasm',
  batch: 2,
  reps: 1,
  warmup: 1,
  workloads: WORKLOADS.join(','),
  imageSize: 8,
  torch: false,
  profile: 3,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('bench runs every workload on wasm, reports memory and writes JSON', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const json = path.join(dir, 'out.json');
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const report = await runBench({ ...tiny, json }, (l) => lines.push(l));
  expect(tf.memory().numTensors).toBe(before);
  expect(lines[0]).toMatch(/^backend: wasm \[/);
  expect(report.runs).toHaveLength(1);
  const [run] = report.runs;
  expect(run.results.map((r) => r.workload)).toEqual([...WORKLOADS]);
  for (const r of run.results) {
    expect(r.imagesPerSec).toBeGreaterThan(0);
    expect(r.msPerStep).toHaveLength(1);
    expect(r.peakTensorBytes).toBeGreaterThan(0);
    expect(r.rssPeakBytes).toBeGreaterThan(0);
    expect(r.kernels.map((k) => k.name)).toContain('Conv2D');
  }
  expect(run.results.find((r) => r.workload === 'biamat')?.images).toBe(4);
  expect(run.wasmHeapBytes).toBeGreaterThan(0);
  expect(run.gpuAllocatedBytes).toBeNull();
  expect(report.speedups).toEqual([]);
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(saved.runs[0].results).toHaveLength(4);
  expect(saved.runs[0].backend.name).toBe('wasm');
  fs.rmSync(dir, { recursive: true });
});

test('--threads 1,2 runs the workloads at each count and prints a speed-up line per workload', async () => {
  const lines: string[] = [];
  const report = await runBench({ ...tiny, workloads: 'clean,pgd', threads: '1,2' }, (l) => lines.push(l));
  expect(report.runs.map((r) => r.backend.threads)).toEqual([1, 2]);
  expect(lines.filter((l) => l.startsWith('backend: wasm'))).toEqual([
    expect.stringContaining('1 thread on'),
    expect.stringContaining('2 threads on'),
  ]);
  expect(report.speedups.map((s) => [s.workload, s.threads, s.baseThreads])).toEqual([
    ['clean', 2, 1],
    ['pgd', 2, 1],
  ]);
  for (const s of report.speedups) expect(s.speedup).toBeGreaterThan(0);
  expect(lines.filter((l) => /speed-up 2 threads vs 1: \d+\.\d\dx/.test(l))).toHaveLength(2);
});

test('bench options are validated', async () => {
  const parse = (...args: string[]) =>
    benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => {} })
      .parse(['node', 'cli', ...args]);
  expect(parse('--model', 'wrn-16-4', '--batch', '16').opts()).toMatchObject({
    model: 'wrn-16-4',
    batch: 16,
    reps: 3,
  });
  expect(() => parse('--model', 'vgg')).toThrow(/unknown bench model "vgg"/);
  expect(() => parse('--batch', '0')).toThrow(/positive integer/);
  expect(parse('--threads', '1,2').opts().threads).toBe('1,2');
  expect(parseThreadList('1,2,4')).toEqual([1, 2, 4]);
  expect(() => parseThreadList('1,x')).toThrow(/--threads must be a positive integer, got "x"/);
  expect(() => parseThreadList('2,2')).toThrow(/names a count twice/);
  await expect(runBench({ ...tiny, workloads: 'clean,fgsm' }, () => {})).rejects.toThrow(UserError);
  await expect(runBench({ ...tiny, backend: 'cpu', threads: '1,2' }, () => {})).rejects.toThrow(
    /compares thread counts of the wasm backend, but the backend is cpu/,
  );
});

const torchPython = findTorchPython();
(torchPython ? test : test.skip)(
  '--torch runs PyTorch at its own thread count and at ours, and reports ratios',
  async () => {
    const report = await runBench({ ...tiny, workloads: 'clean,at', torch: true, threads: '1,2' }, () => {});
    const own = report.torch.find((t) => t.own)!;
    expect(own.results.map((r) => r.workload)).toEqual(['clean', 'at']);
    expect(own.gpuPeakBytes).toBeNull();
    // Equal threads: a PyTorch run at each of our counts (its own run may be one of them).
    for (const n of [1, 2]) expect(report.torch.some((t) => t.threads === n)).toBe(true);
    for (const n of [1, 2]) {
      const equal = report.ratios.filter((r) => r.threads === n && r.torchThreads === n);
      expect(equal.map((r) => r.workload)).toEqual(['clean', 'at']);
      for (const r of equal) expect(r.ratio).toBeGreaterThan(0);
    }
  },
);
