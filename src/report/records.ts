/**
 * The recorder (scrapbook's job beside the harness's papermill): a notebook hands each number
 * to `recordResult`, which validates it and writes one JSON file atomically under
 * `<results dir>/records/<table>/`; the harness and the report only read these files.
 *
 *     recordResult('table2', 'table2/c10-at-biamat-imagenet32', { clean: [87.1, 86.9], pgd: [55.2, 55.8] }, {
 *       backend: 'tfjs-node-gpu', device: 'NVIDIA H100', seeds: [0, 1],
 *       data: 'CIFAR-10 (JPEG copy) + Tiny-ImageNet-32 (stand-in for ImageNet 32×32)',
 *       dataNotes: ['…'], scale: { epochs: 10, model: 'wrn-16-4' }, wallTimeS: 3600,
 *     });
 *
 * Rows are named by experiment config id (src/experiments/tables). A metric is one number (a
 * single seed) or an array with one value per seed in `meta.seeds`; the report shows mean ± sd
 * and n. Calling again for the same table, row and seeds replaces the file. The results dir
 * comes from `opts.dir`, else BIAMAT_RESULTS_DIR (the harness sets it), else
 * `<project>/results/interactive` (a notebook run by hand).
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { projectRoot } from '../data';
import { writeJsonAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { mean, sampleSd } from '../util/stats';

// JSON cannot hold NaN or ±Infinity: they are stored as null and read back as NaN, so the
// integrity checks see a diverged run instead of the notebook crashing on the way out.
const finiteOrNaN = z.number().nullable();

export const resultMetaSchema = z.object({
  /** tfjs backend that ran the numbers, e.g. 'tfjs-node-gpu', 'cpu'. */
  backend: z.string().min(1),
  /** The hardware, e.g. 'NVIDIA H100 80GB', 'cpu (2 cores)'. */
  device: z.string().min(1),
  /** Datasets actually used, naming stand-ins, e.g. 'CIFAR-10 (JPEG copy) + MNIST-32 (stand-in for SVHN)'. */
  data: z.string().min(1),
  /** One line per caveat: stand-in dataset, lossy JPEG copy, subset. Empty when none. */
  dataNotes: z.array(z.string()).default([]),
  seeds: z.array(z.number().int()).min(1),
  /** Harness profile ('smoke' | 'small' | 'paper') or 'interactive'. */
  profile: z.string().min(1),
  /** What was scaled: epochs, model, sample counts, attack steps. */
  scale: z.record(z.string(), z.unknown()).default({}),
  wallTimeS: z.number().nonnegative(),
  /**
   * Test images each accuracy was measured on: the n of its binomial error in the report's
   * intervals. Absent where the metrics are not accuracies on the test set (ratios, theory).
   */
  testImages: z.number().int().positive().optional(),
  /** Images in the whole test split: how far more test images could go. */
  testSetImages: z.number().int().positive().optional(),
  /** Metrics measured on other than `testImages` images (AutoAttack below paper scale), by key. */
  metricImages: z.record(z.string(), z.number().int().positive()).optional(),
  /** Anything else worth keeping (resolved config, versions). */
  extra: z.record(z.string(), z.unknown()).optional(),
});
/** What recordResult takes: `profile` defaults to the harness's (BIAMAT_PROFILE) or 'interactive'. */
export type ResultMeta = Omit<z.input<typeof resultMetaSchema>, 'profile'> & { profile?: string };

const curveSchema = z.object({
  x: z.array(z.number()),
  y: z.array(z.number()),
  label: z.string().optional(),
});

export const resultRecordSchema = z.object({
  table: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'table ids are lower-case words, e.g. table2'),
  row: z.string().min(1),
  metrics: z.record(z.string(), z.union([finiteOrNaN, z.array(finiteOrNaN).min(1)])),
  meta: resultMetaSchema,
  /** Series for figures, e.g. the selection ratio per training step (Figure 3). */
  curves: z.record(z.string(), curveSchema).optional(),
  notebook: z.string().optional(),
  recordedAt: z.string(),
});
export type ResultRecord = z.output<typeof resultRecordSchema>;
export type Curve = z.output<typeof curveSchema>;

export interface RecordOptions {
  dir?: string;
  curves?: Record<string, Curve>;
}

export function resultsDir(dir?: string): string {
  return path.resolve(
    dir ?? process.env.BIAMAT_RESULTS_DIR ?? path.join(projectRoot(), 'results', 'interactive'),
  );
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9.+-]+/g, '_').replace(/^_+|_+$/g, '') || 'row';
}

/** Writes one result record (atomically) and returns its path. Bad input is a UserError. */
export function recordResult(
  table: string,
  row: string,
  metrics: Record<string, number | number[]>,
  meta: ResultMeta,
  opts: RecordOptions = {},
): string {
  const storable = Object.fromEntries(
    Object.entries(metrics).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => (Number.isFinite(x) ? x : null)) : Number.isFinite(v) ? v : null,
    ]),
  );
  const parsed = resultRecordSchema.safeParse({
    table,
    row,
    metrics: storable,
    meta: { ...meta, profile: meta.profile ?? process.env.BIAMAT_PROFILE ?? 'interactive' },
    curves: opts.curves,
    notebook: process.env.BIAMAT_NOTEBOOK,
    recordedAt: new Date().toISOString(),
  });
  if (!parsed.success) {
    throw new UserError(
      `recordResult(${JSON.stringify(table)}, ${JSON.stringify(row)}): ${z.prettifyError(parsed.error)}`,
      'see src/report/records.ts for the fields a result needs',
    );
  }
  const record = parsed.data;
  const nSeeds = record.meta.seeds.length;
  for (const [name, value] of Object.entries(record.metrics)) {
    const n = Array.isArray(value) ? value.length : 1;
    if (n !== nSeeds) {
      throw new UserError(
        `recordResult(${table}, ${row}): metric ${name} has ${n} value(s) but meta.seeds lists ${nSeeds}`,
        'give one value per seed (an array in the order of meta.seeds), or a single number for a single seed',
      );
    }
  }
  const file = path.join(
    resultsDir(opts.dir),
    'records',
    table,
    `${slug(row)}.seeds-${record.meta.seeds.join('-')}.json`,
  );
  writeJsonAtomic(file, record);
  return file;
}

