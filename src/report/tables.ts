/**
 * What a result notebook runs and records: the rows of a paper table (the experiment configs),
 * which of them the smoke profile runs (time budget), one timed runExperiment per row, and the
 * arguments for the harness's recordResult (repro/results.ts) built from the result.
 */
import * as fs from 'fs';
import { TABLES, ALL_EXPERIMENTS } from '../experiments/tables';
import { overridesFromFlags, withOverrides, type ExperimentConfig } from '../experiments/schema';
import { PROFILES, scaleConfig, type Profile } from '../experiments/scale';
import { runExperiment, type ExperimentResult, type RunOptions } from '../experiments/runner';
import { runPaths } from '../train/run_cache';
import { UserError } from '../util/errors';
import { expectationRow } from './rows';
import { superclassRatios } from './superclasses';

/**
 * Rows the smoke profile runs per table (config ids): every notebook end to end in minutes on
 * 2 CPU cores. Rows needing a dataset with no offline copy are always listed (as unavailable,
 * no training); other rows are listed as skipped with this reason.
 */
export const SMOKE_ROWS: Record<string, string[]> = {
  // Plain AT (also Table 2's row: cached for notebook 03), true labels with an unrelated aux
  // set, the uniform target with a related one.
  table1: ['table2/c10-at', 'table1/true-labels-svhn', 'table1/uniform-imagenet32'],
  // Both base methods alone and with BiaMAT (ImageNet stand-in); the AT pair are the sources
  // of Tables 6 and 14 (run cache).
  table2: [
    'table2/c10-at',
    'table2/c10-at-biamat-imagenet32',
    'table2/c10-trades',
    'table2/c10-trades-biamat-imagenet32',
  ],
  // The two methods only Table 3 has (TRADES and TRADES+BiaMAT run in notebook 03).
  table3: ['table3/hendrycks-imagenet32', 'table3/rst-imagenet32'],
  table4: [],
  // Standard training without attacks: seconds per row at smoke scale.
  table5: ['table5/b128-A', 'table5/b128-AB', 'table5/b128-AC', 'table5/b128-ABC'],
  table6: ['table6/from-at', 'table6/from-at-biamat'],
  table13: ['table13/at-biamat-gamma0.45', 'table13/trades-biamat-gamma0.7'],
  table14: ['table14/per-class-high-ratio'],
};

export const SMOKE_SKIP_REASON =
  'not run at smoke scale (time budget of the smoke profile); run the small or paper profile, or name it in `only`';

/** One row a notebook runs: the config (overrides and seeds applied) and where it is recorded. */
export interface PlannedRow {
  config: ExperimentConfig;
  /** Expectation table and row id it is recorded under. */
  table: string;
  row: string;
  label: string;
}

export interface SkippedRow {
  id: string;
  label: string;
  reason: string;
  /** The paper's numbers for the row (shown beside the empty ours). */
  paper?: ExperimentConfig['paper'];
}

export interface TablePlan {
  profile: Profile;
  rows: PlannedRow[];
  skipped: SkippedRow[];
}

export interface PlanOptions {
  /** 'smoke' | 'small' | 'paper'. */
  profile: string;
  /** Seeds to train (the harness injects one per run); each row's own seeds are replaced. */
  seeds: number[];
  /** Config ids to run; empty = the profile's default (all rows; SMOKE_ROWS at smoke). */
  only?: string[];
  /** Dotted key=value overrides applied to every row, e.g. 'train.epochs=2'. */
  overrides?: string[];
}

export function parseProfile(profile: string): Profile {
  if (!(PROFILES as string[]).includes(profile))
    throw new UserError(
      `profile '${profile}' is not one the experiments know`,
      `set profile to one of ${PROFILES.join(', ')} in the parameters cell`,
    );
  return profile as Profile;
}

/**
 * The rows of a paper table, in the table's order. Table 1's notebook also runs plain AT
 * (Table 2's row) as its 'at' baseline.
 */
