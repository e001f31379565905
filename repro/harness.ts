/**
 * The harness as functions (cli.ts only parses flags): run a profile's notebooks into a
 * results dir, merge shard dirs, and build the report with its verdicts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureDataset } from '../src/data';
import { PROFILE_SPECS, type Profile } from '../src/experiments/profiles';
import { OFFLINE_DATASETS } from '../src/experiments/standins';
import { loadRecords, removeRecordsOf } from '../src/report/records';
import { CLAIM_VERDICTS, countsText, INTEGRITY_VERDICTS, isFailure } from '../src/report/verdicts';
import { UserError } from '../src/util/errors';
import { ensureBuilt } from '../packages/biamat/build';
import { jupyterProblem } from './kernel';
import { MANIFEST_FILE, readManifest, writeManifest, type Manifest, type RunEntry } from './manifest';
import { injectParameters, readNotebook, type JsonValue } from './notebook';
import { planRuns, shardRuns } from './plan';
import { buildReportModel, writeHtml, writeMarkdown, type RenderCheck, type ReportModel } from './report';
import { PROJECT_ROOT, runNotebook } from './runner';

/** What one `npm run repro` does: which profile and notebooks, how, and where the results go. */
export interface HarnessOptions {
  profile: Profile;
  notebooksDir?: string;
  only?: string[];
  jupyter?: boolean;
  shard?: { index: number; count: number };
  out?: string;
  params?: Record<string, JsonValue>;
  /** tfjs backend: injected as the `backend` parameter where a notebook declares one. */
  backend?: string;
  render?: boolean;
  startTimeoutS?: number;
  cellTimeoutS?: number;
  log?: (line: string) => void;
  /**
   * Import (or fetch) the datasets the result notebooks read before running them, in this
   * process, so a first run shows the progress bar (a notebook's own output is captured).
   * The CLI sets it; tests that run generated notebooks leave it off.
   */
  prepareData?: boolean;
}

/**
 * Makes sure every dataset in `names` is prepared. One that cannot be (no local copy, offline)
 * is reported and skipped: the rows that need it then fail or show as unavailable, and the
 * report says so, while the rest of the profile still runs.
 */
export async function prepareResultData(names: string[], log: (line: string) => void): Promise<void> {
  for (const name of names) {
    try {
      await ensureDataset(name, { progress: 'auto', log });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      log(`warning: ${name} could not be prepared: ${e.message}`);
    }
  }
}

