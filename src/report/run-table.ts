/**
 * A result notebook's work as one call: `runTable('table2', params)` plans the table's rows at
 * the profile (the smoke profile runs a subset and says which it skips), runs each row with
 * runExperiment (cached by config hash), records one result per row with recordResult, and
 * returns the outcomes for the notebook to show. Rows are named by their config ids.
 */
import * as path from 'path';
import { aaStageAttack, flatMetrics } from '../experiments/evaluate';
import { describeData } from '../experiments/standins';
import { formatResult } from '../experiments/format';
import { parseProfile, SMOKE_ROWS, SMOKE_SKIP_REASON, type Profile } from '../experiments/profiles';
import { runExperiment, type ExperimentResult, type RunOptions } from '../experiments/runner';
import { scaleConfig } from '../experiments/scale';
import { overridesFromFlags, withOverrides, type ExperimentConfig } from '../experiments/schema';
import type { PaperTable } from '../experiments/table';
import { findExperiment, paperTable } from '../experiments/tables';
import { selectionRatioCurve } from '../experiments/training';
import { datasetInfo, readCacheMeta } from '../data';
import { runPaths } from '../train/run-cache';
import { UserError } from '../util/errors';
import { recordResult, resultsDir as defaultResultsDir, type Curve, type ResultMeta } from './records';
import { superclassRatios } from './superclasses';

/**
 * What a table notebook passes (its parameters cell): RunOptions in the notebook's terms —
 * the profile as a name, overrides as `key=value` strings, the results dir whose `runs/`
 * holds the run cache — plus the seeds and rows to run.
 */
export type TableOptions = Omit<RunOptions, 'profile' | 'resultsDir' | 'overrides'> & {
  /** 'smoke' | 'small' | 'paper' (checked again at run time: a value from an untyped source is a UserError). */
  profile: Profile;
  /** Seeds to train (the harness injects one per run); each row's own seeds are replaced. */
  seeds: number[];
  /** Config ids to run; empty = the profile's default (all rows; SMOKE_ROWS at smoke). */
  only?: string[];
  /** Dotted key=value overrides for every row, e.g. 'train.epochs=2'. */
  overrides?: string[];
  /** Records go to `<dir>/records`, the run cache to `<dir>/runs`; '' or undefined: the default results dir. */
  resultsDir?: string;
};

/** One row a notebook runs: the config with seeds and overrides applied. */
export interface PlannedRow {
  config: ExperimentConfig;
  label: string;
}

export interface SkippedRow {
  config: ExperimentConfig;
  reason: string;
}

export interface TablePlan {
  profile: Profile;
  table: PaperTable;
  rows: PlannedRow[];
  skipped: SkippedRow[];
}

/** A row after runExperiment, with its wall time in this call (near 0 when cached). */
export interface RowOutcome {
  planned: PlannedRow;
  result: ExperimentResult;
  wallTimeS: number;
}

export interface TableRun {
  plan: TablePlan;
  outcomes: RowOutcome[];
  /** Files recordResult wrote. */
  records: string[];
  /** The results dir (records) and its run cache. */
  resultsDir: string;
  runsDir: string;
}

/** The rows of a paper table a profile runs, in the table's order, seeds and overrides applied. */
export function planTable(tableId: string, opts: TableOptions): TablePlan {
  const profile = parseProfile(opts.profile);
  const table = paperTable(tableId);
  if (opts.seeds.length === 0 || opts.seeds.some((s) => !Number.isInteger(s)))
    throw new UserError(`seeds ${JSON.stringify(opts.seeds)}`, 'give at least one integer seed');
  const only = opts.only ?? [];
  for (const id of only)
    if (!table.rows.some((c) => c.id === id))
      throw new UserError(
        `only: ${tableId} has no row '${id}'`,
        `choose from: ${table.rows.map((c) => c.id).join(', ')}`,
      );
  const selected =
    only.length > 0 ? only : profile === 'smoke' ? SMOKE_ROWS[tableId] : table.rows.map((c) => c.id);
  const overrides = overridesFromFlags(opts.overrides ?? []);
  const plan: TablePlan = { profile, table, rows: [], skipped: [] };
  for (const c of table.rows) {
    const unavailable = scaleConfig(c, profile).unavailable !== null;
    if (!selected.includes(c.id) && !unavailable) {
      plan.skipped.push({ config: c, reason: SMOKE_SKIP_REASON });
      continue;
    }
    const config = withOverrides(withOverrides(c, overrides), { seeds: opts.seeds });
    plan.rows.push({ config, label: c.table === tableId ? c.row : `${c.row} (${c.table}'s row)` });
  }
  return plan;
}

/** One line per planned and skipped row: what runs and what does not. */
export function planSummary(plan: TablePlan): string {
  return [
    `profile ${plan.profile}: ${plan.rows.length} row(s) planned, ${plan.skipped.length} skipped`,
    ...plan.rows.map((r) => `  run   ${r.config.id} (seeds ${r.config.seeds.join(', ')})`),
    ...plan.skipped.map((s) => `  skip  ${s.config.id}: ${s.reason}`),
  ].join('\n');
}

/** runExperiment for one planned row, timed. */
export async function runRow(row: PlannedRow, opts: RunOptions): Promise<RowOutcome> {
  const t0 = Date.now();
  const result = await runExperiment(row.config, opts);
  return { planned: row, result, wallTimeS: (Date.now() - t0) / 1000 };
}

/** recordResult's arguments for one row. */
export interface RecordArgs {
  table: string;
  row: string;
  metrics: Record<string, number[]>;
  meta: ResultMeta;
  curves?: Record<string, Curve>;
}

