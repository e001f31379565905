/**
 * The report as data: per table, ours | paper | Δ per row and metric, the claims' verdicts with
 * their evidence, the data caveats, and plotly figures. markdown.ts and html.ts only render it.
 * The paper's numbers come from the experiment configs (src/experiments/tables); our numbers
 * only from the records the notebooks wrote; the claims from repro/expectations.
 */
import { aaStageAttack, metricLabelOf } from '../../src/experiments/evaluate';
import { PROFILE_SPECS, type Profile } from '../../src/experiments/profiles';
import { scaleConfig } from '../../src/experiments/scale';
import type { ExperimentConfig } from '../../src/experiments/schema';
import { isStandIn } from '../../src/experiments/standins';
import { paperSd, paperValue, type MetricSpec, type PaperTable } from '../../src/experiments/table';
import { ALL_EXPERIMENTS, TABLES } from '../../src/experiments/tables';
import {
  rowKey,
  summarizeRows,
  type MetricSummary,
  type ResultRecord,
  type RowSummary,
} from '../../src/report/records';
import { THEORY_TABLE } from '../../src/report/theory';
import { tableNotes } from './notes';
import {
  CLAIM_VERDICTS,
  INTEGRITY_VERDICTS,
  type ClaimVerdict,
  type IntegrityVerdict,
} from '../../src/report/verdicts';
import type { FigureSpec } from '../../src/util/figure';
import { claimsFor } from '../expectations';
import type { Manifest } from '../manifest';
import { CATALOG } from '../plan';
import { theoryRows, type TheoryRow } from './theory';
import {
  evaluateTable,
  rowVerdict,
  type ClaimResult,
  type NotebookState,
  type VerdictContext,
} from '../verdict';

export interface RowLine {
  label: string;
  id: string;
  cells: { ours: string; paper: string; delta: string }[];
  verdict: string;
  standIn: boolean;
}

/** A column of a report table; `oursOnly`: no paper number exists (AutoAttack's per-attack accuracies). */
export type ReportMetric = MetricSpec & { oursOnly?: boolean };

export interface TableSection {
  id: string;
  title: string;
  /** The catalog notebook that records it ('' outside the catalog). */
  notebook: string;
  notebookState: NotebookState;
  metrics: ReportMetric[];
  rows: RowLine[];
  /** The theory section's lines (statement | parameters | closed form | Monte Carlo | in vivo | verdict) instead of `rows`. */
  theoryRows?: TheoryRow[];
  claims: ClaimResult[];
  /** Datasets and caveats: stand-ins, lossy copies, what has no offline copy, what the records say. */
  notes: string[];
  figures: FigureSpec[];
}

export interface ReportModel {
  profile: Profile;
  description: string;
  generatedAt: string;
  manifest: Manifest;
  notebooks: {
    id: string;
    title: string;
    state: NotebookState;
    detail: string;
    outputs: string[];
    durationS: number;
  }[];
  tables: TableSection[];
  /** Paper claims by verdict (integrity checks are counted apart, never as claims reproduced). */
  counts: Record<ClaimVerdict, number>;
  /** Integrity checks by verdict: the smoke profile's "ran, finite, in range", notebook 01's statements. */
  integrity: Record<IntegrityVerdict, number>;
  failedNotebooks: number;
  /** True when the harness must exit non-zero. */
  failed: boolean;
}

/** Whether a (scaled) row measures an evaluation metric: its eval block says which attacks run. */
export function measures(c: ExperimentConfig, metric: string): boolean {
  switch (metric) {
    case 'pgd':
      return c.eval.pgdSteps > 0;
    case 'cw':
      return c.eval.cwSteps > 0;
    case 'fgsm':
      return c.eval.fgsm;
    case 'aa':
      return c.eval.autoattack;
    default:
      return true; // clean, Table 5's error, Table 14's ratios
  }
}

/** A notebook's overall state from its runs (any failed run fails it). */
export function notebookStates(manifest: Manifest): Map<string, NotebookState> {
  const states = new Map<string, NotebookState>();
  for (const nb of manifest.notBuilt) states.set(nb.id, 'not built yet');
  for (const run of manifest.runs) {
    const prev = states.get(run.notebook);
    states.set(run.notebook, prev === 'failed' || run.status === 'failed' ? 'failed' : 'ok');
  }
  for (const id of manifest.missingRuns ?? []) {
    const nb = id.split('@')[0];
    if (!states.has(nb)) states.set(nb, 'not run');
  }
  return states;
}

