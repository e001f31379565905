/**
 * `npm run repro -- --plan` (or `--dry-run`): every run a profile would do — each notebook run
 * with its seeds, each table row it trains — with an estimated time per run on the selected
 * backend (src/experiments/estimate.ts: a few timed steps of each distinct model; nothing is
 * trained). Without `--yes`, a run outside CI whose estimate exceeds LONG_RUN_S prints this plan
 * and stops before starting.
 */
import * as path from 'path';
import {
  estimateExperiment,
  StepTimer,
  type EstimateContext,
  type RunEstimate,
} from '../src/experiments/estimate';
import type { Profile } from '../src/experiments/profiles';
import { planTable } from '../src/report/run-table';
import { UserError } from '../src/util/errors';
import { readManifest } from './manifest';
import { injectParameters, readNotebook, type JsonValue } from './notebook';
import { CATALOG, planRuns, shardRuns, type PlannedRun } from './plan';

/** A run estimated longer than this stops after printing its plan unless --yes (or CI=true). */
export const LONG_RUN_S = 3600;
/** Per notebook run: kernel start, compiling the cells, loading the library. */
export const NOTEBOOK_OVERHEAD_S = 15;

export interface PlanOptions {
  profile: Profile;
  notebooksDir: string;
  outDir: string;
  only?: string[];
  shard?: { index: number; count: number };
  params?: Record<string, JsonValue>;
  backend?: string;
}

export interface NotebookEstimate {
  run: PlannedRun;
  seeds: number[];
  rows: RunEstimate[];
  skipped: { id: string; reason: string }[];
  seconds: number;
  /** Why the notebook is not estimated row by row (theory, outside the catalog, a bad parameter). */
  note?: string;
}

export interface PlanEstimate {
  profile: Profile;
  outDir: string;
  backend: string;
  notebooks: NotebookEstimate[];
  seconds: number;
}

/** "42 s", "12 min", "3 h 05 min", "2.5 days". */
export function formatDuration(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  if (s < 48 * 3600) {
    const h = Math.floor(minutes / 60);
    const min = minutes % 60;
    return min === 0 ? `${h} h` : `${h} h ${String(min).padStart(2, '0')} min`;
  }
  return `${(s / 86400).toFixed(1)} days`;
}

function stringList(params: Record<string, JsonValue> | undefined, name: string): string[] | undefined {
  const v = params?.[name];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function lastDuration(outDir: string, notebook: string): number | undefined {
  try {
    const runs = readManifest(outDir).runs.filter((r) => r.notebook === notebook && r.status === 'ok');
    return runs.length > 0 ? runs.reduce((a, r) => a + r.durationS, 0) : undefined;
  } catch {
    return undefined;
  }
}

/** Estimates every run of the profile (the same runs, seeds and rows `npm run repro` would do). */
export async function estimatePlan(opts: PlanOptions, log: (line: string) => void): Promise<PlanEstimate> {
  const plan = planRuns(opts.profile, opts.notebooksDir, opts.only);
  const runs = opts.shard ? shardRuns(plan.runs, opts.shard.index, opts.shard.count) : plan.runs;
  // A parameter a notebook does not declare is the same error here as in a run.
  for (const run of runs)
    injectParameters(readNotebook(run.input), opts.params ?? {}, run.optionalParams, run.notebook);
  const timer = new StepTimer({ backend: opts.backend });
  const backend = await timer.backend();
  log(
    `plan: timing training steps on ${backend.name} [${backend.device}] (random inputs; nothing is trained)`,
  );
  const ctx: EstimateContext = {
    profile: opts.profile,
    runsDir: path.join(opts.outDir, 'runs'),
    timer,
    counted: new Set(),
  };
  const notebooks: NotebookEstimate[] = [];
  for (const run of runs) {
    const entry = CATALOG.find((c) => c.id === run.notebook);
    const seeds = (opts.params?.seeds ?? run.optionalParams.seeds) as number[];
    const estimate: NotebookEstimate = { run, seeds, rows: [], skipped: [], seconds: NOTEBOOK_OVERHEAD_S };
    notebooks.push(estimate);
    if (!entry || entry.tables.includes('theory')) {
      const last = lastDuration(opts.outDir, run.notebook);
      estimate.note = entry
        ? `no training${last !== undefined ? ` (last run ${formatDuration(last)})` : ''}`
        : 'not in the catalog: not estimated';
      if (last !== undefined) estimate.seconds = last;
      continue;
    }
    try {
      for (const table of entry.tables) {
        const tp = planTable(table, {
          profile: opts.profile,
          seeds,
          only: stringList(opts.params, 'only'),
          overrides: stringList(opts.params, 'overrides'),
        });
        estimate.skipped.push(...tp.skipped.map((s) => ({ id: s.config.id, reason: s.reason })));
        for (const row of tp.rows) estimate.rows.push(...(await estimateExperiment(row.config, ctx)));
      }
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      estimate.note = `the notebook would stop: ${e.message.split('\n')[0]}`;
    }
    estimate.seconds += estimate.rows.reduce((a, r) => a + r.seconds, 0);
  }
  return {
    profile: opts.profile,
    outDir: opts.outDir,
    backend: `${backend.name} [${backend.device}]`,
    notebooks,
    seconds: notebooks.reduce((a, n) => a + n.seconds, 0),
  };
}

/** The plan as lines: one per notebook run (seeds, total), one per row under it. */
export function formatPlan(p: PlanEstimate): string[] {
  const lines = [
    `plan: profile ${p.profile}, ${p.notebooks.length} notebook run(s), results in ${path.relative(process.cwd(), p.outDir) || '.'}`,
  ];
  const width = Math.max(0, ...p.notebooks.flatMap((n) => n.rows.map((r) => r.id.length)));
  p.notebooks.forEach((n, i) => {
    const head = `  [${i + 1}/${p.notebooks.length}] ${n.run.id} — seeds ${n.seeds.join(', ')}`;
    lines.push(n.note ? `${head} — ${n.note}` : `${head} — ≈ ${formatDuration(n.seconds)}`);
    for (const r of n.rows) {
      const time = r.status === 'estimated' ? `≈ ${formatDuration(r.seconds)}` : r.status;
      lines.push(`      ${r.id.padEnd(width)}  seed ${r.seed}  ${time.padEnd(12)}  ${r.detail}`);
    }
    const reasons = [...new Set(n.skipped.map((s) => s.reason))];
    for (const reason of reasons) {
      const ids = n.skipped.filter((s) => s.reason === reason).map((s) => s.id);
      lines.push(`      skipped ${ids.length} row(s), ${reason}: ${ids.join(', ')}`);
    }
  });
  lines.push(
    `total: ≈ ${formatDuration(p.seconds)} on ${p.backend} for ${p.notebooks.length} notebook run(s) ` +
      `(timed steps scaled to each row's batch, attack steps, epochs and evaluation; +${NOTEBOOK_OVERHEAD_S} s per notebook run)`,
  );
  return lines;
}
