import { THEORY_TABLE } from '../../src/report/theory';
import { smokeIntegrity, type TableClaims } from './types';

/**
 * Notebook 01: the Gaussian model's statements. The paper gives no numbers here; the notebook
 * records one row per checked statement: `passed` (1 unless the check failed; a finding under an
 * alternative ρ placement is reported, not failed), `holds` (the paper's statement held there),
 * the closed form and the Monte Carlo estimate. Every profile needs at least 12 statements
 * (Lemma 2, Thm 1–6, Eq. 26–30) and none failed.
 */
export const THEORY_MIN_STATEMENTS = 12;

const claims = [
  {
    ...smokeIntegrity({ passed: [0, 1] }, THEORY_MIN_STATEMENTS)[0],
    text: `the notebook ran, at least ${THEORY_MIN_STATEMENTS} statements were checked, every value is finite, and no check failed`,
    mustEqual: { passed: 1 },
    ranges: {
      passed: [0, 1] as [number, number],
      holds: [0, 1] as [number, number],
      '*': [-Infinity, Infinity] as [number, number],
    },
  },
];

export const THEORY: TableClaims = {
  table: THEORY_TABLE.id,
  claims: { smoke: claims, small: claims, paper: claims },
};
