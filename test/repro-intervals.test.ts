// What the report proves: paper claims carry a 95% interval over seeds and the test set's
// binomial error, are inconclusive when it straddles the margin (with how many seeds or test
// images would resolve it), and claims a profile cannot test are counted as not tested there;
// integrity checks are counted apart and never as claims reproduced; the theory section shows
// statement | parameters | closed form | Monte Carlo ± interval | in vivo | verdict.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Claim, TableClaims } from '../repro/expectations/types';
import type { Manifest } from '../repro/manifest';
import { buildReportModel, renderMarkdown } from '../repro/report';
import { evaluateClaim, evaluateTable, type VerdictContext } from '../repro/verdict';
import { loadRecords, recordResult, summarizeRows, type ResultMeta } from '../src/report/records';
import { theoryRecordArgs } from '../src/report/theory';
import { runTheory } from '../src/theory';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'repro-intervals-'));

const META: ResultMeta = { backend: 'cpu', device: 'test', data: 'synthetic', seeds: [0], wallTimeS: 0 };

/** A context over rows 'a' and 'b' of table 't' (metric m), each value list one value per seed. */
function ctx(
  values: Record<string, number[]>,
  images?: { testImages: number; testSetImages: number },
  profile: VerdictContext['profile'] = 'small',
): VerdictContext {
  const dir = tmp();
  for (const [row, v] of Object.entries(values))
    recordResult('t', row, { m: v }, { ...META, ...images, profile, seeds: v.map((_, i) => i) }, { dir });
  return {
    profile,
    rows: summarizeRows(loadRecords(dir)),
    tableState: () => 'ok',
    paper: () => undefined,
    available: () => true,
  };
}

const aGeB = (minSeeds: number, margin = 0): Claim => ({
  kind: 'atLeast',
  id: 'a-ge-b',
  text: 'a ≥ b',
  left: { rows: ['a'], metric: 'm' },
  right: { rows: ['b'], metric: 'm' },
  margin,
  minSeeds,
});

