// src/report: the rows notebooks 02–08 run and record, and how they show them. No training here.
import { TABLES } from '../src/experiments/tables';
import { scaleConfig } from '../src/experiments/scale';
import type { ExperimentResult } from '../src/experiments/runner';
import { UserError } from '../src/util/errors';
import { EXPECTATIONS } from '../repro/expectations';
import {
  SMOKE_ROWS,
  comparisonMarkdown,
  expectationRow,
  formatMean,
  planTable,
  recordArgs,
  superclassRatios,
  type RowOutcome,
} from '../src/report';

const MAPPED = ['table1', 'table2', 'table3', 'table4', 'table5', 'table6', 'table13'];

test.each(MAPPED)(
  '%s: every config fills an expectation row, and every expectation row is filled',
  (table) => {
    const expected = EXPECTATIONS.find((e) => e.table === table)!.rows.map((r) => r.row);
    const mapped = TABLES[table].map(expectationRow);
    expect(new Set(mapped).size).toBe(mapped.length);
    for (const r of mapped) expect(expected).toContain(r);
    // Table 1's plain-AT row is Table 2's config, added by planTable.
    expect(expected.filter((r) => !mapped.includes(r))).toEqual(table === 'table1' ? ['at'] : []);
  },
);

test('SMOKE_ROWS name existing configs whose datasets have an offline stand-in', () => {
  const all = Object.values(TABLES).flat();
  for (const [table, ids] of Object.entries(SMOKE_ROWS)) {
    expect(Object.keys(TABLES)).toContain(table);
    for (const id of ids) {
      const c = all.find((x) => x.id === id);
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
    expect(plan.rows.find((r) => r.config.id === 'table2/c10-at')?.row).toBe('at');
    expect(plan.rows.every((r) => r.config.seeds.join() === '3')).toBe(true);
    // CIFAR-100/Places365 rows are planned (runExperiment marks them unavailable) unless imported.
    expect(ids.length + plan.skipped.length).toBe(TABLES.table1.length + 1);
    const t2 = planTable('table2', { profile: 'smoke', seeds: [0] });
    expect(t2.skipped.map((s) => s.id)).toContain('table2/in100-at');
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
    expect(plan.rows.map((r) => [r.config.id, r.row, r.config.train.epochs])).toEqual([
      ['table13/at-biamat-gamma0.5', 'at+biamat/gamma-0.50', 7],
    ]);
  });

  test('bad input is one UserError', () => {
    expect(() => planTable('table9', { profile: 'smoke', seeds: [0] })).toThrow(UserError);
    expect(() => planTable('table1', { profile: 'interactive', seeds: [0] })).toThrow(UserError);
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
  const [r] = recordArgs(outcome('table1', 'done', [seed(0, 40, 20), seed(1, 42, 22)]));
  expect(r.table).toBe('table1');
  expect(r.row).toBe('at');
  expect(r.metrics).toEqual({ clean: [40, 42], pgd: [20, 22] });
  expect(r.meta.seeds).toEqual([0, 1]);
  expect(r.meta.data).toMatch(/MNIST-32 \(stand-in for SVHN\)/);
  expect(r.meta.dataNotes.join(' ')).toMatch(/JPEG/);
  expect(recordArgs(outcome('table1', 'unavailable', []))).toEqual([]);
  expect(recordArgs(outcome('table1', 'partial', [seed(0, 1)]))).toEqual([]);
});

test('comparisonMarkdown puts ours beside the paper and says why a row has no numbers', () => {
  const md = comparisonMarkdown(
    [outcome('table1', 'done', [seed(0, 40, 20), seed(1, 42, 22)]), outcome('table1', 'unavailable', [])],
    [{ id: 'x', label: 'skipped row', reason: 'not run at smoke scale', paper: { pgd: 12.34 } }],
    ['clean', 'pgd'],
  );
  expect(md).toMatch(/41\.00 ± 1\.41 \(n=2\)/);
  expect(md).toMatch(/87\.37/); // Table 2's AT clean, the paper's
  expect(md).toMatch(/unavailable offline/);
  expect(md).toMatch(/\| skipped row \| – \| – \| – \| 12\.34 \| skipped: not run at smoke scale/);
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
