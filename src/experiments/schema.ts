/**
 * The typed form of one experiment (one row of one paper table). Configs are plain values
 * (big_vision: configs are code); `parseExperiment` validates overrides with zod, rejecting
 * unknown keys (nanoGPT's configurator), so a typo never silently trains the wrong thing.
 */
import { z } from 'zod';
import { ARCHS } from '../models';
import { UserError } from '../util/errors';
import { fractionSchema } from '../util/fraction';

/** The paper's datasets (docs/method.md §5). ImgNet100/ImgNet900 are the 100- and 900-class splits of ImageNet-32. */
export const PAPER_DATASETS = [
  'cifar10',
  'cifar100',
  'svhn',
  'places365',
  'imagenet32',
  'imgnet100',
  'imgnet900',
  'imagenet500k',
  'imagenet100k',
] as const;
export type PaperDataset = (typeof PAPER_DATASETS)[number];

const metricsSchema = z.strictObject({
  clean: z.number().optional(),
  pgd: z.number().optional(),
  cw: z.number().optional(),
  aa: z.number().optional(),
  fgsm: z.number().optional(),
  /** Test error (Table 5), %. */
  error: z.number().optional(),
  /** Standard deviation of the reported mean (Tables 5 and 6). */
  std: z.record(z.string(), z.number()).optional(),
  /** Per-class numbers (Table 14). */
  perClass: z.record(z.string(), z.number()).optional(),
});
export type PaperMetrics = z.infer<typeof metricsSchema>;

const attackSchema = z.strictObject({
  eps: fractionSchema,
  stepSize: fractionSchema,
  steps: z.number().int().nonnegative(),
  /** BN mode during the training attack: AT's released code uses train mode, TRADES eval. */
  bn: z.enum(['train', 'eval']),
  /** Whether the attack's train-mode forwards move the BN running averages (released AT code: no; PyTorch's model.train(): yes). */
  bnUpdatesStats: z.boolean(),
  /** AT: 'sum' of the CE terms over all samples (released code) or 'set-means' (a mean per set). */
  objective: z.enum(['sum', 'set-means']),
});