function fmtMean(s: MetricSummary | undefined, digits: number): string {
  if (!s) return '—';
  const mean = Number.isFinite(s.mean) ? s.mean.toFixed(digits) : String(s.mean);
  return s.n > 1 ? `${mean} ± ${s.sd.toFixed(digits)} (n=${s.n})` : `${mean} (n=1)`;
}

function cell(
  ours: MetricSummary | undefined,
  paper: number | undefined,
  sd: number | undefined,
  digits: number,
) {
  return {
    ours: fmtMean(ours, digits),
    paper:
      paper === undefined
        ? '—'
        : `${paper.toFixed(digits)}${sd !== undefined ? ` ± ${sd.toFixed(digits)}` : ''}`,
    delta:
      ours && paper !== undefined && Number.isFinite(ours.mean)
        ? `${ours.mean - paper >= 0 ? '+' : ''}${(ours.mean - paper).toFixed(digits)}`
        : '—',
  };
}

function standInRow(c: ExperimentConfig, profile: Profile): boolean {
  const { data } = scaleConfig(c, profile);
  return isStandIn(c.primary, data.primary) || c.aux.some((a, i) => isStandIn(a, data.aux[i]));
}

/** The paper table's rows: one line per config; a transposed table (Table 14) one line per metric. */
function tableRows(
  t: PaperTable,
  ctx: VerdictContext,
  summaries: Map<string, RowSummary>,
): { metrics: ReportMetric[]; rows: RowLine[] } {
  const summary = (c: ExperimentConfig) => summaries.get(rowKey(t.id, c.id));
  const paperOf = (c: ExperimentConfig) =>
    Object.fromEntries(
      t.metrics
        .map((m) => [m.key, paperValue(c, m.key)])
        .filter((e): e is [string, number] => e[1] !== undefined),
    );
  if (t.transpose) {
    const rows = t.rows.flatMap((c) => {
      const standIn = standInRow(c, ctx.profile);
      const s = summary(c);
      return t.metrics.map((m) => ({
        label: t.rows.length > 1 ? `${c.row}: ${m.label}` : m.label,
        id: c.id,
        standIn,
        cells: [cell(s?.metrics[m.key], paperValue(c, m.key), paperSd(c, m.key), t.digits)],
        verdict:
          s && !s.metrics[m.key]
            ? 'not recorded (no such classes in the aux set)'
            : rowVerdict(ctx, t.id, { id: c.id, standIn, paper: paperOf(c) }, s),
      }));
    });
    return { metrics: [{ key: 'value', label: t.transpose.valueLabel }], rows };
  }
  // AutoAttack's accuracy after each of its attacks but the last (that one is the AA column),
  // wherever it ran: ours-only columns after the paper's.
  const stageKeys = [
    ...new Set(t.rows.flatMap((c) => Object.keys(summary(c)?.metrics ?? {}).filter((k) => aaStageAttack(k)))),
  ];
  const metrics: ReportMetric[] = [
    ...t.metrics,
    ...stageKeys.map((key) => ({ key, label: metricLabelOf(key), oursOnly: true })),
  ];
  const rows = t.rows.map((c) => {
    const standIn = standInRow(c, ctx.profile);
    return {
      label: c.table === t.id ? c.row : `${c.row} (${c.table}'s row)`,
      id: c.id,
      standIn,
      cells: metrics.map((m) =>
        cell(summary(c)?.metrics[m.key], paperValue(c, m.key), paperSd(c, m.key), t.digits),
      ),
      verdict: rowVerdict(ctx, t.id, { id: c.id, standIn, paper: paperOf(c) }, summary(c)),
    };
  });
  return { metrics, rows };
}

