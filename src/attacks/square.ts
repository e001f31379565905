import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { Rng } from '../util/rng';
import { attackRobustPoints } from './apgd';
import {
  checkEps,
  checkInputs,
  checkPositiveInt,
  cwMargin,
  linfBounds,
  project,
  sampleRngs,
  type LinfOptions,
} from './common';

export interface SquareOptions extends LinfOptions {
  /** Query budget per point (5000 in AutoAttack standard). */
  queries?: number;
  /** Initial fraction of pixels per square, p_init (0.8). */
  pInit?: number;
}

/**
 * The fraction p of the image a square covers at iteration i (Square Attack's schedule for a
 * 10000-query budget, used unrescaled by AutoAttack): p_init halves after 10, 50, 200, 500,
 * 1000, 2000, 4000, 6000 and 8000 iterations.
 */
export function squareFraction(iteration: number, pInit: number): number {
  const bounds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  for (const b of bounds) if (iteration > b) halvings++;
  return pInit / 2 ** halvings;
}

/**
 * Square Attack, L∞ (Andriushchenko et al. 2020, arXiv 1912.00049): score-based random search.
 * Start at x + ε·(±1 per column and channel) ("vertical stripes"); then each iteration proposes,
 * for every point not yet fooled, a random square of side s = round(√(p·H·W)) (p from
 * squareFraction) set to ±2ε per channel, projected to the ε-ball ∩ [0,1], and keeps it if the
 * margin loss z_y − max_{j≠y} z_j decreases (or the point is misclassified). One query per
 * point per iteration. Defaults: 5000 queries, p_init 0.8, 1 restart.
 */
export class Square implements Attack {
  readonly name = 'Square';
  readonly eps: number;
  readonly queries: number;
  readonly pInit: number;
  private readonly rng: Rng;

  constructor(opts: SquareOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.queries = opts.queries ?? 5000;
    this.pInit = opts.pInit ?? 0.8;
    checkPositiveInt(this.queries, 'Square queries');
    this.rng = new Rng(opts.seed ?? 0).fork('square');
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    const rngs = sampleRngs(this.rng, x.shape[0]);
    return attackRobustPoints(model, x, y, 1, (xs, ys, idx) =>
      this.run(
        model,
        xs,
        ys,
        idx.map((i) => rngs[i]),
      ),
    );
  }

  private async margins(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<Float32Array> {
    const m = tf.tidy(() => tf.neg(cwMargin(model.logits(x), y)));
    const d = (await m.data()) as Float32Array;
    m.dispose();
    return Float32Array.from(d);
  }

  private async run(
    model: Classifier,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    rngs: Rng[],
  ): Promise<{ xAdv: tf.Tensor4D; fooled: Uint8Array }> {
    const [n, h, w, c] = x.shape;
    const eps = this.eps;
    const per = h * w * c;
    const { lo, hi } = linfBounds(x, eps);
    // Vertical stripes: one sign per (column, channel) per point.
    const start = tf.tidy(() => {
      const signs = new Float32Array(n * w * c);
      rngs.forEach((r, i) => {
        for (let k = 0; k < w * c; k++) signs[i * w * c + k] = r.next() < 0.5 ? -1 : 1;
      });
      return project(tf.add(x, tf.mul(tf.tensor4d(signs, [n, 1, w, c]), eps)) as tf.Tensor4D, lo, hi);
    });
    const marginMin = await this.margins(model, start, y);
    // The search runs on the host: a proposal changes one square of each image, and outside it
    // project(x_best + 0) = x_best, so only the square is computed (the same float32 add and
    // clip as the tensor version: same bits); the model sees one uploaded batch per query.
    const [best, loV, hiV, yV] = (await Promise.all([start.data(), lo.data(), hi.data(), y.data()])) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Int32Array | Float32Array,
    ];
    const xBest = Float32Array.from(best);
    tf.dispose([start, lo, hi]);
    const step = Math.fround(2 * eps);
    for (let it = 0; it < this.queries; it++) {
      const active: number[] = [];
      for (let j = 0; j < n; j++) if (marginMin[j] > 0) active.push(j);
      if (active.length === 0) break;
      const side = Math.min(Math.max(Math.round(Math.sqrt(squareFraction(it, this.pInit) * h * w)), 1), h, w);
      const na = active.length;
      const xNew = new Float32Array(na * per);
      const yA = new Int32Array(na);
      active.forEach((j, a) => {
        const r = rngs[j];
        const top = r.int(h - side + 1);
        const left = r.int(w - side + 1);
        const signs = Array.from({ length: c }, () => (r.next() < 0.5 ? -step : step));
        xNew.set(xBest.subarray(j * per, (j + 1) * per), a * per);
        yA[a] = yV[j];
        for (let row = top; row < top + side; row++)
          for (let col = left; col < left + side; col++)
            for (let k = 0; k < c; k++) {
              const src = j * per + (row * w + col) * c + k;
              const v = Math.fround(xBest[src] + signs[k]);
              xNew[a * per + (row * w + col) * c + k] = Math.min(Math.max(v, loV[src]), hiV[src]);
            }
      });
      const xT = tf.tensor4d(xNew, [na, h, w, c]);
      const yT = tf.tensor1d(yA, 'int32');
      const margin = await this.margins(model, xT, yT);
      tf.dispose([xT, yT]);
      active.forEach((j, a) => {
        // The margin is the loss here: keep the proposal if it lowers it or fools the model.
        if (margin[a] < marginMin[j] || margin[a] <= 0) {
          marginMin[j] = margin[a];
          xBest.set(xNew.subarray(a * per, (a + 1) * per), j * per);
        }
      });
    }
    return {
      xAdv: tf.tensor4d(xBest, [n, h, w, c]),
      fooled: Uint8Array.from(marginMin, (m) => (m <= 0 ? 1 : 0)),
    };
  }
}
