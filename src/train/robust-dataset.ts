/**
 * Robust datasets (Ilyas et al. 2019, arXiv 1905.02175; the paper's Table 6): for every
 * training image x, x_r = argmin ‖g(x_r) − g(x)‖₂ over images, starting from a different,
 * randomly chosen training image, by normalised-gradient descent
 *   x_r ← clip(x_r − stepSize · ∇/‖∇‖₂, 0, 1)
 * where g is the model's representation layer. The pair (x_r, label of x) forms the robust
 * dataset, on which a fresh model is then trained normally.
 */
import * as tf from '@tensorflow/tfjs';
import { imageTensor } from '../data/transforms';
import type { ImageDataset } from '../data/types';
import type { TwoHeadModel } from '../models/types';
import { Rng } from '../util/rng';

/** g(x): the representation the robust dataset matches (the trunk's penultimate-layer features). */
export type Representation = (x: tf.Tensor4D) => tf.Tensor2D;

export function representationOf(model: TwoHeadModel): { fn: Representation; layer: string } {
  return {
    fn: (x) => model.features(x, { training: false }),
    layer: 'trunk features (penultimate layer)',
  };
}

export interface RobustDatasetOptions {
  steps: number;
  stepSize: number;
  batchSize: number;
  seed: number;
  onBatch?: (done: number, total: number) => void;
}

/** Builds the robust dataset of `ds` under representation g (eval mode). Pixels stay in [0,1]. */
export async function buildRobustDataset(
  g: Representation,
  ds: ImageDataset,
  opts: RobustDatasetOptions,
): Promise<ImageDataset> {
  const pixels = ds.height * ds.width * ds.channels;
  const rng = new Rng(opts.seed).fork('robust-dataset-start');
  const images = new Uint8Array(ds.n * pixels);
  for (let start = 0; start < ds.n; start += opts.batchSize) {
    const idx = Array.from({ length: Math.min(opts.batchSize, ds.n - start) }, (_, i) => start + i);
    // A different random training image as the starting point of each target.
    const starts = idx.map((j) => {
      let s = rng.int(ds.n);
      while (s === j && ds.n > 1) s = rng.int(ds.n);
      return s;
    });
    const target = tf.tidy(() => g(imageTensor(ds, idx)));
    let xr = imageTensor(ds, starts);
    const gradFn = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.sub(g(x as tf.Tensor4D), target))));
    for (let s = 0; s < opts.steps; s++) {
      const next = tf.tidy(() => {
        const grad = gradFn(xr);
        // Per-image L2 normalisation of the gradient.
        const norm = tf.sqrt(tf.sum(tf.square(grad), [1, 2, 3], true));
        return tf.clipByValue(
          tf.sub(xr, tf.mul(tf.div(grad, tf.add(norm, 1e-12)), opts.stepSize)),
          0,
          1,
        ) as tf.Tensor4D;
      });
      xr.dispose();
      xr = next;
    }
    const data = await xr.data(); // async: webgpu cannot read synchronously in Node
    for (let k = 0; k < data.length; k++) images[start * pixels + k] = Math.round(data[k] * 255);
    tf.dispose([xr, target]);
    opts.onBatch?.(Math.min(ds.n, start + opts.batchSize), ds.n);
  }
  return {
    ...ds,
    images,
    provenance: {
      ...ds.provenance,
      note: `${ds.provenance.note ? ds.provenance.note + '; ' : ''}robust dataset (Ilyas et al.): ${opts.steps} normalised-gradient steps of ${opts.stepSize}, stored as uint8`,
    },
  };
}