/** Recorded rows no paper table lists (the theory checks, or a notebook outside the catalog). */
function recordedRows(table: string, metrics: MetricSpec[], summaries: Map<string, RowSummary>, digits = 2) {
  const found = [...summaries.values()].filter((s) => s.table === table);
  const keys = [...new Set([...metrics.map((m) => m.key), ...found.flatMap((s) => Object.keys(s.metrics))])];
  const all = keys.map((k) => metrics.find((m) => m.key === k) ?? { key: k, label: k });
  const rows = found.map((s) => ({
    label: s.row,
    id: s.row,
    standIn: false,
    cells: all.map((m) => cell(s.metrics[m.key], undefined, undefined, digits)),
    verdict: 'not in the paper',
  }));
  return { metrics: all, rows };
}

export function buildReportModel(manifest: Manifest, records: ResultRecord[]): ReportModel {
  const profile = manifest.profile;
  const summaries = summarizeRows(records);
  const states = notebookStates(manifest);
  const tableState = (table: string): NotebookState => {
    const nb = CATALOG.find((c) => c.tables.includes(table))?.id;
    if (nb && states.has(nb)) return states.get(nb)!;
    // A table recorded by a notebook outside the catalog: ok if some record exists.
    return [...summaries.values()].some((s) => s.table === table) ? 'ok' : 'not run';
  };
  const byId = new Map(ALL_EXPERIMENTS.map((c) => [c.id, c]));
  const ctx: VerdictContext = {
    profile,
    rows: summaries,
    tableState,
    paper: (row, metric) => {
      const c = byId.get(row);
      return c ? paperValue(c, metric) : undefined;
    },
    available: (row) => {
      const c = byId.get(row);
      return !c || scaleConfig(c, profile).unavailable === null;
    },
    measured: (row, metric) => {
      const c = byId.get(row);
      return !c || measures(scaleConfig(c, profile).config, metric);
    },
  };

  const recordedTables = [...new Set([...summaries.values()].map((s) => s.table))];
  const ids = [
    THEORY_TABLE.id,
    ...Object.keys(TABLES),
    ...recordedTables.filter((t) => t !== THEORY_TABLE.id && !TABLES[t]),
  ];
  const tables: TableSection[] = ids.map((id) => {
    const t = TABLES[id];
    const theory = id === THEORY_TABLE.id;
    const { metrics, rows } = t
      ? tableRows(t, ctx, summaries)
      : theory
        ? { metrics: [], rows: [] }
        : recordedRows(id, [], summaries);
    const records = [...summaries.values()].filter((s) => s.table === id).flatMap((s) => s.records);
    const claims = claimsFor(id);
    return {
      id,
      title: t?.title ?? (theory ? THEORY_TABLE.title : `${id} (no expectations defined)`),
      notebook: CATALOG.find((c) => c.tables.includes(id))?.id ?? '',
      notebookState: tableState(id),
      metrics,
      rows,
      ...(theory ? { theoryRows: theoryRows(summaries) } : {}),
      claims: claims ? evaluateTable(ctx, claims) : [],
      notes: [...(theory ? THEORY_TABLE.notes : []), ...tableNotes(t, profile, records)],
      figures: t ? buildFigures(t, summaries) : [],
    };
  });

  const counts = Object.fromEntries(CLAIM_VERDICTS.map((v) => [v, 0])) as Record<ClaimVerdict, number>;
  const integrity = Object.fromEntries(INTEGRITY_VERDICTS.map((v) => [v, 0])) as Record<
    IntegrityVerdict,
    number
  >;
  for (const t of tables)
    for (const c of t.claims) {
      if (c.claim.kind === 'integrity') integrity[c.verdict as IntegrityVerdict]++;
      else counts[c.verdict as ClaimVerdict]++;
    }

  const notebooks = [...new Set([...CATALOG.map((c) => c.id), ...manifest.runs.map((r) => r.notebook)])].map(
    (id) => {
      const runs = manifest.runs.filter((r) => r.notebook === id);
      const state = states.get(id) ?? 'not run';
      const failed = runs.find((r) => r.status === 'failed');
      return {
        id,
        title: CATALOG.find((c) => c.id === id)?.title ?? '(not in the catalog)',
        state,
        detail: failed?.error?.message ?? (state === 'ok' ? `${runs.length} run(s)` : ''),
        outputs: runs.map((r) => r.output),
        durationS: runs.reduce((a, r) => a + r.durationS, 0),
      };
    },
  );
  const failedNotebooks = notebooks.filter((n) => n.state === 'failed').length;
  return {
    profile,
    description: PROFILE_SPECS[profile].description,
    generatedAt: new Date().toISOString(),
    manifest,
    notebooks,
    tables,
    counts,
    integrity,
    failedNotebooks,
    failed:
      failedNotebooks > 0 ||
      counts['not reproduced'] > 0 ||
      integrity.failed > 0 ||
      (manifest.missingRuns ?? []).length > 0,
  };
}

