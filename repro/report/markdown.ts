/** report.md: the report model as Markdown, figures as the PNGs the Chromium check rendered. */
import * as path from 'path';
import { writeFileAtomic } from '../../src/util/atomic';
import { CLAIM_VERDICTS, countsText, INTEGRITY_VERDICTS } from '../../src/report/verdicts';
import type { ClaimResult } from '../verdict';
import type { ReportModel } from './model';
import { THEORY_COLUMNS } from './theory';

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

/** Integrity checks and paper claims counted apart: an integrity check is never a claim reproduced. */
export function summaryLine(model: ReportModel): string {
  return (
    `Integrity checks: ${countsText(INTEGRITY_VERDICTS, model.integrity)}. ` +
    `Paper claims: ${countsText(CLAIM_VERDICTS, model.counts)}. ` +
    `Notebooks: ${model.notebooks.filter((n) => n.state === 'ok').length} ran, ${model.failedNotebooks} failed, ` +
    `${model.notebooks.filter((n) => n.state === 'not built yet').length} not built yet.`
  );
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}

/** A claim's interval in words: '+1.20 in [+0.40, +2.00]; needs Δ ≥ −1.00 (what the error is made of)'. */
export function intervalText(c: ClaimResult): string {
  const i = c.interval;
  if (!i) return '—';
  return `${signed(i.estimate)} in [${signed(i.lo)}, ${signed(i.hi)}] (${i.confidence * 100}%); needs ${i.needs} (${i.basis})`;
}

/** The verdict, and for an inconclusive claim what would resolve it. */
export function verdictText(c: ClaimResult): string {
  return c.resolve ? `${c.verdict} — ${c.resolve}` : c.verdict;
}

export const CLAIM_COLUMNS = ['claim', 'evidence', 'interval', 'verdict'];

export function renderMarkdown(model: ReportModel, check?: RenderCheck): string {
  const out: string[] = [];
  out.push(`# BiaMAT reproduction report — profile \`${model.profile}\``);
  out.push('');
  out.push(`Generated ${model.generatedAt} by \`npm run repro\`. Profile: ${model.description}.`);
  if (model.profile === 'smoke') {
    out.push('');
    out.push(
      "**Smoke profile: it checks integrity (every notebook ran and recorded finite values in range), not paper numbers; the paper's claims are listed as not tested at this profile.**",
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
    out.push(`## ${t.title}`);
    out.push('');
    out.push(`Notebook: ${t.notebook || '(outside the catalog)'} — ${t.notebookState}.`);
    for (const n of t.notes) out.push(`- ${n}`);
    if (t.theoryRows && t.theoryRows.length > 0) {
      out.push('');
      out.push(
        mdTable(
          THEORY_COLUMNS,
          t.theoryRows.map((r) => [
            r.statement,
            r.parameters,
            r.closedForm,
            r.monteCarlo,
            r.inVivo,
            r.verdict,
          ]),
        ),
      );
    }
    if (t.rows.length > 0) {
      out.push('');
      const header = [
        'row',
        ...t.metrics.flatMap((mm) =>
          mm.oursOnly ? [`${mm.label} ours`] : [`${mm.label} ours`, 'paper', 'Δ'],
        ),
        'verdict',
      ];
      out.push(
        mdTable(
          header,
          t.rows.map((r) => [
            r.label + (r.standIn ? ' *' : ''),
            ...r.cells.flatMap((c, i) => (t.metrics[i].oursOnly ? [c.ours] : [c.ours, c.paper, c.delta])),
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
          CLAIM_COLUMNS,
          t.claims.map((c) => [c.claim.text, c.evidence, intervalText(c), `**${verdictText(c)}**`]),
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

export function writeMarkdown(outDir: string, model: ReportModel, check?: RenderCheck): void {
  writeFileAtomic(path.join(outDir, 'report.md'), renderMarkdown(model, check));
}
