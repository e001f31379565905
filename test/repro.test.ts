// Unit tests of the repro harness: parameter injection, error parsing, results, verdicts,
// planning, sharding and merging. Nothing here starts a kernel (see repro-run.test.ts).
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Claim, Ref } from '../repro/expectations/types';
import { CLAIMS } from '../repro/expectations';
import { THEORY_MIN_STATEMENTS } from '../repro/expectations/theory';
import { mergeShards } from '../repro/harness';
import { findFrontend, freePort, frontendArgs, frontendUrl, INSTALL_HELP } from '../repro/lab';
import { errorFromStderr } from '../repro/kernel';
import { writeManifest, type Manifest } from '../repro/manifest';
import { injectParameters, parseParameterDecls, cellSource, type Notebook } from '../repro/notebook';
import { CATALOG, matchOnly, parseShard, planRuns, shardRuns } from '../repro/plan';
import { loadRecords, recordResult, summarizeRows, type ResultMeta } from '../src/report/records';
import { evaluateClaim, type NotebookState, type VerdictContext } from '../repro/verdict';
import { TABLES } from '../src/experiments/tables';
import { UserError } from '../src/util/errors';
import { codeNotebook } from './notebook-fixture';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'repro-unit-'));

const nb = (cells: { src: string; tags?: string[] }[]): Notebook => codeNotebook(cells);

const META: ResultMeta = {
  backend: 'cpu',
  device: 'test',
  data: 'synthetic',
  seeds: [0],
  wallTimeS: 0,
  profile: 'small',
};

describe('parameter injection', () => {
  const source = nb([
    {
      src: "const epochs = 2;\nlet mode: 'a' | 'b' = 'a', seeds: number[] = [0];\nconst { x } = { x: 1 };",
      tags: ['parameters'],
    },
    { src: 'console.log(epochs);' },
  ]);

  test('parses top-level declarations with keyword and type', () => {
    expect(parseParameterDecls(cellSource(source.cells[0]))).toEqual([
      { name: 'epochs', keyword: 'const', type: undefined },
      { name: 'mode', keyword: 'let', type: "'a' | 'b'" },
      { name: 'seeds', keyword: 'let', type: 'number[]' },
    ]);
  });

  test('inserts a typed cell after the parameters cell and records the parameters', () => {
    const { nb: out, warning } = injectParameters(
      source,
      { epochs: 5, mode: 'b' },
      { seeds: [1, 2], profile: 'x' },
    );
    expect(warning).toBeUndefined();
    expect(out.cells).toHaveLength(3);
    expect(out.cells[1].metadata.tags).toEqual(['injected-parameters']);
    const src = cellSource(out.cells[1]);
    expect(src).toContain('const epochs = 5;');
    expect(src).toContain(`let mode: 'a' | 'b' = "b";`);
    expect(src).toContain('let seeds: number[] = [1,2];');
    expect(src).not.toContain('profile'); // optional and undeclared: not injected
    expect(out.metadata.repro).toEqual({ parameters: { seeds: [1, 2], epochs: 5, mode: 'b' } });
    expect(source.cells).toHaveLength(2); // input untouched
  });

  test('replaces an earlier injected cell instead of stacking', () => {
    const once = injectParameters(source, { epochs: 5 }).nb;
    const twice = injectParameters(once, { epochs: 7 }).nb;
    expect(twice.cells.filter((c) => c.metadata.tags?.includes('injected-parameters'))).toHaveLength(1);
    expect(cellSource(twice.cells[1])).toContain('const epochs = 7;');
  });

  test('an unknown parameter is a UserError naming it and the known ones', () => {
    expect(() => injectParameters(source, { epochz: 3 }, {}, 'nb1')).toThrow(UserError);
    expect(() => injectParameters(source, { epochz: 3 }, {}, 'nb1')).toThrow(
      /nb1: unknown parameter epochz; its parameters cell declares: epochs, mode, seeds/,
    );
  });

  test('without a parameters cell: injected at the top with a warning', () => {
    const { nb: out, warning } = injectParameters(nb([{ src: 'console.log(1);' }]), { a: 1 }, {}, 'plain');
    expect(warning).toMatch(/plain: no cell is tagged "parameters"/);
    expect(cellSource(out.cells[0])).toContain('const a = 1;');
  });
});

