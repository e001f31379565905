import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 13: the γ ablation (AutoAttack %, CIFAR-10 with ImageNet as aux). */
const GAMMAS = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7];
const gammaRows = (method: 'at' | 'trades') => GAMMAS.map((g) => `table13/${method}-biamat-gamma${g}`);

function directional(margin: number, minSeeds: number, spread: { at: number; trades: number }): Claim[] {
  return (['at', 'trades'] as const).flatMap((m) => [
    {
      kind: 'spreadAtMost' as const,
      id: `${m}-gamma-smooth`,
      text: `${m.toUpperCase()}+BiaMAT: AA changes smoothly with γ (max − min over γ 0.45–0.70 ≤ ${spread[m]} points)`,
      rows: gammaRows(m),
      metric: 'aa',
      maxSpread: spread[m],
      minSeeds,
    },
    {
      kind: 'atLeast' as const,
      id: `${m}-every-gamma-ge-base`,
      text: `${m.toUpperCase()}+BiaMAT: every γ in 0.45–0.70 is at least as robust (AA) as plain ${m.toUpperCase()} (Table 2's row)`,
      left: { rows: gammaRows(m), metric: 'aa', reduce: 'min' as const },
      right: { table: 'table2', rows: [`table2/c10-${m}`], metric: 'aa' },
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE13: TableClaims = {
  table: 'table13',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2, { at: 3, trades: 4 }),
    paper: directional(0.5, 3, { at: 1.5, trades: 3.5 }),
  },
};
