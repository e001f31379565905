import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { measure, runChild } from '../bench/gpu/measure';
import {
  SWEEP_JSON,
  TRAIN_DIR,
  benchJsonName,
  parseMeasureArgs,
  partBudgetMs,
  runBudgetMs,
  summarize,
  torchJsonName,
} from '../bench/gpu/measure-plan';
import { balancedIndices } from '../bench/gpu/data-subset';
import { UserError } from '../src/util/errors';

// The pieces of bench/gpu/measure.sh's driver. The whole driver at its --tiny sizes takes about
// 80 s on lavapipe here (docs/bench.md has that rehearsal's output), too long for the suite.

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-measure-'));

test('arguments: out-dir, time limit, --only, --tiny', () => {
  expect(parseMeasureArgs(['/o', '420'])).toEqual({
    outDir: '/o',
    timeoutS: 420,
    parts: ['a', 'b', 'c'],
    tiny: false,
  });
  expect(parseMeasureArgs(['--tiny', '/o', '60', '--only', 'c,a'])).toEqual({
    outDir: '/o',
    timeoutS: 60,
    parts: ['a', 'c'],
    tiny: true,
  });
  expect(() => parseMeasureArgs(['/o'])).toThrow(UserError);
  expect(() => parseMeasureArgs(['/o', 'soon'])).toThrow(/not a positive number/);
  expect(() => parseMeasureArgs(['/o', '60', '--only', 'a,d'])).toThrow(/unknown part "d"/);
  expect(() => parseMeasureArgs(['/o', '60', '--fast'])).toThrow(/unknown option/);
});

test('time is shared among the parts still to run, then among the runs of a part', () => {
  expect(partBudgetMs('a', 1000, ['a', 'b', 'c'])).toBeCloseTo(550);
  expect(partBudgetMs('b', 1000, ['b', 'c'])).toBeCloseTo(1000 * (0.2 / 0.45));
  expect(partBudgetMs('c', 1000, ['c'])).toBe(1000);
  expect(partBudgetMs('c', -5, ['c'])).toBe(0);
  expect(runBudgetMs(900, 3)).toBe(300);
  expect(runBudgetMs(900, 0)).toBe(900);
});

test('a child past its time limit is stopped and its output kept', async () => {
  const dir = tmp();
  const log = path.join(dir, 'child.log');
  const script = "console.log('started'); setTimeout(() => {}, 60000)";
  const r = await runChild(
    { command: process.execPath, args: ['-e', script] },
    { cwd: dir, env: process.env, timeoutMs: 1500, log },
  );
  expect(r.timedOut).toBe(true);
  expect(r.seconds).toBeLessThan(10);
  expect(r.stdout).toContain('started');
  expect(fs.readFileSync(log, 'utf8')).toContain('started');
  fs.rmSync(dir, { recursive: true });
});

test('a child that lives on after its JSON is complete is stopped 10 s later, as finished', async () => {
  const dir = tmp();
  const json = path.join(dir, 'out.json');
  const script = `require('fs').writeFileSync(${JSON.stringify(json)}, '{}'); setTimeout(() => {}, 60000)`;
  const r = await runChild(
    { command: process.execPath, args: ['-e', script] },
    {
      cwd: dir,
      env: process.env,
      timeoutMs: 30_000,
      log: path.join(dir, 'child.log'),
      finished: () => fs.existsSync(json),
    },
  );
  expect(r).toMatchObject({ lingered: true, timedOut: false, code: 0 });
  expect(r.seconds).toBeGreaterThanOrEqual(10);
  expect(r.seconds).toBeLessThan(20);
  fs.rmSync(dir, { recursive: true });
}, 30_000);

test('with no time left every run is skipped, and the statuses and summary are still written', async () => {
  const dir = tmp();
  const lines: string[] = [];
  const summary = await measure({ outDir: dir, timeoutS: 1, parts: ['b'], tiny: true }, (l) => lines.push(l));
  const status = JSON.parse(fs.readFileSync(path.join(dir, 'measure.json'), 'utf8'));
  expect(status.runs).toEqual([
    expect.objectContaining({ part: 'b', status: 'skipped', detail: 'no time left' }),
  ]);
  expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toBe(summary);
  expect(summary).toContain('| b | b-gemm-sweep | skipped: no time left |');
  fs.rmSync(dir, { recursive: true });
});

