import { ACCURACY_RANGE, STAND_IN, smokeIntegrity, type Claim, type TableExpectation } from './types';

/** Table 1: AT on CIFAR-10 with an auxiliary set, true labels (aux head) vs uniform labels (primary head); AutoAttack accuracy. */
const AUX = [
  { key: 'svhn', label: 'SVHN', standIn: STAND_IN.svhn, offline: true, trueAA: 47.44, uniformAA: 48.53 },
  { key: 'cifar100', label: 'CIFAR-100', offline: false, trueAA: 48.48, uniformAA: 49.89 },
  { key: 'places365', label: 'Places365', offline: false, trueAA: 48.88, uniformAA: 49.24 },
  {
    key: 'imagenet',
    label: 'ImageNet',
    standIn: STAND_IN.imagenet,
    offline: true,
    trueAA: 50.33,
    uniformAA: 49.81,
  },
];

function directional(margin: number, minSeeds: number): Claim[] {
  const ref = (row: string) => ({ rows: [row], metric: 'aa' });
  return [
    {
      kind: 'atLeast',
      id: 'unrelated-uniform-ge-true',
      text: 'unrelated aux set (SVHN; MNIST-32 here): uniform labels ≥ true labels in AA',
      left: ref('uniform/svhn'),
      right: ref('true/svhn'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast',
      id: 'related-true-ge-uniform',
      text: 'related aux set (ImageNet; Tiny-ImageNet-32 here): true labels ≥ uniform labels in AA',
      left: ref('true/imagenet'),
      right: ref('uniform/imagenet'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast',
      id: 'unrelated-true-no-gain',
      text: 'unrelated aux set with true labels does not beat plain AT (negative transfer)',
      left: ref('at'),
      right: ref('true/svhn'),
      margin,
      minSeeds,
    },
  ];
}

export const TABLE1: TableExpectation = {
  table: 'table1',
  title: 'Table 1: AT + auxiliary set, true vs uniform labels (CIFAR-10, AutoAttack %)',
  notebook: '02-table1',
  metrics: [{ key: 'aa', label: 'AA' }],
  headlineMetric: 'aa',
  rows: [
    { row: 'at', label: 'AT (no aux)', paper: { aa: 48.53 }, offline: true },
    ...AUX.flatMap((a) => [
      {
        row: `true/${a.key}`,
        label: `true labels, ${a.label}`,
        paper: { aa: a.trueAA },
        standIn: a.standIn,
        offline: a.offline,
      },
      {
        row: `uniform/${a.key}`,
        label: `uniform labels, ${a.label}`,
        paper: { aa: a.uniformAA },
        standIn: a.standIn,
        offline: a.offline,
      },
    ]),
  ],
  notes: [
    STAND_IN.svhn,
    STAND_IN.imagenet,
    STAND_IN.cifar10Jpeg,
    STAND_IN.unavailable('CIFAR-100 and Places365'),
  ],
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: [
      ...directional(0.5, 3),
      {
        kind: 'matchesPaper',
        id: 'at-aa',
        text: 'plain AT matches the paper in AA',
        row: 'at',
        metric: 'aa',
        tolerance: 2.0,
        minSeeds: 3,
      },
    ],
  },
};
