import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import {
  checkEps,
  checkInputs,
  checkPositiveInt,
  correctFlags,
  crossEntropyPerSample,
  dlrLoss,
  indicesWhere,
  linfBounds,
  lossAndGrad,
  project,
  sampleRngs,
  selectRows,
  take,
  scatterRows,
  uniformNoise,
  type LinfOptions,
  type SampleLoss,
} from './common';

export interface ApgdRunOptions {
  eps: number;
  iterations: number;
  /** Step-size halving threshold ρ (0.75). */
  rho: number;
}

/**
 * One APGD run, L∞ (Croce & Hein 2020, arXiv 2003.01690, Alg. 1), on a batch of points.
 * Step size starts at 2ε; momentum α = 0.75 after the first step; at checkpoints
 * w_j = ⌈p_j·N_iter⌉ (p0 = 0, p1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06),
 * computed in integers as the reference does) a point's step is halved and it restarts from
 * its best point when the loss increased in at most ρ of the steps since the last checkpoint,
 * or when the step was not halved last time and the best loss did not improve.
 * Random start x + ε·t/‖t‖∞, t ~ U(−1,1), one stream per sample.
 * Returns, per sample, the first misclassified iterate found (else the last best-adv copy,
 * equal to the start) and whether it is misclassified.
 */
export async function apgdRun(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  loss: SampleLoss,
  rngs: Rng[],
  opts: ApgdRunOptions,
): Promise<{ xAdv: tf.Tensor4D; fooled: Uint8Array }> {
  const n = x.shape[0];
  const nIter = opts.iterations;
  const eps = opts.eps;
  const { lo, hi } = linfBounds(x, eps);
  let xAdv = tf.tidy(() => {
    const t = uniformNoise(rngs, x.shape.slice(1), -1, 1);
    const tMax = tf.max(tf.abs(t), [1, 2, 3], true);
    return tf.clipByValue(tf.add(x, tf.mul(eps, tf.div(t, tf.add(tMax, 1e-12)))), 0, 1) as tf.Tensor4D;
  });
  let xBest = tf.clone(xAdv);
  let xBestAdv = tf.clone(xAdv);
  let { grad, loss: lossT, logits } = lossAndGrad(model, xAdv, loss);
  let gradBest = tf.clone(grad);
  const acc = await correctFlagsFromLogits(logits, y);
  const lossStart = (await lossT.data()) as Float32Array;
  const lossBest = Float32Array.from(lossStart);
  tf.dispose([lossT, logits]);

  const stepSize = new Float32Array(n).fill(2 * eps);
  let xAdvOld = tf.clone(xAdv);
  const nIter2 = Math.max(Math.floor(0.22 * nIter), 1);
  const nIterMin = Math.max(Math.floor(0.06 * nIter), 1);
  const sizeDecr = Math.max(Math.floor(0.03 * nIter), 1);
  let k = nIter2;
  let sinceCheck = 0;
  const lossSteps: Float32Array[] = [];
  let lossBestLastCheck = Float32Array.from(lossBest);
  let reducedLastCheck = new Uint8Array(n).fill(1);

  for (let i = 0; i < nIter; i++) {
    const a = i > 0 ? 0.75 : 1.0;
    const step = tf.tensor4d(stepSize, [n, 1, 1, 1]);
    const next = tf.tidy(() => {
      const momentum = tf.sub(xAdv, xAdvOld);
      const z = project(tf.add(xAdv, tf.mul(step, tf.sign(grad))) as tf.Tensor4D, lo, hi);
      const mixed = tf.add(tf.add(xAdv, tf.mul(tf.sub(z, xAdv), a)), tf.mul(momentum, 1 - a));
      return project(mixed as tf.Tensor4D, lo, hi);
    });
    step.dispose();
    xAdvOld.dispose();
    xAdvOld = xAdv;
    xAdv = next;
    grad.dispose();
    ({ grad, loss: lossT, logits } = lossAndGrad(model, xAdv, loss));
    const pred = await correctFlagsFromLogits(logits, y);
    const lossNow = (await lossT.data()) as Float32Array;
    tf.dispose([lossT, logits]);
    for (let j = 0; j < n; j++) if (!pred[j]) acc[j] = 0;
    xBestAdv = replace(
      xBestAdv,
      selectRows(
        pred.map((p) => (p ? 0 : 1)),
        xAdv,
        xBestAdv,
      ),
    );
    const improved = new Uint8Array(n);
    for (let j = 0; j < n; j++)
      if (lossNow[j] > lossBest[j]) {
        improved[j] = 1;
        lossBest[j] = lossNow[j];
      }
    xBest = replace(xBest, selectRows(improved, xAdv, xBest));
    gradBest = replace(gradBest, selectRows(improved, grad, gradBest));
    lossSteps.push(lossNow);

    sinceCheck++;
    if (sinceCheck === k) {
      const reduce = new Uint8Array(n);
      for (let j = 0; j < n; j++) {
        let increases = 0;
        for (let c = 0; c < k; c++) {
          const cur = lossSteps[i - c][j];
          const prev = i - c - 1 >= 0 ? lossSteps[i - c - 1][j] : lossStart[j];
          if (cur > prev) increases++;
        }
        const oscillating = increases <= k * opts.rho;
        const stalled = !reducedLastCheck[j] && lossBestLastCheck[j] >= lossBest[j];
        reduce[j] = oscillating || stalled ? 1 : 0;
        if (reduce[j]) stepSize[j] /= 2;
      }
      reducedLastCheck = reduce;
      lossBestLastCheck = Float32Array.from(lossBest);
      if (reduce.some((v) => v)) {
        xAdv = replace(xAdv, selectRows(reduce, xBest, xAdv));
        grad = replace(grad, selectRows(reduce, gradBest, grad));
      }
      k = Math.max(k - sizeDecr, nIterMin);
      sinceCheck = 0;
    }
  }
  tf.dispose([lo, hi, xAdv, xAdvOld, xBest, grad, gradBest]);
  return { xAdv: xBestAdv, fooled: acc.map((c) => (c ? 0 : 1)) };
}

