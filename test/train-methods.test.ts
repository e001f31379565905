import type { TrainConfig } from '../src/train/trainer';
import { atSteps, config, dataSource, model, tradesSteps, useTrainRuns } from './train-fixtures';

const { collect } = useTrainRuns();

const methods: [string, Partial<TrainConfig>, boolean][] = [
  ['standard', { steps: { ...atSteps, base: 'standard' } }, false],
  ['AT', {}, false],
  ['TRADES', { steps: tradesSteps }, false],
  ['AT+BiaMAT', { auxMode: 'biamat' }, true],
  ['TRADES+BiaMAT', { auxMode: 'biamat', steps: tradesSteps, alpha: 0.5, gamma: 0.5 }, true],
  [
    'TRADES+BiaMAT adv-CE high set',
    { auxMode: 'naive', steps: { ...tradesSteps, highLoss: 'adv-ce' } },
    true,
  ],
  ['AT naive (true aux labels)', { auxMode: 'naive' }, true],
  ['AT uniform-only', { auxMode: 'uniform' }, true],
];

describe('every method trains: finite loss, falling primary loss', () => {
  test.each(methods)('%s', async (_name, over, withAux) => {
    const recs = await collect(model(), config({ ...over, epochs: 1 }), dataSource(6, withAux));
    expect(recs.every((r) => Number.isFinite(r.loss))).toBe(true);
    // The primary task is trivially learnable; the aux labels here are random, so judge the primary loss.
    const losses = recs.map((r) => r.lossPrimary);
    const last = losses.slice(-2).reduce((a, b) => a + b, 0) / 2;
    expect(last).toBeLessThan(0.8 * losses[0]);
  });

  test('Hendrycks pre-training: aux head first, then the primary head, LR schedule continuing', async () => {
    const recs = await collect(
      model(),
      config({ auxMode: 'pretrain', pretrainEpochs: 1, epochs: 2, schedule: 'at' }),
      dataSource(3, true),
    );
    expect(recs.map((r) => r.epoch)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(recs.every((r) => Number.isFinite(r.loss))).toBe(true);
    // The schedule spans both phases: AT milestones at round(0.6·2) = 1 → the fine-tuning epoch has lr/10.
    expect(recs[3].lr).toBeCloseTo(0.005, 10);
  });
});
