// A plan before a long run: every run a profile would do, with seeds and an estimated time from
// a few timed training steps of each distinct model on the backend (wasm here), and nothing
// trained: no run folder, no record, no result is written.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { codeNotebook } from './notebook-fixture';
import { writeNotebook } from '../repro/notebook';
import { estimatePlan, formatDuration, formatPlan, LONG_RUN_S } from '../repro/run-plan';
import { estimateExperiment, StepTimer, type EstimateContext } from '../src/experiments/estimate';
import { scaleConfig } from '../src/experiments/scale';
import { withOverrides } from '../src/experiments/schema';
import { findExperiment } from '../src/experiments/tables';
import { runPaths, writeResult } from '../src/train/run-cache';

const timer = new StepTimer({ backend: 'wasm', timedSteps: 1 });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'repro-plan-'));
const ctx = (runsDir: string): EstimateContext => ({ profile: 'smoke', runsDir, timer, counted: new Set() });

test('a step is timed once per distinct model and method, and scales to the batch and attack steps', async () => {
  const at = scaleConfig(findExperiment('table2/c10-at'), 'smoke').config;
  const cost = await timer.cost(at, 10, 0);
  expect(cost.secondsPerStep).toBeGreaterThan(0);
  expect(cost.secondsPerImagePass).toBeGreaterThan(0);
  expect(cost.label).toMatch(/^small-cnn w8, at, 16 images × 1 attack step\(s\)$/);
  const timed = timer.timed;
  await timer.cost(withOverrides(at, { id: 'another' }), 10, 0); // the same model and method: no new timing
  const fewerSteps = await timer.cost(withOverrides(at, { train: { attack: { steps: 1 } } }), 10, 0);
  expect(timer.timed).toBe(timed);
  // Both scale the one timed step (1 attack step): 2 attack steps + 1 = 3 passes vs 1 + 1.
  expect(cost.secondsPerStep / fewerSteps.secondsPerStep).toBeCloseTo(1.5, 10);
}, 120_000);

test('a row: estimated, cached when the run cache has it, counted once in a plan, unavailable offline', async () => {
  const runsDir = tmp();
  const c = ctx(runsDir);
  const row = withOverrides(findExperiment('table2/c10-at'), { seeds: [0] });
  const [first] = await estimateExperiment(row, c);
  expect(first).toMatchObject({ id: 'table2/c10-at', seed: 0, status: 'estimated' });
  expect(first.seconds).toBeGreaterThan(0);
  expect(first.detail).toMatch(
    /train 1 epoch\(s\) × 32 steps × [\d.]+ s .*; evaluation 256 images × 11 passes/,
  );
  expect((await estimateExperiment(row, c))[0].status).toBe('counted earlier');
  // Table 6 needs the AT model as its source: counted above, so not again.
  const robust = await estimateExperiment(withOverrides(findExperiment('table6/from-at'), { seeds: [0] }), c);
  expect(robust[0].detail).toMatch(
    /^source table2\/c10-at counted earlier; robust dataset 1024 images × 10 steps/,
  );
  // A finished run in the cache costs nothing.
  const scaled = scaleConfig(row, 'smoke').config;
  writeResult(runPaths(runsDir, `${scaled.id}/smoke/seed0`, { config: scaled, seed: 0 }), {
    seed: 0,
    clean: 1,
  });
  expect((await estimateExperiment(row, ctx(runsDir)))[0].status).toBe('cached');
  const offline = await estimateExperiment(findExperiment('table2/c100-at'), c);
  expect(offline[0]).toMatchObject({ status: 'unavailable', seconds: 0 });
}, 120_000);

test('the plan of a profile: every notebook run with its seeds and times, and nothing trained', async () => {
  const dir = tmp();
  const notebooks = path.join(dir, 'notebooks');
  const out = path.join(dir, 'results');
  for (const name of ['01-theory', '03-table2-biamat', '07-table14-selection-ratio'])
    writeNotebook(path.join(notebooks, `${name}.ipynb`), codeNotebook([{ src: '1' }]));
  const lines: string[] = [];
  const plan = await estimatePlan(
    { profile: 'small', notebooksDir: notebooks, outDir: out, backend: 'wasm' },
    (l) => lines.push(l),
  );
  expect(lines[0]).toMatch(/^plan: timing training steps on wasm/);
  expect(plan.notebooks.map((n) => [n.run.id, n.seeds])).toEqual([
    ['01-theory', [0, 1]],
    ['03-table2-biamat@seed-0', [0]],
    ['03-table2-biamat@seed-1', [1]],
    ['07-table14-selection-ratio@seed-0', [0]],
    ['07-table14-selection-ratio@seed-1', [1]],
  ]);
  const text = formatPlan(plan).join('\n');
  expect(text).toMatch(/\[1\/5\] 01-theory — seeds 0, 1 — no training/);
  expect(text).toMatch(/\[2\/5\] 03-table2-biamat@seed-0 — seeds 0 — ≈ \d/);
  expect(text).toMatch(/table2\/c10-at-biamat-imagenet32 +seed 0 +≈ \d+ (s|min|h)/);
  expect(text).toMatch(/table2\/c100-at +seed 0 +unavailable/);
  // Table 14 analyses Table 2's AT+BiaMAT model, which notebook 03 trains earlier in the plan.
  expect(text).toMatch(
    /table14\/per-class-high-ratio +seed 0 .*source table2\/c10-at-biamat-imagenet32 counted earlier/,
  );
  expect(text).toMatch(/^total: ≈ .+ on wasm/m);
  expect(plan.seconds).toBeGreaterThan(LONG_RUN_S); // the small profile on one CPU core: more than an hour
  expect(fs.existsSync(out)).toBe(false); // nothing trained, cached or recorded
}, 300_000);

test('durations read as a person would say them', () => {
  expect(formatDuration(42)).toBe('42 s');
  expect(formatDuration(12 * 60)).toBe('12 min');
  expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
  expect(formatDuration(3600)).toBe('1 h');
  expect(formatDuration(7199)).toBe('2 h');
  expect(formatDuration(3.5 * 86400)).toBe('3.5 days');
});
