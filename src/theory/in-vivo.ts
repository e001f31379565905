/**
 * In-vivo checks: train the Eq. 5 model with tfjs by adversarial SGD and watch the weights.
 *
 * Model: a shared diagonal linear embedding g(x) = v ⊙ x (v starts at 1, so g starts as the
 * identity and the adversary below is exactly the feature-space adversary of Lemma 2), then the
 * fixed heads of Eq. 5: primary w = [0, 1/d, …], auxiliary w̃ = [w̃₁, 1/d, …]. Only v is trained,
 * so "the non-robust weights" are v₂..v_{d+1} (reported as their mean) and "the robust weight" is v₁.
 * Each step: draw a batch per data model, let the adversary move every non-robust input by its
 * budget along the sign of the input gradient of the summed loss (robust budget 0), then take an
 * SGD step on (primary mean loss) + α·(auxiliary mean loss). Loss: −log σ(t·a) for a ±1 label t,
 * −½log σ(a) − ½log σ(−a) for the uniform target; the uniform target goes through the primary
 * head (Eq. 26: the shared head), labelled auxiliary data through the auxiliary head.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { DataModel, GaussianModelParams, drawSample, nonRobustBudget, validateParams } from './model';

export interface InVivoConfig {
  params: GaussianModelParams;
  /** train on the primary task (Eq. 2) */
  primary: boolean;
  /** the auxiliary stream, if any, and its head's robust weight w̃₁ */
  aux?: { model: Exclude<DataModel, 'primary'>; w1: number };
  steps: number;
  batch: number;
  lr: number;
  alpha?: number;
  seed: number;
}

export interface InVivoTrace {
  /** mean non-robust embedding weight after each step (index 0 = before training) */
  nonRobust: number[];
  /** robust embedding weight after each step */
  robust: number[];
}

interface Stream {
  x: tf.Tensor2D;
  /** ±1 labels, or null for the uniform target */
  t: tf.Tensor1D | null;
  head: tf.Tensor2D;
  budget: tf.Tensor1D;
}

/** Per-sample loss of logits a. */
function sampleLoss(a: tf.Tensor1D, t: tf.Tensor1D | null): tf.Tensor1D {
  if (t === null)
    return tf.add(tf.mul(0.5, tf.softplus(tf.neg(a))), tf.mul(0.5, tf.softplus(a))) as tf.Tensor1D;
  return tf.softplus(tf.neg(tf.mul(t, a))) as tf.Tensor1D;
}

function streamLoss(v: tf.Tensor1D, s: Stream, x: tf.Tensor2D): tf.Scalar {
  const a = tf.reshape(tf.matMul(tf.mul(x, v), s.head), [-1]) as tf.Tensor1D;
  return tf.mean(sampleLoss(a, s.t));
}

function batchTensors(P: GaussianModelParams, model: DataModel, batch: number, rng: Rng) {
  const width = P.d + 1;
  const xs = new Float32Array(batch * width);
  const ts = new Float32Array(batch);
  const z = new Float64Array(width);
  let uniform = false;
  for (let k = 0; k < batch; k++) {
    const s = drawSample(P, model, rng, z);
    xs.set(z, k * width);
    if (s.target.kind === 'label') ts[k] = s.target.label;
    else uniform = true;
  }
  return { x: tf.tensor2d(xs, [batch, width]), t: uniform ? null : tf.tensor1d(ts) };
}

function headTensor(d: number, w1: number): tf.Tensor2D {
  const w = new Float32Array(d + 1).fill(1 / d);
  w[0] = w1;
  return tf.tensor2d(w, [d + 1, 1]);
}

function budgetTensor(d: number, b: number): tf.Tensor1D {
  const e = new Float32Array(d + 1).fill(b);
  e[0] = 0;
  return tf.tensor1d(e);
}

/** Variable names must be unique while alive; runs may nest (a notebook re-running a cell). */
let variableCounter = 0;

/** Trains v by adversarial SGD; returns the weight trajectory. Uses whatever tfjs backend is set. */
export function trainInVivo(cfg: InVivoConfig): InVivoTrace {
  const P = cfg.params;
  validateParams(P);
  const alpha = cfg.alpha ?? 1;
  const rng = new Rng(cfg.seed);
  const dataRng = rng.fork('data');
  const init = tf.ones([P.d + 1]);
  const v = tf.variable(init, true, `theory-v-${cfg.seed}-${variableCounter++}`) as tf.Variable<tf.Rank.R1>;
  init.dispose();
  const primaryHead = headTensor(P.d, 0);
  const auxHead = cfg.aux ? headTensor(P.d, cfg.aux.model === 'uniform-target' ? 0 : cfg.aux.w1) : null;
  const primaryBudget = budgetTensor(P.d, 2 * P.eta);
  const auxBudget = budgetTensor(P.d, nonRobustBudget(P));
  const trace: InVivoTrace = { nonRobust: [], robust: [] };
  const record = () => {
    const w = v.dataSync();
    let acc = 0;
    for (let i = 1; i < w.length; i++) acc += w[i];
    trace.nonRobust.push(acc / P.d);
    trace.robust.push(w[0]);
  };
  record();
  try {
    for (let step = 0; step < cfg.steps; step++) {
      const streams: { s: Stream; weight: number }[] = [];
      if (cfg.primary) {
        const { x, t } = batchTensors(P, 'primary', cfg.batch, dataRng);
        streams.push({ s: { x, t, head: primaryHead, budget: primaryBudget }, weight: 1 });
      }
      if (cfg.aux && auxHead) {
        const { x, t } = batchTensors(P, cfg.aux.model, cfg.batch, dataRng);
        streams.push({ s: { x, t, head: auxHead, budget: auxBudget }, weight: alpha });
      }
      tf.tidy(() => {
        // The adversary: each stream's input moves along the sign of its own loss gradient.
        const advInputs = streams.map(({ s }) => {
          const gx = tf.grad((x: tf.Tensor) => streamLoss(v, s, x as tf.Tensor2D))(s.x);
          return tf.add(s.x, tf.mul(tf.sign(gx), s.budget)) as tf.Tensor2D;
        });
        const { grads } = tf.variableGrads(
          () =>
            tf.addN(
              streams.map(({ s, weight }, k) => tf.mul(weight, streamLoss(v, s, advInputs[k]))),
            ) as tf.Scalar,
          [v],
        );
        v.assign(tf.sub(v, tf.mul(cfg.lr, grads[v.name])));
      });
      for (const { s } of streams) tf.dispose([s.x, ...(s.t ? [s.t] : [])]);
      record();
    }
  } finally {
    tf.dispose([v, primaryHead, primaryBudget, auxBudget, ...(auxHead ? [auxHead] : [])]);
  }
  return trace;
}

/** Shrinkage of the non-robust weights over a run: 1 − final mean (they start at 1). */
export function nonRobustShrink(trace: InVivoTrace): number {
  return trace.nonRobust[0] - trace.nonRobust[trace.nonRobust.length - 1];
}

/** Movement of the robust weight over a run. */
export function robustDrift(trace: InVivoTrace): number {
  return trace.robust[trace.robust.length - 1] - trace.robust[0];
}

/** The in-vivo defaults: a small model so a run takes well under a second on the cpu backend. */
export const IN_VIVO_DEFAULTS = { d: 50, steps: 30, batch: 64, lrPerD: 0.1 } as const;
