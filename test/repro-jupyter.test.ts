// The --jupyter path: a generated notebook runs through real Jupyter (nbclient + the tslab
// kernel, Debian's /usr/bin/python3). Needs `bash .ci/setup-jupyter.sh`; under CI=true a
// missing Jupyter fails this file instead of skipping it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { jupyterProblem } from '../repro/kernel';
import { cellSource, readNotebook, writeNotebook } from '../repro/notebook';
import { runNotebook, type NotebookRunResult } from '../repro/runner';

const problem = jupyterProblem();
if (problem && process.env.CI === 'true') throw new Error(`CI=true but Jupyter is not usable: ${problem}`);
const maybe = problem ? describe.skip : describe;

maybe('runNotebook through Jupyter (nbclient + tslab kernel)', () => {
  let dir: string;
  let out: string;
  let result: NotebookRunResult;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-jupyter-'));
    const input = path.join(dir, 'tiny.ipynb');
    out = path.join(dir, 'out', 'tiny.ipynb');
    const code = (src: string, tags: string[] = []) => ({
      cell_type: 'code' as const,
      source: src,
      metadata: { tags },
      outputs: [],
      execution_count: null,
    });
    writeNotebook(input, {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        code("const label: string = 'default';", ['parameters']),
        code(
          "import * as tslab from 'tslab';\ntslab.display.html(`<i>${label}</i>`);\nconsole.log(label.length);",
        ),
        code("const n: number = 'not a number';"),
        code("console.log('never runs');"),
      ],
    });
    result = await runNotebook({
      input,
      output: out,
      params: { label: 'jupyter' },
      kernel: 'jupyter',
      startTimeoutS: 120,
      cellTimeoutS: 120,
    });
  }, 240_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('parameters injected, outputs captured, timing recorded', () => {
    const nb = readNotebook(out);
    // cells: banner, parameters, injected, display, failing (after its marker), skipped
    expect(cellSource(nb.cells[2])).toContain('const label: string = "jupyter";');
    expect(nb.cells[3].outputs).toEqual([
      { output_type: 'display_data', data: { 'text/html': '<i>jupyter</i>' }, metadata: {} },
      { output_type: 'stream', name: 'stdout', text: '7\n' },
    ]);
    expect((nb.cells[3].metadata.repro as { duration: number }).duration).toBeGreaterThan(0);
    expect((nb.metadata.repro as { kernel: string }).kernel).toBe('jupyter');
  });

  test('a compile error fails the run and names the cell, although tslab sends no error message', () => {
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ cellIndex: 3, sourceCellIndex: 2, ename: 'CompileError' });
    expect(result.error!.evalue).toMatch(/not assignable to type 'number'/);
    expect(result.error!.message).toMatch(
      /tiny: cell 3 \(source cell 2\) `const n: number = 'not a number';` failed: CompileError/,
    );
    const nb = readNotebook(out);
    expect(nb.cells[0].metadata.tags).toEqual(['repro-error-banner']);
    expect((nb.cells[6].metadata.repro as { status: string }).status).toBe('skipped');
    expect(fs.existsSync(result.errorFile!)).toBe(true);
  });

  test('a kernel that dies mid-run is reported with the cell it was running', async () => {
    const input = path.join(dir, 'die.ipynb');
    const code = (src: string) => ({
      cell_type: 'code' as const,
      source: src,
      metadata: {},
      outputs: [],
      execution_count: null,
    });
    writeNotebook(input, {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        code("console.log('first');"),
        code("process.kill(process.pid, 'SIGKILL');"),
        code("console.log('never');"),
      ],
    });
    const r = await runNotebook({
      input,
      output: path.join(dir, 'out', 'die.ipynb'),
      kernel: 'jupyter',
      startTimeoutS: 120,
      cellTimeoutS: 120,
    });
    expect(r.error).toMatchObject({ cellIndex: 1, ename: 'DeadKernelError' });
    expect(r.error!.message).toMatch(
      /^die: cell 1 `process\.kill\(process\.pid, 'SIGKILL'\);` failed: DeadKernelError: the kernel died/,
    );
    const nb = readNotebook(path.join(dir, 'out', 'die.ipynb'));
    expect((nb.cells[nb.cells.length - 1].metadata.repro as { status: string }).status).toBe('skipped');
  }, 240_000);
});
