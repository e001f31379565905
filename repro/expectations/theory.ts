import { smokeIntegrity, type TableExpectation } from './types';

/**
 * Notebook 01: the Gaussian model's statements (spec §3). The paper gives no numbers here;
 * the notebook records one row per statement with `holds: 1 | 0` (and whatever errors it
 * measures), and every profile checks that each recorded statement holds.
 */
const claims = [
  {
    ...smokeIntegrity({ holds: [0, 1] }, 0)[0],
    text: 'the notebook ran, every recorded value is finite, and every recorded statement holds',
    mustEqual: { holds: 1 },
    ranges: { holds: [0, 1] as [number, number], '*': [-Infinity, Infinity] as [number, number] },
  },
];

export const THEORY: TableExpectation = {
  table: 'theory',
  title: 'Theory: Lemma 2, Theorems 1–6 in the Gaussian model (closed form and Monte Carlo)',
  notebook: '01-theory',
  metrics: [{ key: 'holds', label: 'holds (1 = yes)' }],
  headlineMetric: 'holds',
  rows: [],
  notes: ['The paper states these as theorems; there are no paper numbers, only statements that must hold.'],
  claims: { smoke: claims, small: claims, paper: claims },
};