describe('errorFromStderr (tslab prints errors instead of sending them)', () => {
  test('an exception', () => {
    const e = errorFromStderr(
      'evalmachine.<anonymous>:2\nthrow x\n^\n\nRangeError: boom 7\n    at evalmachine',
    );
    expect([e.ename, e.evalue]).toEqual(['RangeError', 'boom 7']);
  });
  test('a TypeScript diagnostic', () => {
    const e = errorFromStderr("1:7 - Type 'string' is not assignable to type 'number'.\n");
    expect(e.ename).toBe('CompileError');
    expect(e.evalue).toContain('not assignable');
  });
});

describe('results', () => {
  test('records per-seed arrays, validates, and summarizes mean ± sd', () => {
    const dir = tmp();
    recordResult('table1', 'at', { aa: [48, 50] }, { ...META, seeds: [0, 1] }, { dir });
    recordResult('table1', 'at', { aa: 52 }, { ...META, seeds: [2] }, { dir });
    const rows = summarizeRows(loadRecords(dir));
    const aa = rows.get('table1\u0000at')!.metrics.aa;
    expect(aa.n).toBe(3);
    expect(aa.mean).toBeCloseTo(50);
    expect(aa.sd).toBeCloseTo(2);
    expect(() => recordResult('table1', 'at', { aa: [1, 2] }, META, { dir })).toThrow(
      /2 value\(s\) but meta.seeds lists 1/,
    );
    expect(() => recordResult('Table 1', 'at', { aa: 1 }, META, { dir })).toThrow(UserError);
  });
});

describe('verdicts', () => {
  const paper: Record<string, number> = { a: 50, b: 48, far: 1 };
  const offline: Record<string, boolean> = { a: true, b: true, far: false };
  function ctx(
    values: Record<string, number[]>,
    state: NotebookState = 'ok',
    profile: VerdictContext['profile'] = 'paper',
  ) {
    const dir = tmp();
    for (const [row, v] of Object.entries(values)) {
      recordResult('t', row, { m: v }, { ...META, seeds: v.map((_, i) => i) }, { dir });
    }
    return {
      profile,
      rows: summarizeRows(loadRecords(dir)),
      tableState: () => state,
      paper: (row: string) => paper[row],
      available: (row: string) => offline[row],
    } satisfies VerdictContext;
  }
  const atLeast: Claim = {
    kind: 'atLeast',
    id: 'a-ge-b',
    text: 'a ≥ b',
    left: { rows: ['a'], metric: 'm' },
    right: { rows: ['b'], metric: 'm' },
    margin: 0.5,
    minSeeds: 3,
  };

  test('atLeast: holds, fails, within noise, too few seeds', () => {
    expect(evaluateClaim(ctx({ a: [50, 51, 52], b: [48, 48, 48] }), 't', atLeast).verdict).toBe('reproduced');
    expect(evaluateClaim(ctx({ a: [49.7, 49.7, 49.7], b: [50, 50, 50] }), 't', atLeast).verdict).toBe(
      'reproduced',
    ); // within margin
    expect(evaluateClaim(ctx({ a: [40, 40, 40], b: [48, 48, 48] }), 't', atLeast).verdict).toBe(
      'not reproduced',
    );
    // mean gap −1.5 but sd 3 on 3 seeds: within two standard errors → inconclusive.
    expect(evaluateClaim(ctx({ a: [46.5, 49.5, 43.5], b: [48, 48, 48] }), 't', atLeast).verdict).toBe(
      'inconclusive',
    );
    const few = evaluateClaim(ctx({ a: [60], b: [40] }), 't', atLeast);
    expect(few.verdict).toBe('inconclusive');
    expect(few.evidence).toMatch(/needs ≥ 3 seeds/);
  });

  test('missing rows: offline-unavailable and not-built are inconclusive, a skipped row is not reproduced', () => {
    const claim: Claim = { ...atLeast, right: { rows: ['far'], metric: 'm' } };
    expect(evaluateClaim(ctx({ a: [1, 2, 3] }), 't', claim).evidence).toMatch(/no offline copy/);
    expect(evaluateClaim(ctx({ a: [1, 2, 3] }), 't', claim).verdict).toBe('inconclusive');
    expect(evaluateClaim(ctx({}, 'not built yet'), 't', atLeast).verdict).toBe('inconclusive');
    expect(evaluateClaim(ctx({ a: [1, 2, 3] }), 't', atLeast).verdict).toBe('not reproduced');
  });

  test('matchesPaper and spreadAtMost', () => {
    const match: Claim = {
      kind: 'matchesPaper',
      id: 'm',
      text: 'm',
      row: 'a',
      metric: 'm',
      tolerance: 1,
      minSeeds: 2,
    };
    expect(evaluateClaim(ctx({ a: [50.5, 49.9] }), 't', match).verdict).toBe('reproduced');
    expect(evaluateClaim(ctx({ a: [45, 45.1] }), 't', match).verdict).toBe('not reproduced');
    const spread: Claim = {
      kind: 'spreadAtMost',
      id: 's',
      text: 's',
      rows: ['a', 'b'],
      metric: 'm',
      maxSpread: 1,
      minSeeds: 1,
    };
    expect(evaluateClaim(ctx({ a: [50], b: [49.5] }), 't', spread).verdict).toBe('reproduced');
    expect(evaluateClaim(ctx({ a: [50], b: [45] }), 't', spread).verdict).toBe('not reproduced');
  });

  test('integrity: ran, finite, in range — passed / failed / not run, never "reproduced"', () => {
    const integrity: Claim = {
      kind: 'integrity',
      id: 'i',
      text: 'i',
      minSeeds: 1,
      minRows: 1,
      ranges: { '*': [0, 100] },
    };
    expect(evaluateClaim(ctx({ a: [50] }, 'ok', 'smoke'), 't', integrity).verdict).toBe('passed');
    expect(evaluateClaim(ctx({ a: [NaN] }, 'ok', 'smoke'), 't', integrity).evidence).toMatch(/not finite/);
    expect(evaluateClaim(ctx({ a: [NaN] }, 'ok', 'smoke'), 't', integrity).verdict).toBe('failed');
    expect(evaluateClaim(ctx({ a: [150] }, 'ok', 'smoke'), 't', integrity).verdict).toBe('failed');
    expect(evaluateClaim(ctx({}, 'failed', 'smoke'), 't', integrity).verdict).toBe('failed');
    expect(evaluateClaim(ctx({}, 'not built yet', 'smoke'), 't', integrity).verdict).toBe('not run');
  });

  test('every claim refers to config ids its table lists, and to metrics the table reports', () => {
    for (const tc of CLAIMS) {
      for (const claims of Object.values(tc.claims)) {
        for (const c of claims) {
          const refs: Ref[] =
            c.kind === 'atLeast'
              ? [c.left, c.right]
              : c.kind === 'spreadAtMost'
                ? [{ rows: c.rows, metric: c.metric }]
                : c.kind === 'matchesPaper'
                  ? [{ rows: [c.row], metric: c.metric }]
                  : [];
          for (const ref of refs) {
            const table = TABLES[ref.table ?? tc.table];
            expect(table).toBeDefined();
            for (const row of ref.rows)
              expect(table.rows.map((r) => `${table.id}:${r.id}`)).toContain(`${table.id}:${row}`);
            for (const m of [ref.metric].flat()) expect(table.metrics.map((x) => x.key)).toContain(m);
          }
        }
      }
    }
  });
});

