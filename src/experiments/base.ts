/**
 * The paper's settings (docs/method.md §2, Appendix E, Table 12) as two builders, so each table file
 * states only what its rows change. Every value here is the paper-scale one; smoke and small
 * runs come from `scaleConfig` (scale.ts).
 */
import { frac } from '../util/fraction';
import type { ExperimentConfig, PaperDataset, PaperMetrics } from './schema';

export interface RowSpec {
  id: string;
  table: string;
  row: string;
  primary: PaperDataset;
  aux?: PaperDataset[];
  auxMode?: ExperimentConfig['method']['auxMode'];
  alpha?: number;
  gamma?: number;
  paper: PaperMetrics;
  notes?: string[];
}

/** Table 12's (α, γ) per primary dataset and base method. */
export function table12(
  primary: PaperDataset,
  base: 'at' | 'trades',
): { alpha: number; gamma: number; note?: string } {
  if (primary === 'cifar10') return base === 'at' ? { alpha: 1.0, gamma: 0.55 } : { alpha: 0.5, gamma: 0.5 };
  if (primary === 'cifar100') return base === 'at' ? { alpha: 1.0, gamma: 0.5 } : { alpha: 1.0, gamma: 0.3 };
  if (base === 'at') return { alpha: 1.0, gamma: 0.5 };
  return {
    alpha: 1.0,
    gamma: 0.5,
    note: 'Table 12 gives no (α, γ) for ImgNet100 TRADES+BiaMAT: AT’s 1.0 / 0.5 used',
  };
}

function paperModel(primary: PaperDataset, base: 'at' | 'trades' | 'standard'): ExperimentConfig['model'] {
  if (primary === 'imgnet100') return { arch: 'wrn', depth: 16, widen: 10 };
  return base === 'trades' ? { arch: 'wrn', depth: 34, widen: 10 } : { arch: 'wrn', depth: 28, widen: 10 };
}

const EVAL: ExperimentConfig['eval'] = {
  eps: frac(8, 255),
  stepSize: frac(2, 255),
  pgdSteps: 100,
  cwSteps: 100,
  autoattack: true,
  fgsm: false,
  selectionPgdSteps: 10,
  selectionImages: null,
};

function common(r: RowSpec, base: 'at' | 'trades'): Omit<ExperimentConfig, 'train' | 'model'> {
  const auxMode = r.auxMode ?? ((r.aux ?? []).length > 0 ? 'biamat' : 'none');
  const t12 = table12(r.primary, base);
  return {
    id: r.id,
    table: r.table,
    row: r.row,
    primary: r.primary,
    aux: r.aux ?? [],
    method: {
      base,
      auxMode,
      alpha: r.alpha ?? t12.alpha,
      gamma: r.gamma ?? t12.gamma,
      beta: 6,
      highLoss: base === 'trades' && r.primary === 'cifar100' ? 'adv-ce' : 'trades',
      pretrainEpochs: 0,
      rst: null,
    },
    eval: EVAL,
    checkpoint: 'best',
    seeds: [0],
    subset: { primaryTrain: null, primaryTest: null, aux: null },
    splitParts: null,
    robustDataset: null,
    analysis: null,
    paper: r.paper,
    notes: [
      ...(r.notes ?? []),
      ...(auxMode === 'biamat' && t12.note && r.alpha === undefined ? [t12.note] : []),
    ],
  };
}

/** AT (Madry, PGD-10) or AT+BiaMAT at the paper's settings. */
export function atRow(r: RowSpec): ExperimentConfig {
  return {
    ...common(r, 'at'),
    model: paperModel(r.primary, 'at'),
    train: {
      epochs: 100,
      warmupEpochs: 5,
      lr: 0.1,
      schedule: 'at',
      momentum: 0.9,
      weightDecay: 2e-4,
      batchSize: 128,
      auxBatchSize: 128,
      augment: true,
      attack: { eps: frac(8, 255), stepSize: frac(2, 255), steps: 10, bn: 'train', bnUpdatesStats: true },
    },
  };
}

/** TRADES (β = 6) or TRADES+BiaMAT at the paper's settings. */
export function tradesRow(r: RowSpec): ExperimentConfig {
  return {
    ...common(r, 'trades'),
    model: paperModel(r.primary, 'trades'),
    train: {
      epochs: 110,
      warmupEpochs: 5,
      lr: 0.1,
      schedule: 'trades',
      momentum: 0.9,
      weightDecay: 5e-4,
      batchSize: 128,
      auxBatchSize: 128,
      augment: true,
      attack: { eps: frac(31, 1000), stepSize: frac(7, 1000), steps: 10, bn: 'eval', bnUpdatesStats: false },
    },
  };
}
