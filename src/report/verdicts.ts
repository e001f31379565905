/**
 * The verdict vocabulary, in one place. Two kinds of check end in different words:
 * - paper claims (repro/expectations: one table's rows compared with a margin) are reproduced,
 *   not reproduced, inconclusive (the interval straddles the margin, too few seeds, a row that
 *   cannot run here), or not tested at this profile (defined only for another profile: the
 *   smoke profile tests none);
 * - integrity checks (the smoke profile's "it ran, finite, in range"; notebook 01's statements
 *   at every profile) pass, fail, or were not run. They never count as claims reproduced.
 * A theory statement's own check (src/theory) passes, fails, or is a finding (a statement that
 * does not hold under an alternative reading of the paper: reported, not failed).
 * The decisions are repro/verdict.ts's; the report prints these words.
 */
import type { Verdict as CheckVerdict } from '../theory/checks';

export type { CheckVerdict };

export type ClaimVerdict = 'reproduced' | 'not reproduced' | 'inconclusive' | 'not tested at this profile';
export const CLAIM_VERDICTS: ClaimVerdict[] = [
  'reproduced',
  'not reproduced',
  'inconclusive',
  'not tested at this profile',
];

export type IntegrityVerdict = 'passed' | 'failed' | 'not run';
export const INTEGRITY_VERDICTS: IntegrityVerdict[] = ['passed', 'failed', 'not run'];

export type Verdict = ClaimVerdict | IntegrityVerdict;

/** Confidence of every claim's interval, and the power a "would resolve it" estimate plans for. */
export const CONFIDENCE = 0.95;
export const POWER = 0.8;
/** Two-sided normal quantile of CONFIDENCE, and the one-sided quantile of POWER. */
export const Z_CONFIDENCE = 1.959964;
export const Z_POWER = 0.841621;

/** A check's verdict counts against the run (exit status 1). */
export function isFailure(verdict: Verdict): boolean {
  return verdict === 'not reproduced' || verdict === 'failed';
}

/** "2 passed, 1 failed" for the non-zero counts, in the vocabulary's order; `none` when all are zero. */
export function countsText<V extends string>(order: V[], counts: Record<V, number>, none = 'none'): string {
  const parts = order.filter((v) => counts[v] > 0).map((v) => `${counts[v]} ${v}`);
  return parts.length > 0 ? parts.join(', ') : none;
}

/** A theory check counts as passed unless it failed: a finding is an expected, reported outcome. */
export function checkPassed(verdict: CheckVerdict): boolean {
  return verdict !== 'fail';
}
