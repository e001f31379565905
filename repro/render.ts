/**
 * Opens report.html in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
 * checks that every table and figure it promises is there and that plotly drew without error,
 * exports each figure as a PNG (figures/<id>.png) and screenshots the page (report.png).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { writeFileAtomic } from '../src/util/atomic';
import type { RenderCheck } from './report';

export function chromiumPath(): string {
  return process.env.BIAMAT_CHROMIUM ?? '/usr/bin/chromium';
}

/** Headless Chromium flags for an offline machine: no GPU, no network side traffic, no first-run UI. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface PageState {
  ready: boolean;
  error?: string;
  expected: { tables: number; figures: number };
  tables: number;
  figures: string[];
}

export async function renderReport(htmlFile: string, outDir: string): Promise<RenderCheck> {
  const exe = chromiumPath();
  if (!fs.existsSync(exe)) {
    return {
      ok: false,
      detail: `no Chromium at ${exe}: apt-get install -y chromium (or set BIAMAT_CHROMIUM)`,
      pngs: {},
    };
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: exe,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    offline: true,
  });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`file://${path.resolve(htmlFile)}`, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForFunction('window.__reportReady === true', undefined, { timeout: 120_000 });
    const state = (await page.evaluate(`({
      ready: window.__reportReady === true,
      error: window.__reportError,
      expected: window.__reportExpected,
      tables: document.querySelectorAll('table.result').length,
      figures: [...document.querySelectorAll('div.figure')].filter((d) => d.querySelector('.main-svg')).map((d) => d.dataset.figure),
    })`)) as PageState;
    const pngs: Record<string, string> = {};
    fs.mkdirSync(path.join(outDir, 'figures'), { recursive: true });
    for (const id of state.figures) {
      const dataUrl = (await page.evaluate(
        `Plotly.toImage(document.getElementById(${JSON.stringify(`fig-${id}`)}), { format: 'png', width: 900, height: 450 })`,
      )) as string;
      const rel = path.join('figures', `${id}.png`);
      writeFileAtomic(path.join(outDir, rel), Buffer.from(dataUrl.split(',')[1], 'base64'));
      pngs[id] = rel;
    }
    const shot = await page.screenshot({ fullPage: true });
    writeFileAtomic(path.join(outDir, 'report.png'), shot);
    const problems: string[] = [];
    if (state.error) problems.push(`plotly failed: ${state.error}`);
    if (state.tables !== state.expected.tables)
      problems.push(`${state.tables} of ${state.expected.tables} tables shown`);
    if (state.figures.length !== state.expected.figures) {
      problems.push(`${state.figures.length} of ${state.expected.figures} figures drawn`);
    }
    if (consoleErrors.length) problems.push(`page errors: ${consoleErrors.slice(0, 3).join('; ')}`);
    return {
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `report.html opened offline in ${path.basename(exe)}: all ${state.tables} tables and ${state.figures.length} figures shown`
          : problems.join('; '),
      pngs,
      screenshot: 'report.png',
    };
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}
