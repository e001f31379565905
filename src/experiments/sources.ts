/**
 * The rows that start from another run's model or from a second training: Table 14's analysis
 * (share of aux images above τ per class), Table 6's robust dataset from a source model's
 * representation, and Table 3's RST pseudo-labels from a standard classifier. The runner
 * trains or loads the source models; these functions compute from them.
 */
import { orderedBatches, type ImageDataset } from '../data';
import { createModel, type TwoHeadModel } from '../models';
import { selectByConfidence } from '../train/losses';
import { pseudoLabelled } from '../train/pseudo-labels';
import { buildRobustDataset, representationOf } from '../train/robust-dataset';
import { runPaths } from '../train/run-cache';
import { primaryConfidence } from '../train/steps';
import { train } from '../train/trainer';
import type { ExperimentConfig } from './schema';
import { modelSpec, trainConfig, trainData } from './training';

/** Table 14: per aux class, the share of its images with c(x~) ≥ τ (eval mode, clean, unaugmented), plus 'all'. */
export async function perClassHighRatio(
  model: TwoHeadModel,
  aux: ImageDataset,
  tau: number,
): Promise<Record<string, number>> {
  const high = new Float64Array(aux.classNames.length);
  const count = new Float64Array(aux.classNames.length);
  for (const { start, x, y } of orderedBatches(aux, 256)) {
    const n = x.shape[0];
    const sel = selectByConfidence(await primaryConfidence(model, x), { kind: 'threshold', tau });
    x.dispose();
    y.dispose();
    for (let i = 0; i < n; i++) count[aux.labels[start + i]]++;
    for (const i of sel.high) high[aux.labels[start + i]]++;
  }
  const out: Record<string, number> = {};
  aux.classNames.forEach((name, k) => {
    if (count[k] > 0) out[name] = high[k] / count[k];
  });
  out.all = high.reduce((a, b) => a + b, 0) / aux.n;
  return out;
}

/** Table 6: the robust dataset of `primary` under the source model's representation g. */
export async function robustDatasetFrom(
  source: TwoHeadModel,
  primary: ImageDataset,
  rd: NonNullable<ExperimentConfig['robustDataset']>,
  seed: number,
  log: (line: string) => void,
): Promise<ImageDataset> {
  const rep = representationOf(source);
  log(`building the robust dataset (${primary.n} images, ${rd.steps} steps, g = ${rep.layer})`);
  return buildRobustDataset(rep.fn, primary, {
    steps: rd.steps,
    stepSize: rd.stepSize,
    batchSize: 128,
    seed,
  });
}

/**
 * Carmon et al. RST: a standard classifier trained on the primary set (its own cached run,
 * `<id>/labeller`) labels the aux set; the top-k per predicted class become primary data.
 */
export async function rstPseudoLabels(
  c: ExperimentConfig,
  primary: ImageDataset,
  aux: ImageDataset,
  seed: number,
  where: { resultsDir: string; runId: string; progress?: boolean },
): Promise<ImageDataset> {
  const rst = c.method.rst!;
  const labCfg: ExperimentConfig = {
    ...c,
    id: `${c.id}/labeller`,
    method: { ...c.method, base: 'standard', auxMode: 'none', rst: null },
    train: { ...c.train, epochs: rst.labelerEpochs },
    checkpoint: 'last',
  };
  const paths = runPaths(where.resultsDir, where.runId, { config: labCfg, seed });
  const labeller = createModel(modelSpec(c, primary.classNames.length, 0, seed));
  await train(labeller, trainConfig(labCfg, seed), trainData(primary, undefined, labCfg, seed, false), {
    paths,
    checkpointRule: 'last',
    progress: where.progress,
  });
  const out = await pseudoLabelled(aux, labeller, primary.classNames, rst.topKPerClass);
  labeller.dispose();
  return out;
}
