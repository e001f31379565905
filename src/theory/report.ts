/**
 * Runs the checked statements and formats them: one line per statement for the CLI, a JSON
 * report (with every seed) for files and the notebook.
 */
import {
  CheckOptions,
  CheckResult,
  StatementCheck,
  buildChecks,
  describePrediction,
  fmt,
  runCheck,
} from './checks';
import { CI_Z } from './monte-carlo';
import { normalCdf } from './math';

export interface TheoryReport {
  seed: number;
  options: CheckOptions;
  /** confidence level of every Monte Carlo interval */
  confidence: number;
  results: CheckResult[];
  summary: { pass: number; finding: number; fail: number; millis: number };
}

export interface TheoryOptions {
  seed?: number;
  checkOptions?: CheckOptions;
  inVivo?: boolean;
  /** run only checks whose id contains this */
  filter?: string;
  onResult?: (r: CheckResult) => void;
}

export const DEFAULT_SEED = 20230102;

/** Builds and runs every check (or the given list). */
export function runTheory(opts: TheoryOptions = {}, checks?: StatementCheck[]): TheoryReport {
  const seed = opts.seed ?? DEFAULT_SEED;
  const start = Date.now();
  const list = (checks ?? buildChecks(opts.checkOptions)).filter(
    (c) => !opts.filter || c.id.includes(opts.filter),
  );
  const results: CheckResult[] = [];
  for (const c of list) {
    const r = runCheck(c, { seed, inVivo: opts.inVivo });
    results.push(r);
    opts.onResult?.(r);
  }
  const count = (v: string) => results.filter((r) => r.verdict === v).length;
  return {
    seed,
    options: opts.checkOptions ?? {},
    confidence: confidenceOf(CI_Z),
    results,
    summary: {
      pass: count('pass'),
      finding: count('finding'),
      fail: count('fail'),
      millis: Date.now() - start,
    },
  };
}

function confidenceOf(z: number): number {
  // two-sided normal coverage (z = 3.8906 → 0.9999)
  return Number((2 * normalCdf(z) - 1).toFixed(5));
}

function paramText(r: CheckResult): string {
  const p = r.params;
  const parts = [`d=${p.d}`, `η=${p.eta}`, `p=${p.p}`, `ρ=${p.rho}`];
  if (p.w1 !== 0) parts.push(`w₁=${p.w1}`);
  if (r.extra) for (const [k, v] of Object.entries(r.extra)) parts.push(`${k}=${v}`);
  return parts.join(' ');
}

/** One line per statement: verdict, id, parameters, quantity, closed form, MC ± CI, prediction, in vivo. */
export function formatResult(r: CheckResult): string {
  const verdict = r.verdict.toUpperCase().padEnd(7);
  const mc = `${fmt(r.monteCarlo.mean)} ± ${fmt(r.monteCarlo.halfWidth)} (n=${r.monteCarlo.n})`;
  const vivo = r.inVivo
    ? ` | in vivo: ${r.inVivo.summary} → ${r.inVivo.holds ? 'holds' : 'does not hold'}`
    : '';
  const why = r.verdict === 'pass' ? '' : ` | ${r.reason}`;
  return `${verdict} ${r.id} — ${r.ref} | ${paramText(r)} | ${r.quantity}: closed ${fmt(r.closedForm)}, MC ${mc}, predicted ${describePrediction(r.prediction)}${vivo}${why}`;
}

export function formatSummary(report: TheoryReport): string {
  const { pass, finding, fail, millis } = report.summary;
  return `${report.results.length} statements checked (seed ${report.seed}, ${(report.confidence * 100).toFixed(2)}% intervals): ${pass} pass, ${finding} findings (statement does not hold under an alternative ρ placement), ${fail} fail — ${(millis / 1000).toFixed(1)} s`;
}
