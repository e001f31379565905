import {
  CLEAN_PGD_CW_AA,
  ACCURACY_RANGE,
  STAND_IN,
  smokeIntegrity,
  type Claim,
  type PaperRow,
  type TableExpectation,
} from './types';

/** Table 2: BiaMAT with AT and TRADES, CIFAR-10 / CIFAR-100 / ImgNet100 primary; Clean / PGD / CW / AA. */
type Nums = [number, number, number, number];
const AUX_INFO: Record<string, { label: string; standIn?: string; offline: boolean }> = {
  svhn: { label: 'SVHN', standIn: STAND_IN.svhn, offline: true },
  cifar100: { label: 'CIFAR-100', offline: false },
  places365: { label: 'Places365', offline: false },
  imagenet: { label: 'ImageNet', standIn: STAND_IN.imagenet, offline: true },
  imgnet900: { label: 'ImgNet900', offline: false },
};
const PRIMARY: Record<string, { label: string; offline: boolean }> = {
  cifar10: { label: 'CIFAR-10', offline: true },
  cifar100: { label: 'CIFAR-100', offline: false },
  imgnet100: { label: 'ImgNet100', offline: false },
};

function row(primary: string, method: string, aux: string | null, n: Nums): PaperRow {
  const a = aux ? AUX_INFO[aux] : undefined;
  return {
    row: `${primary}/${method}${aux ? `+biamat/${aux}` : ''}`,
    label: `${PRIMARY[primary].label}, ${method.toUpperCase()}${a ? `+BiaMAT, ${a.label}` : ''}`,
    paper: { clean: n[0], pgd: n[1], cw: n[2], aa: n[3] },
    standIn: a?.standIn,
    offline: PRIMARY[primary].offline && (a?.offline ?? true),
  };
}

export const TABLE2_ROWS: PaperRow[] = [
  row('cifar10', 'at', null, [87.37, 50.87, 50.93, 48.53]),
  row('cifar10', 'at', 'svhn', [87.34, 51.9, 51.4, 48.61]),
  row('cifar10', 'at', 'cifar100', [87.22, 55.93, 52.09, 50.08]),
  row('cifar10', 'at', 'places365', [87.76, 57.0, 51.7, 49.48]),
  row('cifar10', 'at', 'imagenet', [88.75, 57.63, 53.04, 50.78]),
  row('cifar10', 'trades', null, [85.85, 56.62, 55.16, 53.93]),
  row('cifar10', 'trades', 'svhn', [85.49, 56.86, 55.21, 53.94]),
  row('cifar10', 'trades', 'cifar100', [87.02, 58.69, 56.85, 55.48]),
  row('cifar10', 'trades', 'places365', [87.18, 59.15, 56.36, 55.24]),
  row('cifar10', 'trades', 'imagenet', [88.03, 59.8, 58.01, 56.64]),
  row('cifar100', 'at', null, [62.59, 26.8, 26.07, 24.13]),
  row('cifar100', 'at', 'places365', [63.44, 32.61, 28.53, 26.49]),
  row('cifar100', 'at', 'imagenet', [64.05, 33.74, 29.78, 27.65]),
  row('cifar100', 'trades', null, [62.04, 32.53, 30.07, 28.82]),
  row('cifar100', 'trades', 'places365', [64.58, 34.38, 30.72, 29.24]),
  row('cifar100', 'trades', 'imagenet', [65.82, 36.36, 33.42, 31.87]),
  row('imgnet100', 'at', null, [66.6, 35.46, 31.9, 29.54]),
  row('imgnet100', 'at', 'places365', [70.04, 40.52, 33.24, 30.64]),
  row('imgnet100', 'at', 'imgnet900', [68.0, 40.18, 35.0, 32.88]),
  row('imgnet100', 'trades', null, [56.16, 27.9, 22.98, 21.9]),
  row('imgnet100', 'trades', 'places365', [57.8, 29.3, 24.14, 23.06]),
  row('imgnet100', 'trades', 'imagenet', [58.76, 31.26, 25.98, 24.98]),
];

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
    text: `CIFAR-10: ${method.toUpperCase()}+BiaMAT (${AUX_INFO[aux].label}) ≥ ${method.toUpperCase()} in ${metric.toUpperCase()}`,
    left: { rows: [`cifar10/${method}+biamat/${aux}`], metric },
    right: { rows: [`cifar10/${method}`], metric },
    margin,
    minSeeds,
  }));
}

function directional(margin: number, minSeeds: number, methods: ('at' | 'trades')[]): Claim[] {
  return methods.flatMap((m) => [
    ...biamatBeatsBase(m, 'imagenet', ['pgd', 'aa'], margin, minSeeds),
    {
      kind: 'atLeast' as const,
      id: `cifar10-${m}-biamat-clean-kept`,
      text: `CIFAR-10: ${m.toUpperCase()}+BiaMAT (ImageNet) keeps clean accuracy (≥ ${m.toUpperCase()} − margin)`,
      left: { rows: [`cifar10/${m}+biamat/imagenet`], metric: 'clean' },
      right: { rows: [`cifar10/${m}`], metric: 'clean' },
      margin: margin + 1,
      minSeeds,
    },
    {
      kind: 'atLeast' as const,
      id: `cifar10-${m}-related-ge-unrelated`,
      text: `CIFAR-10 ${m.toUpperCase()}+BiaMAT: a related aux set (ImageNet) helps at least as much as an unrelated one (SVHN) in AA`,
      left: { rows: [`cifar10/${m}+biamat/imagenet`], metric: 'aa' },
      right: { rows: [`cifar10/${m}+biamat/svhn`], metric: 'aa' },
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE2: TableExpectation = {
  table: 'table2',
  title: 'Table 2: BiaMAT with AT and TRADES (Clean / PGD-100 / CW-100 / AutoAttack %)',
  notebook: '03-table2',
  metrics: CLEAN_PGD_CW_AA,
  headlineMetric: 'aa',
  rows: TABLE2_ROWS,
  notes: [
    STAND_IN.svhn,
    STAND_IN.imagenet,
    STAND_IN.cifar10Jpeg,
    STAND_IN.unavailable('CIFAR-100, Places365, ImgNet100 and ImgNet900'),
  ],
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
          row: `cifar10/${m}`,
          metric,
          tolerance: 2.0,
          minSeeds: 3,
        })),
      ),
    ],
  },
};
