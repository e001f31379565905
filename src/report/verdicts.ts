/**
 * The verdict vocabulary, in one place. Paper claims (repro/expectations) end reproduced / not
 * reproduced / inconclusive; integrity checks (the smoke profile's "it ran, finite, in range")
 * pass or fail; a theory statement's check (src/theory) passes, fails, or is a finding (a
 * statement that does not hold under an alternative reading of the paper: reported, not failed).
 */
import type { Verdict as CheckVerdict } from '../theory/checks';

export type { CheckVerdict };

export type ClaimVerdict = 'reproduced' | 'not reproduced' | 'inconclusive';
export const CLAIM_VERDICTS: ClaimVerdict[] = ['reproduced', 'not reproduced', 'inconclusive'];

/** How the report prints a claim's verdict: integrity checks pass or fail rather than reproduce. */
export function verdictLabel(kind: string, verdict: ClaimVerdict): string {
  if (kind !== 'integrity') return verdict;
  return verdict === 'reproduced' ? 'passed' : verdict === 'not reproduced' ? 'failed' : 'inconclusive';
}

/** A theory check counts as passed unless it failed: a finding is an expected, reported outcome. */
export function checkPassed(verdict: CheckVerdict): boolean {
  return verdict !== 'fail';
}
