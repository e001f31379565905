// The in-process kernel's watchdogs: a cell that never finishes hits the per-cell timeout, and
// a kernel process that dies (e.g. an out-of-memory kill) fails the cell it was running.
// Either way the run ends, names the cell, and the cells after it are skipped.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNotebook, writeNotebook } from '../repro/notebook';
import { runNotebook } from '../repro/runner';

function tinyNotebook(dir: string, name: string, body: string): string {
  const file = path.join(dir, `${name}.ipynb`);
  const code = (src: string) => ({
    cell_type: 'code' as const,
    source: src,
    metadata: {},
    outputs: [],
    execution_count: null,
  });
  writeNotebook(file, {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [code("console.log('first');"), code(body), code("console.log('never');")],
  });
  return file;
}

describe('in-process kernel watchdogs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-watchdog-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a hung cell hits the per-cell timeout', async () => {
    const input = tinyNotebook(dir, 'hang', 'await new Promise(() => undefined);');
    const out = path.join(dir, 'out', 'hang.ipynb');
    const r = await runNotebook({ input, output: out, cellTimeoutS: 3 });
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ cellIndex: 1, ename: 'CellTimeoutError' });
    expect(r.error!.message).toMatch(
      /hang: cell 1 `await new Promise\(\(\) => undefined\);` failed: CellTimeoutError: the cell did not finish within 3 s/,
    );
    const nb = readNotebook(out);
    expect((nb.cells[nb.cells.length - 1].metadata.repro as { status: string }).status).toBe('skipped');
  }, 120_000);

  test('a kernel that dies fails the running cell', async () => {
    const input = tinyNotebook(dir, 'die', "process.kill(process.pid, 'SIGKILL');");
    const r = await runNotebook({ input, output: path.join(dir, 'out', 'die.ipynb') });
    expect(r.error).toMatchObject({ cellIndex: 1, ename: 'DeadKernelError' });
    expect(r.error!.evalue).toMatch(/killed by SIGKILL \(out of memory\?\)/);
  }, 120_000);

  test('a kernel that does not start in time fails the run before any cell', async () => {
    const input = tinyNotebook(dir, 'slow', "console.log('x');");
    const r = await runNotebook({ input, output: path.join(dir, 'out', 'slow.ipynb'), startTimeoutS: 0.05 });
    expect(r.error).toMatchObject({ cellIndex: null, ename: 'KernelStartError' });
    expect(r.error!.message).toMatch(
      /slow: kernel start failed: KernelStartError: the in-process kernel did not start within 0.05 s/,
    );
  }, 120_000);
});
