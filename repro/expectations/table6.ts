import { ACCURACY_RANGE, STAND_IN, smokeIntegrity, type Claim, type TableExpectation } from './types';

/** Table 6: robust datasets (Ilyas et al.) distilled from AT vs AT+BiaMAT models, then standard training; Clean / FGSM, mean ± sd of 5. */
function directional(margin: number, minSeeds: number): Claim[] {
  return [
    {
      kind: 'atLeast',
      id: 'biamat-robust-dataset-fgsm',
      text: 'a robust dataset from the AT+BiaMAT model gives higher FGSM accuracy than one from the AT model',
      left: { rows: ['from-at+biamat'], metric: 'fgsm' },
      right: { rows: ['from-at'], metric: 'fgsm' },
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast',
      id: 'biamat-robust-dataset-clean',
      text: 'a robust dataset from the AT+BiaMAT model gives at least the clean accuracy of one from the AT model',
      left: { rows: ['from-at+biamat'], metric: 'clean' },
      right: { rows: ['from-at'], metric: 'clean' },
      margin,
      minSeeds,
    },
  ];
}

export const TABLE6: TableExpectation = {
  table: 'table6',
  title: 'Table 6: standard training on robust datasets (CIFAR-10, Clean / FGSM %, mean ± sd)',
  notebook: '06-robust-datasets',
  metrics: [
    { key: 'clean', label: 'Clean' },
    { key: 'fgsm', label: 'FGSM' },
  ],
  headlineMetric: 'fgsm',
  rows: [
    {
      row: 'from-at',
      label: 'robust dataset from AT',
      paper: { clean: 87.49, fgsm: 30.79 },
      paperSd: { clean: 0.2, fgsm: 1.16 },
      offline: true,
    },
    {
      row: 'from-at+biamat',
      label: 'robust dataset from AT+BiaMAT',
      paper: { clean: 88.19, fgsm: 31.82 },
      paperSd: { clean: 0.16, fgsm: 1.06 },
      standIn: STAND_IN.imagenet,
      offline: true,
    },
  ],
  notes: [STAND_IN.imagenet, STAND_IN.cifar10Jpeg],
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: directional(0.5, 5),
  },
};