describe('planning and shards', () => {
  test('missing catalog notebooks are "not built yet"; split notebooks get one run per seed', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, '01-theory.ipynb'), JSON.stringify(nb([])));
    fs.writeFileSync(path.join(dir, '03-my-table2.ipynb'), JSON.stringify(nb([])));
    const plan = planRuns('small', dir);
    expect(plan.runs.map((r) => r.id)).toEqual([
      '01-theory',
      '03-table2-biamat@seed-0',
      '03-table2-biamat@seed-1',
    ]);
    expect(plan.runs[1].optionalParams).toEqual({ profile: 'small', seeds: [0] });
    expect(plan.notBuilt.map((n) => n.id)).toEqual(
      CATALOG.map((c) => c.id).filter((id) => !['01-theory', '03-table2-biamat'].includes(id)),
    );
    expect(matchOnly(['03', '01-theory.ipynb'], ['01-theory', '03-table2-biamat'])).toEqual([
      '03-table2-biamat',
      '01-theory',
    ]);
    expect(() => matchOnly(['09'], ['01-theory'])).toThrow(/no such notebook/);
  });

  test('shards are deterministic, disjoint and cover every run', () => {
    const runs = ['c', 'a', 'e', 'b', 'd', 'f', 'g'].map((id) => ({ id }));
    const shards = [1, 2, 3].map((i) => shardRuns(runs, i, 3).map((r) => r.id));
    expect(shards).toEqual([
      ['a', 'd', 'g'],
      ['b', 'e'],
      ['c', 'f'],
    ]);
    expect(shardRuns([...runs].reverse(), 2, 3).map((r) => r.id)).toEqual(['b', 'e']);
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('4/3')).toThrow(UserError);
  });

  test('merge combines shard dirs, and flags a missing shard', async () => {
    const base = (shard: number, runs: string[]): Manifest => ({
      profile: 'smoke',
      kernel: 'inprocess',
      shard: { index: shard, count: 3 },
      plannedRuns: ['01-theory', '02-table1-aux-labels@seed-0', '03-table2-biamat@seed-0'],
      runs: runs.map((id) => ({
        id,
        notebook: id.split('@')[0],
        status: 'ok',
        output: `notebooks/${id}.ipynb`,
        durationS: 1,
        parameters: {},
        warnings: [],
      })),
      notBuilt: [{ id: '04-table3-trades-family', title: 'Table 3' }],
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:01:00Z',
      versions: {},
    });
    const s1 = tmp();
    const s2 = tmp();
    writeManifest(s1, base(1, ['01-theory']));
    writeManifest(s2, base(2, ['02-table1-aux-labels@seed-0']));
    for (let i = 0; i < THEORY_MIN_STATEMENTS; i++)
      recordResult(
        'theory',
        `check-${i}`,
        { passed: 1, holds: 1 },
        { ...META, profile: 'smoke' },
        { dir: s1 },
      );
    recordResult('table1', 'table2/c10-at', { aa: 40 }, { ...META, profile: 'smoke' }, { dir: s2 });
    const out = path.join(tmp(), 'merged');
    const log: string[] = [];
    const partial = await mergeShards([s1, s2], { out, render: false, log: (l) => log.push(l) });
    expect(partial.model.manifest.missingRuns).toEqual(['03-table2-biamat@seed-0']);
    expect(partial.exitCode).toBe(1); // a shard is missing: the report cannot pass
    expect(loadRecords(out)).toHaveLength(THEORY_MIN_STATEMENTS + 1);
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('Runs missing from the merged shards: 03-table2-biamat@seed-0');
    expect(report).toMatch(/04-table3-trades-family \| .* \| not built yet/);

    const s3 = tmp();
    writeManifest(s3, base(3, ['03-table2-biamat@seed-0']));
    const full = await mergeShards([s1, s2, s3], { out, render: false, log: () => undefined });
    expect(full.model.manifest.missingRuns).toEqual([]);
    expect(full.model.integrity.failed).toBe(1); // table2's integrity: it "ran" but recorded no row
    expect(full.model.counts.reproduced).toBe(0); // integrity checks are never counted as claims
    expect(full.model.counts['not tested at this profile']).toBeGreaterThan(0);
    expect(full.exitCode).toBe(1);
    await expect(mergeShards([s1, s1], { out, render: false, log: () => undefined })).rejects.toThrow(
      /is in both/,
    );
  });
});

