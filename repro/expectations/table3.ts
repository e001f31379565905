import {
  CLEAN_PGD_CW_AA,
  ACCURACY_RANGE,
  STAND_IN,
  smokeIntegrity,
  type Claim,
  type PaperRow,
  type TableExpectation,
} from './types';

/** Table 3: the TRADES family on CIFAR-10 (Hendrycks pre-training, Carmon RST, TRADES+BiaMAT); Clean / PGD / CW / AA. */
const AUX: Record<string, { label: string; standIn?: string; offline: boolean }> = {
  cifar100: { label: 'CIFAR-100', offline: false },
  places365: { label: 'Places365', offline: false },
  imagenet: { label: 'ImageNet', standIn: STAND_IN.imagenet, offline: true },
  'imagenet-500k': { label: 'ImageNet-500k', offline: false },
};
function row(
  method: string,
  label: string,
  aux: string | null,
  n: [number, number, number, number],
): PaperRow {
  const a = aux ? AUX[aux] : undefined;
  return {
    row: aux ? `${method}/${aux}` : method,
    label: a ? `${label}, ${a.label}` : label,
    paper: { clean: n[0], pgd: n[1], cw: n[2], aa: n[3] },
    standIn: a?.standIn,
    offline: a?.offline ?? true,
  };
}

function directional(margin: number, minSeeds: number): Claim[] {
  return (['hendrycks', 'rst'] as const).map((other) => ({
    kind: 'atLeast' as const,
    id: `biamat-ge-${other}-imagenet-aa`,
    text: `with ImageNet (Tiny-ImageNet-32 here) as aux, TRADES+BiaMAT ≥ ${other === 'rst' ? 'Carmon RST' : 'Hendrycks pre-training'} in AA`,
    left: { rows: ['trades+biamat/imagenet'], metric: 'aa' },
    right: { rows: [`${other}/imagenet`], metric: 'aa' },
    margin,
    minSeeds,
  }));
}

export const TABLE3: TableExpectation = {
  table: 'table3',
  title: 'Table 3: TRADES-family methods with auxiliary data (CIFAR-10, Clean / PGD / CW / AA %)',
  notebook: '04-table3',
  metrics: CLEAN_PGD_CW_AA,
  headlineMetric: 'aa',
  rows: [
    row('trades', 'TRADES', null, [85.85, 56.62, 55.16, 53.93]),
    row('hendrycks', 'Hendrycks pre-training', 'cifar100', [80.21, 45.68, 44.52, 42.36]),
    row('hendrycks', 'Hendrycks pre-training', 'imagenet', [87.11, 57.16, 55.43, 55.3]),
    row('rst', 'Carmon RST', 'cifar100', [82.61, 54.32, 51.64, 50.81]),
    row('rst', 'Carmon RST', 'places365', [83.95, 56.72, 53.95, 52.81]),
    row('rst', 'Carmon RST', 'imagenet', [85.42, 57.46, 54.66, 53.79]),
    row('rst', 'Carmon RST', 'imagenet-500k', [86.02, 59.49, 56.43, 55.63]),
    row('trades+biamat', 'TRADES+BiaMAT', 'cifar100', [87.02, 58.69, 56.85, 55.48]),
    row('trades+biamat', 'TRADES+BiaMAT', 'places365', [87.18, 59.15, 56.36, 55.24]),
    row('trades+biamat', 'TRADES+BiaMAT', 'imagenet', [88.03, 59.8, 58.01, 56.64]),
  ],
  notes: [
    STAND_IN.imagenet,
    STAND_IN.cifar10Jpeg,
    STAND_IN.unavailable('CIFAR-100, Places365 and a 500k-image ImageNet subset'),
  ],
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: directional(0.5, 3),
  },
};
