import {
  CLEAN_PGD_CW_AA,
  ACCURACY_RANGE,
  STAND_IN,
  smokeIntegrity,
  type Claim,
  type PaperRow,
  type TableExpectation,
} from './types';

/** Table 4: two aux sets at once (AT+BiaMAT, CIFAR-10). Both need datasets with no offline copy. */
export const TABLE4: TableExpectation = {
  table: 'table4',
  title: 'Table 4: AT+BiaMAT with two auxiliary sets (CIFAR-10, Clean / PGD / CW / AA %)',
  notebook: '08-tables4-5',
  metrics: CLEAN_PGD_CW_AA,
  headlineMetric: 'aa',
  rows: [
    {
      row: 'svhn+cifar100',
      label: 'SVHN + CIFAR-100',
      paper: { clean: 87.61, pgd: 54.58, cw: 52.03, aa: 49.88 },
      offline: false,
    },
    {
      row: 'places365+imagenet',
      label: 'Places365 + ImageNet',
      paper: { clean: 87.88, pgd: 56.22, cw: 51.86, aa: 49.58 },
      offline: false,
    },
  ],
  notes: [STAND_IN.unavailable('CIFAR-100 and Places365'), "Single-set rows are Table 2's."],
  claims: { smoke: smokeIntegrity({ '*': ACCURACY_RANGE }, 0), small: [], paper: [] },
};

/** Table 5: standard training, ResNet-18, CIFAR-10 split into A (25k), B (12.5k), C (12.5k + uniform noise); test error %. */
const BATCHES = [128, 256, 384, 512, 1024];
const ERR: Record<string, [number, number][]> = {
  A: [
    [9.58, 0.21],
    [10.48, 0.21],
    [11.08, 0.35],
    [11.49, 0.2],
    [13.22, 0.25],
  ],
  'A+B': [
    [7.32, 0.14],
    [8.06, 0.18],
    [8.58, 0.22],
    [9.22, 0.12],
    [10.55, 0.21],
  ],
  'A+C': [
    [9.15, 0.26],
    [9.78, 0.25],
    [10.7, 0.25],
    [11.21, 0.27],
    [12.85, 0.33],
  ],
  'A+B+C': [
    [7.45, 0.21],
    [8.12, 0.2],
    [8.29, 0.21],
    [8.94, 0.2],
    [10.23, 0.17],
  ],
};
const table5Row = (batch: number, split: string) => `batch-${batch}/${split}`;

const TABLE5_ROWS: PaperRow[] = BATCHES.flatMap((b, i) =>
  Object.keys(ERR).map((split) => ({
    row: table5Row(b, split),
    label: `batch ${b}, ${split}`,
    paper: { error: ERR[split][i][0] },
    paperSd: { error: ERR[split][i][1] },
    offline: true,
  })),
);

function directional(batches: number[], margin: number, minSeeds: number): Claim[] {
  const ref = (b: number, split: string) => ({ rows: [table5Row(b, split)], metric: 'error' });
  return batches.flatMap((b) => [
    {
      kind: 'atLeast' as const,
      id: `batch-${b}-noisy-c-helps`,
      text: `batch ${b}: adding the noisy split C lowers the error of A (error(A) ≥ error(A+C))`,
      left: ref(b, 'A'),
      right: ref(b, 'A+C'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast' as const,
      id: `batch-${b}-noisy-c-harmless`,
      text: `batch ${b}: adding C to A+B does not raise the error by more than the margin`,
      left: ref(b, 'A+B'),
      right: ref(b, 'A+B+C'),
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE5: TableExpectation = {
  table: 'table5',
  title: 'Table 5: standard training with a noisy extra split (ResNet-18, CIFAR-10, test error %, mean ± sd)',
  notebook: '08-tables4-5',
  metrics: [{ key: 'error', label: 'test error' }],
  headlineMetric: 'error',
  rows: TABLE5_ROWS,
  notes: [STAND_IN.cifar10Jpeg],
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional([128], 0.5, 2),
    paper: directional(BATCHES, 0.3, 5),
  },
};
