/**
 * One optimisation step of standard training, AT (Madry, PGD-k) or TRADES, with BiaMAT's
 * auxiliary terms on top (spec §1). The primary batch x (B samples) and the aux batch x~
 * (B~ samples) are concatenated and go through the network together, once per forward, as the
 * released code does: batch norm sees both.
 *
 *   AT+BiaMAT     L = CE(h(x'),y)/B + α/B~ · [Σ_high CE(h~(x~'),y~) + Σ_low softCE(h(x~'),u)]
 *   TRADES+BiaMAT L = CE(h(x),y)/B + β·KL_prim/B
 *                     + α/(n_low+n_high) · [Σ_low softCE(h(x~),u) + β·KL_low + Σ_high CE(h~(x~),y~) + β·KL_high]
 * The AT attack maximises the UNWEIGHTED sum of the three CE terms (each a mean over its own
 * set, PyTorch's default reduction), BN in train mode; the TRADES attack maximises the summed KLs
 * in eval mode from x + 0.001·N(0,1).
 */
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../models/types';
import type { Rng } from '../util/rng';
import {
  confidence,
  crossEntropySum,
  klSum,
  rows,
  selectByConfidence,
  softCrossEntropySum,
  uniformTarget,
  type Selection,
  type SelectionRule,
} from './losses';
import type { SgdMomentum } from './optimizer';
import { pgdMaximize } from '../attacks/pgd';

export type BaseMethod = 'standard' | 'at' | 'trades';

export interface AttackSettings {
  eps: number;
  stepSize: number;
  steps: number;
  /** Batch-norm mode while the attack runs: 'train' (AT's released code) or 'eval' (TRADES). */
  bn: 'train' | 'eval';
  /** With bn 'train': whether each attack forward also updates BN running stats, as PyTorch train mode does. */
  bnUpdatesStats: boolean;
}

export interface StepSettings {
  base: BaseMethod;
  attack: AttackSettings;
  /** TRADES β. */
  beta: number;
  /** High-set loss under TRADES: the TRADES term, or adversarial CE (CIFAR-100 primary, spec §1.5). */
  highLoss: 'trades' | 'adv-ce';
}

export interface StepBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  xAux?: tf.Tensor4D;
  yAux?: tf.Tensor1D;
}

export interface StepContext {
  /** Weight of the aux terms; 0 during warm-up (aux samples still flow through the network). */
  alpha: number;
  selection: SelectionRule;
  /** Which head the primary batch trains (Hendrycks pre-training trains the aux head on aux data). */
  primaryHead: 'primary' | 'aux';
  lr: number;
  rng: Rng;
}

export interface StepStats {
  loss: number;
  lossPrimary: number;
  lossAux: number;
  nAux: number;
  nLow: number;
  nHigh: number;
}

/** Eval-mode max-softmax confidence of the primary head on clean inputs (Algorithm 1). */
export function primaryConfidence(model: TwoHeadModel, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => confidence(model.forward(x, { training: false }).primary).dataSync() as Float32Array);
}

function selectAux(model: TwoHeadModel, xAux: tf.Tensor4D, rule: SelectionRule): Selection {
  if (rule.kind !== 'threshold') return selectByConfidence(new Float32Array(xAux.shape[0]), rule);
  return selectByConfidence(primaryConfidence(model, xAux), rule);
}

function headOf(
  out: { primary: tf.Tensor2D; aux: tf.Tensor2D | null },
  head: 'primary' | 'aux',
): tf.Tensor2D {
  if (head === 'primary') return out.primary;
  if (!out.aux)
    throw new Error('this step needs the auxiliary head, but the model has none (numAuxClasses 0)');
  return out.aux;
}

/** Index tensors of the three sets inside the concatenated batch [x; x~]. */
interface Layout {
  B: number;
  nAux: number;
  sel: Selection;
  prim: Int32Array;
  low: Int32Array;
  high: Int32Array;
}

function layout(B: number, nAux: number, sel: Selection): Layout {
  const prim = Int32Array.from({ length: B }, (_, i) => i);
  return {
    B,
    nAux,
    sel,
    prim,
    low: sel.low.map((i) => i + B),
    high: sel.high.map((i) => i + B),
  };
}

/** Runs one step: attack, loss, gradients, SGD update. Returns the logged numbers. */
export function trainStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  batch: StepBatch,
  s: StepSettings,
  ctx: StepContext,
): StepStats {
  const B = batch.x.shape[0];
  const hasAux = batch.xAux !== undefined && batch.yAux !== undefined && batch.xAux.shape[0] > 0;
  const nAux = hasAux ? batch.xAux!.shape[0] : 0;
  const sel = hasAux
    ? selectAux(model, batch.xAux!, ctx.selection)
    : { low: new Int32Array(), high: new Int32Array() };
  const L = layout(B, nAux, sel);
  const xAll = hasAux ? tf.concat([batch.x, batch.xAux!]) : tf.clone(batch.x);
  const yHigh = hasAux ? rows(batch.yAux!, sel.high) : tf.tensor1d([], 'int32');
  const u = uniformTarget(sel.low.length, model.numClasses);
  const idx = {
    prim: tf.tensor1d(L.prim, 'int32'),
    low: tf.tensor1d(L.low, 'int32'),
    high: tf.tensor1d(L.high, 'int32'),
  };
  try {
    if (s.base === 'standard') return standardStep(model, opt, xAll, batch.y, L, idx, yHigh, u, ctx);
    if (s.base === 'at') return atStep(model, opt, xAll, batch.y, L, idx, yHigh, u, s, ctx);
    return tradesStep(model, opt, xAll, batch.y, L, idx, yHigh, u, s, ctx);
  } finally {
    tf.dispose([xAll, yHigh, u, idx.prim, idx.low, idx.high]);
  }
}

