/**
 * Carmon et al. (2019, arXiv 1905.13736) RST's data step, as the paper's Table 3 runs it: a
 * standard classifier labels the auxiliary images, and per predicted class the top-k images by
 * confidence are kept; the result is trained on as primary data (half of every batch).
 */
import * as tf from '@tensorflow/tfjs';
import { orderedBatches } from '../data/transforms';
import type { ImageDataset } from '../data/types';
import type { TwoHeadModel } from '../models/types';

/** Predicted class and confidence of every image (eval mode, primary head). */
export async function predictAll(
  model: TwoHeadModel,
  ds: ImageDataset,
  batchSize = 256,
): Promise<{ label: Int32Array; conf: Float32Array }> {
  const label = new Int32Array(ds.n);
  const conf = new Float32Array(ds.n);
  for (const { start, x, y } of orderedBatches(ds, batchSize)) {
    const [pred, c] = tf.tidy(() => {
      const p = tf.softmax(model.forward(x, { training: false }).primary);
      return [tf.argMax(p, 1), tf.max(p, 1)];
    });
    // Async reads: tfjs's webgpu backend cannot read synchronously in Node.
    label.set(await pred.data(), start);
    conf.set(await c.data(), start);
    tf.dispose([pred, c, x, y]);
  }
  return { label, conf };
}

/** Indices of the top-k most confident images of each predicted class (ties: lower index first). */
export function topKPerClass(
  label: Int32Array,
  conf: Float32Array,
  numClasses: number,
  k: number,
): Int32Array {
  const chosen: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const idx: number[] = [];
    for (let i = 0; i < label.length; i++) if (label[i] === c) idx.push(i);
    idx.sort((a, b) => conf[b] - conf[a] || a - b);
    chosen.push(...idx.slice(0, k));
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/** The pseudo-labelled dataset: chosen images of `aux` with the labeller's labels and the primary class names. */
export async function pseudoLabelled(
  aux: ImageDataset,
  labeller: TwoHeadModel,
  classNames: string[],
  k: number,
): Promise<ImageDataset> {
  const { label, conf } = await predictAll(labeller, aux);
  const keep = topKPerClass(label, conf, classNames.length, k);
  const pixels = aux.height * aux.width * aux.channels;
  const images = new Uint8Array(keep.length * pixels);
  keep.forEach((j, i) => images.set(aux.images.subarray(j * pixels, (j + 1) * pixels), i * pixels));
  return {
    ...aux,
    n: keep.length,
    images,
    labels: Int32Array.from(keep, (j) => label[j]),
    classNames,
    provenance: { ...aux.provenance, note: `pseudo-labelled (top ${k} per class by confidence) ${aux.name}` },
  };
}
