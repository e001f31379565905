import { CIFAR10_CLASSES } from '../../src/data';
import { smokeIntegrity, type Claim, type TableClaims } from './types';

/**
 * Table 14 / Figure 3: the share of aux (ImageNet) images above the confidence threshold τ, by
 * CIFAR-10 superclass, for the final AT+BiaMAT model; one record with a ratio per superclass.
 */
const ROW = 'table14/per-class-high-ratio';

function directional(margin: number, minSeeds: number): Claim[] {
  return [
    {
      kind: 'atLeast',
      id: 'cifar-like-aux-selected-more',
      text: 'aux images of every CIFAR-10-like superclass (present in the aux set) pass the threshold more often than the "others" images',
      left: { rows: [ROW], metric: [...CIFAR10_CLASSES], reduce: 'min', skipUnrecorded: true },
      right: { rows: [ROW], metric: 'others' },
      margin,
      minSeeds,
    },
  ];
}

export const TABLE14: TableClaims = {
  table: 'table14',
  claims: {
    smoke: smokeIntegrity({ '*': [0, 1] }),
    small: directional(0.02, 1),
    paper: directional(0.02, 3),
  },
};
