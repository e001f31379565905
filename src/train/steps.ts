/**
 * One optimisation step of standard training, AT (Madry, PGD-k) or TRADES, with BiaMAT's
 * auxiliary terms on top (docs/method.md §1). The primary batch x (B samples) and the aux batch x~
 * (B~ samples) are concatenated and go through the network together, once per forward, as the
 * released code does: batch norm sees both.
 *
 *   AT+BiaMAT     L = CE(h(x'),y)/B + α/B~ · [Σ_high CE(h~(x~'),y~) + Σ_low softCE(h(x~'),u)]
 *   TRADES+BiaMAT L = CE(h(x),y)/B + β·KL_prim/B
 *                     + α/(n_low+n_high) · [Σ_low softCE(h(x~),u) + β·KL_low + Σ_high CE(h~(x~),y~) + β·KL_high]
 * The AT attack maximises the plain sum over all samples of the three CE terms (the released
 * code's `xent` sums; the older per-set means are the option 'set-means'), BN in train mode
 * without moving the running averages; the TRADES attack maximises the summed KLs in eval mode
 * from x + 0.001·N(0,1) (with CIFAR-100 primary, plus the summed CE of the high set).
 *
 * Rows are picked by slicing (primary vs aux part) and 0/1 masks (low vs high), never by
 * tf.gather, so every gradient exists on every backend (wasm lacks gather's gradient kernel).
 */
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../models/types';
import type { Rng } from '../util/rng';
import {
  confidence,
  crossEntropyRows,
  indexMask,
  klRows,
  selectByConfidence,
  softCrossEntropyRows,
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
  /**
   * With bn 'train': whether each attack forward also moves the BN running averages, as
   * PyTorch's train mode would; the released AT code does not (only the training step does).
   */
  bnUpdatesStats: boolean;
  /** AT: 'sum' of the CE terms over all samples (released code), or 'set-means' (a mean per set, then summed). */
  objective: 'sum' | 'set-means';
}

export interface StepSettings {
  base: BaseMethod;
  attack: AttackSettings;
  /** TRADES β. */
  beta: number;
  /** High-set loss under TRADES: the TRADES term, or adversarial CE (CIFAR-100 primary, docs/method.md §1.5). */
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
  /** Called with each step's adversarial batch before it is disposed (inspection: differential tests, figures). */
  onAdversarial?: (xAdv: tf.Tensor4D) => void;
}

export interface StepStats {
  loss: number;
  lossPrimary: number;
  lossAux: number;
  nAux: number;
  nLow: number;
  nHigh: number;
}

/**
 * Eval-mode max-softmax confidence of the primary head on clean inputs (Algorithm 1). Async:
 * tfjs's webgpu backend cannot read synchronously in Node (dataSync needs OffscreenCanvas).
 */
export async function primaryConfidence(model: TwoHeadModel, x: tf.Tensor4D): Promise<Float32Array> {
  const conf = tf.tidy(() => confidence(model.forward(x, { training: false }).primary));
  try {
    return (await conf.data()) as Float32Array;
  } finally {
    conf.dispose();
  }
}

type Outputs = { primary: tf.Tensor2D; aux: tf.Tensor2D | null };

function headOf(out: Outputs, head: 'primary' | 'aux'): tf.Tensor2D {
  if (head === 'primary') return out.primary;
  if (!out.aux)
    throw new Error('this step needs the auxiliary head, but the model has none (numAuxClasses 0)');
  return out.aux;
}

/** The batch layout [x; x~] and the tensors every loss needs. Owned by trainStep. */
interface Parts {
  B: number;
  nAux: number;
  sel: Selection;
  y: tf.Tensor1D;
  /** Aux labels (all aux rows; only high rows count). */
  yAux: tf.Tensor1D | null;
  /** u for every aux row (only low rows count). */
  u: tf.Tensor2D | null;
  low: tf.Tensor1D | null;
  high: tf.Tensor1D | null;
  primaryHead: 'primary' | 'aux';
}

const rowsOf = (t: tf.Tensor2D, start: number, n: number) => tf.slice(t, [start, 0], [n, -1]) as tf.Tensor2D;
const maskedSum = (rows: tf.Tensor1D, mask: tf.Tensor1D) => tf.sum(tf.mul(rows, mask)) as tf.Scalar;

/** Σ over primary rows of CE through the primary task's head. */
function primaryCeSum(out: Outputs, p: Parts): tf.Scalar {
  return tf.sum(crossEntropyRows(rowsOf(headOf(out, p.primaryHead), 0, p.B), p.y)) as tf.Scalar;
}

/** [Σ_high CE(h~(x~), y~), Σ_low softCE(h(x~), u)] over the aux rows. */
function auxCeSums(out: Outputs, p: Parts): { high: tf.Scalar; low: tf.Scalar } {
  const zero = () => tf.scalar(0);
  if (p.nAux === 0) return { high: zero(), low: zero() };
  const high =
    p.sel.high.length > 0
      ? maskedSum(crossEntropyRows(rowsOf(headOf(out, 'aux'), p.B, p.nAux), p.yAux!), p.high!)
      : zero();
  const low =
    p.sel.low.length > 0
      ? maskedSum(softCrossEntropyRows(rowsOf(out.primary, p.B, p.nAux), p.u!), p.low!)
      : zero();
  return { high, low };
}

