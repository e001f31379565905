// End to end in a real browser: `npm run lab` serves a copy of notebooks/01-theory.ipynb and
// Debian's Chromium (playwright-core) opens it, runs all cells, waits until the kernel is idle,
// checks that no cell shows an error and that the plotly figures rendered (svg.main-svg with
// plotted traces), edits the parameters cell and re-runs one result cell, and saves
// screenshots under results/test/lab-browser/. Any console error of the page fails the test.
// The lab is asked for a port that is taken, so it must pick another; at the end it is stopped
// like Ctrl-C in a terminal and no process it started may be left. Needs a Jupyter front end
// (bash .ci/setup-jupyter.sh) and /usr/bin/chromium; under CI=true a missing one fails the test.
import { spawn, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { findFrontend, processesWithEnv } from '../repro/lab';
import { CHROMIUM_ARGS, chromiumPath } from '../repro/render';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'results', 'test', 'lab-browser');
const MARK = 'BIAMAT_LAB_TEST';

const frontend = findFrontend();
const problem = !fs.existsSync(chromiumPath())
  ? `no Chromium at ${chromiumPath()} (apt-get install -y chromium)`
  : !frontend
    ? 'no Jupyter front end (bash .ci/setup-jupyter.sh installs the classic notebook)'
    : null;
if (problem && process.env.CI === 'true') throw new Error(`CI=true but ${problem}`);
if (problem) console.log(`skipping the browser test: ${problem}`);
const maybe = problem ? describe.skip : describe;

/** Resolves with the first capture group of the first line of `lines` matching `re`. */
function waitForLine(lines: string[], re: RegExp, timeoutMs: number, child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      const hit = lines.map((l) => re.exec(l)).find((m) => m);
      if (hit) {
        clearInterval(poll);
        resolve(hit[1]);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`no line matching ${re} from npm run lab:\n${lines.slice(-30).join('\n')}`));
      }
    }, 200);
  });
}

/** Waits until every code cell has run (no `In [*]`) and the kernel is idle. */
async function waitIdle(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    `(() => {
      const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code');
      const done = cells.every((c) => typeof c.input_prompt_number === 'number');
      return done && document.querySelector('#kernel_indicator_icon').classList.contains('kernel_idle_icon');
    })()`,
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
}

interface PageState {
  prompts: (number | string | null)[];
  errorOutputs: string[];
  figures: { svgs: number; traces: number }[];
}

const pageState = (page: Page) =>
  page.evaluate(`({
    prompts: Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code').map((c) => c.input_prompt_number ?? null),
    errorOutputs: [...document.querySelectorAll('.output_stderr, .output_error')].map((e) => e.textContent.slice(0, 300)),
    figures: [...document.querySelectorAll('.output_area .js-plotly-plot')].map((d) => ({
      svgs: d.querySelectorAll('svg.main-svg').length,
      traces: d.querySelectorAll('g.trace').length,
    })),
  })`) as Promise<PageState>;

