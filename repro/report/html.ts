/**
 * report.html: self-contained (plotly.js inlined, so it opens offline); the Chromium check in
 * render.ts reads window.__reportExpected to verify every table and figure it promises.
 */
import * as path from 'path';
import { writeFileAtomic } from '../../src/util/atomic';
import { plotlySource } from '../../src/util/figure';
import { CLAIM_COLUMNS, intervalText, summaryLine } from './markdown';
import type { ReportModel } from './model';
import { THEORY_COLUMNS } from './theory';

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

/** Counts the HTML promises, so the Chromium check can verify them. */
export function expectedCounts(model: ReportModel): { tables: number; figures: number } {
  let tables = 1; // the notebooks table
  let figures = 0;
  for (const t of model.tables) {
    if (t.rows.length > 0 || (t.theoryRows?.length ?? 0) > 0) tables++;
    if (t.claims.length > 0) tables++;
    figures += t.figures.length;
  }
  return { tables, figures };
}

export function renderHtml(model: ReportModel): string {
  const parts: string[] = [];
  const verdictClass = (v: string) => v.replace(/ /g, '-');
  parts.push(`<h1>BiaMAT reproduction report — profile <code>${esc(model.profile)}</code></h1>`);
  parts.push(`<p>Generated ${esc(model.generatedAt)}. ${esc(model.description)}.</p>`);
  if (model.profile === 'smoke') {
    parts.push(
      "<p><strong>Smoke profile: it checks integrity (every notebook ran and recorded finite values in range), not paper numbers; the paper's claims are listed as not tested at this profile.</strong></p>",
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
    parts.push(`<h2>${esc(t.title)}</h2>`);
    parts.push(`<p>Notebook: ${esc(t.notebook || '(outside the catalog)')} — ${esc(t.notebookState)}.</p>`);
    const notes = t.notes;
    if (notes.length) parts.push(`<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
    if (t.theoryRows && t.theoryRows.length > 0) {
      parts.push(
        htmlTable(
          'result theory',
          THEORY_COLUMNS,
          t.theoryRows.map((r) =>
            [r.statement, r.parameters, r.closedForm, r.monteCarlo, r.inVivo, r.verdict].map(esc),
          ),
        ),
      );
    }
    if (t.rows.length > 0) {
      parts.push(
        htmlTable(
          'result rows',
          [
            'row',
            ...t.metrics.flatMap((m) =>
              m.oursOnly ? [`${m.label} ours`] : [`${m.label} ours`, 'paper', 'Δ'],
            ),
            'verdict',
          ],
          t.rows.map((r) => [
            esc(r.label) +
              (r.standIn ? ` <abbr title="run on a stand-in dataset (see the notes above)">*</abbr>` : ''),
            ...r.cells.flatMap((c, i) =>
              t.metrics[i].oursOnly ? [esc(c.ours)] : [esc(c.ours), esc(c.paper), esc(c.delta)],
            ),
            esc(r.verdict),
          ]),
        ),
      );
    }
    if (t.claims.length > 0) {
      parts.push(
        htmlTable(
          'result claims',
          CLAIM_COLUMNS,
          t.claims.map((c) => [
            esc(c.claim.text),
            esc(c.evidence),
            esc(intervalText(c)),
            `<strong class="${verdictClass(c.verdict)}">${esc(c.verdict)}</strong>${c.resolve ? ` — ${esc(c.resolve)}` : ''}`,
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
.passed{color:#137333}.inconclusive,.not-built-yet,.not-run,.not-tested-at-this-profile{color:#8a6d00}.figure{margin:1em 0}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BiaMAT reproduction — ${esc(model.profile)}</title>
<style>${css}</style>
<script>${plotlySource()}</script>
</head><body>
${parts.join('\n')}
<script>
window.__reportExpected = ${JSON.stringify(expectedCounts(model))};
Promise.all([${figureScripts.join(',\n')}]).then(() => { window.__reportReady = true; }, (e) => { window.__reportError = String(e); window.__reportReady = true; });
</script>
</body></html>
`;
}

export function writeHtml(outDir: string, model: ReportModel): string {
  const file = path.join(outDir, 'report.html');
  writeFileAtomic(file, renderHtml(model));
  return file;
}
