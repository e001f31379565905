import * as os from 'os';
import type { MetricSpec } from '../experiments/table';
import { describePrediction, fmt, type CheckResult } from '../theory/checks';
import { formatResult, type TheoryReport } from '../theory/report';
import { formatSweepRow, type SweepRow } from '../theory/sweep';
import { recordResult } from './records';
import type { RecordArgs } from './run-table';
import { checkPassed } from './verdicts';

/** The theory notebook's section of the report: one row per checked statement, no paper numbers. */
export const THEORY_TABLE: { id: string; title: string; metrics: MetricSpec[]; notes: string[] } = {
  id: 'theory',
  title: 'Theory: Lemma 2, Theorems 1–6 and Eq. 26–30 in the Gaussian model',
  metrics: [
    { key: 'passed', label: 'check passed (1 = yes)' },
    { key: 'holds', label: 'statement holds (1 = yes)' },
    { key: 'closedForm', label: 'closed form' },
    { key: 'monteCarlo', label: 'Monte Carlo' },
    { key: 'mcHalfWidth', label: 'Monte Carlo interval half-width' },
  ],
  notes: [
    'The paper states theorems, not numbers: each statement is checked three ways — its closed form, a seeded Monte Carlo estimate whose interval must contain the closed form and satisfy the prediction, and in vivo (adversarial SGD on the Eq. 5 model).',
    'A finding is a statement that does not hold under an alternative placement of ρ (reported, not failed).',
  ],
};

/** The model parameters of a check, in words (d, η, p, ρ and its placement, w₁, extras). */
export function theoryParameters(r: CheckResult): string {
  const p = r.params;
  const parts = [`d=${p.d}`, `η=${p.eta}`, `p=${p.p}`, `ρ=${p.rho} (${p.placement})`];
  if (p.w1 !== 0) parts.push(`w₁=${p.w1}`);
  for (const [k, v] of Object.entries(r.extra ?? {})) parts.push(`${k}=${v}`);
  return parts.join(', ');
}

/**
 * Notebook 01's records: one row per checked statement (its check id). `passed` is 1 unless the
 * check failed (a FINDING — a statement that does not hold under an alternative ρ placement —
 * is an expected, reported outcome, not a failure); `holds` says whether the paper's statement
 * held there; closed form and Monte Carlo estimate go beside them so the report shows the numbers.
 */
export function theoryRecordArgs(
  report: TheoryReport,
  wallTimeS: number,
  profile: string = process.env.BIAMAT_PROFILE ?? 'interactive',
): RecordArgs[] {
  const cpus = os.cpus();
  return report.results.map((r) => ({
    table: THEORY_TABLE.id,
    row: r.id,
    metrics: {
      passed: [checkPassed(r.verdict) ? 1 : 0],
      holds: [r.holds ? 1 : 0],
      closedForm: [r.closedForm],
      monteCarlo: [r.monteCarlo.mean],
      mcHalfWidth: [r.monteCarlo.halfWidth],
    },
    meta: {
      backend: 'cpu (closed forms and Monte Carlo in plain JS; in-vivo training on tfjs cpu)',
      device: `${cpus[0]?.model ?? 'cpu'} (${cpus.length} cores)`,
      data: 'synthetic Gaussian model (Eq. 2, 4, 8), no dataset',
      dataNotes: [],
      seeds: [report.seed],
      profile,
      scale: { samples: report.options.samples ?? null, confidence: report.confidence },
      wallTimeS,
      extra: {
        ref: r.ref,
        statement: r.statement,
        quantity: r.quantity,
        parameters: theoryParameters(r),
        predicted: describePrediction(r.prediction),
        mcSamples: r.monteCarlo.n,
        confidence: report.confidence,
        inVivo: r.inVivo ? `${r.inVivo.summary} → ${r.inVivo.holds ? 'holds' : 'does not hold'}` : null,
        verdict: r.verdict,
        reason: r.reason ?? null,
        mcSeed: r.mcSeed,
      },
    },
  }));
}

/** Records every checked statement (recordResult) and returns the files written. */
export function recordTheory(report: TheoryReport, wallTimeS: number, dir?: string): string[] {
  return theoryRecordArgs(report, wallTimeS).map((a) =>
    recordResult(a.table, a.row, a.metrics, a.meta, { dir }),
  );
}

/** The checks of some statements (by `ref`, e.g. 'Theorem 1') as text lines and an HTML table. */
export function theoryView(report: TheoryReport, refs: string[]): { text: string; html: string } {
  const results: CheckResult[] = report.results.filter((r) => refs.includes(r.ref));
  const cell = (s: string) => `<td style="text-align:left">${s}</td>`;
  const rows = results.map(
    (r) =>
      '<tr>' +
      cell(`<b>${r.verdict}</b>`) +
      cell(r.id) +
      cell(r.quantity) +
      cell(fmt(r.closedForm)) +
      cell(`${fmt(r.monteCarlo.mean)} ± ${fmt(r.monteCarlo.halfWidth)}`) +
      cell(describePrediction(r.prediction)) +
      cell(r.inVivo ? r.inVivo.summary : '') +
      '</tr>',
  );
  const head =
    '<tr><th>verdict</th><th>check</th><th>quantity</th><th>closed form</th>' +
    '<th>Monte Carlo (99.99%)</th><th>predicted</th><th>in vivo</th></tr>';
  return { text: results.map(formatResult).join('\n'), html: `<table>${head}${rows.join('')}</table>` };
}

/** The sweep as text: one line per point, then how many points disagree. */
export function sweepText(sweep: SweepRow[]): string {
  const bad = sweep.filter((r) => !r.agree).length;
  return [...sweep.map(formatSweepRow), `${sweep.length} sweep points, ${bad} disagreeing`].join('\n');
}

/**
 * Notebook 01's last word, like `npm run theory`'s exit status: throws when a check failed or a
 * sweep point's closed form lies outside its Monte Carlo interval, else returns the summary line.
 */
export function theoryOutcome(report: TheoryReport, sweep: SweepRow[], wallTimeS: number): string {
  const failed = report.results.filter((r) => r.verdict === 'fail');
  if (failed.length > 0)
    throw new Error(`${failed.length} check(s) failed: ${failed.map((r) => r.id).join(', ')}`);
  const bad = sweep.filter((r) => !r.agree).length;
  if (bad > 0) throw new Error(`${bad} sweep point(s): closed form outside the Monte Carlo interval`);
  const { pass, finding } = report.summary;
  return `${report.results.length} statements: ${pass} pass, ${finding} findings, 0 fail (${wallTimeS.toFixed(1)} s)`;
}
