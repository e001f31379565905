/**
 * Evaluation of a trained model, the one path every reported number takes: clean accuracy and
 * the attacks of the config's `eval` block (PGD-k, CW-k, FGSM, AutoAttack) on the test set, in
 * order, `batchSize` images at a time; and the per-epoch selection accuracy that picks the
 * reported checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import {
  AutoAttack,
  CW,
  FGSM,
  PGD,
  correctFlags,
  robustAccuracy,
  type Attack,
  type RobustAccuracyResult,
} from '../attacks';
import { imageRange, orderedBatches, type ImageDataset } from '../data';
import { asClassifier, type TwoHeadModel } from '../models';
import { fracString, fracValue } from '../util/fraction';
import type { ExperimentConfig } from './schema';

export interface EvalMetrics {
  clean: number;
  pgd?: number;
  cw?: number;
  fgsm?: number;
  aa?: number;
  /** AutoAttack: worst-case accuracy (%) after each of its attacks, in order (the last is `aa`). */
  aaAfter?: Record<string, number>;
}

/** The accuracy metrics a row can report, in table order. */
export const METRIC_KEYS = ['clean', 'pgd', 'cw', 'aa', 'fgsm', 'error'] as const;

/** Metric key of the worst-case accuracy after one attack of AutoAttack, e.g. 'aa:APGD-T'. */
export function aaStageKey(attack: string): string {
  return `aa:${attack}`;
}

/** The AutoAttack attack a metric key names ('aa:APGD-T' → 'APGD-T'), else null. */
export function aaStageAttack(key: string): string | null {
  return key.startsWith('aa:') ? key.slice(3) : null;
}

/** A column label for a metric key: `base` for the table's own, "AA after <attack>" for a stage. */
export function metricLabelOf(key: string, base?: string): string {
  const attack = aaStageAttack(key);
  return attack ? `AA after ${attack}` : (base ?? key);
}

/** A seed's metrics as flat key → value: METRIC_KEYS, then AutoAttack's accuracy after each attack but the last as `aa:<attack>`. */
export function flatMetrics(m: EvalMetrics & { error?: number }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of METRIC_KEYS) {
    const v = m[k];
    if (typeof v === 'number') out[k] = v;
  }
  // The accuracy after the last attack is `aa` itself: not repeated.
  for (const [attack, v] of Object.entries(m.aaAfter ?? {}).slice(0, -1)) out[aaStageKey(attack)] = v;
  return out;
}

/** Clean accuracy (%) of a head (default primary), eval mode, on the first `limit` test images. */
export async function cleanAccuracy(
  model: TwoHeadModel,
  test: ImageDataset,
  opts: { batchSize?: number; limit?: number; head?: 'primary' | 'aux' } = {},
): Promise<number> {
  const clf = asClassifier(model, opts.head ?? 'primary', 'eval');
  const n = Math.min(opts.limit ?? test.n, test.n);
  let correct = 0;
  for (const { x, y } of orderedBatches(test, opts.batchSize ?? 128, n)) {
    const flags = await correctFlags(clf, x, y);
    for (const f of flags) correct += f;
    tf.dispose([x, y]);
  }
  return n ? (100 * correct) / n : 0;
}

/**
 * An attack's accuracy on the first `limit` test images through the attacks module's one
 * robust-accuracy path (ε-ball, [0,1] and NaN checks; AutoAttack once over all the images).
 * PGD, CW and FGSM count the points classified correctly at x_adv, as the released evaluation
 * scripts do; AutoAttack counts those correct both clean and at x_adv, as its reference does.
 */
export async function attackAccuracy(
  model: TwoHeadModel,
  test: ImageDataset,
  attack: Attack,
  opts: { batchSize?: number; limit?: number; head?: 'primary' | 'aux' } = {},
): Promise<RobustAccuracyResult> {
  const clf = asClassifier(model, opts.head ?? 'primary', 'eval');
  const n = Math.min(opts.limit ?? test.n, test.n);
  const x = imageRange(test, 0, n);
  const y = tf.tensor1d(test.labels.subarray(0, n), 'int32');
  try {
    return await robustAccuracy(clf, attack, x, y, opts.batchSize ?? 128);
  } finally {
    tf.dispose([x, y]);
  }
}

