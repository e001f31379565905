/**
 * What every theory check shares: the statement type, how a check is judged (closed form,
 * Monte Carlo interval, in vivo), the options, and the context the statement groups build from.
 *
 * Statements under the default ρ placement ('mean') are claims: they must hold. The same
 * statements under the alternative placements are exploratory: whether they hold is a finding
 * and is reported as such; they fail only if closed form, Monte Carlo and in vivo disagree.
 */
import { Rng } from '../../util/rng';
import { Estimate } from '../monte-carlo';
import { BASE_PARAMS, GaussianModelParams } from '../model';
import { IN_VIVO_DEFAULTS, InVivoConfig } from '../in-vivo';

/** What the paper predicts about a check's quantity. */
export type Prediction =
  | { kind: 'sign'; sign: 1 | -1 }
  | { kind: 'zero' }
  | { kind: 'above'; bound: number }
  | { kind: 'absBelow'; bound: number };

export interface InVivoOutcome {
  holds: boolean;
  /** one line: what was trained and what the weights did */
  summary: string;
  metrics: Record<string, number>;
  seeds: number[];
}

export interface StatementCheck {
  id: string;
  /** which statement of the paper */
  ref: string;
  /** the statement in words */
  statement: string;
  /** the statement in LaTeX (for the notebook) */
  latex: string;
  /** what number is computed */
  quantity: string;
  params: GaussianModelParams;
  /** parameters beyond the model's (batch size, ρ pair, …) */
  extra?: Record<string, number>;
  prediction: Prediction;
  /** true for statements under an alternative ρ placement: holding or not is a finding */
  exploratory: boolean;
  closedForm: () => number;
  monteCarlo: (rng: Rng) => Estimate;
  inVivo?: (seed: number) => InVivoOutcome;
  note?: string;
}

export type Verdict = 'pass' | 'fail' | 'finding';

export interface CheckResult {
  id: string;
  ref: string;
  statement: string;
  latex: string;
  quantity: string;
  params: GaussianModelParams;
  extra?: Record<string, number>;
  prediction: Prediction;
  exploratory: boolean;
  closedForm: number;
  monteCarlo: Estimate;
  mcSeed: number;
  /** the closed form lies inside the Monte Carlo interval */
  agree: boolean;
  /** the prediction holds for the closed form */
  predictedByClosedForm: boolean;
  /** the prediction holds over the whole Monte Carlo interval */
  predictedByMonteCarlo: boolean;
  inVivo?: InVivoOutcome & { seed: number };
  /** the paper's statement holds here (closed form, Monte Carlo and in vivo all say so) */
  holds: boolean;
  verdict: Verdict;
  /** why it failed or what was found */
  reason?: string;
  note?: string;
  millis: number;
}

/** Whether value satisfies the prediction (tolerance for 'zero': the CI must contain 0). */
function satisfies(pred: Prediction, lo: number, hi: number): boolean {
  switch (pred.kind) {
    case 'sign':
      return pred.sign > 0 ? lo > 0 : hi < 0;
    case 'zero':
      return lo <= 0 && hi >= 0;
    case 'above':
      return lo > pred.bound;
    case 'absBelow':
      return lo > -pred.bound && hi < pred.bound;
  }
}

export function describePrediction(pred: Prediction): string {
  switch (pred.kind) {
    case 'sign':
      return pred.sign > 0 ? '> 0' : '< 0';
    case 'zero':
      return '= 0';
    case 'above':
      return `> ${fmt(pred.bound)}`;
    case 'absBelow':
      return `|·| < ${fmt(pred.bound)}`;
  }
}

export function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? x.toFixed(4) : x.toExponential(3);
}