/** Every record under `<dir>/records`, validated; a malformed file is a UserError naming it. */
export function loadRecords(dir: string): ResultRecord[] {
  const root = path.join(dir, 'records');
  if (!fs.existsSync(root)) return [];
  const out: ResultRecord[] = [];
  for (const table of fs.readdirSync(root).sort()) {
    const tableDir = path.join(root, table);
    if (!fs.statSync(tableDir).isDirectory()) continue;
    for (const f of fs.readdirSync(tableDir).sort()) {
      if (!f.endsWith('.json')) continue;
      const file = path.join(tableDir, f);
      const parsed = resultRecordSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!parsed.success) {
        throw new UserError(
          `malformed result ${file}: ${z.prettifyError(parsed.error)}`,
          'delete it and rerun its notebook',
        );
      }
      out.push(parsed.data);
    }
  }
  return out;
}

/** One metric of one row across all its records: per-seed values and their summary. */
export interface MetricSummary {
  values: number[];
  seeds: number[];
  n: number;
  mean: number;
  /** Sample standard deviation; NaN for n = 1. */
  sd: number;
  /** Test images per value (the fewest over the records), when the values are test-set accuracies. */
  testImages?: number;
  /** Images in the whole test split, when recorded. */
  testSetImages?: number;
}

export interface RowSummary {
  table: string;
  row: string;
  metrics: Record<string, MetricSummary>;
  records: ResultRecord[];
}

/** Groups records by table and row and pools their per-seed values (a seed seen twice counts once, the later record wins). */
export function summarizeRows(records: ResultRecord[]): Map<string, RowSummary> {
  const rows = new Map<string, RowSummary>();
  const sorted = [...records].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  const bySeed = new Map<string, Map<string, Map<number, number>>>();
  const images = new Map<
    string,
    { testImages?: number; testSetImages?: number; metricImages: Record<string, number> }
  >();
  const fewest = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  for (const r of sorted) {
    const key = `${r.table}\u0000${r.row}`;
    if (!rows.has(key)) rows.set(key, { table: r.table, row: r.row, metrics: {}, records: [] });
    rows.get(key)!.records.push(r);
    if (!bySeed.has(key)) bySeed.set(key, new Map());
    const seen = images.get(key);
    const metricImages = { ...seen?.metricImages };
    for (const [k, v] of Object.entries(r.meta.metricImages ?? {}))
      metricImages[k] = fewest(metricImages[k], v)!;
    images.set(key, {
      testImages: seen ? fewest(seen.testImages, r.meta.testImages) : r.meta.testImages,
      testSetImages: seen ? fewest(seen.testSetImages, r.meta.testSetImages) : r.meta.testSetImages,
      metricImages,
    });
    const metrics = bySeed.get(key)!;
    for (const [name, value] of Object.entries(r.metrics)) {
      const values = (Array.isArray(value) ? value : [value]).map((v) => v ?? NaN);
      if (!metrics.has(name)) metrics.set(name, new Map());
      values.forEach((v, i) => metrics.get(name)!.set(r.meta.seeds[i], v));
    }
  }
  for (const [key, row] of rows) {
    for (const [name, seedMap] of bySeed.get(key)!) {
      const seeds = [...seedMap.keys()].sort((a, b) => a - b);
      const values = seeds.map((s) => seedMap.get(s)!);
      const { testSetImages, metricImages } = images.get(key)!;
      const testImages = metricImages[name] ?? images.get(key)!.testImages;
      row.metrics[name] = {
        values,
        seeds,
        n: values.length,
        mean: mean(values),
        sd: sampleSd(values),
        ...(testImages !== undefined ? { testImages } : {}),
        ...(testSetImages !== undefined ? { testSetImages } : {}),
      };
    }
  }
  return rows;
}

export function rowKey(table: string, row: string): string {
  return `${table}\u0000${row}`;
}

/** Deletes the records a notebook wrote earlier into `dir` (before it runs again). Returns how many. */
export function removeRecordsOf(dir: string, notebook: string): number {
  const root = path.join(dir, 'records');
  if (!fs.existsSync(root)) return 0;
  let removed = 0;
  for (const table of fs.readdirSync(root)) {
    const tableDir = path.join(root, table);
    if (!fs.statSync(tableDir).isDirectory()) continue;
    for (const f of fs.readdirSync(tableDir)) {
      const file = path.join(tableDir, f);
      try {
        if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { notebook?: string }).notebook === notebook) {
          fs.rmSync(file);
          removed++;
        }
      } catch {
        // A malformed file is reported by loadRecords, not silently deleted here.
      }
    }
  }
  return removed;
}