describe('intervals over seeds and the binomial error of the test set', () => {
  test('one seed each: the test-set error alone decides, and more test images would resolve a close call', () => {
    const many = evaluateClaim(
      ctx({ a: [55], b: [50] }, { testImages: 1000, testSetImages: 10000 }),
      't',
      aGeB(1),
    );
    // se = √(55·45/1000 + 50·50/1000) = 2.23: Δ 5 ± 4.37 lies above 0.
    expect(many.verdict).toBe('reproduced');
    expect(many.interval!.lo).toBeCloseTo(5 - 1.959964 * Math.sqrt(4.975), 3);
    expect(many.interval!.basis).toMatch(/seed spread unknown \(n=1\) \+ binomial error on 1000 test images/);

    const few = evaluateClaim(
      ctx({ a: [55], b: [50] }, { testImages: 100, testSetImages: 10000 }),
      't',
      aGeB(1),
    );
    expect(few.verdict).toBe('inconclusive');
    expect(few.interval!.lo).toBeLessThan(0);
    expect(few.resolve).toMatch(/at least 2 seeds per row to measure the seed spread/);
    expect(few.resolve).toMatch(/≈ \d+ test images with 1 seed\(s\) \(now 100 of 10000\)/);
  });

  test('the power estimate from the observed spread: seeds per row, and when test images cannot help', () => {
    // Δ = 2, seed variance 8 (a) + 0 (b), n = 2: se 2, the interval straddles 0.
    const seedsOnly = evaluateClaim(ctx({ a: [50, 54], b: [50, 50] }), 't', aGeB(2));
    expect(seedsOnly.verdict).toBe('inconclusive');
    // n ≥ (1.96 + 0.84)² · 8 / 2² = 15.7
    expect(seedsOnly.resolve).toMatch(
      /^≈ 16 seeds per row \(now 2\) would resolve it \(80% power at 95% confidence/,
    );

    const spreadDominates = evaluateClaim(
      ctx({ a: [50, 54], b: [50, 50] }, { testImages: 1000, testSetImages: 10000 }),
      't',
      aGeB(2),
    );
    expect(spreadDominates.resolve).toMatch(
      /more test images alone cannot \(the seed spread is wider than the gap\)/,
    );

    const imagesHelp = evaluateClaim(
      ctx({ a: [52, 52.2], b: [50, 50.2] }, { testImages: 100, testSetImages: 10000 }),
      't',
      aGeB(2),
    );
    expect(imagesHelp.verdict).toBe('inconclusive');
    expect(imagesHelp.resolve).toMatch(/≈ \d{4} test images with 2 seed\(s\) \(now 100 of 10000\)/);
  });

  test('an interval wholly on the wrong side of the margin is not reproduced; too few seeds stays inconclusive', () => {
    const worse = evaluateClaim(
      ctx({ a: [40, 40.5], b: [50, 50.5] }, { testImages: 1000, testSetImages: 10000 }),
      't',
      aGeB(2, 1),
    );
    expect(worse.verdict).toBe('not reproduced');
    expect(worse.interval!.hi).toBeLessThan(-1);
    const fewSeeds = evaluateClaim(ctx({ a: [60], b: [40] }), 't', aGeB(3));
    expect(fewSeeds.verdict).toBe('inconclusive');
    expect(fewSeeds.resolve).toMatch(/3 seeds per row \(the claim's minimum; now 1\)/);
  });
});

describe('claims a profile cannot test', () => {
  const claimB: Claim = { ...aGeB(3), id: 'paper-only', text: 'paper only' };
  const table: TableClaims = {
    table: 't',
    claims: {
      smoke: [{ kind: 'integrity', id: 'integrity', text: 'ran', minSeeds: 1, minRows: 1, ranges: {} }],
      small: [aGeB(2)],
      paper: [aGeB(3), claimB],
    },
  };

  test('smoke tests none of them; small tests its own and lists the paper-only one', () => {
    const smoke = evaluateTable(ctx({ a: [1], b: [1] }, undefined, 'smoke'), table);
    expect(smoke.map((r) => [r.claim.id, r.verdict, r.evidence])).toEqual([
      ['integrity', 'passed', 'notebook ran; 2 row(s), 2 value(s), all finite and in range'],
      ['a-ge-b', 'not tested at this profile', 'tested at the small and paper profiles'],
      ['paper-only', 'not tested at this profile', 'tested at the paper profile'],
    ]);
    const small = evaluateTable(ctx({ a: [3, 4], b: [1, 1.5] }), table);
    expect(small.map((r) => r.verdict)).toEqual(['reproduced', 'not tested at this profile']);
  });
});

describe('the report', () => {
  const manifest = (profile: Manifest['profile']): Manifest => ({
    profile,
    kernel: 'inprocess',
    shard: null,
    plannedRuns: ['01-theory'],
    runs: [
      {
        id: '01-theory',
        notebook: '01-theory',
        status: 'ok',
        output: 'notebooks/01-theory.ipynb',
        durationS: 1,
        parameters: {},
        warnings: [],
      },
    ],
    notBuilt: [],
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    versions: {},
  });
  const theory = runTheory({ inVivo: false, checkOptions: { samples: 300 } });

  function theoryRecords(profile: string) {
    const dir = tmp();
    for (const a of theoryRecordArgs(theory, 1, profile))
      recordResult(a.table, a.row, a.metrics, a.meta, { dir });
    return loadRecords(dir);
  }

  test('smoke: integrity checks passed, paper claims not tested — never "reproduced"', () => {
    const model = buildReportModel(manifest('smoke'), theoryRecords('smoke'));
    expect(model.integrity.passed).toBe(1);
    expect(model.counts.reproduced).toBe(0);
    expect(model.counts['not tested at this profile']).toBeGreaterThan(10);
    const md = renderMarkdown(model);
    expect(md).toMatch(
      /Integrity checks: 1 passed, \d+ not run\. Paper claims: \d+ not tested at this profile\./,
    );
    expect(md).not.toMatch(/reproduced/);
  });

  test('small: AutoAttack on its own (fewer) images: its interval uses that n, and a missing aa is not reproduced', () => {
    const dir = tmp();
    const meta = { ...META, profile: 'small', seeds: [0, 1], testImages: 1000, testSetImages: 10000 };
    const aaImages = { aa: 500, 'aa:APGD-CE': 500 };
    recordResult(
      'table2',
      'table2/c10-at',
      { clean: [80.1, 79.5], pgd: [40.2, 41.0], aa: [36.0, 36.4], 'aa:APGD-CE': [38.0, 38.2] },
      { ...meta, metricImages: aaImages },
      { dir },
    );
    recordResult(
      'table2',
      'table2/c10-at-biamat-imagenet32',
      { clean: [79.8, 80.4], pgd: [42.5, 43.9], aa: [38.0, 38.8], 'aa:APGD-CE': [40.2, 40.0] },
      { ...meta, metricImages: aaImages },
      { dir },
    );
    const run = { ...manifest('small').runs[0], id: '03-table2-biamat@seed-0', notebook: '03-table2-biamat' };
    const model = buildReportModel({ ...manifest('small'), runs: [run] }, loadRecords(dir));
    const table2 = model.tables.find((t) => t.id === 'table2')!;
    const aa = table2.claims.find((c) => c.claim.id === 'cifar10-at-biamat-imagenet32-ge-base-aa')!;
    expect(aa.interval!.basis).toBe('spread over 2 seeds + binomial error on 500 test images');
    const pgd = table2.claims.find((c) => c.claim.id === 'cifar10-at-biamat-imagenet32-ge-base-pgd')!;
    expect(pgd.verdict).toBe('reproduced');
    expect(pgd.interval!.basis).toBe('spread over 2 seeds + binomial error on 1000 test images');
    // The per-attack column, after the paper's, and which ε / step each column used.
    expect(table2.metrics.map((m) => m.label).slice(-1)).toEqual(['AA after APGD-CE']);
    expect(table2.rows.find((r) => r.id === 'table2/c10-at')!.cells.slice(-1)[0].ours).toBe(
      '38.10 ± 0.14 (n=2)',
    );
    expect(table2.notes.join('\n')).toMatch(
      /evaluation, .*AT.*: PGD-20 and CW-20 at ε 8\/255, step .*, random start; AutoAttack standard at ε 8\/255 on the first 500 test images/,
    );
    expect(table2.notes.join('\n')).toMatch(
      /evaluation, .*TRADES.*: PGD-20 and CW-20 at ε 31\/1000, .*no random start/,
    );

    // The small profile measures AutoAttack: a row without it has failed to record it.
    const dir2 = tmp();
    recordResult('table2', 'table2/c10-at', { clean: [80.1, 79.5], pgd: [40.2, 41.0] }, meta, { dir: dir2 });
    recordResult(
      'table2',
      'table2/c10-at-biamat-imagenet32',
      { clean: [79.8, 80.4], pgd: [42.5, 43.9] },
      meta,
      { dir: dir2 },
    );
    const model2 = buildReportModel({ ...manifest('small'), runs: [run] }, loadRecords(dir2));
    const missing = model2.tables
      .find((t) => t.id === 'table2')!
      .claims.find((c) => c.claim.id === 'cifar10-at-biamat-imagenet32-ge-base-aa')!;
    expect(missing.verdict).toBe('not reproduced');
  });

  test('the theory section: statement | parameters | closed form | Monte Carlo ± interval | in vivo | verdict', () => {
    const model = buildReportModel(manifest('small'), theoryRecords('small'));
    const section = model.tables.find((t) => t.id === 'theory')!;
    expect(section.rows).toEqual([]);
    expect(section.theoryRows).toHaveLength(theory.results.length);
    const lemma = section.theoryRows!.find((r) => r.id === 'lemma2.robust')!;
    expect(lemma.statement).toMatch(/^Lemma 2: /);
    expect(lemma.parameters).toMatch(/d=\d+, η=0\.2, p=0\.9, ρ=1 \(mean\)/);
    expect(lemma.closedForm).toBe('0.8000');
    expect(lemma.monteCarlo).toMatch(/^0\.\d{4} ± 0\.\d{4} \(99\.99%\)$/);
    expect(lemma.verdict).toBe('pass');
    const md = renderMarkdown(model);
    expect(md).toContain(
      '| statement | parameters | closed form | Monte Carlo ± interval | in vivo | verdict |',
    );
    expect(md).not.toMatch(/not in the paper/);
  });
});
