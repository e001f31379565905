// End to end, in-process: generated notebooks run through the harness (tslab's executor in a
// child process), the results and report land in a temp dir, and a broken cell fails the run
// naming the cell. Also opens the report in headless Chromium (needs Debian's chromium).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runProfile, type HarnessResult } from '../repro/harness';
import { readManifest } from '../repro/manifest';
import { cellSource, readNotebook, writeNotebook, type Notebook } from '../repro/notebook';
import { chromiumPath } from '../repro/render';
import { loadRecords } from '../src/report/records';
import { THEORY_MIN_STATEMENTS } from '../repro/expectations/theory';
import { codeNotebook } from './notebook-fixture';

const notebook = (cells: { src: string; tags?: string[] }[]): Notebook =>
  codeNotebook(cells, { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } });

const PARAMS = {
  src: "const profile: string = 'interactive';\nconst seeds: number[] = [0];\nconst scale: number = 1;",
  tags: ['parameters'],
};

const hasChromium = fs.existsSync(chromiumPath());
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`CI=true but ${chromiumPath()} is missing: apt-get install -y chromium`);
}

describe('npm run repro, in-process', () => {
  let dir: string;
  let out: string;
  let result: HarnessResult;
  const log: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-run-'));
    out = path.join(dir, 'results');
    fs.mkdirSync(path.join(dir, 'notebooks'));
    writeNotebook(
      path.join(dir, 'notebooks', '01-theory.ipynb'),
      notebook([
        PARAMS,
        {
          // This notebook lives in a temp dir, where the package 'biamat' does not resolve: load the recorder by absolute path.
          src:
            `const tsx = require(${JSON.stringify(require.resolve('tsx/cjs/api'))});\n` +
            `const { recordResult } = tsx.require(${JSON.stringify(path.resolve(__dirname, '../src/report/records'))}, ${JSON.stringify(__filename)});\n` +
            "const meta = { backend: 'none', device: 'cpu', data: 'synthetic', seeds: seeds, wallTimeS: 0 };\n" +
            "recordResult('theory', 'lemma2', { passed: 1, holds: 1, error: 0.01 * scale }, meta);\n" +
            `for (let i = 1; i < ${THEORY_MIN_STATEMENTS}; i++) recordResult('theory', 'check-' + i, { passed: 1, holds: 1 }, meta);`,
        },
        {
          src: 'import * as tslab from \'tslab\';\ntslab.display.html(`<b id="p">${profile} x${scale}</b>`);',
        },
        {
          src: 'await new Promise((r) => setTimeout(r, 20));\nconsole.log(`seeds=${seeds.join(",")}`);\nscale * 2',
        },
      ]),
    );
    writeNotebook(
      path.join(dir, 'notebooks', '02-table1-aux-labels.ipynb'),
      notebook([
        PARAMS,
        { src: 'const before: number = scale + 1;' },
        { src: "// compute the table\nthrow new RangeError('boom at scale ' + scale);" },
        { src: "console.log('never runs');" },
      ]),
    );
    result = await runProfile({
      profile: 'smoke',
      notebooksDir: path.join(dir, 'notebooks'),
      out,
      params: { scale: 3 },
      render: hasChromium,
      log: (l) => log.push(l),
    });
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the run fails because one notebook failed, and says which cell', () => {
    expect(result.exitCode).toBe(1);
    const manifest = readManifest(out);
    expect(manifest.runs.map((r) => [r.id, r.status])).toEqual([
      ['01-theory', 'ok'],
      ['02-table1-aux-labels@seed-0', 'failed'],
    ]);
    expect(log.join('\n')).toMatch(
      /02-table1-aux-labels: cell 3 \(source cell 2\) `\/\/ compute the table` failed: RangeError: boom at scale 3/,
    );
  });

  test('parameters are injected (typed, after the parameters cell) and stored in the metadata', () => {
    const nb = readNotebook(path.join(out, 'notebooks', '01-theory.ipynb'));
    expect(nb.cells[1].metadata.tags).toEqual(['injected-parameters']);
    expect(cellSource(nb.cells[1])).toContain('const scale: number = 3;');
    expect(cellSource(nb.cells[1])).toContain('const profile: string = "smoke";');
    expect((nb.metadata.repro as { parameters: unknown }).parameters).toEqual({
      profile: 'smoke',
      seeds: [0],
      scale: 3,
    });
  });

  test('outputs are saved: display html, stdout, last expression', () => {
    const nb = readNotebook(path.join(out, 'notebooks', '01-theory.ipynb'));
    expect(nb.cells[3].outputs).toEqual([
      { output_type: 'display_data', data: { 'text/html': '<b id="p">smoke x3</b>' }, metadata: {} },
    ]);
    expect(nb.cells[4].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'seeds=0\n6\n' }]);
  });

  test('every code cell and the run carry timing and status', () => {
    const nb = readNotebook(path.join(out, 'notebooks', '01-theory.ipynb'));
    for (const cell of nb.cells) {
      const m = cell.metadata.repro as {
        status: string;
        start_time: string;
        end_time: string;
        duration: number;
      };
      expect(m.status).toBe('completed');
      expect(Date.parse(m.end_time)).toBeGreaterThanOrEqual(Date.parse(m.start_time));
      expect(m.duration).toBeGreaterThanOrEqual(0);
    }
    const run = nb.metadata.repro as { status: string; duration: number; kernel: string };
    expect(run.status).toBe('completed');
    expect(run.kernel).toBe('inprocess');
  });

  test('results are recorded with the profile and notebook', () => {
    const records = loadRecords(out);
    expect(records).toHaveLength(THEORY_MIN_STATEMENTS);
    const lemma2 = records.find((r) => r.row === 'lemma2');
    expect(lemma2).toMatchObject({
      table: 'theory',
      notebook: '01-theory',
      metrics: { passed: 1, holds: 1, error: 0.03 },
    });
    expect(lemma2!.meta.profile).toBe('smoke');
  });

  test('a failed notebook: banner, marker, error JSON, skipped cells', () => {
    const file = path.join(out, 'notebooks', '02-table1-aux-labels.seed-0.ipynb');
    const nb = readNotebook(file);
    expect(nb.cells[0].metadata.tags).toEqual(['repro-error-banner']);
    expect(cellSource(nb.cells[0])).toContain('href="#repro-error-cell"');
    expect(cellSource(nb.cells[0])).toContain('RangeError: boom at scale 3');
    // cells: banner, params, injected, `before`, marker, failing cell, skipped cell
    expect(nb.cells[4].metadata.tags).toEqual(['repro-error-marker']);
    expect(cellSource(nb.cells[4])).toContain('id="repro-error-cell"');
    expect((nb.cells[5].metadata.repro as { status: string }).status).toBe('failed');
    expect((nb.cells[6].metadata.repro as { status: string }).status).toBe('skipped');
    const err = JSON.parse(fs.readFileSync(file.replace(/\.ipynb$/, '.error.json'), 'utf8'));
    expect(err.error).toMatchObject({
      cellIndex: 3,
      sourceCellIndex: 2,
      firstLine: '// compute the table',
      ename: 'RangeError',
      evalue: 'boom at scale 3',
    });
  });

  test('the report lists every notebook, with the missing ones as not built yet', () => {
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 01-theory \| .* \| ok \|/);
    expect(md).toMatch(/\| 02-table1-aux-labels \| .* \| failed: /);
    expect(md).toMatch(/\| 03-table2-biamat \| .* \| not built yet \|/);
    expect(md).toMatch(
      /no check failed \| notebook ran; 12 row\(s\), 25 value\(s\), all finite and in range \| — \| \*\*passed\*\*/,
    );
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  });

  (hasChromium ? test : test.skip)(
    'report.html opens in headless Chromium with all tables and figures',
    () => {
      expect(result.check?.detail).toMatch(/all \d+ tables and \d+ figures shown/);
      expect(result.check?.ok).toBe(true);
      expect(fs.statSync(path.join(out, 'report.png')).size).toBeGreaterThan(10_000);
      for (const png of Object.values(result.check!.pngs))
        expect(fs.existsSync(path.join(out, png))).toBe(true);
    },
  );
});