test('the summary: images/s per kernel set, PyTorch and ratios; sweep speed-ups; training steps', () => {
  const dir = tmp();
  const write = (file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), JSON.stringify(value));
  };
  const result = (workload: string, imagesPerSec: number) => ({
    workload,
    imagesPerSec,
    kernels: [{ name: 'Conv2DBackpropFilter', calls: 16, ms: 120 }],
  });
  const bench = (device: string, results: unknown[]) => ({ runs: [{ backend: { device }, results }] });
  write(
    benchJsonName('wrn-16-4', 'none'),
    bench('WebGPU/Dawn on H200, our kernels: none', [result('at', 8)]),
  );
  write(
    benchJsonName('wrn-16-4', 'default'),
    bench('WebGPU/Dawn on H200, our kernels: Sum', [result('at', 100)]),
  );
  write(torchJsonName('wrn-16-4', 'fp32'), {
    torch: '2.11',
    device: 'cuda:0',
    results: [result('at', 1000)],
  });
  write(torchJsonName('wrn-16-4', 'tf32'), {
    torch: '2.11',
    device: 'cuda:0',
    tf32: true,
    results: [result('at', 2000)],
  });
  const timing = (ms: number) => ({ shape: 'g1 64→64', kernel: 'Conv2D', ms, tflops: 1 });
  write(SWEEP_JSON, {
    batch: 128,
    imageSize: 32,
    reps: 10,
    stoppedEarly: true,
    results: [
      { variant: 'tfjs', checked: false, worstRelativeError: null, timings: [timing(4)] },
      {
        variant: 'tile=64x64,k=16,wg=16x16',
        checked: true,
        worstRelativeError: 1.3e-6,
        timings: [timing(2)],
      },
      { variant: 'tile=32x32,k=16,wg=8x8', checked: false, worstRelativeError: 0.5, timings: [] },
    ],
  });
  write(path.join(TRAIN_DIR, 'train.json'), {
    row: 'table2/c10-at',
    profile: 'small',
    subset: 'cifar10-subset-2000-500',
    backend: 'webgpu',
    steps: [
      { loss: 2.3, seconds: 1 },
      { loss: 1.9, seconds: 0.2 },
    ],
    medianStepSeconds: 0.2,
    imagesPerSec: 640,
    cleanTestAccuracy: 31.5,
    stoppedBy: 'deadline',
  });
  const md = summarize(dir);
  expect(md).toContain('| wrn-16-4 | at | 8.0 | 100.0 | — | 1000.0 | 2000.0 | 0.100 | 0.050 |');
  expect(md).not.toContain('| small-cnn |');
  expect(md).toContain(
    'Devices: WebGPU/Dawn on H200; PyTorch 2.11 on cuda:0; PyTorch 2.11 on cuda:0 (TF32).',
  );
  expect(md).toContain('- wrn-16-4, kernels none: Conv2DBackpropFilter 120 [16]');
  expect(md).toContain('stopped early by its time limit');
  expect(md).toContain('| tile=64x64,k=16,wg=16x16 | yes (1.3e-6) | 1 | 2.00 | 2.00 |');
  expect(md).toContain('| tile=32x32,k=16,wg=8x8 | NO (5.0e-1) | 0 | — | — |');
  expect(md).toContain(
    '| table2/c10-at | small | cifar10-subset-2000-500 | 2 | 0.200 | 640.0 | 31.5 | deadline |',
  );
  expect(md).toContain('loss first → last step: 2.300 → 1.900');
  const empty = summarize(tmp());
  expect(empty).toContain('no workload results');
  expect(empty).toContain('no sweep results');
  expect(empty).toContain('no training results');
  fs.rmSync(dir, { recursive: true });
});

test('the data subset takes the first images of each class, in order', () => {
  const labels = Int32Array.from([0, 1, 0, 2, 1, 0, 2, 1, 2, 0]);
  expect([...balancedIndices(labels, 3, 6)]).toEqual([0, 1, 2, 3, 4, 6]);
  expect([...balancedIndices(labels, 3, 4)]).toEqual([0, 1, 2, 3]);
  expect(() => balancedIndices(labels, 3, 11)).toThrow(UserError);
});

test('the sweep checks each conv GEMM variant (vec4 included) against cpu before timing it (webgpu)', () => {
  const dir = tmp();
  const json = path.join(dir, 'sweep.json');
  const root = path.resolve(__dirname, '..');
  const variants = 'tile=64x64,k=16,wg=16x16,vec4=1;tile=32x32,k=16,wg=8x8';
  const args = [
    'sweep',
    '--batch',
    '2',
    '--image-size',
    '8',
    '--reps',
    '1',
    '--variants',
    variants,
    '--json',
    json,
  ];
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'bench/gpu/measure.ts', ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          BIAMAT_BACKEND: '',
          XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir(),
        },
        stdio: 'pipe',
        timeout: 150_000,
      },
    );
  } catch (err) {
    // Like test/webgpu-kernels.test.ts: CI has lavapipe and must run this; elsewhere no adapter skips.
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    if (process.env.CI !== 'true' && /webgpu/i.test(stderr) && !fs.existsSync(json)) {
      console.log(`skipping the sweep check: ${stderr.trim().split('\n').pop()}`);
      return;
    }
    throw err;
  }
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(report.partial).toBe(false);
  expect(report.results.map((r: { variant: string }) => r.variant)).toEqual([
    'tfjs',
    'tile=64x64,k=16,wg=16x16',
    'tile=64x64,k=16,wg=16x16,vec4=1',
    'tile=32x32,k=16,wg=8x8',
  ]);
  for (const r of report.results.slice(1)) {
    expect(r.checked).toBe(true);
    expect(r.worstRelativeError).toBeLessThanOrEqual(1e-5);
    expect(r.timings).toHaveLength(20);
  }
  fs.rmSync(dir, { recursive: true });
}, 180_000);
