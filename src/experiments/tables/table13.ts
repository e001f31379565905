/**
 * Table 13 (Appendix E) — γ ablation of AT+BiaMAT and TRADES+BiaMAT, CIFAR-10 primary,
 * ImageNet aux. Metric: AutoAttack accuracy, ε = 8/255.
 *
 *   command:  npx tsx src/experiments/cli.ts run table13 --profile small
 *   expected: AT+BiaMAT γ 0.45…0.70 → 49.85 50.35 50.78 50.32 50.35 50.69;
 *             TRADES+BiaMAT → 56.42 56.64 56.21 54.70 54.95 54.04
 *   runtime:  paper scale 56.5 h (AT) / 103 h (TRADES) per row; small ≈ 15–30 min per row.
 */
import { atRow, tradesRow } from '../base';
import type { PaperTable } from '../table';

const GAMMAS = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7];
const AT_AA = [49.85, 50.35, 50.78, 50.32, 50.35, 50.69];
const TRADES_AA = [56.42, 56.64, 56.21, 54.7, 54.95, 54.04];

const ROWS = [
  ...GAMMAS.map((gamma, i) =>
    atRow({
      id: `table13/at-biamat-gamma${gamma}`,
      table: 'table13',
      row: `AT+BiaMAT, ImageNet aux, γ = ${gamma}`,
      primary: 'cifar10',
      aux: ['imagenet32'],
      gamma,
      paper: { aa: AT_AA[i] },
    }),
  ),
  ...GAMMAS.map((gamma, i) =>
    tradesRow({
      id: `table13/trades-biamat-gamma${gamma}`,
      table: 'table13',
      row: `TRADES+BiaMAT, ImageNet aux, γ = ${gamma}`,
      primary: 'cifar10',
      aux: ['imagenet32'],
      gamma,
      paper: { aa: TRADES_AA[i] },
    }),
  ),
];

export const TABLE13: PaperTable = {
  id: 'table13',
  title: 'Table 13: γ ablation (CIFAR-10, ImageNet aux, AutoAttack %)',
  metrics: [{ key: 'aa', label: 'AA' }],
  headlineMetric: 'aa',
  rows: ROWS,
  notes: [],
  figure: 'gamma',
  digits: 2,
};