/** The attacks of a config's eval block, by metric name, with the test images each one uses. */
export function evalAttacks(
  c: ExperimentConfig,
  seed: number,
  log?: (line: string) => void,
): { metric: 'pgd' | 'cw' | 'fgsm' | 'aa'; attack: Attack; limit?: number }[] {
  const eps = fracValue(c.eval.eps);
  const common = { eps, stepSize: fracValue(c.eval.stepSize), randomStart: c.eval.randomStart, seed };
  const out: { metric: 'pgd' | 'cw' | 'fgsm' | 'aa'; attack: Attack; limit?: number }[] = [];
  if (c.eval.pgdSteps > 0)
    out.push({ metric: 'pgd', attack: new PGD({ ...common, steps: c.eval.pgdSteps }) });
  if (c.eval.cwSteps > 0) out.push({ metric: 'cw', attack: new CW({ ...common, steps: c.eval.cwSteps }) });
  if (c.eval.fgsm) out.push({ metric: 'fgsm', attack: new FGSM({ eps }) });
  if (c.eval.autoattack)
    out.push({
      metric: 'aa',
      attack: new AutoAttack({ eps, version: 'standard', seed, log }),
      limit: c.eval.autoattackImages ?? undefined,
    });
  return out;
}

/** Clean accuracy and every attack of the config's eval block on the test set (all in %). */
export async function evaluateModel(
  model: TwoHeadModel,
  test: ImageDataset,
  c: ExperimentConfig,
  seed: number,
  log?: (line: string) => void,
): Promise<EvalMetrics> {
  const metrics: EvalMetrics = { clean: await cleanAccuracy(model, test) };
  for (const { metric, attack, limit } of evalAttacks(c, seed, log)) {
    const r = await attackAccuracy(model, test, attack, { limit });
    metrics[metric] = 100 * (metric === 'aa' ? r.robustAccuracy : r.adversarialAccuracy);
    if (r.stages)
      metrics.aaAfter = Object.fromEntries(r.stages.map((s) => [s.attack, 100 * s.robustAccuracy]));
  }
  return metrics;
}

/**
 * The evaluation that picks the reported checkpoint (PGD-k on the test set, through `head`), or
 * undefined when the row reports its last epoch.
 */
export function selectionEvaluator(
  c: ExperimentConfig,
  test: ImageDataset,
  seed: number,
  head: 'primary' | 'aux' = 'primary',
): ((model: TwoHeadModel) => Promise<number>) | undefined {
  if (c.checkpoint !== 'best' || c.eval.selectionPgdSteps === 0) return undefined;
  const pgd = new PGD({
    eps: fracValue(c.eval.eps),
    stepSize: fracValue(c.eval.stepSize),
    steps: c.eval.selectionPgdSteps,
    randomStart: c.eval.randomStart,
    seed,
  });
  return async (model) => {
    const r = await attackAccuracy(model, test, pgd, { limit: c.eval.selectionImages ?? undefined, head });
    return 100 * r.adversarialAccuracy;
  };
}

/** Which test images AutoAttack runs on, in words. */
function autoattackImagesText(c: ExperimentConfig): string {
  const n = c.eval.autoattackImages;
  return n === null ? 'every test image' : `the first ${n} test images`;
}

/**
 * One line saying which ε, step and start each evaluation column uses, e.g. "PGD-10 and CW-10 at
 * ε 8/255, step 2/255, random start; AutoAttack standard at ε 8/255 on every test image".
 */
export function evalDescription(c: ExperimentConfig): string {
  const e = c.eval;
  const eps = `ε ${fracString(e.eps)}`;
  const parts: string[] = [];
  const iterative = [
    e.pgdSteps > 0 ? `PGD-${e.pgdSteps}` : '',
    e.cwSteps > 0 ? `CW-${e.cwSteps}` : '',
  ].filter(Boolean);
  if (iterative.length)
    parts.push(
      `${iterative.join(' and ')} at ${eps}, step ${fracString(e.stepSize)}, ${e.randomStart ? 'random start' : 'no random start'}`,
    );
  if (e.fgsm) parts.push(`FGSM at ${eps}`);
  if (e.autoattack) parts.push(`AutoAttack standard at ${eps} on ${autoattackImagesText(c)}`);
  return parts.length ? parts.join('; ') : 'clean accuracy only';
}

/** What a result records about its evaluation (exact ε and steps: AutoAttack#54, TRADES#9). */
export function evalRecord(c: ExperimentConfig): Record<string, unknown> {
  return {
    eps: fracString(c.eval.eps),
    pgd: { steps: c.eval.pgdSteps, stepSize: fracString(c.eval.stepSize), randomStart: c.eval.randomStart },
    cw: {
      steps: c.eval.cwSteps,
      stepSize: fracString(c.eval.stepSize),
      randomStart: c.eval.randomStart,
      kappa: 50,
    },
    autoattack: c.eval.autoattack
      ? `standard, ε ${fracString(c.eval.eps)}, ${autoattackImagesText(c)}`
      : 'off',
    selection: {
      pgdSteps: c.eval.selectionPgdSteps,
      images: c.eval.selectionImages ?? 'all',
      epochs: `from ${c.eval.selectionFromEpoch}, every ${c.eval.selectionEvery}`,
    },
    fgsm: c.eval.fgsm,
  };
}
