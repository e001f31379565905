/**
 * Evaluation of a trained model, the one path every reported number takes: clean accuracy and
 * the attacks of the config's `eval` block (PGD-k, CW-k, FGSM, AutoAttack) on the test set, in
 * order, `batchSize` images at a time; and the per-epoch selection accuracy that picks the
 * reported checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { AutoAttack, CW, FGSM, PGD, type Attack } from '../attacks';
import { orderedBatches, type ImageDataset } from '../data';
import { asClassifier, type TwoHeadModel } from '../models';
import { fracString, fracValue } from '../util/fraction';
import type { ExperimentConfig } from './schema';

export interface EvalMetrics {
  clean: number;
  pgd?: number;
  cw?: number;
  fgsm?: number;
  aa?: number;
}

/** Accuracy (%) of a head (default primary), eval mode, on the first `limit` test images, under `attack` (or clean). */
export async function accuracy(
  model: TwoHeadModel,
  test: ImageDataset,
  attack: Attack | null,
  opts: { batchSize?: number; limit?: number; head?: 'primary' | 'aux' } = {},
): Promise<number> {
  const clf = asClassifier(model, opts.head ?? 'primary', 'eval');
  const n = Math.min(opts.limit ?? test.n, test.n);
  let correct = 0;
  for (const { x, y } of orderedBatches(test, opts.batchSize ?? 128, n)) {
    const xa = attack ? await attack.perturb(clf, x, y) : x;
    const hits = tf.tidy(() => tf.sum(tf.equal(tf.argMax(clf.logits(xa), 1), y)));
    correct += (await hits.data())[0];
    tf.dispose(xa === x ? [x, y, hits] : [x, y, xa, hits]);
  }
  return (100 * correct) / n;
}

/** The attacks of a config's eval block, by metric name. */
export function evalAttacks(
  c: ExperimentConfig,
  seed: number,
  log?: (line: string) => void,
): { metric: keyof EvalMetrics; attack: Attack }[] {
  const eps = fracValue(c.eval.eps);
  const common = { eps, stepSize: fracValue(c.eval.stepSize), randomStart: c.eval.randomStart, seed };
  const out: { metric: keyof EvalMetrics; attack: Attack }[] = [];
  if (c.eval.pgdSteps > 0)
    out.push({ metric: 'pgd', attack: new PGD({ ...common, steps: c.eval.pgdSteps }) });
  if (c.eval.cwSteps > 0) out.push({ metric: 'cw', attack: new CW({ ...common, steps: c.eval.cwSteps }) });
  if (c.eval.fgsm) out.push({ metric: 'fgsm', attack: new FGSM({ eps }) });
  if (c.eval.autoattack)
    out.push({ metric: 'aa', attack: new AutoAttack({ eps, version: 'standard', seed, log }) });
  return out;
}

/** Clean accuracy and every attack of the config's eval block on the test set. */
export async function evaluateModel(
  model: TwoHeadModel,
  test: ImageDataset,
  c: ExperimentConfig,
  seed: number,
  log?: (line: string) => void,
): Promise<EvalMetrics> {
  const metrics: EvalMetrics = { clean: await accuracy(model, test, null) };
  for (const { metric, attack } of evalAttacks(c, seed, log))
    metrics[metric] = await accuracy(model, test, attack);
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
  return (model) => accuracy(model, test, pgd, { limit: c.eval.selectionImages ?? undefined, head });
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
    autoattack: c.eval.autoattack ? `standard, ε ${fracString(c.eval.eps)}` : 'off',
    selection: {
      pgdSteps: c.eval.selectionPgdSteps,
      images: c.eval.selectionImages ?? 'all',
      epochs: `from ${c.eval.selectionFromEpoch}, every ${c.eval.selectionEvery}`,
    },
    fgsm: c.eval.fgsm,
  };
}
