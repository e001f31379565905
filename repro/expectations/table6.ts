import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 6: robust datasets (Ilyas et al.) distilled from AT vs AT+BiaMAT models, then standard training; Clean / FGSM. */
function directional(margin: number, minSeeds: number): Claim[] {
  return (['fgsm', 'clean'] as const).map((metric) => ({
    kind: 'atLeast' as const,
    id: `biamat-robust-dataset-${metric}`,
    text:
      metric === 'fgsm'
        ? 'a robust dataset from the AT+BiaMAT model gives higher FGSM accuracy than one from the AT model'
        : 'a robust dataset from the AT+BiaMAT model gives at least the clean accuracy of one from the AT model',
    left: { rows: ['table6/from-at-biamat'], metric },
    right: { rows: ['table6/from-at'], metric },
    margin,
    minSeeds,
  }));
}

export const TABLE6: TableClaims = {
  table: 'table6',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: directional(0.5, 5),
  },
};