maybe('npm run lab in Chromium: notebook 01 end to end', () => {
  const id = randomUUID();
  const lines: string[] = [];
  const consoleErrors: string[] = [];
  let lab: ChildProcess;
  let busy: net.Server;
  let busyPort: number;
  let url: string;
  let context: BrowserContext | undefined;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(path.join(OUT, 'notebooks'), { recursive: true });
    // A copy inside the checkout: 'biamat' resolves from there, and autosave never touches notebooks/.
    fs.copyFileSync(
      path.join(ROOT, 'notebooks', '01-theory.ipynb'),
      path.join(OUT, 'notebooks', '01-theory.ipynb'),
    );
    busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as net.AddressInfo).port;
    lab = spawn(
      'npm',
      [
        'run',
        'lab',
        '--',
        '01',
        '--no-browser',
        '--dir',
        path.join(OUT, 'notebooks'),
        '--port',
        String(busyPort),
      ],
      {
        cwd: ROOT,
        detached: true, // its own process group, so the test can press "Ctrl-C" on all of it
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, [MARK]: id, BIAMAT_RESULTS_DIR: path.join(OUT, 'results') },
      },
    );
    const log = fs.createWriteStream(path.join(OUT, 'lab.log'));
    for (const s of [lab.stdout!, lab.stderr!])
      readline.createInterface({ input: s }).on('line', (l) => {
        lines.push(l);
        log.write(`${l}\n`);
      });
    url = await waitForLine(lines, /^lab: open (http\S+)/, 240_000, lab);
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 300_000);

  afterAll(async () => {
    // Normally the last test stopped everything; after a failure, make sure nothing is left.
    await context?.close().catch(() => undefined);
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    busy?.close();
    if (lab && lab.exitCode === null) {
      try {
        process.kill(-lab.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const pid of processesWithEnv(MARK, id)) process.kill(pid, 'SIGKILL');
  });

  test('the lab picks another port when the asked one is taken, and prints the URL', () => {
    expect(lines.join('\n')).toContain(`lab: port ${busyPort} is in use; using `);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/notebooks\/01-theory\.ipynb\?token=\w+$/);
    expect(new URL(url).port).not.toBe(String(busyPort));
  });

  test('run all: every cell runs, no cell shows an error, the plotly figures render', async () => {
    await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForFunction(
      'window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()',
      undefined,
      { timeout: 120_000 },
    );
    // The toolbar's menu, as a researcher would: Cell → Run All.
    await page.click('#celllink');
    await page.click('#run_all_cells a');
    await waitIdle(page, 480_000);
    const state = await pageState(page);
    expect(state.errorOutputs).toEqual([]);
    expect(state.prompts.every((p) => typeof p === 'number')).toBe(true);
    expect(state.figures.length).toBe(3);
    for (const f of state.figures) {
      expect(f.svgs).toBeGreaterThan(0);
      expect(f.traces).toBeGreaterThan(0);
    }
    const text = (await page.textContent('#notebook-container')) ?? '';
    expect(text).toMatch(/\d+ statements: \d+ pass, \d+ findings, 0 fail/);
    await page.locator('.output_area .js-plotly-plot').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, '01-theory-run-all.png') });
    // The first figure's cell alone (README's docs/notebook-01-theory.png is a copy of it).
    const figureCell = page.locator('.cell', { has: page.locator('.js-plotly-plot') }).first();
    await figureCell.screenshot({ path: path.join(OUT, '01-theory-figure.png') });
  }, 600_000);

  test('edit the parameters cell, re-run one result cell: its output follows the new value', async () => {
    // Edit the parameters cell in its editor (CodeMirror), then run it (Ctrl-Enter).
    const params = page.locator('.code_cell', { hasText: 'const figureSamples' }).first();
    await params.locator('.CodeMirror').click();
    await page.evaluate(`(() => {
      const cell = Jupyter.notebook.get_selected_cell();
      cell.code_mirror.setValue(cell.get_text().replace('const seed = 20230102;', 'const seed = 7;'));
    })()`);
    await page.keyboard.press('Control+Enter');
    await waitIdle(page, 120_000);
    // Re-run the cell that runs the checks.
    const result = page.locator('.code_cell', { hasText: 'const report = runTheory(' }).first();
    await result.locator('.input_prompt').click();
    await page.keyboard.press('Control+Enter');
    await waitIdle(page, 300_000);
    expect(await result.locator('.output_area').textContent()).toMatch(/statements checked \(seed 7,/);
    const state = await pageState(page);
    expect(state.errorOutputs).toEqual([]);
    await result.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, '01-theory-rerun.png') });
    expect(fs.statSync(path.join(OUT, '01-theory-rerun.png')).size).toBeGreaterThan(10_000);
  }, 600_000);

  test('the page logged no console error', () => {
    expect(consoleErrors).toEqual([]);
  });

  test('Ctrl-C stops the lab, and no process it started is left', async () => {
    await context!.close();
    context = undefined;
    process.kill(-lab.pid!, 'SIGINT');
    await new Promise<void>((resolve) =>
      lab.exitCode !== null ? resolve() : lab.once('exit', () => resolve()),
    );
    const deadline = Date.now() + 60_000;
    let left = processesWithEnv(MARK, id);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = processesWithEnv(MARK, id);
    }
    expect(left).toEqual([]);
    expect(lines.join('\n')).toMatch(/Shutting down 1 kernel/);
  }, 120_000);
});
