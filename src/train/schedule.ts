/**
 * Learning-rate schedules of docs/method.md §2, stepped per epoch like PyTorch's MultiStepLR:
 * - 'at':     0.1, ×0.1 at 60% and 90% of the epochs (100 epochs → epochs 60 and 90).
 * - 'trades': 0.1, ×0.1 when the 1-based epoch reaches 100 and again 105 (110 epochs: 99 / 5 / 6
 *             epochs per rate, as the released TRADES code), scaled proportionally for shorter runs.
 * - 'constant': no decay (standard-training sanity runs).
 * Epochs are 0-based here: epoch e trains with lr·0.1^(number of milestones ≤ e).
 */
export type ScheduleKind = 'at' | 'trades' | 'constant';

export function milestones(kind: ScheduleKind, epochs: number): number[] {
  switch (kind) {
    case 'at':
      return [Math.round(0.6 * epochs), Math.round(0.9 * epochs)];
    case 'trades':
      return [Math.round((99 / 110) * epochs), Math.round((104 / 110) * epochs)];
    case 'constant':
      return [];
  }
}

export function learningRate(kind: ScheduleKind, baseLr: number, epoch: number, epochs: number): number {
  let lr = baseLr;
  for (const m of milestones(kind, epochs)) if (epoch >= m) lr *= 0.1;
  return lr;
}