/** Runs one check: closed form, Monte Carlo with the seed, in vivo (unless skipped); judges it. */
export function runCheck(check: StatementCheck, opts: { seed: number; inVivo?: boolean }): CheckResult {
  const start = Date.now();
  const mcSeed = new Rng(opts.seed).fork(check.id).seed;
  const closedForm = check.closedForm();
  const mc = check.monteCarlo(new Rng(mcSeed));
  const lo = mc.mean - mc.halfWidth;
  const hi = mc.mean + mc.halfWidth;
  const agree = closedForm >= lo && closedForm <= hi;
  // The 'zero' prediction is about the exact value: the closed form must be 0 (to rounding).
  const predictedByClosedForm =
    check.prediction.kind === 'zero'
      ? Math.abs(closedForm) < 1e-12
      : satisfies(check.prediction, closedForm, closedForm);
  const predictedByMonteCarlo = satisfies(check.prediction, lo, hi);
  let inVivo: CheckResult['inVivo'];
  if (check.inVivo && opts.inVivo !== false) {
    const seed = new Rng(opts.seed).fork(`${check.id}/in-vivo`).seed;
    inVivo = { ...check.inVivo(seed), seed };
  }
  const holds = predictedByClosedForm && predictedByMonteCarlo && (inVivo?.holds ?? true);
  let verdict: Verdict;
  let reason: string | undefined;
  if (!agree) {
    verdict = 'fail';
    reason = `closed form ${fmt(closedForm)} outside the Monte Carlo interval [${fmt(lo)}, ${fmt(hi)}]`;
  } else if (holds) {
    verdict = 'pass';
  } else if (!check.exploratory) {
    verdict = 'fail';
    reason = `prediction ${describePrediction(check.prediction)} does not hold (closed form: ${predictedByClosedForm}, Monte Carlo: ${predictedByMonteCarlo}, in vivo: ${inVivo ? inVivo.holds : 'n/a'})`;
  } else if (
    predictedByClosedForm !== predictedByMonteCarlo ||
    (inVivo !== undefined && inVivo.holds !== predictedByClosedForm)
  ) {
    verdict = 'fail';
    reason = `inconclusive: closed form says ${predictedByClosedForm}, Monte Carlo ${predictedByMonteCarlo}, in vivo ${inVivo?.holds}`;
  } else {
    verdict = 'finding';
    reason = `the statement does not hold under ρ placement '${check.params.placement}'`;
  }
  return {
    id: check.id,
    ref: check.ref,
    statement: check.statement,
    latex: check.latex,
    quantity: check.quantity,
    params: check.params,
    extra: check.extra,
    prediction: check.prediction,
    exploratory: check.exploratory,
    closedForm,
    monteCarlo: mc,
    mcSeed,
    agree,
    predictedByClosedForm,
    predictedByMonteCarlo,
    inVivo,
    holds,
    verdict,
    reason,
    note: check.note,
    millis: Date.now() - start,
  };
}

export interface CheckOptions {
  /** base model parameters (d, η, p); ρ, w₁, placement are set per statement */
  base?: Partial<Pick<GaussianModelParams, 'd' | 'eta' | 'p'>>;
  /** Monte Carlo samples at d = 400 (scaled by 400/d so the cost per check stays constant) */
  samples?: number;
  /** the weak correlation of Theorems 4–6 */
  rhoWeak?: number;
  /** the pair (high, low) for "the signal weakens as ρ → 0" */
  rhoPair?: [number, number];
  /** the classifier's robust weight in Theorems 3 and 6 */
  robustWeight?: number;
  /** the mini-batch of the Thm 3 mini-batch statement */
  smallBatch?: number;
}

/** The probability a "w.h.p." statement must reach (closed form and the whole Monte Carlo interval). */
export const WHP = 0.95;

export const DEFAULT_CHECK_OPTIONS: Required<CheckOptions> = {
  base: { d: 400, eta: 0.2, p: 0.9 },
  samples: 1500,
  rhoWeak: 0.6,
  rhoPair: [0.9, 0.3],
  robustWeight: 0.25,
  smallBatch: 8,
};

/** In-vivo model size and schedule derived from the check's parameters. */
export function inVivoConfig(
  P: GaussianModelParams,
  over: Partial<InVivoConfig> & { seed: number },
): InVivoConfig {
  const d = IN_VIVO_DEFAULTS.d;
  return {
    params: { ...P, d },
    primary: false,
    steps: IN_VIVO_DEFAULTS.steps,
    batch: IN_VIVO_DEFAULTS.batch,
    lr: IN_VIVO_DEFAULTS.lrPerD * d,
    ...over,
  };
}

export const r4 = (x: number) => Number(x.toFixed(4));
/** LaTeX \xi (a literal backslash-x cannot appear in a template literal). */
export const XI = '\\xi';

/** What a group of statements builds from: resolved options, base parameters, sample counts. */
export interface CheckContext {
  o: Required<CheckOptions> & { base: Required<CheckOptions>['base'] };
  base: GaussianModelParams;
  /** Monte Carlo samples for parameters P (scaled by 400/d so the cost per check stays constant). */
  n: (P: GaussianModelParams, factor?: number) => number;
  /** "With high probability" (asymptotic in d) read at d = 400 as: at least WHP. */
  whp: number;
}

export function checkContext(options: CheckOptions = {}): CheckContext {
  const o = {
    ...DEFAULT_CHECK_OPTIONS,
    ...options,
    base: { ...DEFAULT_CHECK_OPTIONS.base, ...options.base },
  };
  const base: GaussianModelParams = { ...BASE_PARAMS, ...o.base };
  const n = (P: GaussianModelParams, factor = 1) =>
    Math.max(200, Math.round((o.samples * factor * 400) / P.d));
  return { o, base, n, whp: WHP };
}

/** The ρ = 1 parameters of Lemma 2 and Theorems 1–3 (the default placement, no robust weight). */
export function rhoOneParams(ctx: CheckContext): GaussianModelParams {
  return { ...ctx.base, rho: 1, placement: 'mean', w1: 0 };
}
