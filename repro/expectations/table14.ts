import { STAND_IN, smokeIntegrity, type Claim, type TableExpectation } from './types';

/**
 * Table 14 / Figure 3: the share of aux (ImageNet) images above the confidence threshold τ,
 * by CIFAR-10 superclass, for the final AT+BiaMAT model; Figure 3 is r = n_high / n_aux per
 * batch through training (recorded as curves on the 'all' row).
 */
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const PAPER = [0.849, 0.706, 0.554, 0.501, 0.72, 0.592, 0.653, 0.819, 0.677, 0.763];

function directional(margin: number, minSeeds: number): Claim[] {
  return [
    {
      kind: 'atLeast',
      id: 'cifar-like-aux-selected-more',
      text: 'aux images of every CIFAR-10-like superclass pass the threshold more often than the "others" images',
      left: { rows: CLASSES, metric: 'ratio', reduce: 'min' },
      right: { rows: ['others'], metric: 'ratio' },
      margin,
      minSeeds,
    },
  ];
}

export const TABLE14: TableExpectation = {
  table: 'table14',
  title: 'Table 14 / Figure 3: share of aux images above the threshold, by CIFAR-10 superclass (AT+BiaMAT)',
  notebook: '07-selection-ratio',
  metrics: [{ key: 'ratio', label: 'ratio above τ' }],
  headlineMetric: 'ratio',
  rows: [
    ...CLASSES.map((c, i) => ({
      row: c,
      label: c,
      paper: { ratio: PAPER[i] },
      standIn: STAND_IN.imagenet,
      offline: true,
    })),
    { row: 'others', label: 'others', paper: { ratio: 0.29 }, standIn: STAND_IN.imagenet, offline: true },
    { row: 'all', label: 'all', paper: { ratio: 0.335 }, standIn: STAND_IN.imagenet, offline: true },
  ],
  notes: [
    STAND_IN.imagenet,
    'Superclasses map Tiny-ImageNet classes to CIFAR-10 classes; the mapping lives in the notebook.',
    STAND_IN.cifar10Jpeg,
  ],
  claims: {
    smoke: smokeIntegrity({ '*': [0, 1] }),
    small: directional(0.02, 1),
    paper: directional(0.02, 3),
  },
  figure: 'curves',
};