describe('npm run lab', () => {
  test('without any Jupyter front end it finds none, and the help says how to install one', () => {
    expect(findFrontend(['/nonexistent/jupyter'])).toBeNull();
    expect(INSTALL_HELP).toMatch(/pipx install jupyterlab/);
    expect(INSTALL_HELP).toMatch(/pip install jupyterlab/);
    expect(INSTALL_HELP).toMatch(/setup-jupyter\.sh/);
  });

  test('a taken port: the next free one', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const chosen = await freePort(port);
      expect(chosen).toBeGreaterThan(port);
    } finally {
      busy.close();
    }
  });

  test('the URL of a notebook in each front end, and an unknown notebook lists the valid ones', () => {
    expect(frontendUrl('lab', 'http://h:1', 't', '01-theory')).toBe(
      'http://h:1/lab/tree/01-theory.ipynb?token=t',
    );
    expect(frontendUrl('notebook', 'http://h:1', 't', '01-theory')).toBe(
      'http://h:1/notebooks/01-theory.ipynb?token=t',
    );
    expect(frontendUrl('notebook', 'http://h:1', 't')).toBe('http://h:1/tree?token=t');
    expect(() => matchOnly(['09'], ['01-theory', '03-table2-biamat'], 'npm run lab')).toThrow(
      /npm run lab 09: no such notebook\n {2}→ choose from: 01-theory, 03-table2-biamat/,
    );
  });

  test("the classic notebook renders math with MathJax's SVG output; JupyterLab needs nothing", () => {
    expect(frontendArgs({ jupyter: 'jupyter', app: 'notebook', version: '6.4.12' })).toEqual([
      '--NotebookApp.mathjax_config=TeX-AMS-MML_SVG-full,Safe',
    ]);
    expect(frontendArgs({ jupyter: 'jupyter', app: 'lab', version: '4.2.0' })).toEqual([]);
  });
});
