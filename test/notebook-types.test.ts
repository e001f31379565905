// Notebooks import the library by package name with its declarations ('biamat', built from
// src/ into dist/), so tslab completes and type-checks every call: a generated notebook run
// through the harness's in-process kernel (tslab's own compiler, rooted at notebooks/) fails at
// the cell that calls the library with a wrong argument type, with TypeScript's diagnostic.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createConverter } from 'tslab/dist/converter';
import { ensureBuilt, isFresh } from '../packages/biamat/build';
import { cellSource, readNotebook, writeNotebook } from '../repro/notebook';
import { runNotebook, type NotebookRunResult } from '../repro/runner';
import { codeNotebook } from './notebook-fixture';

const NOTEBOOKS = path.join(__dirname, '..', 'notebooks');

beforeAll(() => ensureBuilt({ log: () => undefined }), 120_000);

describe('a notebook calling the library through its types', () => {
  let dir: string;
  let result: NotebookRunResult;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notebook-types-'));
    const input = path.join(dir, 'typed.ipynb');
    writeNotebook(
      input,
      codeNotebook([
        { src: "import { planTable, planSummary, runTable, type Profile } from 'biamat';" },
        { src: "const profile: Profile = 'small';", tags: ['parameters'] },
        { src: "console.log(planSummary(planTable('table13', { profile: profile, seeds: [0, 1] })));" },
        { src: "// a wrong argument type\nawait runTable('table2', { profile: 3, seeds: [0] });" },
        { src: "console.log('never runs');" },
      ]),
    );
    // Cells run in notebooks/ (as under Jupyter): tslab resolves 'biamat' from there.
    result = await runNotebook({ input, output: path.join(dir, 'out.ipynb'), cwd: NOTEBOOKS });
  }, 180_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('well-typed calls compile and run', () => {
    const nb = readNotebook(path.join(dir, 'out.ipynb'));
    const plan = nb.cells.find((c) => cellSource(c).includes('planSummary('))!;
    expect(JSON.stringify(plan.outputs)).toMatch(/profile small: 12 row\(s\) planned/);
  });

  test('a wrong argument type fails its cell with the TypeScript diagnostic, before anything runs', () => {
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ ename: 'CompileError', sourceCellIndex: 3 });
    expect(result.error!.evalue).toMatch(
      /Type 'number' is not assignable to type '"smoke" \| "small" \| "paper"'/,
    );
    expect(result.error!.message).toMatch(
      /^typed: cell 3 `\/\/ a wrong argument type` failed: CompileError: 2:28 - Type 'number'/,
    );
    expect(result.cellsRun).toBe(4); // the last cell is skipped
  });
});

test("tslab completes the library's names and a call's options", () => {
  const converter = createConverter({ isJS: false, isBrowser: false });
  try {
    const names = "import { run } from 'biamat';";
    const n = converter.complete('', names, names.indexOf('run') + 3);
    expect(n.candidates).toEqual(expect.arrayContaining(['runTable', 'runTheory', 'runSweep']));
    const call = "import { runTable } from 'biamat';\nrunTable('table2', { pro";
    expect(converter.complete('', call, call.length).candidates).toContain('profile');
  } finally {
    converter.close();
  }
});

test('an edit to src/ makes dist/ stale, and the next import rebuilds it', () => {
  const file = path.join(__dirname, '..', 'src', 'index.ts');
  const { atime, mtime } = fs.statSync(file);
  try {
    fs.utimesSync(file, atime, new Date(mtime.getTime() + 1000));
    expect(isFresh()).toBe(false);
    const log: string[] = [];
    expect(ensureBuilt({ log: (l) => log.push(l) })).toBe(true);
    expect(log.join('\n')).toMatch(/src\/ changed since dist\/ was built[\s\S]*built dist\/ from src\//);
  } finally {
    fs.utimesSync(file, atime, mtime);
    ensureBuilt({ log: () => undefined });
  }
  expect(isFresh()).toBe(true);
}, 120_000);