export function planTable(table: string, opts: PlanOptions): TablePlan {
  const profile = parseProfile(opts.profile);
  const configs = TABLES[table];
  if (!configs)
    throw new UserError(`no paper table '${table}'`, `choose one of ${Object.keys(TABLES).join(', ')}`);
  if (opts.seeds.length === 0 || opts.seeds.some((s) => !Number.isInteger(s)))
    throw new UserError(`seeds ${JSON.stringify(opts.seeds)}`, 'give at least one integer seed');
  const baseline = table === 'table1' ? ALL_EXPERIMENTS.filter((c) => c.id === 'table2/c10-at') : [];
  const all = [...baseline, ...configs];
  const only = opts.only ?? [];
  for (const id of only)
    if (!all.some((c) => c.id === id))
      throw new UserError(
        `only: ${table} has no row '${id}'`,
        `choose from: ${all.map((c) => c.id).join(', ')}`,
      );
  const selected = only.length > 0 ? only : profile === 'smoke' ? SMOKE_ROWS[table] : all.map((c) => c.id);
  const overrides = overridesFromFlags(opts.overrides ?? []);
  const plan: TablePlan = { profile, rows: [], skipped: [] };
  for (const c of all) {
    const unavailable = scaleConfig(c, profile).unavailable !== null;
    if (!selected.includes(c.id) && !unavailable) {
      plan.skipped.push({ id: c.id, label: c.row, reason: SMOKE_SKIP_REASON, paper: c.paper });
      continue;
    }
    const config = withOverrides(withOverrides(c, overrides), { seeds: opts.seeds });
    const isBaseline = table === 'table1' && c.table !== 'table1';
    plan.rows.push({
      config,
      table,
      row: isBaseline ? 'at' : table === 'table14' ? 'all' : expectationRow(c),
      label: isBaseline ? 'AT (no aux; Table 2 row)' : c.row,
    });
  }
  return plan;
}

/** A row after runExperiment, with its wall time in this call (0-ish when cached). */
export interface RowOutcome {
  planned: PlannedRow;
  result: ExperimentResult;
  wallTimeS: number;
}

/** The run cache of a results dir (where runExperiment keeps checkpoints and per-seed results). */
export function runsDir(resultsDir: string): string {
  return `${resultsDir.replace(/\/+$/, '')}/runs`;
}

/** runExperiment for one planned row, timed. */
export async function runRow(row: PlannedRow, opts: RunOptions): Promise<RowOutcome> {
  const t0 = Date.now();
  const result = await runExperiment(row.config, opts);
  return { planned: row, result, wallTimeS: (Date.now() - t0) / 1000 };
}

const DATA_NAMES: Record<string, [string, string | null]> = {
  cifar10: [
    'CIFAR-10 (JPEG copy)',
    'lossy JPEG copy of CIFAR-10: close to, not identical with, the official binaries',
  ],
  mnist32: ['MNIST-32 (stand-in for SVHN)', 'MNIST-32 (MNIST padded to 32×32×3) stands in for SVHN'],
  tin32: [
    'Tiny-ImageNet-32 (stand-in for ImageNet 32×32)',
    'Tiny-ImageNet-32 (200 classes, JPEG copy) stands in for downsampled ImageNet',
  ],
  'tin32#0-99': [
    'Tiny-ImageNet-32 classes 0–99 (stand-in for ImgNet100)',
    'Tiny-ImageNet-32 classes 0–99 stand in for ImgNet100',
  ],
  'tin32#100-199': [
    'Tiny-ImageNet-32 classes 100–199 (stand-in for ImgNet900)',
    'Tiny-ImageNet-32 classes 100–199 stand in for ImgNet900',
  ],
};

