/**
 * Table 5 (Appendix A) — data amplification without adversaries: standard training of
 * ResNet-18 on CIFAR-10 part A (25k) with parts B (12.5k, clean) and/or C (12.5k, uniform noise
 * added) as extra data, at five batch sizes. Metric: test error %, mean ± std over 5 seeds.
 *
 *   command:  npx tsx src/experiments/cli.ts run table5 --profile small
 *   expected: batch 128: A 9.58±0.21, A+B 7.32±0.14, A+C 9.15±0.26, A+B+C 7.45±0.21 (see rows)
 *   runtime:  paper scale ≈ 1–2 h per seed on one GPU; small profile ≈ 2–5 min per seed.
 *
 * Not given by the paper, so parameters: the split is a seeded permutation of the 50k training
 * images (A = first 25k, B = next 12.5k, C = last 12.5k); the noise is x + U(−a, a), clipped to
 * [0,1], with a = 0.5; standard training uses the AT schedule shape (100 epochs, lr 0.1 ×0.1 at
 * 60%/90%, momentum 0.9, weight decay 5e-4).
 */
import { atRow } from '../base';
import type { ExperimentConfig } from '../schema';
import type { PaperTable } from '../table';

type Part = 'A' | 'B' | 'C';
const PAPER: Record<number, [number, number][]> = {
  128: [
    [9.58, 0.21],
    [7.32, 0.14],
    [9.15, 0.26],
    [7.45, 0.21],
  ],
  256: [
    [10.48, 0.21],
    [8.06, 0.18],
    [9.78, 0.25],
    [8.12, 0.2],
  ],
  384: [
    [11.08, 0.35],
    [8.58, 0.22],
    [10.7, 0.25],
    [8.29, 0.21],
  ],
  512: [
    [11.49, 0.2],
    [9.22, 0.12],
    [11.21, 0.27],
    [8.94, 0.2],
  ],
  1024: [
    [13.22, 0.25],
    [10.55, 0.21],
    [12.85, 0.33],
    [10.23, 0.17],
  ],
};
const PARTS: Part[][] = [['A'], ['A', 'B'], ['A', 'C'], ['A', 'B', 'C']];

const ROWS: ExperimentConfig[] = Object.entries(PAPER).flatMap(([batch, cells]) =>
  PARTS.map((parts, i) => {
    const base = atRow({
      id: `table5/b${batch}-${parts.join('')}`,
      table: 'table5',
      row: `standard training, batch ${batch}, ${parts.join('+')}`,
      primary: 'cifar10',
      paper: { error: cells[i][0], std: { error: cells[i][1] } },
      notes: ['split, noise amplitude and training schedule are not given in the paper: see the header'],
    });
    return {
      ...base,
      method: { ...base.method, base: 'standard' as const, auxMode: 'none' as const },
      model: { arch: 'resnet18' as const },
      train: { ...base.train, batchSize: Number(batch), weightDecay: 5e-4 },
      eval: { ...base.eval, pgdSteps: 0, cwSteps: 0, autoattack: false, selectionPgdSteps: 0 },
      checkpoint: 'last' as const,
      seeds: [0, 1, 2, 3, 4],
      splitParts: { parts, noiseAmplitude: 0.5 },
    };
  }),
);

export const TABLE5: PaperTable = {
  id: 'table5',
  title: 'Table 5: standard training with a noisy extra split (ResNet-18, CIFAR-10, test error %, mean ± sd)',
  metrics: [{ key: 'error', label: 'test error' }],
  headlineMetric: 'error',
  rows: ROWS,
  notes: [],
  digits: 2,
};