/** Runs one step: selection, attack, loss, gradients, SGD update. Returns the logged numbers. */
export async function trainStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  batch: StepBatch,
  s: StepSettings,
  ctx: StepContext,
): Promise<StepStats> {
  const B = batch.x.shape[0];
  const hasAux = batch.xAux !== undefined && batch.yAux !== undefined && batch.xAux.shape[0] > 0;
  const nAux = hasAux ? batch.xAux!.shape[0] : 0;
  const sel: Selection = !hasAux
    ? { low: new Int32Array(), high: new Int32Array() }
    : ctx.selection.kind === 'threshold'
      ? selectByConfidence(await primaryConfidence(model, batch.xAux!), ctx.selection)
      : selectByConfidence(new Float32Array(nAux), ctx.selection);
  const p: Parts = {
    B,
    nAux,
    sel,
    y: batch.y,
    yAux: hasAux ? batch.yAux! : null,
    u: hasAux ? (tf.fill([nAux, model.numClasses], 1 / model.numClasses) as tf.Tensor2D) : null,
    low: hasAux ? indexMask(nAux, sel.low) : null,
    high: hasAux ? indexMask(nAux, sel.high) : null,
    primaryHead: ctx.primaryHead,
  };
  const xAll = hasAux ? (tf.concat([batch.x, batch.xAux!]) as tf.Tensor4D) : batch.x;
  try {
    if (s.base === 'standard')
      return await applyGradients(
        model,
        opt,
        () => ceObjective(model.forward(xAll, { training: true }), p, ctx),
        p,
        ctx.lr,
      );
    if (s.base === 'at') return await atStep(model, opt, xAll, p, s, ctx);
    return await tradesStep(model, opt, xAll, p, s, ctx);
  } finally {
    for (const t of [p.u, p.low, p.high]) t?.dispose();
    if (xAll !== batch.x) xAll.dispose();
  }
}

interface Objective {
  total: tf.Scalar;
  primary: tf.Scalar;
  aux: tf.Scalar;
}

/** The α-weighted CE objective (Eq. 1) shared by standard training and AT. */
function ceObjective(out: Outputs, p: Parts, ctx: StepContext): Objective {
  const primary = tf.div(primaryCeSum(out, p), p.B) as tf.Scalar;
  const { high, low } = auxCeSums(out, p);
  // Shared normaliser B~ for both aux sums (docs/method.md §1.1, Eq. 1).
  const aux = p.nAux > 0 ? (tf.div(tf.add(high, low), p.nAux) as tf.Scalar) : tf.scalar(0);
  return { total: tf.add(primary, tf.mul(aux, ctx.alpha)) as tf.Scalar, primary, aux };
}

async function applyGradients(
  model: TwoHeadModel,
  opt: SgdMomentum,
  lossFn: () => Objective,
  p: Parts,
  lr: number,
): Promise<StepStats> {
  let parts: tf.Scalar[] = [];
  const vars = model.trainableVariables;
  const { value, grads } = tf.variableGrads(() => {
    const r = lossFn();
    parts = [tf.keep(r.primary), tf.keep(r.aux)];
    return r.total;
  }, vars);
  // One read-back per step, after the update is queued: reading the losses mid-step would make
  // a GPU backend finish the forward pass before the backward could even be recorded. A
  // non-finite loss still updates the weights, but the trainer then stops with an error and
  // keeps the last epoch's checkpoint, so that update is never saved.
  opt.step(
    vars.map((v) => grads[v.name] as tf.Tensor | undefined),
    lr,
  );
  const losses = tf.tidy(() => tf.stack([value, ...parts]));
  tf.dispose([value, ...parts, ...Object.values(grads)]);
  let loss: number, lossPrimary: number, lossAux: number;
  try {
    [loss, lossPrimary, lossAux] = await losses.data();
  } finally {
    losses.dispose();
  }
  return {
    loss,
    lossPrimary,
    lossAux,
    nAux: p.nAux,
    nLow: p.sel.low.length,
    nHigh: p.sel.high.length,
  };
}

function forwardMode(a: AttackSettings) {
  return { training: a.bn === 'train', updateStats: a.bn === 'train' && a.bnUpdatesStats };
}

async function atStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  xAll: tf.Tensor4D,
  p: Parts,
  s: StepSettings,
  ctx: StepContext,
): Promise<StepStats> {
  const a = s.attack;
  const mode = forwardMode(a);
  const nLow = p.sel.low.length;
  const nHigh = p.sel.high.length;
  // Unweighted in α: the plain sum over every sample, or (option) a mean per set.
  const attackLoss = (xa: tf.Tensor4D): tf.Scalar => {
    const out = model.forward(xa, mode);
    const { high, low } = auxCeSums(out, p);
    const primary = primaryCeSum(out, p);
    if (a.objective === 'sum') return tf.addN([primary, high, low]) as tf.Scalar;
    let l = tf.div(primary, p.B) as tf.Scalar;
    if (nHigh > 0) l = tf.add(l, tf.div(high, nHigh));
    if (nLow > 0) l = tf.add(l, tf.div(low, nLow));
    return l;
  };
  const xAdv = pgdMaximize(attackLoss, xAll, {
    eps: a.eps,
    stepSize: a.stepSize,
    steps: a.steps,
    start: 'uniform',
    rng: ctx.rng,
  });
  ctx.onAdversarial?.(xAdv);
  try {
    return await applyGradients(
      model,
      opt,
      () => ceObjective(model.forward(xAdv, { training: true }), p, ctx),
      p,
      ctx.lr,
    );
  } finally {
    xAdv.dispose();
  }
}

