/**
 * The report's theory section: one line per checked statement of notebook 01 — statement |
 * parameters | closed form | Monte Carlo ± interval | in vivo | verdict — from the records
 * src/report/theory.ts writes (the paper gives theorems, not numbers: no paper or Δ column).
 */
import type { RowSummary } from '../../src/report/records';
import { THEORY_TABLE } from '../../src/report/theory';

export interface TheoryRow {
  id: string;
  /** 'Theorem 1: …' — the paper's reference and the statement in words. */
  statement: string;
  parameters: string;
  closedForm: string;
  monteCarlo: string;
  inVivo: string;
  /** The check's verdict: pass, finding (does not hold under an alternative ρ placement) or fail. */
  verdict: string;
}

export const THEORY_COLUMNS = [
  'statement',
  'parameters',
  'closed form',
  'Monte Carlo ± interval',
  'in vivo',
  'verdict',
];

function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(3) : x.toFixed(4);
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The theory rows recorded in `summaries`, in the order they were recorded. */
export function theoryRows(summaries: Map<string, RowSummary>): TheoryRow[] {
  return [...summaries.values()]
    .filter((s) => s.table === THEORY_TABLE.id)
    .map((s) => {
      const last = s.records[s.records.length - 1];
      const x = (last.meta.extra ?? {}) as Record<string, unknown>;
      const value = (k: string) => s.metrics[k]?.mean;
      const confidence = typeof x.confidence === 'number' ? ` (${(x.confidence * 100).toFixed(2)}%)` : '';
      const half = value('mcHalfWidth');
      const verdict =
        text(x.verdict) ?? (value('passed') === 0 ? 'fail' : value('passed') === 1 ? 'pass' : '—');
      const reason = text(x.reason);
      return {
        id: s.row,
        statement: [text(x.ref), text(x.statement)].filter(Boolean).join(': ') || s.row,
        parameters: text(x.parameters) ?? '—',
        closedForm: num(value('closedForm')),
        monteCarlo:
          value('monteCarlo') === undefined
            ? '—'
            : `${num(value('monteCarlo'))}${half !== undefined ? ` ± ${num(half)}${confidence}` : ''}`,
        inVivo: text(x.inVivo) ?? '—',
        verdict: verdict + (reason && verdict !== 'pass' ? ` — ${reason}` : ''),
      };
    });
}
