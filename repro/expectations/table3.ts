import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 3: the TRADES family on CIFAR-10 (Hendrycks pre-training, Carmon RST, TRADES+BiaMAT); AA. */
function directional(margin: number, minSeeds: number): Claim[] {
  return (['hendrycks', 'rst'] as const).map((other) => ({
    kind: 'atLeast' as const,
    id: `biamat-ge-${other}-imagenet-aa`,
    text: `with ImageNet (Tiny-ImageNet-32 here) as aux, TRADES+BiaMAT ≥ ${other === 'rst' ? 'Carmon RST' : 'Hendrycks pre-training'} in AA`,
    left: { rows: ['table3/trades-biamat-imagenet32'], metric: 'aa' },
    right: { rows: [`table3/${other}-imagenet32`], metric: 'aa' },
    margin,
    minSeeds,
  }));
}

export const TABLE3: TableClaims = {
  table: 'table3',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional(1.0, 2),
    paper: directional(0.5, 3),
  },
};
