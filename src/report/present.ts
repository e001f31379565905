/**
 * How a result notebook shows its table: ours beside the paper's numbers (markdown for tslab's
 * display.markdown), a status column that says why a row has no numbers, and plotly figures.
 */
import * as path from 'path';
import { aaStageAttack, flatMetrics, metricLabelOf, METRIC_KEYS } from '../experiments/evaluate';
import { paperSd, paperValue } from '../experiments/table';
import { writeJsonAtomic } from '../util/atomic';
import type { FigureSpec } from '../util/figure';
import { mean, sampleSd } from '../util/stats';
import { selectionCurve, type RowOutcome, type TableRun } from './run-table';
import { superclassRatios } from './superclasses';

/** mean ± sd over seeds (sd only for n > 1), 2 decimals; '–' when absent. */
export function formatMean(values: number[] | undefined): string {
  if (!values || values.length === 0) return '–';
  const m = mean(values);
  if (!Number.isFinite(m)) return 'NaN';
  if (values.length === 1) return m.toFixed(2);
  return `${m.toFixed(2)} ± ${sampleSd(values).toFixed(2)} (n=${values.length})`;
}

function paperCell(o: Pick<RowOutcome['planned'], 'config'>, metric: string): string {
  const v = paperValue(o.config, metric);
  const sd = paperSd(o.config, metric);
  if (v === undefined) return '–';
  return sd === undefined ? v.toFixed(2) : `${v.toFixed(2)} ± ${sd.toFixed(2)}`;
}

/** The per-seed values of one metric of a finished row, or undefined. */
function seedValues(o: RowOutcome, metric: string): number[] | undefined {
  const seeds = o.result.seeds.map(flatMetrics);
  return seeds.length > 0 && seeds.every((s) => typeof s[metric] === 'number')
    ? seeds.map((s) => s[metric])
    : undefined;
}

function status(o: RowOutcome): string {
  const r = o.result;
  if (r.status === 'unavailable')
    return `unavailable offline (${/: (.+?) has no/.exec(r.reason ?? '')?.[1] ?? 'a dataset'} not imported)`;
  if (r.status === 'partial') return 'partial (stopped early; rerun to continue)';
  return `done${o.wallTimeS < 1 ? ' (cached)' : ''}, ${o.wallTimeS.toFixed(0)} s`;
}

function escape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A markdown table: one line per row, ours | paper per metric, then the status. Default metrics: shownMetrics. */
export function comparisonMarkdown(run: TableRun, metrics = shownMetrics(run)): string {
  const head = [
    'row',
    ...metrics.flatMap((m) =>
      aaStageAttack(m)
        ? [`${metricLabel(run, m)} ours`]
        : [`${metricLabel(run, m)} ours`, `${metricLabel(run, m)} paper`],
    ),
    'status',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const o of run.outcomes) {
    const cells = metrics.flatMap((m) =>
      aaStageAttack(m)
        ? [formatMean(seedValues(o, m))]
        : [formatMean(seedValues(o, m)), paperCell(o.planned, m)],
    );
    lines.push(`| ${escape(o.planned.label)} | ${cells.join(' | ')} | ${escape(status(o))} |`);
  }
  for (const s of run.plan.skipped) {
    const cells = metrics.flatMap((m) => (aaStageAttack(m) ? ['–'] : ['–', paperCell(s, m)]));
    lines.push(`| ${escape(s.config.row)} | ${cells.join(' | ')} | skipped: ${escape(s.reason)} |`);
  }
  return lines.join('\n');
}

function metricLabel(run: TableRun, key: string): string {
  return metricLabelOf(key, run.plan.table.metrics.find((m) => m.key === key)?.label);
}

/**
 * Metrics we measured: the table's, in its order, then others we measured (PGD where the paper
 * reports only AA), then AutoAttack's accuracy after each of its attacks but the last.
 */
export function measuredMetrics(run: TableRun): string[] {
  const stages = run.outcomes.flatMap((o) =>
    o.result.seeds.flatMap((s) => Object.keys(flatMetrics(s)).filter((k) => aaStageAttack(k))),
  );
  const keys = [...new Set([...run.plan.table.metrics.map((m) => m.key), ...METRIC_KEYS, ...stages])];
  return keys.filter((m) => run.outcomes.some((o) => seedValues(o, m) !== undefined));
}

/** Metrics we measured or the paper gives for a row we ran. */
export function shownMetrics(run: TableRun): string[] {
  const measured = measuredMetrics(run);
  const paper = run.plan.table.metrics
    .map((m) => m.key)
    .filter(
      (m) => !measured.includes(m) && run.outcomes.some((o) => paperValue(o.planned.config, m) !== undefined),
    );
  return [...measured, ...paper];
}

/** Grouped bars, ours vs the paper, for one metric (default: the first of AA, PGD, the headline measured), rows we measured. */
export function comparisonBars(run: TableRun, metric?: string): FigureSpec {
  const measured = measuredMetrics(run);
  const m =
    metric ?? ['aa', 'pgd', run.plan.table.headlineMetric].find((k) => measured.includes(k)) ?? measured[0];
  const done = run.outcomes.filter((o) => seedValues(o, m) !== undefined);
  const labels = done.map((o) => o.planned.label);
  const title = `${run.plan.table.title}: ours vs paper (${metricLabel(run, m)})`;
  return {
    id: `${run.plan.table.id}-bars`,
    title,
    data: [
      { type: 'bar', name: 'ours', x: labels, y: done.map((o) => mean(seedValues(o, m)!)) },
      { type: 'bar', name: 'paper', x: labels, y: done.map((o) => paperValue(o.planned.config, m) ?? null) },
    ],
    layout: {
      title: { text: title },
      barmode: 'group',
      yaxis: { title: { text: `${metricLabel(run, m)} (%)` } },
      margin: { b: 160 },
    },
  };
}

