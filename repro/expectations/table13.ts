import { ACCURACY_RANGE, STAND_IN, smokeIntegrity, type Claim, type TableExpectation } from './types';

/** Table 13: the γ ablation (AutoAttack %, CIFAR-10 with ImageNet as aux). */
export const GAMMAS = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7];
const AT = [49.85, 50.35, 50.78, 50.32, 50.35, 50.69];
const TRADES = [56.42, 56.64, 56.21, 54.7, 54.95, 54.04];
const gammaRows = (method: string) => GAMMAS.map((g) => `${method}+biamat/gamma-${g.toFixed(2)}`);

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
      text: `${m.toUpperCase()}+BiaMAT: every γ in 0.45–0.70 is at least as robust (AA) as plain ${m.toUpperCase()} (Table 2 row)`,
      left: { rows: gammaRows(m), metric: 'aa', reduce: 'min' as const },
      right: { table: 'table2', rows: [`cifar10/${m}`], metric: 'aa' },
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE13: TableExpectation = {
  table: 'table13',
  title: 'Table 13: γ ablation (CIFAR-10, ImageNet aux, AutoAttack %)',
  notebook: '05-gamma-ablation',
  metrics: [{ key: 'aa', label: 'AA' }],
  headlineMetric: 'aa',
  rows: [
    ...GAMMAS.map((g, i) => ({
      row: gammaRows('at')[i],
      label: `AT+BiaMAT, γ = ${g.toFixed(2)}`,
      paper: { aa: AT[i] },
      standIn: STAND_IN.imagenet,
      offline: true,
    })),
    ...GAMMAS.map((g, i) => ({
      row: gammaRows('trades')[i],
      label: `TRADES+BiaMAT, γ = ${g.toFixed(2)}`,
      paper: { aa: TRADES[i] },
      standIn: STAND_IN.imagenet,
      offline: true,
    })),
  ],
  notes: [
    STAND_IN.imagenet,
    STAND_IN.cifar10Jpeg,
    'The "every γ ≥ base" claim compares with Table 2\'s AT/TRADES rows.',
  ],
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2, { at: 3, trades: 4 }),
    paper: directional(0.5, 3, { at: 1.5, trades: 3.5 }),
  },
  figure: 'line',
};
