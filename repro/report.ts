/**
 * The report: results/<profile>/report.md and a self-contained report.html (tables of ours |
 * paper | Δ | verdict, the claims with their evidence, plotly figures with plotly.js inlined so
 * it opens offline). render.ts then opens the HTML in headless Chromium to check it and to
 * export the figures as PNGs for the Markdown.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../src/util/atomic';
import { EXPECTATIONS, type PaperRow, type Profile, type TableExpectation } from './expectations';
import type { Manifest } from './manifest';
import { PROFILE_SPECS, CATALOG } from './plan';
import { rowKey, summarizeRows, type ResultRecord, type RowSummary } from './results';
import {
  evaluateTable,
  rowVerdict,
  verdictLabel,
  type ClaimResult,
  type NotebookState,
  type VerdictContext,
} from './verdict';

export interface FigureSpec {
  id: string;
  title: string;
  data: unknown[];
  layout: Record<string, unknown>;
}

interface RowLine {
  label: string;
  row: string;
  cells: { ours: string; paper: string; delta: string }[];
  verdict: string;
  standIn?: string;
}

export interface TableSection {
  exp: TableExpectation;
  notebookState: NotebookState;
  metrics: { key: string; label: string }[];
  rows: RowLine[];
  claims: ClaimResult[];
  dataCaveats: string[];
  figures: FigureSpec[];
}

export interface ReportModel {
  profile: Profile;
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
  counts: Record<'reproduced' | 'not reproduced' | 'inconclusive', number>;
  failedNotebooks: number;
  /** True when the harness must exit non-zero. */
  failed: boolean;
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

function fmtMean(s: RowSummary['metrics'][string] | undefined, digits: number): string {
  if (!s) return '—';
  const mean = Number.isFinite(s.mean) ? s.mean.toFixed(digits) : String(s.mean);
  return s.n > 1 ? `${mean} ± ${s.sd.toFixed(digits)} (n=${s.n})` : `${mean} (n=1)`;
}

function digitsFor(exp: TableExpectation): number {
  return exp.table === 'table14' ? 3 : 2;
}