/** A line over x (e.g. γ) for each series of (x, ours, paper). */
export function lineFigure(
  id: string,
  title: string,
  xTitle: string,
  yTitle: string,
  series: { name: string; x: number[]; y: (number | null)[]; dash?: boolean }[],
): FigureSpec {
  return {
    id,
    title,
    data: series.map((s) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: s.name,
      x: s.x,
      y: s.y,
      line: s.dash ? { dash: 'dash' } : {},
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: xTitle } },
      yaxis: { title: { text: yTitle } },
    },
  };
}

/** Table 13: a metric (default: the first measured of AA, PGD) over γ, ours and the paper's AA, per base method. */
export function gammaFigure(run: TableRun, metric?: string): FigureSpec {
  const measured = measuredMetrics(run);
  const m = metric ?? ['aa', 'pgd'].find((k) => measured.includes(k)) ?? 'aa';
  const series = (['at', 'trades'] as const).flatMap((base) => {
    const rows = run.outcomes
      .filter((o) => o.planned.config.method.base === base)
      .sort((a, b) => a.planned.config.method.gamma - b.planned.config.method.gamma);
    if (rows.length === 0) return [];
    const x = rows.map((o) => o.planned.config.method.gamma);
    return [
      {
        name: `${base.toUpperCase()}+BiaMAT ours (${metricLabel(run, m)})`,
        x,
        y: rows.map((o) => o.result.mean[m] ?? null),
      },
      {
        name: `${base.toUpperCase()}+BiaMAT paper (AA)`,
        x,
        y: rows.map((o) => paperValue(o.planned.config, 'aa') ?? null),
        dash: true,
      },
    ];
  });
  return lineFigure('table13-gamma', 'Table 13: robustness over γ', 'γ', 'accuracy (%)', series);
}

/** Table 14 rows of a run: the analysis outcome's per-class ratios and the paper's per-superclass numbers. */
function analyses(
  run: TableRun,
): { label: string; perClass?: Record<string, number>; paper: Record<string, number>; status: string }[] {
  return run.outcomes.map((o) => ({
    label: o.planned.label,
    perClass: o.result.status === 'done' ? o.result.perClassHighRatio : undefined,
    paper: o.planned.config.paper.perClass ?? {},
    status: status(o),
  }));
}

/** Table 14: ours vs paper per CIFAR-10 superclass (markdown), one table per analysed row. */
export function superclassMarkdown(run: TableRun): string {
  return analyses(run)
    .map((a) => {
      if (!a.perClass) return `${a.label}: ${a.status}`;
      const rows = superclassRatios(a.perClass);
      const lines = ['| superclass | ours | paper | aux classes (stand-in) |', '|---|---|---|---|'];
      for (const name of Object.keys(a.paper)) {
        const r = rows.find((x) => x.row === name);
        const members = r
          ? name === 'all' || name === 'others'
            ? `${r.classes.length} classes`
            : r.classes.join(', ')
          : 'none in the aux set';
        lines.push(
          `| ${name} | ${r ? r.ratio.toFixed(3) : '–'} | ${a.paper[name].toFixed(3)} | ${members} |`,
        );
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

/** Table 14 bars: ours vs the paper per superclass (the first analysed row). */
export function superclassBars(run: TableRun): FigureSpec {
  const a = analyses(run).find((x) => x.perClass) ?? analyses(run)[0];
  const rows = superclassRatios(a?.perClass ?? {});
  const names = Object.keys(a?.paper ?? {});
  return {
    id: 'table14-superclass',
    title: 'Table 14: share of aux images with c(x̃) ≥ τ by CIFAR-10 superclass',
    data: [
      {
        type: 'bar',
        name: 'ours',
        x: names,
        y: names.map((n) => rows.find((r) => r.row === n)?.ratio ?? null),
      },
      { type: 'bar', name: 'paper', x: names, y: names.map((n) => a!.paper[n]) },
    ],
    layout: {
      title: { text: 'Table 14: ratio above τ by superclass' },
      barmode: 'group',
      yaxis: { title: { text: 'ratio' }, range: [0, 1] },
    },
  };
}

/** Figure 3: the selection ratio r over training steps of the analysed row's source run. */
export function selectionRatioFigure(run: TableRun): FigureSpec {
  const row = run.plan.rows[0];
  const curve = row ? selectionCurve(row.config, run.plan.profile, run.runsDir) : null;
  return lineFigure('figure3-ratio', 'Figure 3: r = n_high / n_aux during training', 'training step', 'r', [
    { name: curve?.label ?? 'no curve recorded', x: curve?.x ?? [], y: curve?.y ?? [] },
  ]);
}

/** Writes figure specs (plotly data + layout) to a JSON file, atomically, e.g. to render them elsewhere. */
export function saveFigureSpecs(file: string, figures: FigureSpec[]): string {
  const out = path.resolve(file);
  writeJsonAtomic(out, figures);
  return `wrote ${figures.length} figure spec(s) to ${out}`;
}