/** Σ KL over primary rows (primary task's head) + low rows (primary head) + high rows (aux head). */
function klSums(
  adv: Outputs,
  clean: Outputs,
  p: Parts,
  withHigh: boolean,
): { prim: tf.Scalar; low: tf.Scalar; high: tf.Scalar } {
  const ph = p.primaryHead;
  const prim = tf.sum(
    klRows(rowsOf(headOf(adv, ph), 0, p.B), rowsOf(headOf(clean, ph), 0, p.B)),
  ) as tf.Scalar;
  if (p.nAux === 0) return { prim, low: tf.scalar(0), high: tf.scalar(0) };
  const low =
    p.sel.low.length > 0
      ? maskedSum(klRows(rowsOf(adv.primary, p.B, p.nAux), rowsOf(clean.primary, p.B, p.nAux)), p.low!)
      : tf.scalar(0);
  const high =
    withHigh && p.sel.high.length > 0
      ? maskedSum(
          klRows(rowsOf(headOf(adv, 'aux'), p.B, p.nAux), rowsOf(headOf(clean, 'aux'), p.B, p.nAux)),
          p.high!,
        )
      : tf.scalar(0);
  return { prim, low, high };
}

async function tradesStep(
  model: TwoHeadModel,
  opt: SgdMomentum,
  xAll: tf.Tensor4D,
  p: Parts,
  s: StepSettings,
  ctx: StepContext,
): Promise<StepStats> {
  const a = s.attack;
  const mode = forwardMode(a);
  const advCeHigh = s.highLoss === 'adv-ce' && p.sel.high.length > 0;
  // The attack's reference: clean outputs in eval mode (TRADES' released code: model.eval()).
  const cleanList = tf.tidy(() => {
    const o = model.forward(xAll, { training: false });
    return o.aux ? [o.primary, o.aux] : [o.primary];
  });
  const clean: Outputs = { primary: cleanList[0], aux: cleanList[1] ?? null };
  // One attack over the whole batch: KL over primary + low (+ high), and with CIFAR-100 primary
  // (docs/method.md §1.5) the summed CE of the high set through the aux head instead of its KL.
  const jointAttack = (xa: tf.Tensor4D): tf.Scalar => {
    const out = model.forward(xa, mode);
    const k = klSums(out, clean, p, !advCeHigh);
    const terms = [k.prim, k.low, k.high];
    if (advCeHigh) terms.push(auxCeSums(out, p).high);
    return tf.addN(terms) as tf.Scalar;
  };
  const xAdv = pgdMaximize(jointAttack, xAll, {
    eps: a.eps,
    stepSize: a.stepSize,
    steps: a.steps,
    start: 'normal',
    startStd: 0.001,
    projectStart: false, // TRADES' code: the first gradient is taken at x + 0.001·N(0,1) as it is
    rng: ctx.rng,
  });
  tf.dispose(cleanList);
  ctx.onAdversarial?.(xAdv);
  const beta = s.beta;
  try {
    return await applyGradients(
      model,
      opt,
      () => {
        // As TRADES' loss: the natural batch (for CE), the adversarial batch, and the natural batch
        // again as the KL's reference, all in train mode, so BN's averages move three times a step.
        const outC = model.forward(xAll, { training: true });
        const outA = model.forward(xAdv, { training: true });
        const outRef = model.forward(xAll, { training: true });
        const k = klSums(outA, outRef, p, !advCeHigh);
        const primary = tf.div(tf.add(primaryCeSum(outC, p), tf.mul(k.prim, beta)), p.B) as tf.Scalar;
        let aux: tf.Scalar = tf.scalar(0);
        const nSel = p.sel.low.length + p.sel.high.length;
        if (nSel > 0) {
          const cleanCe = auxCeSums(outC, p); // softCE(h(x~), u) on low, CE(h~(x~), y~) on high
          const highCe = advCeHigh ? auxCeSums(outA, p).high : cleanCe.high;
          const sum = tf.addN([cleanCe.low, tf.mul(k.low, beta), highCe, tf.mul(k.high, beta)]);
          // TRADES normalises the aux part by n_low + n_high (docs/method.md §1.5).
          aux = tf.div(sum, nSel) as tf.Scalar;
        }
        return { total: tf.add(primary, tf.mul(aux, ctx.alpha)) as tf.Scalar, primary, aux };
      },
      p,
      ctx.lr,
    );
  } finally {
    xAdv.dispose();
  }
}
