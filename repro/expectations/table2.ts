import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 2: BiaMAT with AT and TRADES, CIFAR-10 primary; Clean / PGD / CW / AA. */
const AUX_LABEL: Record<string, string> = { svhn: 'SVHN', imagenet32: 'ImageNet' };
const base = (m: string) => `table2/c10-${m}`;
const biamat = (m: string, aux: string) => `table2/c10-${m}-biamat-${aux}`;

function biamatBeatsBase(
  method: 'at' | 'trades',
  aux: string,
  metrics: string[],
  margin: number,
  minSeeds: number,
): Claim[] {
  return metrics.map((metric) => ({
    kind: 'atLeast' as const,
    id: `cifar10-${method}-biamat-${aux}-ge-base-${metric}`,
    text: `CIFAR-10: ${method.toUpperCase()}+BiaMAT (${AUX_LABEL[aux]}) ≥ ${method.toUpperCase()} in ${metric.toUpperCase()}`,
    left: { rows: [biamat(method, aux)], metric },
    right: { rows: [base(method)], metric },
    margin,
    minSeeds,
  }));
}

function directional(margin: number, minSeeds: number, methods: ('at' | 'trades')[]): Claim[] {
  return methods.flatMap((m) => [
    ...biamatBeatsBase(m, 'imagenet32', ['pgd', 'aa'], margin, minSeeds),
    {
      kind: 'atLeast' as const,
      id: `cifar10-${m}-biamat-clean-kept`,
      text: `CIFAR-10: ${m.toUpperCase()}+BiaMAT (ImageNet) keeps clean accuracy (≥ ${m.toUpperCase()} − margin)`,
      left: { rows: [biamat(m, 'imagenet32')], metric: 'clean' },
      right: { rows: [base(m)], metric: 'clean' },
      margin: margin + 1,
      minSeeds,
    },
    {
      kind: 'atLeast' as const,
      id: `cifar10-${m}-related-ge-unrelated`,
      text: `CIFAR-10 ${m.toUpperCase()}+BiaMAT: a related aux set (ImageNet) helps at least as much as an unrelated one (SVHN) in AA`,
      left: { rows: [biamat(m, 'imagenet32')], metric: 'aa' },
      right: { rows: [biamat(m, 'svhn')], metric: 'aa' },
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE2: TableClaims = {
  table: 'table2',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2, ['at']),
    paper: [
      ...directional(0.5, 3, ['at', 'trades']),
      ...biamatBeatsBase('at', 'svhn', ['aa'], 0.5, 3),
      ...(['clean', 'pgd', 'aa'] as const).flatMap((metric) =>
        (['at', 'trades'] as const).map((m) => ({
          kind: 'matchesPaper' as const,
          id: `cifar10-${m}-${metric}-matches-paper`,
          text: `CIFAR-10 ${m.toUpperCase()} matches the paper in ${metric.toUpperCase()}`,
          row: base(m),
          metric,
          tolerance: 2.0,
          minSeeds: 3,
        })),
      ),
    ],
  },
};