/**
 * What to record for a finished row under `tableId`: one value per seed for each metric it
 * measured; nothing for a row that did not finish (unavailable offline, or stopped early).
 * Table 14 records its one analysis as a ratio per CIFAR-10 superclass ('others', 'all'), with
 * the source run's selection-ratio curve (Figure 3).
 */
export function recordArgs(tableId: string, o: RowOutcome, runsDir?: string): RecordArgs[] {
  const r = o.result;
  if (r.status !== 'done' || r.seeds.length === 0) return [];
  const c = scaleConfig(o.planned.config, r.profile).config;
  const ds = r.record.datasets as { primary: string | null; aux: (string | null)[] } | undefined;
  const { data, notes } = describeData(ds ? [ds.primary, ...ds.aux] : []);
  const meta: ResultMeta = {
    backend: String(r.record.backend ?? 'unknown'),
    device: String(r.record.device ?? 'unknown'),
    data,
    dataNotes: notes,
    seeds: r.seeds.map((s) => s.seed),
    profile: r.profile,
    scale: {
      model: c.model,
      epochs: c.train.epochs,
      trainAttackSteps: c.train.attack.steps,
      pgdSteps: c.eval.pgdSteps,
      cwSteps: c.eval.cwSteps,
      autoattack: c.eval.autoattack,
      subset: c.subset,
    },
    wallTimeS: o.wallTimeS,
    extra: { experiment: r.id, cached: o.wallTimeS < 1, record: r.record },
  };
  const testSetImages = ds?.primary ? testSplitSize(ds.primary) : undefined;
  if (c.analysis) {
    const groups = superclassRatios(r.perClassHighRatio ?? {});
    const curve = runsDir ? selectionCurve(o.planned.config, r.profile, runsDir) : null;
    return [
      {
        table: tableId,
        row: r.id,
        metrics: Object.fromEntries(groups.map((g) => [g.row, [g.ratio]])),
        meta: {
          ...meta,
          seeds: meta.seeds.slice(0, 1),
          extra: { ...meta.extra, classes: Object.fromEntries(groups.map((g) => [g.row, g.classes])) },
        },
        curves: curve ? { ratio: curve } : undefined,
      },
    ];
  }
  const metrics: Record<string, number[]> = {};
  const flat = r.seeds.map(flatMetrics);
  for (const k of new Set(flat.flatMap((f) => Object.keys(f)))) {
    const values = flat.map((f) => f[k]);
    if (values.every((v): v is number => typeof v === 'number')) metrics[k] = values;
  }
  // AutoAttack below paper scale runs on fewer images than the other metrics: its own n.
  const aaImages = c.eval.autoattack ? c.eval.autoattackImages : null;
  const metricImages =
    aaImages === null
      ? undefined
      : Object.fromEntries(
          Object.keys(metrics)
            .filter((k) => k === 'aa' || aaStageAttack(k))
            .map((k) => [k, aaImages]),
        );
  const testImages =
    c.subset.primaryTest !== null && testSetImages !== undefined
      ? Math.min(c.subset.primaryTest, testSetImages)
      : (c.subset.primaryTest ?? testSetImages);
  return [
    {
      table: tableId,
      row: r.id,
      metrics,
      meta: {
        ...meta,
        ...(testImages !== undefined ? { testImages } : {}),
        ...(testSetImages !== undefined ? { testSetImages } : {}),
        ...(metricImages && Object.keys(metricImages).length ? { metricImages } : {}),
      },
    },
  ];
}

/** Images in a dataset's test split: the prepared copy's count, else the official one. */
function testSplitSize(name: string): number | undefined {
  try {
    return readCacheMeta(name)?.splits.test?.n ?? datasetInfo(name).officialCounts?.test;
  } catch {
    return undefined;
  }
}

/**
 * Figure 3: r = n_high / n_aux per training step of the source run of an analysis config (its
 * step log in the run cache), from the step τ is set on. Null when the log is absent.
 */
export function selectionCurve(config: ExperimentConfig, profile: Profile, runsDir: string): Curve | null {
  if (!config.analysis) return null;
  const source = findExperiment(config.analysis.sourceId);
  const seed = config.seeds[0];
  const scaled = scaleConfig(withOverrides(source, { seeds: [seed] }), profile).config;
  const paths = runPaths(runsDir, `${source.id}/${profile}/seed${seed}`, { config: scaled, seed });
  const curve = selectionRatioCurve(paths.log);
  return curve && { ...curve, label: `r = n_high / n_aux, ${source.id} seed ${seed}` };
}

/** Plans, runs and records one paper table: the whole work of a table notebook. */
export async function runTable(tableId: string, opts: TableOptions): Promise<TableRun> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const plan = planTable(tableId, opts);
  const dir = defaultResultsDir(opts.resultsDir || undefined);
  const runsDir = path.join(dir, 'runs');
  // Overrides and seeds are already in the planned configs.
  const runOpts: RunOptions = {
    profile: plan.profile,
    resultsDir: runsDir,
    backend: opts.backend,
    dataDir: opts.dataDir,
    presence: opts.presence,
    stopAfterEpochs: opts.stopAfterEpochs,
    progress: opts.progress ?? false,
    log,
  };
  log(planSummary(plan));
  const outcomes: RowOutcome[] = [];
  const records: string[] = [];
  for (const row of plan.rows) {
    const o = await runRow(row, runOpts);
    log(formatResult(o.result));
    outcomes.push(o);
    for (const a of recordArgs(tableId, o, runsDir))
      records.push(recordResult(a.table, a.row, a.metrics, a.meta, { dir, curves: a.curves }));
  }
  log(`${records.length} record(s) written under ${path.join(dir, 'records')}`);
  return { plan, outcomes, records, resultsDir: dir, runsDir };
}
