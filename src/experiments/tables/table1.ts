/**
 * Table 1 — AT with an auxiliary dataset, naive multi-domain learning: true aux labels through
 * the aux head (γ = 0) vs the uniform target u through the primary head (the OAT-like rows).
 * Metric: AutoAttack accuracy on CIFAR-10, ε = 8/255. Baseline AT = 48.53 (Table 2's AT row).
 *
 *   command:  npx tsx src/experiments/cli.ts run table1 --profile small   (or --profile paper)
 *   expected: true labels  SVHN 47.44, CIFAR-100 48.48, Places365 48.88, ImageNet 50.33;
 *             uniform u    SVHN 48.53, CIFAR-100 49.89, Places365 49.24, ImageNet 49.81
 *   runtime:  paper scale ≈ 56 h per row on one V100 (Table 11, "AT+BiaMAT naive");
 *             small profile ≈ 10–20 min per row on 2 CPU cores; CIFAR-100/Places365 rows need
 *             those datasets imported (no offline copy).
 */
import { atRow } from '../base';
import type { ExperimentConfig, PaperDataset } from '../schema';
import type { PaperTable } from '../table';
import { TABLE2 } from './table2';

const AUX: [PaperDataset, string, number, number][] = [
  ['svhn', 'SVHN', 47.44, 48.53],
  ['cifar100', 'CIFAR-100', 48.48, 49.89],
  ['places365', 'Places365', 48.88, 49.24],
  ['imagenet32', 'ImageNet', 50.33, 49.81],
];

// The uniform-label rows (released code's --shuffle): no warm-up, every aux image low from the first step.
const uniform = (c: ExperimentConfig): ExperimentConfig => ({ ...c, train: { ...c.train, warmupEpochs: 0 } });

const ROWS = AUX.flatMap(([aux, name, trueAA, uniformAA]) => [
  atRow({
    id: `table1/true-labels-${aux}`,
    table: 'table1',
    row: `AT, ${name} aux, true labels (aux head)`,
    primary: 'cifar10',
    aux: [aux],
    auxMode: 'naive',
    alpha: 1,
    gamma: 0,
    paper: { aa: trueAA },
  }),
  uniform(
    atRow({
      id: `table1/uniform-${aux}`,
      table: 'table1',
      row: `AT, ${name} aux, uniform target u (primary head)`,
      primary: 'cifar10',
      aux: [aux],
      auxMode: 'uniform',
      alpha: 1,
      gamma: 0,
      paper: { aa: uniformAA },
    }),
  ),
]);

export const TABLE1: PaperTable = {
  id: 'table1',
  title: 'Table 1: AT + auxiliary set, true vs uniform labels (CIFAR-10, AutoAttack %)',
  metrics: [{ key: 'aa', label: 'AA' }],
  headlineMetric: 'aa',
  // Plain AT (Table 2's row, the same config and id) is the baseline the paper compares with.
  rows: [TABLE2.rows.find((c) => c.id === 'table2/c10-at')!, ...ROWS],
  notes: [],
  digits: 2,
};
