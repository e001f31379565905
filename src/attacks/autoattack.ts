import * as tf from '@tensorflow/tfjs';
import type { Attack } from './types';
import type { Classifier } from '../models/types';
import { UserError } from '../util/errors';
import { APGD } from './apgd';
import { APGDT } from './apgd-t';
import { FABT } from './fab';
import { Square } from './square';
import { checkEps, checkInputs, correctFlags, epsFraction, indicesWhere, take } from './common';

/**
 * AutoAttack, L∞ (Croce & Hein 2020, arXiv 2003.01690), as a fixed, named list of attacks run
 * in order, each only on the points still robust; robust accuracy is the pointwise worst case.
 *
 *   'standard': APGD-CE (100 it., 1 restart), APGD-T (100 it., 9 targets), FAB-T (100 it.,
 *               9 targets), Square (5000 queries) — the RobustBench protocol.
 *   'fast':     NOT AutoAttack standard, for development runs only: APGD-CE (25 it.) and
 *               APGD-T (25 it., 3 targets). Label its numbers as such.
 *   'custom':   the `attacks` you pass, in order (like the reference's version='custom').
 *
 * Every result records the version, ε as an exact fraction, the seed and the batch size
 * (auto-attack#54). The log mirrors the reference: accuracy after each attack, then max
 * perturbation, NaN count and x_adv min/max.
 */
export type AutoAttackVersion = 'standard' | 'fast' | 'custom';

