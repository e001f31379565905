import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 1: AT on CIFAR-10 with an aux set, true labels (aux head) vs the uniform target (primary head); AutoAttack. */
function directional(margin: number, minSeeds: number): Claim[] {
  const aa = (row: string) => ({ rows: [row], metric: 'aa' });
  return [
    {
      kind: 'atLeast',
      id: 'unrelated-uniform-ge-true',
      text: 'unrelated aux set (SVHN; MNIST-32 here): uniform labels ≥ true labels in AA',
      left: aa('table1/uniform-svhn'),
      right: aa('table1/true-labels-svhn'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast',
      id: 'related-true-ge-uniform',
      text: 'related aux set (ImageNet; Tiny-ImageNet-32 here): true labels ≥ uniform labels in AA',
      left: aa('table1/true-labels-imagenet32'),
      right: aa('table1/uniform-imagenet32'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast',
      id: 'unrelated-true-no-gain',
      text: 'unrelated aux set with true labels does not beat plain AT (negative transfer)',
      left: aa('table2/c10-at'),
      right: aa('table1/true-labels-svhn'),
      margin,
      minSeeds,
    },
  ];
}

export const TABLE1: TableClaims = {
  table: 'table1',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: [
      ...directional(0.5, 3),
      {
        kind: 'matchesPaper',
        id: 'at-aa',
        text: 'plain AT matches the paper in AA',
        row: 'table2/c10-at',
        metric: 'aa',
        tolerance: 2.0,
        minSeeds: 3,
      },
    ],
  },
};