/** The datasets a row used, in words, and one note per stand-in or lossy copy. */
export function describeData(result: ExperimentResult): { data: string; notes: string[] } {
  const ds = result.record.datasets as { primary: string | null; aux: (string | null)[] } | undefined;
  const names = ds ? [ds.primary, ...ds.aux].filter((n): n is string => n !== null) : [];
  const data = names.map((n) => DATA_NAMES[n]?.[0] ?? n).join(' + ');
  const notes = [...new Set(names.map((n) => DATA_NAMES[n]?.[1]).filter((n): n is string => !!n))];
  return { data: data || 'none', notes };
}

/** recordResult's arguments: `recordResult(r.table, r.row, r.metrics, r.meta, r.options)`. */
export interface RecordArgs {
  table: string;
  row: string;
  metrics: Record<string, number[]>;
  meta: {
    backend: string;
    device: string;
    data: string;
    dataNotes: string[];
    seeds: number[];
    profile: string;
    scale: Record<string, unknown>;
    wallTimeS: number;
    extra: Record<string, unknown>;
  };
  options: { curves?: Record<string, { x: number[]; y: number[]; label?: string }> };
}

const METRICS = ['clean', 'pgd', 'cw', 'aa', 'fgsm', 'error'] as const;

function baseMeta(o: RowOutcome): RecordArgs['meta'] {
  const r = o.result;
  const c = scaleConfig(o.planned.config, r.profile).config;
  const { data, notes } = describeData(r);
  return {
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
    extra: { experiment: r.id, cached: r.seeds.length > 0 && o.wallTimeS < 1, record: r.record },
  };
}

/**
 * What to record for a finished row: one value per seed for each metric the row measured.
 * [] for a row that did not finish (unavailable offline, or stopped early): nothing is recorded.
 * Table 14 gives one record per CIFAR-10 superclass ('others', 'all'), the selection-ratio
 * curve of the source run (Figure 3) on 'all'.
 */
export function recordArgs(o: RowOutcome, resultsDir?: string): RecordArgs[] {
  const r = o.result;
  if (r.status !== 'done' || r.seeds.length === 0) return [];
  const meta = baseMeta(o);
  if (o.planned.table === 'table14') {
    const curve = resultsDir ? selectionCurve(o.planned.config, r.profile, resultsDir) : null;
    return superclassRatios(r.perClassHighRatio ?? {}).map((s) => ({
      table: 'table14',
      row: s.row,
      metrics: { ratio: [s.ratio] },
      meta: { ...meta, seeds: meta.seeds.slice(0, 1), extra: { ...meta.extra, classes: s.classes } },
      options: s.row === 'all' && curve ? { curves: { ratio: curve } } : {},
    }));
  }
  const metrics: Record<string, number[]> = {};
  for (const k of METRICS) {
    const values = r.seeds.map((s) => s[k]);
    if (values.every((v): v is number => typeof v === 'number')) metrics[k] = values;
  }
  return [{ table: o.planned.table, row: o.planned.row, metrics, meta, options: {} }];
}

/**
 * Figure 3: r = n_high / n_aux per training step of the source run of a Table 14 config (its
 * log.jsonl in the run cache), from the step τ is set on. Null when the log is absent.
 */
export function selectionCurve(
  config: ExperimentConfig,
  profile: Profile,
  resultsDir: string,
): { x: number[]; y: number[]; label: string } | null {
  const sourceId = config.analysis?.sourceId;
  const source = sourceId ? ALL_EXPERIMENTS.find((c) => c.id === sourceId) : undefined;
  if (!source) return null;
  const seed = config.seeds[0];
  const paths = runPaths(resultsDir, `${source.id}/${profile}/seed${seed}`, {
    config: scaleConfig(source, profile).config,
    seed,
  });
  if (!fs.existsSync(paths.log)) return null;
  const steps = fs
    .readFileSync(paths.log, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { globalStep: number; tau: number | null; ratioHigh: number | null })
    .filter((s) => s.tau !== null && s.ratioHigh !== null);
  return {
    x: steps.map((s) => s.globalStep),
    y: steps.map((s) => s.ratioHigh as number),
    label: `r = n_high / n_aux, ${source.id} seed ${seed}`,
  };
}
