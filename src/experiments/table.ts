/**
 * A paper table as one value (RobustBench's rule: one id names the row, its paper numbers and
 * our results): its title, the metrics it reports, and its rows as experiment configs. Each
 * config carries the paper's numbers for its row under its own id; records, claims, the
 * report and the notebooks all name rows by that id.
 */
import type { ExperimentConfig } from './schema';

export interface MetricSpec {
  key: string;
  label: string;
}

export interface PaperTable {
  /** 'table2'. */
  id: string;
  title: string;
  metrics: MetricSpec[];
  /** The metric a bar chart of ours vs the paper shows. */
  headlineMetric: string;
  /**
   * Rows in the paper's order. A row may be another table's config (Table 1 shows Table 2's
   * plain AT row as its baseline); its id stays the same.
   */
  rows: ExperimentConfig[];
  /** Caveats of this table beyond the datasets (those are derived from the rows: standins.ts). */
  notes: string[];
  /** 'gamma': the headline metric over γ per base method (Table 13); 'curves': recorded curves (Figure 3). */
  figure?: 'gamma' | 'curves';
  /** Show metrics as rows, under this column label (Table 14: one analysis, a ratio per superclass). */
  transpose?: { valueLabel: string };
  /** Digits in the report's number cells. */
  digits: number;
}

/** The paper's value of one metric of one row (a per-class value for Table 14), or undefined. */
export function paperValue(config: ExperimentConfig, metric: string): number | undefined {
  const p = config.paper as Record<string, unknown>;
  const v = typeof p[metric] === 'number' ? p[metric] : config.paper.perClass?.[metric];
  return typeof v === 'number' ? v : undefined;
}

/** The paper's standard deviation of one metric of one row, where it gives one (Tables 5 and 6). */
export function paperSd(config: ExperimentConfig, metric: string): number | undefined {
  return config.paper.std?.[metric];
}

/** The accuracy columns of Tables 2–4: clean, PGD-100, CW-100, AutoAttack. */
export const CLEAN_PGD_CW_AA: MetricSpec[] = [
  { key: 'clean', label: 'Clean' },
  { key: 'pgd', label: 'PGD' },
  { key: 'cw', label: 'CW' },
  { key: 'aa', label: 'AA' },
];
