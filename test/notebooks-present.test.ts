// src/report: the rows notebooks 02–08 run and record, and how they show them. No training here.
import { SMOKE_ROWS, type Profile } from '../src/experiments/profiles';
import { scaleConfig } from '../src/experiments/scale';
import type { ExperimentResult } from '../src/experiments/runner';
import { paperValue } from '../src/experiments/table';
import { TABLES } from '../src/experiments/tables';
import { UserError } from '../src/util/errors';
import {
  comparisonMarkdown,
  formatMean,
  measuredMetrics,
  planTable,
  recordArgs,
  superclassRatios,
  type RowOutcome,
  type TableRun,
} from '../src/report';

test.each(Object.keys(TABLES))(
  '%s: every row has a unique id and the paper number of some metric of its table',
  (table) => {
    const t = TABLES[table];
    const ids = t.rows.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of t.rows) expect(t.metrics.some((m) => paperValue(c, m.key) !== undefined)).toBe(true);
  },
);

test('SMOKE_ROWS name rows of their table whose datasets have an offline stand-in', () => {
  for (const [table, ids] of Object.entries(SMOKE_ROWS)) {
    expect(Object.keys(TABLES)).toContain(table);
    for (const id of ids) {
      const c = TABLES[table].rows.find((x) => x.id === id);
      expect(c).toBeDefined();
      expect(scaleConfig(c!, 'smoke', () => false).unavailable).toBeNull();
    }
  }
});

