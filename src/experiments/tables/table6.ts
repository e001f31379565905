/**
 * Table 6 (Appendix C) — robust datasets (Ilyas et al. 2019): x_r = argmin ‖g(x_r) − g(x)‖₂
 * from a random other training image, normalised-gradient descent, pixels in [0,1], built from
 * the AT model and from the AT+BiaMAT model (Table 2, CIFAR-10, ImageNet aux); then standard
 * training from scratch on each. Metric: Clean / FGSM (ε = 8/255), mean ± std over 5 seeds.
 *
 *   command:  npx tsx src/experiments/cli.ts run table6 --profile small   (trains the sources first)
 *   expected: from AT 87.49±0.20 / 30.79±1.16; from AT+BiaMAT 88.19±0.16 / 31.82±1.06
 *   runtime:  paper scale: the source runs (34 h / 56.5 h) + 1000 descent steps per image +
 *             standard training; small profile ≈ 30–60 min in total.
 *
 * g is the representation layer (the trunk's features before the heads). Ilyas et al.'s
 * 1000 steps of step size 0.1 are used; the trained architecture is ResNet-18 (not stated).
 */
import { atRow } from '../base';
import type { ExperimentConfig } from '../schema';
import type { PaperTable } from '../table';

function row(
  source: string,
  name: string,
  clean: [number, number],
  fgsm: [number, number],
): ExperimentConfig {
  const base = atRow({
    id: `table6/from-${name}`,
    table: 'table6',
    row: `standard training on the robust dataset of the ${name === 'at' ? 'AT' : 'AT+BiaMAT'} model`,
    primary: 'cifar10',
    paper: { clean: clean[0], fgsm: fgsm[0], std: { clean: clean[1], fgsm: fgsm[1] } },
  });
  return {
    ...base,
    method: { ...base.method, base: 'standard', auxMode: 'none' },
    model: { arch: 'resnet18' },
    train: { ...base.train, weightDecay: 5e-4 },
    eval: { ...base.eval, pgdSteps: 0, cwSteps: 0, autoattack: false, fgsm: true, selectionPgdSteps: 0 },
    checkpoint: 'last',
    seeds: [0, 1, 2, 3, 4],
    robustDataset: { sourceId: source, steps: 1000, stepSize: 0.1 },
  };
}

const ROWS = [
  row('table2/c10-at', 'at', [87.49, 0.2], [30.79, 1.16]),
  row('table2/c10-at-biamat-imagenet32', 'at-biamat', [88.19, 0.16], [31.82, 1.06]),
];

export const TABLE6: PaperTable = {
  id: 'table6',
  title: 'Table 6: standard training on robust datasets (CIFAR-10, Clean / FGSM %, mean ± sd)',
  metrics: [
    { key: 'clean', label: 'Clean' },
    { key: 'fgsm', label: 'FGSM' },
  ],
  headlineMetric: 'fgsm',
  rows: ROWS,
  notes: [],
  digits: 2,
};