export const experimentSchema = z.strictObject({
  /** e.g. 'table2/c10-at-biamat-imagenet'. */
  id: z.string().min(1),
  table: z.string(),
  row: z.string(),
  primary: z.enum(PAPER_DATASETS),
  aux: z.array(z.enum(PAPER_DATASETS)),
  method: z.strictObject({
    base: z.enum(['standard', 'at', 'trades']),
    auxMode: z.enum(['none', 'biamat', 'naive', 'uniform', 'pretrain', 'rst']),
    alpha: z.number().min(0),
    gamma: z.number().min(0),
    beta: z.number().min(0),
    /** TRADES' high-set loss; 'adv-ce' when CIFAR-100 is primary (docs/method.md §1.5). */
    highLoss: z.enum(['trades', 'adv-ce']),
    pretrainEpochs: z.number().int().nonnegative(),
    /** Carmon et al.: pseudo-label aux with a standard classifier trained this many epochs, keep top-k per class. */
    rst: z
      .strictObject({ labelerEpochs: z.number().int().positive(), topKPerClass: z.number().int().positive() })
      .nullable(),
  }),
  model: z.strictObject({
    arch: z.enum(ARCHS),
    depth: z.number().int().positive().optional(),
    widen: z.number().int().positive().optional(),
    width: z.number().int().positive().optional(),
  }),
  train: z.strictObject({
    epochs: z.number().int().positive(),
    warmupEpochs: z.number().min(0),
    lr: z.number().positive(),
    schedule: z.enum(['at', 'trades', 'constant']),
    momentum: z.number().min(0).max(1),
    weightDecay: z.number().min(0),
    /** Which variables decay: 'kernels' (conv and dense, released AT code) or 'all' (released TRADES code). */
    weightDecayOn: z.enum(['all', 'kernels']),
    batchSize: z.number().int().positive(),
    auxBatchSize: z.number().int().positive(),
    augment: z.boolean(),
    attack: attackSchema,
  }),
  eval: z.strictObject({
    eps: fractionSchema,
    stepSize: fractionSchema,
    pgdSteps: z.number().int().nonnegative(),
    cwSteps: z.number().int().nonnegative(),
    /** Random start of the PGD / CW evaluation (released AT script: yes; TRADES' evaluate.py: no). */
    randomStart: z.boolean(),
    autoattack: z.boolean(),
    /** Test images AutoAttack runs on, the first ones (null: the whole test set, the paper's). */
    autoattackImages: z.number().int().positive().nullable(),
    fgsm: z.boolean(),
    /** Attack steps of the per-epoch PGD evaluation that picks the reported checkpoint. */
    selectionPgdSteps: z.number().int().nonnegative(),
    /** Test images used by the per-epoch selection evaluation (null: the whole test set). */
    selectionImages: z.number().int().positive().nullable(),
    /** Checkpoint candidates: epochs (1-based) from selectionFromEpoch on, every selectionEvery epochs. */
    selectionEvery: z.number().int().positive(),
    selectionFromEpoch: z.number().int().positive(),
  }),
  /** 'best': best PGD accuracy on the test set (the paper, Rice et al.); 'last': final epoch. */
  checkpoint: z.enum(['best', 'last']),
  seeds: z.array(z.number().int()).min(1),
  /** Dataset sizes used (null: full). Set by scaleConfig for smoke/small runs. */
  subset: z.strictObject({
    primaryTrain: z.number().int().positive().nullable(),
    primaryTest: z.number().int().positive().nullable(),
    aux: z.number().int().positive().nullable(),
  }),
  /** Table 5: CIFAR-10 train split into A 25k / B 12.5k / C 12.5k; C gets uniform noise. */
  splitParts: z
    .strictObject({
      parts: z.array(z.enum(['A', 'B', 'C'])).min(1),
      /** Half-width of the uniform noise added to C (the paper does not give it: a parameter). */
      noiseAmplitude: z.number().min(0),
    })
    .nullable(),
  /** Table 6: train on a robust dataset built from the model of another experiment. */
  robustDataset: z
    .strictObject({
      sourceId: z.string(),
      steps: z.number().int().positive(),
      stepSize: z.number().positive(),
    })
    .nullable(),
  /** Table 14: analyse the finished model of another experiment instead of training. */
  analysis: z.strictObject({ kind: z.literal('per-class-high-ratio'), sourceId: z.string() }).nullable(),
  /** The paper's numbers for this row (%, ε = 8/255). */
  paper: metricsSchema,
  notes: z.array(z.string()),
});

export type ExperimentConfig = z.infer<typeof experimentSchema>;

/** Validates a config (e.g. after overrides); throws one UserError listing every problem. */
export function parseExperiment(value: unknown): ExperimentConfig {
  const r = experimentSchema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new UserError(
    `invalid experiment config: ${problems}`,
    'fix the listed fields (unknown keys are rejected)',
  );
}

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** Merges overrides into a config (objects deep, arrays replaced) and validates the result. */
export function withOverrides(
  config: ExperimentConfig,
  overrides: DeepPartial<ExperimentConfig> | unknown,
): ExperimentConfig {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
      return out;
    }
    return b;
  };
  return parseExperiment(merge(config, overrides));
}

/** Parses `a.b.c=value` flags (value as JSON when it parses, else a string) into an override object. */
export function overridesFromFlags(flags: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq < 1)
      throw new UserError(
        `override '${f}' is not key=value`,
        'write e.g. train.epochs=3 or method.gamma=0.5',
      );
    const keys = f.slice(0, eq).split('.');
    const raw = f.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let o = out;
    keys.slice(0, -1).forEach((k) => (o = (o[k] ??= {}) as Record<string, unknown>));
    o[keys[keys.length - 1]] = value;
  }
  return out;
}