type Idx = { prim: tf.Tensor1D; low: tf.Tensor1D; high: tf.Tensor1D };

/** The α-weighted CE objective shared by standard training and AT (differ only in the inputs). */
function ceObjective(
  out: { primary: tf.Tensor2D; aux: tf.Tensor2D | null },
  y: tf.Tensor1D,
  L: Layout,
  idx: Idx,
  yHigh: tf.Tensor1D,
  u: tf.Tensor2D,
  ctx: StepContext,
): { total: tf.Scalar; primary: tf.Scalar; aux: tf.Scalar } {
  const primary = tf.div(
    crossEntropySum(tf.gather(headOf(out, ctx.primaryHead), idx.prim), y),
    L.B,
  ) as tf.Scalar;
  let auxSum: tf.Scalar = tf.scalar(0);
  if (L.nAux > 0) {
    if (L.high.length > 0)
      auxSum = tf.add(auxSum, crossEntropySum(tf.gather(headOf(out, 'aux'), idx.high), yHigh));
    if (L.low.length > 0) auxSum = tf.add(auxSum, softCrossEntropySum(tf.gather(out.primary, idx.low), u));
  }
  // Shared normaliser B~ for both aux sums (spec §1, Eq. 1).
  const aux = L.nAux > 0 ? (tf.div(auxSum, L.nAux) as tf.Scalar) : auxSum;
  return { total: tf.add(primary, tf.mul(aux, ctx.alpha)) as tf.Scalar, primary, aux };
}

function applyGradients(
  model: TwoHeadModel,
  opt: SgdMomentum,
  lossFn: () => { total: tf.Scalar; primary: tf.Scalar; aux: tf.Scalar },
  L: Layout,
  lr: number,
): StepStats {
  let parts: number[] = [];
  const vars = model.trainableVariables;
  const { value, grads } = tf.variableGrads(() => {
    const r = lossFn();
    parts = [r.primary.dataSync()[0], r.aux.dataSync()[0]];
    return r.total;
  }, vars);
  const loss = value.dataSync()[0];
  if (Number.isFinite(loss))
    opt.step(
      vars.map((v) => grads[v.name]),
      lr,
    );
  tf.dispose([value, ...Object.values(grads)]);
  return {
    loss,
    lossPrimary: parts[0],
    lossAux: parts[1],
    nAux: L.nAux,
    nLow: L.sel.low.length,
    nHigh: L.sel.high.length,
  };
}

function standardStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  xAll: tf.Tensor4D,
  y: tf.Tensor1D,
  L: Layout,
  idx: Idx,
  yHigh: tf.Tensor1D,
  u: tf.Tensor2D,
  ctx: StepContext,
): StepStats {
  return applyGradients(
    model,
    opt,
    () => ceObjective(model.forward(xAll, { training: true }), y, L, idx, yHigh, u, ctx),
    L,
    ctx.lr,
  );
}

function atStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  xAll: tf.Tensor4D,
  y: tf.Tensor1D,
  L: Layout,
  idx: Idx,
  yHigh: tf.Tensor1D,
  u: tf.Tensor2D,
  s: StepSettings,
  ctx: StepContext,
): StepStats {
  const a = s.attack;
  const mode = { training: a.bn === 'train', updateStats: a.bn === 'train' && a.bnUpdatesStats };
  // UNWEIGHTED sum of the three CE losses (each a mean over its own set), whatever α is.
  const attackLoss = (xa: tf.Tensor4D): tf.Scalar => {
    const out = model.forward(xa, mode);
    let l = tf.div(crossEntropySum(tf.gather(headOf(out, ctx.primaryHead), idx.prim), y), L.B) as tf.Scalar;
    if (L.high.length > 0)
      l = tf.add(l, tf.div(crossEntropySum(tf.gather(headOf(out, 'aux'), idx.high), yHigh), L.high.length));
    if (L.low.length > 0)
      l = tf.add(l, tf.div(softCrossEntropySum(tf.gather(out.primary, idx.low), u), L.low.length));
    return l;
  };
  const xAdv = pgdMaximize(attackLoss, xAll, {
    eps: a.eps,
    stepSize: a.stepSize,
    steps: a.steps,
    start: 'uniform',
    rng: ctx.rng,
  });
  try {
    return applyGradients(
      model,
      opt,
      () => ceObjective(model.forward(xAdv, { training: true }), y, L, idx, yHigh, u, ctx),
      L,
      ctx.lr,
    );
  } finally {
    xAdv.dispose();
  }
}

function tradesStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  xAll: tf.Tensor4D,
  y: tf.Tensor1D,
  L: Layout,
  idx: Idx,
  yHigh: tf.Tensor1D,
  u: tf.Tensor2D,
  s: StepSettings,
  ctx: StepContext,
): StepStats {
  const a = s.attack;
  const primHead = ctx.primaryHead;
  // Attack in eval mode against fixed clean outputs (TRADES' released code: model.eval()).
  const attackMode = { training: a.bn === 'train', updateStats: a.bn === 'train' && a.bnUpdatesStats };
  const clean = tf.tidy(() => {
    const out = model.forward(xAll, { training: false });
    // Primary rows use the primary task's head, low rows the primary head, high rows the aux head.
    const primRows = tf.gather(headOf(out, primHead), idx.prim);
    const lowRows = tf.gather(out.primary, idx.low);
    return {
      primLow: tf.concat([primRows, lowRows]) as tf.Tensor2D,
      high: L.high.length > 0 ? tf.gather(headOf(out, 'aux'), idx.high) : tf.zeros([0, 1]),
    };
  });
  const advCeHigh = s.highLoss === 'adv-ce' && L.high.length > 0;
  const klAttack = (xa: tf.Tensor4D): tf.Scalar => {
    const out = model.forward(xa, attackMode);
    const primRows = tf.gather(headOf(out, primHead), idx.prim);
    const lowRows = tf.gather(out.primary, idx.low);
    let l = klSum(tf.concat([primRows, lowRows]) as tf.Tensor2D, clean.primLow as tf.Tensor2D);
    if (L.high.length > 0 && !advCeHigh)
      l = tf.add(l, klSum(tf.gather(headOf(out, 'aux'), idx.high), clean.high as tf.Tensor2D));
    return l;
  };
  let xAdv = pgdMaximize(klAttack, xAll, {
    eps: a.eps,
    stepSize: a.stepSize,
    steps: a.steps,
    start: 'normal',
    startStd: 0.001,
    rng: ctx.rng,
  });
  if (advCeHigh) {
    // CIFAR-100 variant: the high set is attacked with PGD on its labels (uniform start) instead.
    const xHigh = tf.gather(xAll, idx.high) as tf.Tensor4D;
    const highAdv = pgdMaximize(
      (xa) => crossEntropySum(headOf(model.forward(xa, attackMode), 'aux'), yHigh),
      xHigh,
      { eps: a.eps, stepSize: a.stepSize, steps: a.steps, start: 'uniform', rng: ctx.rng },
    );
    const merged = tf.tidy(() => {
      const mask = tf
        .scatterND(tf.reshape(idx.high, [-1, 1]), tf.ones([L.high.length]), [xAll.shape[0]])
        .reshape([-1, 1, 1, 1]);
      const scattered = tf.scatterND(tf.reshape(idx.high, [-1, 1]), highAdv, xAll.shape);
      return tf.add(tf.mul(xAdv, tf.sub(1, mask)), scattered) as tf.Tensor4D;
    });
    tf.dispose([xHigh, highAdv, xAdv]);
    xAdv = merged;
  }
  tf.dispose([clean.primLow, clean.high]);
  const beta = s.beta;
  try {
    return applyGradients(
      model,
      opt,
      () => {
        const outC = model.forward(xAll, { training: true });
        const outA = model.forward(xAdv, { training: true });
        const pc = tf.gather(headOf(outC, primHead), idx.prim);
        const pa = tf.gather(headOf(outA, primHead), idx.prim);
        const primary = tf.div(tf.add(crossEntropySum(pc, y), tf.mul(klSum(pa, pc), beta)), L.B) as tf.Scalar;
        let auxSum: tf.Scalar = tf.scalar(0);
        if (L.low.length > 0) {
          const lc = tf.gather(outC.primary, idx.low);
          const la = tf.gather(outA.primary, idx.low);
          auxSum = tf.add(auxSum, tf.add(softCrossEntropySum(lc, u), tf.mul(klSum(la, lc), beta)));
        }
        if (L.high.length > 0) {
          const hc = tf.gather(headOf(outC, 'aux'), idx.high);
          const ha = tf.gather(headOf(outA, 'aux'), idx.high);
          const term = advCeHigh
            ? crossEntropySum(ha, yHigh)
            : tf.add(crossEntropySum(hc, yHigh), tf.mul(klSum(ha, hc), beta));
          auxSum = tf.add(auxSum, term);
        }
        // TRADES normalises the aux part by n_low + n_high (spec §1.5).
        const nSel = L.low.length + L.high.length;
        const aux = nSel > 0 ? (tf.div(auxSum, nSel) as tf.Scalar) : auxSum;
        return { total: tf.add(primary, tf.mul(aux, ctx.alpha)) as tf.Scalar, primary, aux };
      },
      L,
      ctx.lr,
    );
  } finally {
    xAdv.dispose();
  }
}