function replace<T extends tf.Tensor>(old: T, next: T): T {
  old.dispose();
  return next;
}

async function correctFlagsFromLogits(logits: tf.Tensor2D, y: tf.Tensor1D): Promise<Uint8Array> {
  const eq = tf.tidy(() => tf.equal(tf.argMax(logits, 1), tf.cast(y, 'int32')));
  const d = await eq.data();
  eq.dispose();
  return Uint8Array.from(d);
}

/**
 * Runs `run` on the still-correct points, `restarts` times (each restart only on points not
 * yet fooled), and writes fooled points into the result: AutoAttack's perturb loop.
 */
export async function attackRobustPoints(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  rounds: number,
  run: (
    xs: tf.Tensor4D,
    ys: tf.Tensor1D,
    idx: number[],
    round: number,
  ) => Promise<{ xAdv: tf.Tensor4D; fooled: Uint8Array }>,
): Promise<tf.Tensor4D> {
  const robust = await correctFlags(model, x, y);
  let adv = tf.clone(x);
  for (let r = 0; r < rounds; r++) {
    const idx = indicesWhere(robust);
    if (idx.length === 0) break;
    const xs = take(x, idx),
      ys = take(y, idx);
    const { xAdv, fooled } = await run(xs, ys, idx, r);
    // Count a point only if the model really misclassifies what the attack returns.
    const stillCorrect = await correctFlags(model, xAdv, ys);
    const hitLocal = indicesWhere(Array.from(fooled, (f, j) => f && !stillCorrect[j]));
    if (hitLocal.length > 0) {
      const rows = take(xAdv, hitLocal);
      const next = scatterRows(
        adv,
        hitLocal.map((j) => idx[j]),
        rows,
      );
      rows.dispose();
      adv.dispose();
      adv = next;
      for (const j of hitLocal) robust[idx[j]] = 0;
    }
    tf.dispose([xs, ys, xAdv]);
  }
  return adv;
}

export interface ApgdOptions extends LinfOptions {
  /** Iterations per run (100 in AutoAttack standard). */
  iterations?: number;
  /** Restarts (1 in AutoAttack standard for APGD-CE). */
  restarts?: number;
  /** 'ce' (APGD-CE) or 'dlr' (APGD-DLR). */
  loss?: 'ce' | 'dlr';
  rho?: number;
}

/**
 * APGD-CE / APGD-DLR, L∞ (Croce & Hein 2020, arXiv 2003.01690): step-size-free PGD with
 * momentum and checkpoint-based step halving. Defaults: 100 iterations, 1 restart, ρ = 0.75,
 * CE loss. Attacks only points the model classifies correctly; returns x for the others and
 * for points it does not fool.
 *
 *   const xAdv = await new APGD({ eps: 8/255 }).perturb(asClassifier(model), x, y);
 */
export class APGD implements Attack {
  readonly name: string;
  readonly eps: number;
  readonly iterations: number;
  readonly restarts: number;
  readonly loss: 'ce' | 'dlr';
  readonly rho: number;
  private readonly rng: Rng;

  constructor(opts: ApgdOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.iterations = opts.iterations ?? 100;
    this.restarts = opts.restarts ?? 1;
    this.loss = opts.loss ?? 'ce';
    this.rho = opts.rho ?? 0.75;
    checkPositiveInt(this.iterations, 'APGD iterations');
    checkPositiveInt(this.restarts, 'APGD restarts');
    if (this.loss !== 'ce' && this.loss !== 'dlr')
      throw new UserError(`APGD loss must be 'ce' or 'dlr', got ${this.loss}`);
    this.rng = new Rng(opts.seed ?? 0).fork(`apgd-${this.loss}`);
    this.name = `APGD-${this.loss.toUpperCase()}`;
  }

  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    await checkInputs(x, y);
    const rngs = sampleRngs(this.rng, x.shape[0]);
    return attackRobustPoints(model, x, y, this.restarts, (xs, ys, idx) => {
      const loss: SampleLoss = (z) => (this.loss === 'ce' ? crossEntropyPerSample(z, ys) : dlrLoss(z, ys));
      return apgdRun(
        model,
        xs,
        ys,
        loss,
        idx.map((i) => rngs[i]),
        { eps: this.eps, iterations: this.iterations, rho: this.rho },
      );
    });
  }
}
