import { ACCURACY_RANGE, smokeIntegrity, type Claim, type TableClaims } from './types';

/** Table 4: two aux sets at once (AT+BiaMAT, CIFAR-10). Both rows need datasets with no offline copy. */
export const TABLE4: TableClaims = {
  table: 'table4',
  claims: { smoke: smokeIntegrity({ '*': ACCURACY_RANGE }, 0), small: [], paper: [] },
};

/** Table 5: standard training, ResNet-18, CIFAR-10 split into A (25k), B (12.5k), C (12.5k + uniform noise); test error %. */
const BATCHES = [128, 256, 384, 512, 1024];

function directional(batches: number[], margin: number, minSeeds: number): Claim[] {
  const err = (b: number, parts: string) => ({ rows: [`table5/b${b}-${parts}`], metric: 'error' });
  return batches.flatMap((b) => [
    {
      kind: 'atLeast' as const,
      id: `batch-${b}-noisy-c-helps`,
      text: `batch ${b}: adding the noisy split C lowers the error of A (error(A) ≥ error(A+C))`,
      left: err(b, 'A'),
      right: err(b, 'AC'),
      margin,
      minSeeds,
    },
    {
      kind: 'atLeast' as const,
      id: `batch-${b}-noisy-c-harmless`,
      text: `batch ${b}: adding C to A+B does not raise the error by more than the margin`,
      left: err(b, 'AB'),
      right: err(b, 'ABC'),
      margin,
      minSeeds,
    },
  ]);
}

export const TABLE5: TableClaims = {
  table: 'table5',
  claims: {
    smoke: smokeIntegrity({ '*': ACCURACY_RANGE }),
    small: directional([128], 0.5, 2),
    paper: directional(BATCHES, 0.3, 5),
  },
};