describe('planTable', () => {
  test('smoke runs SMOKE_ROWS and the unavailable rows, skips the rest with a reason, applies seeds', () => {
    const plan = planTable('table1', { profile: 'smoke', seeds: [3] });
    const ids = plan.rows.map((r) => r.config.id);
    for (const id of SMOKE_ROWS.table1) expect(ids).toContain(id);
    expect(plan.rows.find((r) => r.config.id === 'table2/c10-at')?.label).toMatch(/table2's row/);
    expect(plan.rows.every((r) => r.config.seeds.join() === '3')).toBe(true);
    // CIFAR-100/Places365 rows are planned (runExperiment marks them unavailable) unless imported.
    expect(ids.length + plan.skipped.length).toBe(TABLES.table1.rows.length);
    const t2 = planTable('table2', { profile: 'smoke', seeds: [0] });
    expect(t2.skipped.map((s) => s.config.id)).toContain('table2/in100-at');
    expect(t2.skipped.every((s) => /smoke/.test(s.reason))).toBe(true);
  });

  test('small runs every row; only and overrides select and change rows', () => {
    expect(planTable('table13', { profile: 'small', seeds: [0, 1] }).rows).toHaveLength(12);
    const plan = planTable('table13', {
      profile: 'paper',
      seeds: [0],
      only: ['table13/at-biamat-gamma0.5'],
      overrides: ['train.epochs=7'],
    });
    expect(plan.rows.map((r) => [r.config.id, r.config.train.epochs])).toEqual([
      ['table13/at-biamat-gamma0.5', 7],
    ]);
  });

  test('bad input is one UserError', () => {
    expect(() => planTable('table9', { profile: 'smoke', seeds: [0] })).toThrow(UserError);
    // A profile from an untyped source (JSON, --jupyter injection) is still checked at run time.
    expect(() => planTable('table1', { profile: 'interactive' as Profile, seeds: [0] })).toThrow(
      /unknown profile 'interactive'[\s\S]*smoke, small, paper/,
    );
    expect(() => planTable('table1', { profile: 'smoke', seeds: [] })).toThrow(UserError);
    expect(() => planTable('table1', { profile: 'smoke', seeds: [0], only: ['nope'] })).toThrow(
      /no row 'nope'/,
    );
  });
});

function outcome(
  table: string,
  status: ExperimentResult['status'],
  seeds: ExperimentResult['seeds'],
): RowOutcome {
  const plan = planTable(table, {
    profile: 'smoke',
    seeds: seeds.map((s) => s.seed).concat(seeds.length ? [] : [0]),
  });
  const planned = plan.rows[0];
  const result: ExperimentResult = {
    id: planned.config.id,
    table,
    row: planned.config.row,
    profile: 'smoke',
    status,
    reason: status === 'unavailable' ? 'unavailable offline: cifar100 has no offline stand-in' : undefined,
    seeds,
    mean: seeds.length ? { clean: seeds.reduce((a, s) => a + s.clean, 0) / seeds.length } : {},
    std: {},
    paper: planned.config.paper,
    record: { backend: 'wasm', device: 'cpu', datasets: { primary: 'cifar10', aux: ['mnist32'] } },
  };
  return { planned, result, wallTimeS: 12 };
}
const seed = (s: number, clean: number, pgd?: number) => ({
  seed: s,
  clean,
  pgd,
  tau: null,
  ratioHigh: null,
  bestEpoch: 1,
  trainSeconds: 1,
});

test('recordArgs: one value per seed for each measured metric, stand-ins named; nothing for unavailable rows', () => {
  const [r] = recordArgs('table1', outcome('table1', 'done', [seed(0, 40, 20), seed(1, 42, 22)]));
  expect(r.table).toBe('table1');
  expect(r.row).toBe('table2/c10-at');
  expect(r.metrics).toEqual({ clean: [40, 42], pgd: [20, 22] });
  expect(r.meta.seeds).toEqual([0, 1]);
  expect(r.meta.data).toMatch(/MNIST-32 \(stand-in for SVHN\)/);
  expect(r.meta.dataNotes!.join(' ')).toMatch(/JPEG/);
  // The binomial error's n: the smoke profile's test subset, of CIFAR-10's 10000 test images.
  expect(r.meta).toMatchObject({ testImages: 256, testSetImages: 10000 });
  expect(recordArgs('table1', outcome('table1', 'unavailable', []))).toEqual([]);
  expect(recordArgs('table1', outcome('table1', 'partial', [seed(0, 1)]))).toEqual([]);
});

test('comparisonMarkdown puts ours beside the paper and says why a row has no numbers', () => {
  const done = outcome('table1', 'done', [seed(0, 40, 20), seed(1, 42, 22)]);
  const plan = planTable('table1', { profile: 'smoke', seeds: [0] });
  const run: TableRun = {
    plan: { ...plan, skipped: [{ config: plan.skipped[0].config, reason: 'not run at smoke scale' }] },
    outcomes: [done, outcome('table1', 'unavailable', [])],
    records: [],
    resultsDir: '/tmp/x',
    runsDir: '/tmp/x/runs',
  };
  const md = comparisonMarkdown(run, ['clean', 'pgd', 'aa']);
  expect(md).toMatch(/41\.00 ± 1\.41 \(n=2\)/);
  expect(md).toMatch(/87\.37/); // Table 2's AT clean, the paper's
  expect(md).toMatch(/unavailable offline/);
  const skipped = plan.skipped[0].config;
  const line = md.split('\n').find((l) => l.endsWith('| skipped: not run at smoke scale |'))!;
  expect(line).toBe(
    `| ${skipped.row} | – | – | – | – | – | ${skipped.paper.aa!.toFixed(2)} | skipped: not run at smoke scale |`,
  );
  expect(md.split('\n')).toHaveLength(5);
});

test('formatMean and superclassRatios', () => {
  expect(formatMean([1])).toBe('1.00');
  expect(formatMean(undefined)).toBe('–');
  expect(formatMean([NaN])).toBe('NaN');
  const rows = superclassRatios({ tabby: 1, 'Persian cat': 0.5, goldfish: 0.2, abacus: 0, all: 0.3 });
  expect(rows).toEqual([
    { row: 'cat', ratio: 0.75, classes: ['tabby', 'Persian cat'] },
    { row: 'others', ratio: 0.1, classes: ['goldfish', 'abacus'] },
    { row: 'all', ratio: 0.3, classes: ['tabby', 'Persian cat', 'goldfish', 'abacus'] },
  ]);
});

test('AutoAttack per attack: recorded as aa:<attack> with its own n, shown as ours-only columns but the last', () => {
  const withAa = (s: number, aa: number[]) => ({
    ...seed(s, 40, 20),
    aa: aa[3],
    aaAfter: { 'APGD-CE': aa[0], 'APGD-T': aa[1], 'FAB-T': aa[2], Square: aa[3] },
  });
  const done = outcome('table1', 'done', [withAa(0, [18, 16, 16, 15]), withAa(1, [20, 19, 18, 18])]);
  const [r] = recordArgs('table1', done);
  expect(r.metrics['aa:APGD-T']).toEqual([16, 19]);
  expect(r.metrics.aa).toEqual([15, 18]);
  // AutoAttack ran on the smoke profile's first 64 test images, the rest on 256.
  expect(r.meta.testImages).toBe(256);
  expect(r.meta.metricImages).toEqual({
    aa: 64,
    'aa:APGD-CE': 64,
    'aa:APGD-T': 64,
    'aa:FAB-T': 64,
  });
  expect(r.metrics['aa:Square']).toBeUndefined(); // that is `aa`
  const plan = planTable('table1', { profile: 'smoke', seeds: [0] });
  const run: TableRun = { plan, outcomes: [done], records: [], resultsDir: '/tmp/x', runsDir: '/tmp/x/runs' };
  expect(measuredMetrics(run)).toEqual(['aa', 'clean', 'pgd', 'aa:APGD-CE', 'aa:APGD-T', 'aa:FAB-T']);
  const header = comparisonMarkdown(run).split('\n')[0];
  expect(header).toContain('| AA after APGD-T ours | AA after FAB-T ours | status |');
  expect(header).not.toContain('AA after Square');
});
