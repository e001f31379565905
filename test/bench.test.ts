import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { benchCommand, runBench, type BenchOptions } from '../bench/cli';
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
  expect(report.results.map((r) => r.workload)).toEqual([...WORKLOADS]);
  for (const r of report.results) {
    expect(r.imagesPerSec).toBeGreaterThan(0);
    expect(r.msPerStep).toHaveLength(1);
    expect(r.peakTensorBytes).toBeGreaterThan(0);
    expect(r.rssPeakBytes).toBeGreaterThan(0);
    expect(r.kernels.map((k) => k.name)).toContain('Conv2D');
  }
  expect(report.results.find((r) => r.workload === 'biamat')?.images).toBe(4);
  expect(report.wasmHeapBytes).toBeGreaterThan(0);
  expect(report.gpuAllocatedBytes).toBeNull();
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(saved.results).toHaveLength(4);
  expect(saved.backend.name).toBe('wasm');
  fs.rmSync(dir, { recursive: true });
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
  await expect(runBench({ ...tiny, workloads: 'clean,fgsm' }, () => {})).rejects.toThrow(UserError);
});

const torchPython = findTorchPython();
(torchPython ? test : test.skip)('--torch runs the PyTorch twin and reports ratios', async () => {
  const report = await runBench({ ...tiny, workloads: 'clean,at', torch: true }, () => {});
  expect(report.torch?.results.map((r) => r.workload)).toEqual(['clean', 'at']);
  expect(report.ratios.clean).toBeGreaterThan(0);
  expect(report.ratios.at).toBeGreaterThan(0);
  expect(report.torch?.gpuPeakBytes).toBeNull();
});