/** Bars of the headline metric (ours vs paper) unless the table draws its own line; Table 13's γ lines; recorded curves. */
function buildFigures(t: PaperTable, summaries: Map<string, RowSummary>): FigureSpec[] {
  const m = t.headlineMetric;
  const label = t.metrics.find((x) => x.key === m)?.label ?? m;
  const ours = (c: ExperimentConfig, metric: string) => summaries.get(rowKey(t.id, c.id))?.metrics[metric];
  const figures: FigureSpec[] = [];
  // Bars over rows, or over metrics for a transposed table.
  const bars = t.transpose
    ? t.rows.flatMap((c) =>
        t.metrics.filter((x) => ours(c, x.key)).map((x) => ({ c, key: x.key, label: x.label })),
      )
    : t.rows.filter((c) => ours(c, m)).map((c) => ({ c, key: m, label: c.row }));
  if (bars.length > 0 && t.figure !== 'gamma') {
    const sd = (s: MetricSummary) => (Number.isFinite(s.sd) ? s.sd : 0);
    figures.push({
      id: `${t.id}-bars`,
      title: `${t.title}: ours vs paper${t.transpose ? '' : ` (${label})`}`,
      data: [
        {
          type: 'bar',
          name: 'ours',
          x: bars.map((b) => b.label),
          y: bars.map((b) => ours(b.c, b.key)!.mean),
          error_y: { type: 'data', array: bars.map((b) => sd(ours(b.c, b.key)!)) },
        },
        {
          type: 'bar',
          name: 'paper',
          x: bars.map((b) => b.label),
          y: bars.map((b) => paperValue(b.c, b.key) ?? null),
        },
      ],
      layout: {
        barmode: 'group',
        yaxis: { title: { text: t.transpose?.valueLabel ?? label } },
        margin: { b: 140 },
      },
    });
  }
  if (t.figure === 'gamma') {
    const data: Record<string, unknown>[] = [];
    for (const base of ['at', 'trades'] as const) {
      const rows = t.rows
        .filter((c) => c.method.base === base)
        .sort((a, b) => a.method.gamma - b.method.gamma);
      if (rows.length === 0) continue;
      const x = rows.map((c) => c.method.gamma);
      const name = `${base === 'at' ? 'AT' : 'TRADES'}+BiaMAT`;
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${name} (paper)`,
        x,
        y: rows.map((c) => paperValue(c, m) ?? null),
        line: { dash: 'dot' },
      });
      const y = rows.map((c) => ours(c, m)?.mean ?? null);
      if (y.some((v) => v !== null))
        data.push({ type: 'scatter', mode: 'lines+markers', name: `${name} (ours)`, x, y });
    }
    figures.push({
      id: `${t.id}-line`,
      title: t.title,
      data,
      layout: { xaxis: { title: { text: 'γ' } }, yaxis: { title: { text: label } } },
    });
  }
  const curves = t.rows
    .map((c) => summaries.get(rowKey(t.id, c.id)))
    .filter((s): s is RowSummary => !!s)
    .flatMap((s) =>
      s.records.flatMap((rec) => Object.entries(rec.curves ?? {}).map(([name, c]) => ({ s, rec, name, c }))),
    );
  if (curves.length > 0) {
    figures.push({
      id: `${t.id}-curves`,
      title: `${t.title}: recorded curves`,
      data: curves.map(({ s, rec, name, c }) => ({
        type: 'scatter',
        mode: 'lines',
        name: c.label ?? `${s.row} ${name} (seeds ${rec.meta.seeds.join(',')})`,
        x: c.x,
        y: c.y,
      })),
      layout: { xaxis: { title: { text: 'step' } } },
    });
  }
  return figures;
}