function buildFigures(
  exp: TableExpectation,
  summaries: Map<string, RowSummary>,
  extraRows: RowSummary[],
): FigureSpec[] {
  const m = exp.headlineMetric;
  const metricLabel = exp.metrics.find((x) => x.key === m)?.label ?? m;
  const withData = exp.rows.filter((r) => summaries.get(rowKey(exp.table, r.row))?.metrics[m]);
  const figures: FigureSpec[] = [];
  if (withData.length > 0 && exp.figure !== 'line') {
    figures.push({
      id: `${exp.table}-bars`,
      title: `${exp.title}: ours vs paper (${metricLabel})`,
      data: [
        {
          type: 'bar',
          name: 'ours',
          x: withData.map((r) => r.label),
          y: withData.map((r) => summaries.get(rowKey(exp.table, r.row))!.metrics[m].mean),
          error_y: {
            type: 'data',
            array: withData.map((r) => {
              const s = summaries.get(rowKey(exp.table, r.row))!.metrics[m];
              return Number.isFinite(s.sd) ? s.sd : 0;
            }),
          },
        },
        {
          type: 'bar',
          name: 'paper',
          x: withData.map((r) => r.label),
          y: withData.map((r) => r.paper[m] ?? null),
        },
      ],
      layout: { barmode: 'group', yaxis: { title: { text: metricLabel } }, margin: { b: 140 } },
    });
  }
  if (exp.figure === 'line') {
    const groups = new Map<string, PaperRow[]>();
    for (const r of exp.rows) {
      const g = r.row.split('/')[0];
      groups.set(g, [...(groups.get(g) ?? []), r]);
    }
    const data: unknown[] = [];
    for (const [g, rows] of groups) {
      const x = rows.map((r) => Number(/([\d.]+)$/.exec(r.row)?.[1] ?? NaN));
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${g} (paper)`,
        x,
        y: rows.map((r) => r.paper[m]),
        line: { dash: 'dot' },
      });
      const ours = rows.map((r) => summaries.get(rowKey(exp.table, r.row))?.metrics[m]?.mean ?? null);
      if (ours.some((v) => v !== null))
        data.push({ type: 'scatter', mode: 'lines+markers', name: `${g} (ours)`, x, y: ours });
    }
    figures.push({
      id: `${exp.table}-line`,
      title: `${exp.title}`,
      data,
      layout: { xaxis: { title: { text: 'γ' } }, yaxis: { title: { text: metricLabel } } },
    });
  }
  const curves = [...exp.rows.map((r) => summaries.get(rowKey(exp.table, r.row))), ...extraRows]
    .filter((s): s is RowSummary => !!s)
    .flatMap((s) =>
      s.records.flatMap((rec) => Object.entries(rec.curves ?? {}).map(([name, c]) => ({ s, rec, name, c }))),
    );
  if (curves.length > 0) {
    figures.push({
      id: `${exp.table}-curves`,
      title: `${exp.title}: recorded curves`,
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
  const ctx: VerdictContext = {
    profile,
    rows: summaries,
    tableState,
    paperRow: (table, row) => EXPECTATIONS.find((e) => e.table === table)?.rows.find((r) => r.row === row),
  };

  const tables: TableSection[] = [];
  const knownTables = new Set(EXPECTATIONS.map((e) => e.table));
  const extraTables = [...new Set([...summaries.values()].map((s) => s.table))].filter(
    (t) => !knownTables.has(t),
  );
  const exps: TableExpectation[] = [
    ...EXPECTATIONS,
    ...extraTables.map((t) => ({
      table: t,
      title: `${t} (no expectations defined)`,
      notebook: '',
      metrics: [],
      headlineMetric: '',
      rows: [],
      notes: [],
      claims: { smoke: [], small: [], paper: [] },
    })),
  ];
  for (const exp of exps) {
    const listed = new Set(exp.rows.map((r) => r.row));
    const extra = [...summaries.values()].filter((s) => s.table === exp.table && !listed.has(s.row));
    const metricKeys = new Set(exp.metrics.map((m) => m.key));
    for (const s of extra) for (const k of Object.keys(s.metrics)) metricKeys.add(k);
    const metrics = [...metricKeys].map((k) => exp.metrics.find((m) => m.key === k) ?? { key: k, label: k });
    const digits = digitsFor(exp);
    const rows: RowLine[] = [
      ...exp.rows.map((r) => {
        const s = summaries.get(rowKey(exp.table, r.row));
        return {
          label: r.label,
          row: r.row,
          standIn: r.standIn,
          cells: metrics.map((m) => {
            const ours = s?.metrics[m.key];
            const paper = r.paper[m.key];
            const sd = r.paperSd?.[m.key];
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
          }),
          verdict: rowVerdict(ctx, exp.table, r, s),
        };
      }),
      ...extra.map((s) => ({
        label: s.row,
        row: s.row,
        cells: metrics.map((m) => ({ ours: fmtMean(s.metrics[m.key], digits), paper: '—', delta: '—' })),
        verdict: 'not in the paper',
      })),
    ];
    const tableRecords = [...summaries.values()]
      .filter((s) => s.table === exp.table)
      .flatMap((s) => s.records);
    const dataCaveats = [
      ...new Set(tableRecords.flatMap((r) => [`data: ${r.meta.data}`, ...r.meta.dataNotes])),
    ];
    tables.push({
      exp,
      notebookState: tableState(exp.table),
      metrics,
      rows,
      claims: evaluateTable(ctx, exp),
      dataCaveats,
      figures: buildFigures(exp, summaries, extra),
    });
  }

  const counts = { reproduced: 0, 'not reproduced': 0, inconclusive: 0 };
  for (const t of tables) for (const c of t.claims) counts[c.verdict]++;

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
    generatedAt: new Date().toISOString(),
    manifest,
    notebooks,
    tables,
    counts,
    failedNotebooks,
    failed: failedNotebooks > 0 || counts['not reproduced'] > 0 || (manifest.missingRuns ?? []).length > 0,
  };
}

// ---------------------------------------------------------------- Markdown

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

export interface RenderCheck {
  ok: boolean;
  detail: string;
  /** Figure id → PNG path relative to the report. */
  pngs: Record<string, string>;
  screenshot?: string;
}

function summaryLine(model: ReportModel): string {
  const c = model.counts;
  return (
    `Claims: ${c.reproduced} reproduced, ${c['not reproduced']} not reproduced, ${c.inconclusive} inconclusive. ` +
    `Notebooks: ${model.notebooks.filter((n) => n.state === 'ok').length} ran, ${model.failedNotebooks} failed, ` +
    `${model.notebooks.filter((n) => n.state === 'not built yet').length} not built yet.`
  );
}

export function renderMarkdown(model: ReportModel, check?: RenderCheck): string {
  const spec = PROFILE_SPECS[model.profile];
  const out: string[] = [];
  out.push(`# BiaMAT reproduction report — profile \`${model.profile}\``);
  out.push('');
  out.push(`Generated ${model.generatedAt} by \`npm run repro\`. Profile: ${spec.description}.`);
  if (model.profile === 'smoke') {
    out.push('');
    out.push(
      '**Smoke profile: the claims below are integrity checks (ran, finite, in range), not paper numbers.**',
    );
  }
  const m = model.manifest;
  out.push('');
  out.push(
    `Kernel: ${m.kernel}. ${m.shards && m.shards.length > 1 ? `Merged from ${m.shards.length} shards.` : m.shard ? `Shard ${m.shard.index}/${m.shard.count}.` : ''}`,
  );
  out.push('');
  out.push(`**${model.failed ? 'FAILED' : 'OK'}** — ${summaryLine(model)}`);
  if ((m.missingRuns ?? []).length > 0)
    out.push(`\nRuns missing from the merged shards: ${m.missingRuns!.join(', ')}.`);
  out.push('');
  out.push('## Notebooks');
  out.push('');
  out.push(
    mdTable(
      ['notebook', 'what', 'status', 'time (s)', 'executed notebook'],
      model.notebooks.map((n) => [
        n.id,
        n.title,
        n.state + (n.detail && n.state !== 'ok' ? `: ${n.detail}` : ''),
        n.durationS ? n.durationS.toFixed(1) : '',
        n.outputs.map((o) => `[${path.basename(o)}](${o})`).join(', '),
      ]),
    ),
  );
  for (const t of model.tables) {
    out.push('');
    out.push(`## ${t.exp.title}`);
    out.push('');
    out.push(`Notebook: ${t.exp.notebook || '(outside the catalog)'} — ${t.notebookState}.`);
    for (const n of [...t.exp.notes, ...t.dataCaveats]) out.push(`- ${n}`);
    if (t.rows.length > 0) {
      out.push('');
      const header = ['row', ...t.metrics.flatMap((mm) => [`${mm.label} ours`, 'paper', 'Δ']), 'verdict'];
      out.push(
        mdTable(
          header,
          t.rows.map((r) => [
            r.label + (r.standIn ? ' *' : ''),
            ...r.cells.flatMap((c) => [c.ours, c.paper, c.delta]),
            r.verdict,
          ]),
        ),
      );
      if (t.rows.some((r) => r.standIn)) out.push('\n\\* run on a stand-in dataset (see the notes above).');
    }
    if (t.claims.length > 0) {
      out.push('');
      out.push(
        mdTable(
          ['claim', 'evidence', 'verdict'],
          t.claims.map((c) => [c.claim.text, c.evidence, `**${verdictLabel(c.claim, c.verdict)}**`]),
        ),
      );
    }
    for (const f of t.figures) {
      const png = check?.pngs[f.id];
      out.push('');
      out.push(png ? `![${f.title}](${png})` : `(figure ${f.id}: see report.html; no PNG was rendered)`);
    }
  }
  out.push('');
  out.push('## Report check (headless Chromium)');
  out.push('');
  out.push(check ? `${check.ok ? 'passed' : 'FAILED'}: ${check.detail}` : 'not run (--no-render).');
  if (check?.screenshot) out.push(`\n![report.html screenshot](${check.screenshot})`);
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------- HTML

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(cls: string, header: string[], rows: string[][]): string {
  return (
    `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}

let plotlySource: string | undefined;
function plotlyJs(): string {
  plotlySource ??= fs
    .readFileSync(require.resolve('plotly.js-dist'), 'utf8')
    .replace(/<\/script/gi, '<\\/script');
  return plotlySource;
}

/** Counts the HTML promises, so the Chromium check can verify them. */
export function expectedCounts(model: ReportModel): { tables: number; figures: number } {
  let tables = 1; // the notebooks table
  let figures = 0;
  for (const t of model.tables) {
    if (t.rows.length > 0) tables++;
    if (t.claims.length > 0) tables++;
    figures += t.figures.length;
  }
  return { tables, figures };
}

export function renderHtml(model: ReportModel): string {
  const parts: string[] = [];
  const verdictClass = (v: string) => v.replace(/ /g, '-');
  parts.push(`<h1>BiaMAT reproduction report — profile <code>${esc(model.profile)}</code></h1>`);
  parts.push(`<p>Generated ${esc(model.generatedAt)}. ${esc(PROFILE_SPECS[model.profile].description)}.</p>`);
  if (model.profile === 'smoke') {
    parts.push(
      '<p><strong>Smoke profile: the claims are integrity checks (ran, finite, in range), not paper numbers.</strong></p>',
    );
  }
  parts.push(
    `<p class="${model.failed ? 'bad' : 'good'}"><strong>${model.failed ? 'FAILED' : 'OK'}</strong> — ${esc(summaryLine(model))}</p>`,
  );
  parts.push('<h2>Notebooks</h2>');
  parts.push(
    htmlTable(
      'result notebooks',
      ['notebook', 'what', 'status', 'time (s)', 'executed notebook'],
      model.notebooks.map((n) => [
        esc(n.id),
        esc(n.title),
        `<span class="${verdictClass(n.state)}">${esc(n.state)}</span>${n.detail && n.state !== 'ok' ? `: ${esc(n.detail)}` : ''}`,
        n.durationS ? n.durationS.toFixed(1) : '',
        n.outputs.map((o) => `<a href="${esc(o)}">${esc(path.basename(o))}</a>`).join(', '),
      ]),
    ),
  );
  const figureScripts: string[] = [];
  for (const t of model.tables) {
    parts.push(`<h2>${esc(t.exp.title)}</h2>`);
    parts.push(
      `<p>Notebook: ${esc(t.exp.notebook || '(outside the catalog)')} — ${esc(t.notebookState)}.</p>`,
    );
    const notes = [...t.exp.notes, ...t.dataCaveats];
    if (notes.length) parts.push(`<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
    if (t.rows.length > 0) {
      parts.push(
        htmlTable(
          'result rows',
          ['row', ...t.metrics.flatMap((m) => [`${m.label} ours`, 'paper', 'Δ']), 'verdict'],
          t.rows.map((r) => [
            esc(r.label) + (r.standIn ? ` <abbr title="${esc(r.standIn)}">*</abbr>` : ''),
            ...r.cells.flatMap((c) => [esc(c.ours), esc(c.paper), esc(c.delta)]),
            esc(r.verdict),
          ]),
        ),
      );
    }
    if (t.claims.length > 0) {
      parts.push(
        htmlTable(
          'result claims',
          ['claim', 'evidence', 'verdict'],
          t.claims.map((c) => [
            esc(c.claim.text),
            esc(c.evidence),
            `<strong class="${verdictClass(c.verdict)}">${esc(verdictLabel(c.claim, c.verdict))}</strong>`,
          ]),
        ),
      );
    }
    for (const f of t.figures) {
      parts.push(`<div class="figure" id="fig-${esc(f.id)}" data-figure="${esc(f.id)}"></div>`);
      const layout = { title: { text: f.title }, width: 900, height: 450, ...f.layout };
      figureScripts.push(
        `Plotly.newPlot(${JSON.stringify(`fig-${f.id}`)}, ${JSON.stringify(f.data)}, ${JSON.stringify(layout)}, {displaylogo: false})`,
      );
    }
  }
  const css = `body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f3f3f3}.reproduced,.ok,.good{color:#137333}.not-reproduced,.failed,.bad{color:#b3261e}
.inconclusive,.not-built-yet,.not-run{color:#8a6d00}.figure{margin:1em 0}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BiaMAT reproduction — ${esc(model.profile)}</title>
<style>${css}</style>
<script>${plotlyJs()}</script>
</head><body>
${parts.join('\n')}
<script>
window.__reportExpected = ${JSON.stringify(expectedCounts(model))};
Promise.all([${figureScripts.join(',\n')}]).then(() => { window.__reportReady = true; }, (e) => { window.__reportError = String(e); window.__reportReady = true; });
</script>
</body></html>
`;
}

export function writeReportFiles(outDir: string, model: ReportModel, check?: RenderCheck): void {
  writeFileAtomic(path.join(outDir, 'report.md'), renderMarkdown(model, check));
}

export function writeHtml(outDir: string, model: ReportModel): string {
  const file = path.join(outDir, 'report.html');
  writeFileAtomic(file, renderHtml(model));
  return file;
}
