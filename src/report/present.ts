/**
 * How result notebooks show a table: ours beside the paper's numbers (markdown for tslab's
 * display.markdown), a skipped/unavailable column that says why a row has no numbers, and
 * plotly figure specs (drawn with src/theory's figureDiv, plotly.js inlined from node_modules).
 */
import type { FigureSpec } from '../theory/figures';
import type { RowOutcome, SkippedRow, TablePlan } from './tables';
import { superclassRatios } from './superclasses';

export const METRIC_LABELS: Record<string, string> = {
  clean: 'Clean',
  pgd: 'PGD',
  cw: 'CW',
  aa: 'AA',
  fgsm: 'FGSM',
  error: 'Error',
};

/** mean ± sd over seeds (sd only for n > 1), 2 decimals; '–' when absent. */
export function formatMean(values: number[] | undefined): string {
  if (!values || values.length === 0) return '–';
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (!Number.isFinite(mean)) return 'NaN';
  if (n === 1) return mean.toFixed(2);
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)} (n=${n})`;
}

function paperCell(paper: Record<string, unknown>, metric: string): string {
  const v = paper[metric];
  const sd = (paper.std as Record<string, number> | undefined)?.[metric];
  if (typeof v !== 'number') return '–';
  return sd === undefined ? v.toFixed(2) : `${v.toFixed(2)} ± ${sd.toFixed(2)}`;
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

/** A markdown table: one line per row, ours | paper per metric, then the status. */
export function comparisonMarkdown(outcomes: RowOutcome[], skipped: SkippedRow[], metrics: string[]): string {
  const head = [
    'row',
    ...metrics.flatMap((m) => [`${METRIC_LABELS[m] ?? m} ours`, `${METRIC_LABELS[m] ?? m} paper`]),
    'status',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const o of outcomes) {
    const values = (m: string) =>
      o.result.seeds.length > 0 && o.result.seeds.every((s) => typeof s[m as 'clean'] === 'number')
        ? o.result.seeds.map((s) => s[m as 'clean'] as number)
        : undefined;
    const cells = metrics.flatMap((m) => [
      formatMean(values(m)),
      paperCell(o.result.paper as Record<string, unknown>, m),
    ]);
    lines.push(`| ${escape(o.planned.label)} | ${cells.join(' | ')} | ${escape(status(o))} |`);
  }
  for (const s of skipped) {
    const cells = metrics.flatMap((m) => ['–', paperCell((s.paper ?? {}) as Record<string, unknown>, m)]);
    lines.push(`| ${escape(s.label)} | ${cells.join(' | ')} | skipped: ${escape(s.reason)} |`);
  }
  return lines.join('\n');
}

/** Which measured metrics a table shows, in the usual order (AA appears only when AutoAttack ran). */
export function measuredMetrics(outcomes: RowOutcome[], candidates: string[]): string[] {
  return candidates.filter((m) =>
    outcomes.some((o) => o.result.seeds.some((s) => typeof s[m as 'clean'] === 'number')),
  );
}

/** Metrics a comparison table shows: those we measured or the paper gives (AA: the paper's column even when AutoAttack did not run here). */
export function shownMetrics(outcomes: RowOutcome[], candidates: string[]): string[] {
  const measured = measuredMetrics(outcomes, candidates);
  return candidates.filter(
    (m) =>
      measured.includes(m) ||
      outcomes.some((o) => typeof (o.result.paper as Record<string, unknown>)[m] === 'number'),
  );
}

/** One line per planned/skipped row for the notebook's output: what runs and what does not. */
export function planSummary(plan: TablePlan): string {
  const lines = [
    `profile ${plan.profile}: ${plan.rows.length} row(s) planned, ${plan.skipped.length} skipped`,
    ...plan.rows.map(
      (r) => `  run   ${r.config.id} → ${r.table}/${r.row} (seeds ${r.config.seeds.join(', ')})`,
    ),
    ...plan.skipped.map((s) => `  skip  ${s.id}: ${s.reason}`),
  ];
  return lines.join('\n');
}

/** Grouped bars: ours vs the paper for one metric, rows that have a number of ours only. */
export function comparisonBars(
  id: string,
  title: string,
  outcomes: RowOutcome[],
  metric: string,
): FigureSpec {
  const done = outcomes.filter((o) => o.result.seeds.some((s) => typeof s[metric as 'clean'] === 'number'));
  const labels = done.map((o) => o.planned.label);
  const ours = done.map((o) => o.result.mean[metric]);
  const paper = done.map((o) => (o.result.paper as Record<string, unknown>)[metric] ?? null);
  return {
    id,
    title,
    data: [
      { type: 'bar', name: 'ours', x: labels, y: ours },
      { type: 'bar', name: 'paper', x: labels, y: paper },
    ],
    layout: {
      title: { text: title },
      barmode: 'group',
      yaxis: { title: { text: `${METRIC_LABELS[metric] ?? metric} (%)` } },
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

/** Table 13: AA (or the headline metric measured) over γ, ours and the paper's, per base method. */
export function gammaFigure(outcomes: RowOutcome[], metric: string): FigureSpec {
  const series = (['at', 'trades'] as const).flatMap((base) => {
    const rows = outcomes
      .filter((o) => o.planned.config.method.base === base)
      .sort((a, b) => a.planned.config.method.gamma - b.planned.config.method.gamma);
    if (rows.length === 0) return [];
    const x = rows.map((o) => o.planned.config.method.gamma);
    return [
      {
        name: `${base.toUpperCase()}+BiaMAT ours (${METRIC_LABELS[metric] ?? metric})`,
        x,
        y: rows.map((o) => o.result.mean[metric] ?? null),
      },
      {
        name: `${base.toUpperCase()}+BiaMAT paper (AA)`,
        x,
        y: rows.map((o) => (o.result.paper.aa ?? null) as number | null),
        dash: true,
      },
    ];
  });
  return lineFigure('table13-gamma', 'Table 13: robustness over γ', 'γ', 'accuracy (%)', series);
}

/** Table 14: ours vs paper per CIFAR-10 superclass (markdown). */
export function superclassMarkdown(perClass: Record<string, number>, paper: Record<string, number>): string {
  const rows = superclassRatios(perClass);
  const lines = ['| superclass | ours | paper | aux classes (stand-in) |', '|---|---|---|---|'];
  for (const name of [...Object.keys(paper)]) {
    const r = rows.find((x) => x.row === name);
    const members = r
      ? name === 'all' || name === 'others'
        ? `${r.classes.length} classes`
        : r.classes.join(', ')
      : 'none in Tiny-ImageNet';
    lines.push(`| ${name} | ${r ? r.ratio.toFixed(3) : '–'} | ${paper[name].toFixed(3)} | ${members} |`);
  }
  return lines.join('\n');
}

/** Table 14 bars: ours vs the paper per superclass. */
export function superclassBars(perClass: Record<string, number>, paper: Record<string, number>): FigureSpec {
  const rows = superclassRatios(perClass);
  const names = Object.keys(paper);
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
      { type: 'bar', name: 'paper', x: names, y: names.map((n) => paper[n]) },
    ],
    layout: {
      title: { text: 'Table 14: ratio above τ by superclass' },
      barmode: 'group',
      yaxis: { title: { text: 'ratio' }, range: [0, 1] },
    },
  };
}

/** Figure 3: the selection ratio r over training steps. */
export function selectionRatioFigure(curve: { x: number[]; y: number[]; label?: string } | null): FigureSpec {
  return lineFigure('figure3-ratio', 'Figure 3: r = n_high / n_aux during training', 'training step', 'r', [
    { name: curve?.label ?? 'no curve recorded', x: curve?.x ?? [], y: curve?.y ?? [] },
  ]);
}