/** Builds dist/ when src/ changed (notebooks type-check against its declarations); a type error in src/ is a UserError. */
export function buildLibrary(log: (line: string) => void): void {
  try {
    ensureBuilt({ log });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

export interface HarnessResult {
  outDir: string;
  model: ReportModel;
  check?: RenderCheck;
  exitCode: number;
}

export function defaultOutDir(profile: Profile, shard?: { index: number; count: number }): string {
  return path.join(
    PROJECT_ROOT,
    'results',
    shard ? `${profile}-shard-${shard.index}-of-${shard.count}` : profile,
  );
}

function versions(): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tslab = (require('tslab/package.json') as { version: string }).version;
  return { node: process.version, tslab, platform: `${process.platform}-${process.arch}` };
}

/** What a run or merge writes into a results dir: removed before a fresh (non-incremental) one. */
const GENERATED_OUTPUTS = [
  'notebooks',
  'records',
  'figures',
  'report.md',
  'report.html',
  'report.png',
  MANIFEST_FILE,
];

function clearOutputs(outDir: string): void {
  for (const p of GENERATED_OUTPUTS) fs.rmSync(path.join(outDir, p), { recursive: true, force: true });
}

export async function runProfile(opts: HarnessOptions): Promise<HarnessResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const profile = opts.profile;
  const spec = PROFILE_SPECS[profile];
  const notebooksDir = opts.notebooksDir ?? path.join(PROJECT_ROOT, 'notebooks');
  const outDir = path.resolve(opts.out ?? defaultOutDir(profile, opts.shard));
  const plan = planRuns(profile, notebooksDir, opts.only);
  const runs = opts.shard ? shardRuns(plan.runs, opts.shard.index, opts.shard.count) : plan.runs;
  const kernel = opts.jupyter ? 'jupyter' : 'inprocess';

  if (opts.jupyter) {
    const problem = jupyterProblem();
    if (problem) throw new UserError(`--jupyter: ${problem}`, 'or drop --jupyter to run in-process');
  }
  // Bad parameters are the user's mistake: refuse before running anything.
  for (const run of runs) {
    injectParameters(readNotebook(run.input), opts.params ?? {}, run.optionalParams, run.notebook);
  }

  // Notebooks import the library as 'biamat' (dist/, built from src/): rebuild it if src/ changed.
  buildLibrary(log);
  if (opts.prepareData && runs.some((r) => r.notebook !== '01-theory'))
    await prepareResultData(OFFLINE_DATASETS, log);

  // A partial run (--only, no shard) updates an existing report; anything else starts clean.
  const incremental = !!opts.only?.length && !opts.shard && fs.existsSync(path.join(outDir, MANIFEST_FILE));
  let previous: Manifest | undefined;
  if (incremental) {
    previous = readManifest(outDir);
    if (previous.profile !== profile) {
      throw new UserError(
        `${outDir} holds profile ${previous.profile}, not ${profile}`,
        'pass another --out',
      );
    }
  } else {
    clearOutputs(outDir);
  }
  fs.mkdirSync(outDir, { recursive: true });

  const rerun = new Set(runs.map((r) => r.notebook));
  for (const nb of rerun) removeRecordsOf(outDir, nb);
  const startedAt = new Date().toISOString();
  const entries: RunEntry[] = [];
  log(
    `repro: profile ${profile}, ${runs.length} run(s)${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${plan.runs.length})` : ''}, kernel ${kernel}, results in ${path.relative(process.cwd(), outDir) || '.'}`,
  );
  for (const nb of plan.notBuilt)
    log(`  ${nb.id}: not built yet (no notebooks/${nb.id.slice(0, 2)}-*.ipynb)`);
  for (const [k, run] of runs.entries()) {
    log(`[${k + 1}/${runs.length}] ${run.id} …`);
    const result = await runNotebook({
      input: run.input,
      output: path.join(outDir, run.output),
      name: run.notebook,
      params: opts.params,
      optionalParams: { ...run.optionalParams, ...(opts.backend ? { backend: opts.backend } : {}) },
      kernel,
      env: {
        BIAMAT_RESULTS_DIR: outDir,
        BIAMAT_PROFILE: profile,
        BIAMAT_NOTEBOOK: run.notebook,
        BIAMAT_RUN_ID: run.id,
        // The library built above, for every notebook of this run (an edit to src/ meanwhile waits for the next run).
        BIAMAT_PIN_DIST: '1',
      },
      startTimeoutS: opts.startTimeoutS ?? spec.startTimeoutS,
      cellTimeoutS: opts.cellTimeoutS ?? spec.cellTimeoutS,
      log: (l) => log(`    ${l}`),
    });
    entries.push({
      id: run.id,
      notebook: run.notebook,
      status: result.status,
      output: run.output,
      durationS: result.durationS,
      parameters: result.parameters,
      warnings: result.warnings,
      error: result.error,
    });
    log(
      result.status === 'ok'
        ? `[${k + 1}/${runs.length}] ${run.id}: ok (${result.durationS.toFixed(1)} s)`
        : `[${k + 1}/${runs.length}] ${run.id}: FAILED — ${result.error?.message}\n    see ${path.relative(process.cwd(), result.errorFile ?? result.output)}`,
    );
  }

  const keptRuns = previous ? previous.runs.filter((r) => !rerun.has(r.notebook)) : [];
  const manifest: Manifest = {
    profile,
    kernel,
    shard: opts.shard ?? null,
    plannedRuns: plan.runs.map((r) => r.id),
    runs: [...keptRuns, ...entries],
    notBuilt: plan.notBuilt.map((n) => ({ id: n.id, title: n.title })),
    startedAt: previous?.startedAt ?? startedAt,
    finishedAt: new Date().toISOString(),
    versions: versions(),
  };
  if (previous) {
    manifest.plannedRuns = [...new Set([...previous.plannedRuns, ...manifest.plannedRuns])];
    const built = new Set([...manifest.runs.map((r) => r.notebook)]);
    manifest.notBuilt = [...previous.notBuilt, ...manifest.notBuilt].filter(
      (n, i, all) => !built.has(n.id) && all.findIndex((m) => m.id === n.id) === i,
    );
  }
  writeManifest(outDir, manifest);
  return buildReport(outDir, { render: opts.render, log });
}

/** Merges shard results dirs into one and builds its report. */
export async function mergeShards(
  dirs: string[],
  opts: { out?: string; render?: boolean; log?: (l: string) => void },
): Promise<HarnessResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (dirs.length === 0)
    throw new UserError('merge: no directories given', 'npm run repro -- merge results/smoke-shard-*');
  const manifests = dirs.map((d) => readManifest(d));
  const profile = manifests[0].profile;
  const bad = manifests.findIndex((m) => m.profile !== profile);
  if (bad >= 0)
    throw new UserError(
      `merge: ${dirs[bad]} is profile ${manifests[bad].profile}, ${dirs[0]} is ${profile}`,
      'merge shards of one profile',
    );
  const outDir = path.resolve(opts.out ?? defaultOutDir(profile));
  if (dirs.some((d) => path.resolve(d) === outDir)) {
    throw new UserError(`merge: the output ${outDir} is one of the inputs`, 'pass --out <new dir>');
  }
  const runs: RunEntry[] = [];
  const seen = new Map<string, string>();
  for (const [i, m] of manifests.entries()) {
    for (const r of m.runs) {
      if (seen.has(r.id))
        throw new UserError(
          `merge: run ${r.id} is in both ${seen.get(r.id)} and ${dirs[i]}`,
          'merge each shard once',
        );
      seen.set(r.id, dirs[i]);
      runs.push(r);
    }
  }
  const planned = [...new Set(manifests.flatMap((m) => m.plannedRuns))].sort();
  const missing = planned.filter((id) => !seen.has(id));
  const ranNotebooks = new Set(runs.map((r) => r.notebook));
  const notBuilt = manifests
    .flatMap((m) => m.notBuilt)
    .filter((n, i, all) => !ranNotebooks.has(n.id) && all.findIndex((x) => x.id === n.id) === i);

  clearOutputs(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  for (const d of dirs) {
    for (const sub of ['notebooks', 'records']) {
      const src = path.join(d, sub);
      if (fs.existsSync(src)) fs.cpSync(src, path.join(outDir, sub), { recursive: true, force: true });
    }
  }
  const manifest: Manifest = {
    profile,
    kernel: manifests[0].kernel,
    shard: null,
    shards: manifests.map((m, i) => ({ dir: path.resolve(dirs[i]), shard: m.shard })),
    plannedRuns: planned,
    missingRuns: missing,
    runs,
    notBuilt,
    startedAt: manifests.map((m) => m.startedAt).sort()[0],
    finishedAt: manifests
      .map((m) => m.finishedAt)
      .sort()
      .reverse()[0],
    versions: manifests[0].versions,
  };
  writeManifest(outDir, manifest);
  log(
    `merge: ${dirs.length} shard(s), ${runs.length} run(s)${missing.length ? `, MISSING ${missing.join(', ')}` : ''} → ${outDir}`,
  );
  return buildReport(outDir, { render: opts.render, log });
}

/** Builds report.md / report.html (and, unless render is false, the Chromium check and PNGs) from a results dir. */
export async function buildReport(
  outDir: string,
  opts: { render?: boolean; log?: (l: string) => void } = {},
): Promise<HarnessResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const manifest = readManifest(outDir);
  const model = buildReportModel(manifest, loadRecords(outDir));
  const html = writeHtml(outDir, model);
  let check: RenderCheck | undefined;
  if (opts.render !== false) {
    // Loaded lazily: playwright-core is only needed when rendering.
    const { renderReport } = await import('./render');
    check = await renderReport(html, outDir);
  }
  writeMarkdown(outDir, model, check);
  log(
    `report: ${path.join(outDir, 'report.md')} — integrity checks: ${countsText(INTEGRITY_VERDICTS, model.integrity)}; ` +
      `paper claims: ${countsText(CLAIM_VERDICTS, model.counts)}; ` +
      `notebooks failed: ${model.failedNotebooks}; not built yet: ${manifest.notBuilt.map((n) => n.id).join(', ') || 'none'}`,
  );
  if (check) log(`report check: ${check.ok ? 'passed' : 'FAILED'} — ${check.detail}`);
  for (const t of model.tables) {
    for (const r of t.claims)
      if (isFailure(r.verdict)) log(`  ${r.verdict}: [${t.id}] ${r.claim.text} — ${r.evidence}`);
  }
  const exitCode = model.failed || (check && !check.ok) ? 1 : 0;
  return { outDir, model, check, exitCode };
}