export interface AutoAttackOptions {
  eps: number;
  version?: AutoAttackVersion;
  /** Seed of every sub-attack's random streams (default 0; the reference uses the clock). */
  seed?: number;
  /** The attack list for version 'custom' (rejected for the presets). */
  attacks?: Attack[];
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

export interface AutoAttackResult {
  version: AutoAttackVersion;
  eps: string;
  seed: number;
  batchSize: number;
  n: number;
  attacks: string[];
  cleanAccuracy: number;
  /** Worst-case robust accuracy after each attack of the list (cumulative). */
  robustAccuracyAfter: Record<string, number>;
  /** Points each attack broke that the earlier ones had not. */
  brokenBy: Record<string, number>;
  robustAccuracy: number;
  robustFlags: number[];
  maxPerturbation: number;
  nanCount: number;
  xAdvMin: number;
  xAdvMax: number;
  warnings: string[];
  seconds: number;
  /** Each attack of the list in order: its time and the worst-case accuracy after it. */
  stages: AutoAttackStage[];
}

export interface AutoAttackStage {
  attack: string;
  /** Points it attacked (those still robust before it). */
  attacked: number;
  /** Points it broke that the earlier attacks had not. */
  broken: number;
  /** Worst-case robust accuracy after it (cumulative). */
  robustAccuracy: number;
  /** Wall-clock and process CPU seconds it took (CPU: user + system, null outside Node). */
  seconds: number;
  cpuSeconds: number | null;
}

/** Process CPU seconds (user + system) where Node's process.cpuUsage exists, else null. */
function cpuSecondsNow(): number | null {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return null;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function autoAttackList(
  version: AutoAttackVersion,
  eps: number,
  seed: number,
  custom?: Attack[],
): Attack[] {
  if ((version === 'custom') !== (custom !== undefined))
    throw new UserError(
      version === 'custom'
        ? "AutoAttack version 'custom' needs an attacks list"
        : `AutoAttack '${version}' has a fixed attack list`,
      "pass attacks only with version: 'custom'",
    );
  switch (version) {
    case 'custom':
      if (custom!.length === 0) throw new UserError('AutoAttack custom attack list is empty');
      return custom!;
    case 'standard':
      return [
        new APGD({ eps, seed, loss: 'ce', iterations: 100, restarts: 1 }),
        new APGDT({ eps, seed, iterations: 100, targetClasses: 9 }),
        new FABT({ eps, seed, iterations: 100, targetClasses: 9 }),
        new Square({ eps, seed, queries: 5000 }),
      ];
    case 'fast':
      return [
        new APGD({ eps, seed, loss: 'ce', iterations: 25, restarts: 1 }),
        new APGDT({ eps, seed, iterations: 25, targetClasses: 3 }),
      ];
    default:
      throw new UserError(
        `unknown AutoAttack version ${JSON.stringify(version)}`,
        "use 'standard' or 'fast'",
      );
  }
}

export class AutoAttack implements Attack {
  readonly name: string;
  readonly eps: number;
  readonly version: AutoAttackVersion;
  readonly seed: number;
  private readonly log: (line: string) => void;
  private readonly custom?: Attack[];

  constructor(opts: AutoAttackOptions) {
    checkEps(opts.eps);
    this.eps = opts.eps;
    this.version = opts.version ?? 'standard';
    this.seed = opts.seed ?? 0;
    this.log = opts.log ?? ((line) => console.log(line));
    this.custom = opts.attacks;
    autoAttackList(this.version, this.eps, this.seed, this.custom); // validates the version
    this.name = `AutoAttack-${this.version}`;
  }

  /** The ensemble on one batch: returns x_adv (x where no attack succeeded). */
  async perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<tf.Tensor4D> {
    const { xAdv } = await this.evaluate(model, x, y, Math.max(x.shape[0], 1), true);
    return xAdv as tf.Tensor4D;
  }

  /** Full evaluation with per-attack and worst-case numbers (x_adv not kept). */
  async run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, batchSize: number): Promise<AutoAttackResult> {
    return (await this.evaluate(model, x, y, batchSize, false)).result;
  }

  /** The same evaluation, also returning x_adv (x where no attack succeeded; the caller owns it). */
  async runWithAdversarial(
    model: Classifier,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    batchSize: number,
  ): Promise<{ result: AutoAttackResult; xAdv: tf.Tensor4D }> {
    const { result, xAdv } = await this.evaluate(model, x, y, batchSize, true);
    return { result, xAdv: xAdv as tf.Tensor4D };
  }

  private async evaluate(
    model: Classifier,
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    batchSize: number,
    keepAdv: boolean,
  ): Promise<{ result: AutoAttackResult; xAdv: tf.Tensor4D | null }> {
    if (!(Number.isInteger(batchSize) && batchSize >= 1))
      throw new UserError(`batchSize must be a positive integer, got ${batchSize}`);
    await checkInputs(x, y);
    const start = Date.now();
    const n = x.shape[0];
    const attacks = autoAttackList(this.version, this.eps, this.seed, this.custom);
    const probe = x.slice(0, Math.min(batchSize, n));
    const warnings = await runChecks(model, probe);
    probe.dispose();
    warnings.forEach((w) => this.log(`warning: ${w}`));
    this.log(
      `AutoAttack ${this.version} (${attacks.map((a) => a.name).join(', ')}), eps ${epsFraction(this.eps)}`,
    );

    const flags = new Uint8Array(n);
    for (let s = 0; s < n; s += batchSize) {
      const size = Math.min(batchSize, n - s);
      const xb = x.slice(s, size),
        yb = y.slice(s, size);
      flags.set(await correctFlags(model, xb, yb), s);
      tf.dispose([xb, yb]);
    }
    const cleanAccuracy = n ? sum(flags) / n : 0;
    this.log(`initial accuracy: ${pct(cleanAccuracy)}`);
    const xAdvData = Float32Array.from(await x.data());
    const per = xAdvData.length / Math.max(n, 1);
    const robustAccuracyAfter: Record<string, number> = {};
    const brokenBy: Record<string, number> = {};
    const stages: AutoAttackStage[] = [];
    for (const attack of attacks) {
      const stageStart = Date.now();
      const stageCpu = cpuSecondsNow();
      const robust = indicesWhere(flags);
      let broken = 0;
      for (let s = 0; s < robust.length; s += batchSize) {
        const idx = robust.slice(s, s + batchSize);
        const xb = take(x, idx),
          yb = take(y, idx);
        const adv = await attack.perturb(model, xb, yb);
        const still = await correctFlags(model, adv, yb);
        const advData = await adv.data();
        idx.forEach((i, j) => {
          if (still[j]) return;
          flags[i] = 0;
          broken++;
          xAdvData.set(advData.subarray(j * per, (j + 1) * per), i * per);
        });
        tf.dispose([xb, yb, adv]);
      }
      brokenBy[attack.name] = broken;
      robustAccuracyAfter[attack.name] = n ? sum(flags) / n : 0;
      const cpuEnd = cpuSecondsNow();
      stages.push({
        attack: attack.name,
        attacked: robust.length,
        broken,
        robustAccuracy: robustAccuracyAfter[attack.name],
        seconds: (Date.now() - stageStart) / 1000,
        cpuSeconds: cpuEnd === null || stageCpu === null ? null : cpuEnd - stageCpu,
      });
      this.log(
        `robust accuracy after ${attack.name}: ${pct(robustAccuracyAfter[attack.name])} ` +
          `(total time ${((Date.now() - start) / 1000).toFixed(1)} s)`,
      );
    }
    const names = attacks.map((a) => a.name);
    if (names.includes('Square')) {
      const before = robustAccuracyAfter[names[names.length - 2]];
      if (robustAccuracyAfter['Square'] < before)
        warnings.push(
          'Square (black-box) broke points the white-box attacks did not: a sign of gradient masking (auto-attack flags_doc)',
        );
    }
    const xData = await x.data();
    let maxPerturbation = 0,
      nanCount = 0,
      xAdvMin = Infinity,
      xAdvMax = -Infinity;
    for (let k = 0; k < xAdvData.length; k++) {
      const v = xAdvData[k];
      if (Number.isNaN(v)) {
        nanCount++;
        continue;
      }
      maxPerturbation = Math.max(maxPerturbation, Math.abs(v - xData[k]));
      xAdvMin = Math.min(xAdvMin, v);
      xAdvMax = Math.max(xAdvMax, v);
    }
    const robustAccuracy = n ? sum(flags) / n : 0;
    this.log(
      `max Linf perturbation: ${maxPerturbation.toFixed(5)}, nan in tensor: ${nanCount}, ` +
        `max: ${xAdvMax.toFixed(5)}, min: ${xAdvMin.toFixed(5)}`,
    );
    this.log(`robust accuracy: ${pct(robustAccuracy)}`);
    const result: AutoAttackResult = {
      version: this.version,
      eps: epsFraction(this.eps),
      seed: this.seed,
      batchSize,
      n,
      attacks: names,
      cleanAccuracy,
      robustAccuracyAfter,
      brokenBy,
      robustAccuracy,
      robustFlags: Array.from(flags),
      maxPerturbation,
      nanCount,
      xAdvMin: n ? xAdvMin : 0,
      xAdvMax: n ? xAdvMax : 0,
      warnings,
      seconds: (Date.now() - start) / 1000,
      stages,
    };
    return { result, xAdv: keepAdv ? tf.tensor4d(xAdvData, x.shape) : null };
  }
}

/**
 * AutoAttack's cheap sanity checks on one batch (auto-attack checks.py): a randomised model
 * (two forward passes differ: use an EOT evaluation instead), outputs that look like
 * probabilities rather than logits, and too few classes for the targeted attacks.
 */
export async function runChecks(model: Classifier, x: tf.Tensor4D): Promise<string[]> {
  const warnings: string[] = [];
  if (x.shape[0] === 0) return warnings;
  const out = tf.tidy(() => {
    const a = model.logits(x),
      b = model.logits(x);
    const diff = tf.max(tf.abs(tf.sub(a, b)));
    const rowSums = tf.sum(a, 1);
    const looksLikeProb = tf.logicalAnd(
      tf.all(tf.greaterEqual(a, 0)),
      tf.all(tf.less(tf.abs(tf.sub(rowSums, 1)), 1e-4)),
    );
    return [diff, tf.cast(looksLikeProb, 'float32'), tf.scalar(a.shape[1])];
  });
  const [diff, prob, classes] = await Promise.all(out.map(async (t) => (await t.data())[0]));
  tf.dispose(out);
  if (diff > 1e-6)
    warnings.push(
      `the model's logits change between two identical forward passes (by ${diff}): it looks randomised`,
    );
  if (prob === 1)
    warnings.push('the model outputs look like probabilities: attacks need logits (remove the softmax)');
  if (classes < 4)
    throw new UserError(`AutoAttack's targeted attacks need at least 4 classes, the model has ${classes}`);
  if (classes < 10)
    warnings.push(`only ${classes} classes: APGD-T and FAB-T use ${classes - 1} target classes, not 9`);
  return warnings;
}

function sum(a: Uint8Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}
