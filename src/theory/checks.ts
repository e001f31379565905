/**
 * The paper's theoretical statements as data: one typed definition per checked statement, with
 * its closed form, its Monte Carlo estimator and (where it applies) an in-vivo training run. The
 * CLI, the notebook and the tests all iterate buildChecks() and judge them with runCheck().
 *
 * Statements under the spec's ρ placement ('mean') are claims: they must hold. The same
 * statements under the alternative placements are exploratory: whether they hold is a finding
 * and is reported as such; they fail only if closed form, Monte Carlo and in vivo disagree.
 */
import { Rng } from '../util/rng';
import * as closed from './closed-form';
import {
  Estimate,
  difference,
  mcBatchMeanSquare,
  mcMean,
  mcProportion,
  nonRobustMean,
  nonRobustSignFraction,
} from './monte-carlo';
import { BASE_PARAMS, GaussianModelParams, RHO_PLACEMENTS } from './model';
import { IN_VIVO_DEFAULTS, InVivoConfig, nonRobustShrink, robustDrift, trainInVivo } from './in-vivo';

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
function inVivoConfig(P: GaussianModelParams, over: Partial<InVivoConfig> & { seed: number }): InVivoConfig {
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

const r4 = (x: number) => Number(x.toFixed(4));
/** LaTeX \xi (a literal backslash-x cannot appear in a template literal). */
const XI = '\\xi';

/** Builds the list of checked statements. */
export function buildChecks(options: CheckOptions = {}): StatementCheck[] {
  const o = {
    ...DEFAULT_CHECK_OPTIONS,
    ...options,
    base: { ...DEFAULT_CHECK_OPTIONS.base, ...options.base },
  };
  const base: GaussianModelParams = { ...BASE_PARAMS, ...o.base };
  const n = (P: GaussianModelParams, factor = 1) =>
    Math.max(200, Math.round((o.samples * factor * 400) / P.d));
  // "with high probability" (asymptotic in d) read at d = 400 as: at least 95%.
  const whp = WHP;
  const checks: StatementCheck[] = [];

  // ---- Lemma 2 (ρ = 1): the adversarial feature ----
  const P1 = { ...base, rho: 1, placement: 'mean' as const, w1: 0 };
  checks.push({
    id: 'lemma2.robust',
    ref: 'Lemma 2',
    statement: 'The adversary leaves the robust feature: E[ỹ·z̃*₁] = 2p − 1.',
    latex: String.raw`\mathbb{E}[\tilde y\,\tilde z^*_1] = 2p-1`,
    quantity: 'E[ỹ·z̃*₁]',
    params: P1,
    prediction: { kind: 'sign', sign: 1 },
    exploratory: false,
    closedForm: () => closed.lemma2Robust(P1),
    monteCarlo: (rng) => mcMean(P1, 'auxiliary', n(P1), rng, (s) => s.label * s.zAdv[0]),
  });
  checks.push({
    id: 'lemma2.non-robust',
    ref: 'Lemma 2',
    statement: 'The adversary flips the non-robust features: E[ỹ·z̃*ᵢ] = −η for i ≥ 2.',
    latex: String.raw`\mathbb{E}[\tilde z^* \mid \tilde y] = \tilde y\,[2p-1, -\eta, \dots, -\eta]`,
    quantity: 'E[ỹ·z̃*ᵢ], i ≥ 2',
    params: P1,
    prediction: { kind: 'sign', sign: -1 },
    exploratory: false,
    closedForm: () => closed.lemma2NonRobust(P1),
    monteCarlo: (rng) => mcMean(P1, 'auxiliary', n(P1), rng, (s) => s.label * nonRobustMean(s.zAdv)),
  });

  // ---- Theorem 1 (ρ = 1) ----
  checks.push({
    id: 'thm1.gradient',
    ref: 'Theorem 1',
    statement:
      'With ρ = 1 the auxiliary gradient on a non-robust adversarial feature has sign −ỹ and value −(ỹ/d)·E[σ(η+ξ)], ξ ~ N(0, 1/d); descent shrinks the non-robust features, and auxiliary data shrink them faster than the primary alone.',
    latex: String.raw`\mathbb{E}\Big[\frac{\partial \tilde\ell}{\partial \tilde z^*_i}\Big] = -\frac{\tilde y}{d}\,\mathbb{E}_{${XI}\sim\mathcal N(0,1/d)}[\sigma(\eta+${XI})],\ i\ge 2`,
    quantity: 'd·E[ỹ·∂ℓ̃/∂z̃*ᵢ]',
    params: P1,
    prediction: { kind: 'sign', sign: -1 },
    exploratory: false,
    closedForm: () => closed.trueLabelGradient(P1),
    monteCarlo: (rng) =>
      mcMean(P1, 'auxiliary', n(P1), rng, (s) => s.label * P1.d * nonRobustMean(s.gradAdv)),
    inVivo: (seed) => {
      const alone = trainInVivo(inVivoConfig(P1, { primary: true, seed }));
      const withAux = trainInVivo(
        inVivoConfig(P1, { primary: true, aux: { model: 'auxiliary', w1: 0 }, seed }),
      );
      const a = nonRobustShrink(alone);
      const b = nonRobustShrink(withAux);
      return {
        holds: a > 0 && b > a,
        summary: `non-robust weights shrink by ${fmt(a)} (primary alone) vs ${fmt(b)} (primary + auxiliary ρ=1)`,
        metrics: { shrinkPrimaryAlone: r4(a), shrinkWithAux: r4(b) },
        seeds: [seed],
      };
    },
  });
  checks.push({
    id: 'thm1.same-as-primary',
    ref: 'Theorem 1',
    statement: "With ρ = 1 the auxiliary task's expected gradient equals the primary task's.",
    latex: String.raw`\mathbb{E}\big[\partial\tilde\ell/\partial\tilde z^*\big] = \mathbb{E}\big[\partial\ell/\partial z^*\big]\ (\rho=1)`,
    quantity: 'd·(E[y·∂ℓ/∂z*ᵢ] − E[ỹ·∂ℓ̃/∂z̃*ᵢ])',
    params: P1,
    prediction: { kind: 'zero' },
    exploratory: false,
    closedForm: () => closed.trueLabelGradient(closed.primaryOf(P1)) - closed.trueLabelGradient(P1),
    monteCarlo: (rng) =>
      difference(
        mcMean(P1, 'primary', n(P1), rng.fork('primary'), (s) => s.label * P1.d * nonRobustMean(s.gradAdv)),
        mcMean(
          P1,
          'auxiliary',
          n(P1),
          rng.fork('auxiliary'),
          (s) => s.label * P1.d * nonRobustMean(s.gradAdv),
        ),
      ),
  });
  checks.push({
    id: 'thm1.coordinate-sign',
    ref: 'Theorem 1',
    statement:
      'sign(z̃*ᵢ) = sign(∂ℓ̃/∂z̃*ᵢ) for a single non-robust coordinate holds only with probability Φ(η) (> ½; the expectations agree in sign exactly).',
    latex: String.raw`P\big(\operatorname{sign}\tilde z^*_i = \operatorname{sign}\partial\tilde\ell/\partial\tilde z^*_i\big) = \Phi(\eta)`,
    quantity: 'P(sign z̃*ᵢ = sign ∂ℓ̃/∂z̃*ᵢ), one coordinate',
    params: P1,
    prediction: { kind: 'above', bound: 0.5 },
    exploratory: false,
    closedForm: () => closed.trueLabelCoordinateSignAgreement(P1),
    monteCarlo: (rng) =>
      mcMean(P1, 'auxiliary', n(P1), rng, (s) => nonRobustSignFraction(s.zAdv, Math.sign(s.gradAdv[1]))),
  });

  // ---- Theorem 2: random labels ----
  checks.push({
    id: 'thm2.gradient-sign',
    ref: 'Theorem 2',
    statement: 'With random labels y_r, per sample sign(∂ℓ̃/∂z̃*ᵢ) = −y_r for i ≥ 2.',
    latex: String.raw`\operatorname{sign}\big(\partial\tilde\ell/\partial\tilde z^*_i\big) = -y_r,\ i\ge 2`,
    quantity: 'P(sign ∂ℓ̃/∂z̃*ᵢ = −y_r)',
    params: P1,
    prediction: { kind: 'above', bound: whp },
    exploratory: false,
    closedForm: () => closed.randomLabelGradientSign(),
    monteCarlo: (rng) =>
      mcProportion(
        P1,
        'random-labels',
        n(P1),
        rng,
        (s) => s.target.kind === 'label' && nonRobustSignFraction(s.gradAdv, -s.target.label) === 1,
      ),
  });
  checks.push({
    id: 'thm2.coordinate-sign',
    ref: 'Theorem 2',
    statement:
      'With random labels a single non-robust adversarial feature has sign −y_r only with probability ½Φ(η) + ½Φ(3η) (> ½); adversarial training on them still shrinks the non-robust weights.',
    latex: String.raw`P\big(\operatorname{sign}\tilde z^*_i = -y_r\big) = \tfrac12\Phi(\eta) + \tfrac12\Phi(3\eta)`,
    quantity: 'P(sign z̃*ᵢ = −y_r), one coordinate',
    params: P1,
    prediction: { kind: 'above', bound: 0.5 },
    exploratory: false,
    closedForm: () => closed.randomLabelCoordinateSign(P1),
    monteCarlo: (rng) =>
      mcMean(P1, 'random-labels', n(P1), rng, (s) =>
        s.target.kind === 'label' ? nonRobustSignFraction(s.zAdv, -s.target.label) : NaN,
      ),
    inVivo: (seed) => {
      const t = trainInVivo(inVivoConfig(P1, { aux: { model: 'random-labels', w1: 0 }, seed }));
      const shrink = nonRobustShrink(t);
      return {
        holds: shrink > 0,
        summary: `random labels alone shrink the non-robust weights by ${fmt(shrink)}`,
        metrics: { shrink: r4(shrink) },
        seeds: [seed],
      };
    },
  });
  checks.push({
    id: 'thm2.average-sign',
    ref: 'Theorem 2',
    statement: 'With random labels the average non-robust adversarial feature has sign −y_r w.h.p.',
    latex: String.raw`P\Big(\operatorname{sign}\tfrac1d\textstyle\sum_{i\ge2}\tilde z^*_i = -y_r\Big) = \tfrac12\Phi(\eta\sqrt d)+\tfrac12\Phi(3\eta\sqrt d)`,
    quantity: 'P(sign mean_i z̃*ᵢ = −y_r)',
    params: P1,
    prediction: { kind: 'above', bound: whp },
    exploratory: false,
    closedForm: () => closed.randomLabelAverageSign(P1),
    monteCarlo: (rng) =>
      mcProportion(
        P1,
        'random-labels',
        n(P1),
        rng,
        (s) => s.target.kind === 'label' && Math.sign(nonRobustMean(s.zAdv)) === -s.target.label,
      ),
  });

  // ---- Theorem 3: random labels, robust weight w̃₁ > 0 ----
  const thm3Checks = (
    P: GaussianModelParams,
    ref: string,
    idBase: string,
    tag: string,
    exploratory: boolean,
    withInVivo: boolean,
  ) => {
    const out: StatementCheck[] = [];
    const Pd = { ...P, d: Math.min(P.d, 100) }; // the robust signal depends on d only through ξ; small d, many samples
    const boundD = (Pd.eta + Pd.w1) * Math.abs(closed.trueLabelRobustSignal(Pd));
    if (!exploratory) {
      out.push({
        id: `${idBase}.robust-gradient-sign${tag}`,
        ref,
        statement: 'With random labels and w̃₁ > 0, per sample sign(∂ℓ̃/∂z̃*₁) = −y_r, whatever the true ỹ.',
        latex: String.raw`\operatorname{sign}\big(\partial\tilde\ell/\partial\tilde z^*_1\big) = -y_r`,
        quantity: 'P(sign ∂ℓ̃/∂z̃*₁ = −y_r)',
        params: P,
        prediction: { kind: 'above', bound: whp },
        exploratory,
        closedForm: () => closed.randomLabelGradientSign(),
        monteCarlo: (rng) =>
          mcProportion(
            P,
            'random-labels',
            n(P),
            rng,
            (s) => s.target.kind === 'label' && Math.sign(s.gradAdv[0]) === -s.target.label,
          ),
      });
    }
    out.push({
      id: `${idBase}.infinite-batch${tag}`,
      ref,
      statement:
        'Infinite batch: random labels give the robust feature E[ỹ·∂ℓ̃/∂z̃*₁] ≈ 0, read as: at most (η + w̃₁)× the true-label signal (the exact value is ≈ ½(η + (2p−1)w̃₁)× it, positive).',
      latex: String.raw`\Big|\mathbb{E}\big[\tilde y\,\partial\tilde\ell/\partial\tilde z^*_1\big]\Big| \le (\eta+\tilde w_1)\,\Big|\mathbb{E}_{\text{true }\tilde y}\big[\tilde y\,\partial\tilde\ell/\partial\tilde z^*_1\big]\Big|`,
      quantity: 'E[ỹ·∂ℓ̃/∂z̃*₁]/w̃₁ (random labels)',
      params: Pd,
      extra: { trueLabelSignal: r4(closed.trueLabelRobustSignal(Pd)) },
      prediction: { kind: 'absBelow', bound: boundD },
      exploratory,
      closedForm: () => closed.randomLabelRobustSignal(Pd),
      monteCarlo: (rng) =>
        mcMean(Pd, 'random-labels', n(Pd, 4), rng, (s) => (s.label * s.gradAdv[0]) / Pd.w1),
      note: 'The paper argues E ≈ 0 from "the model is still vulnerable"; exactly it is O(η + w̃₁) and positive: labels that disagree with the (adversarial) features meet a confident classifier and weigh more, pushing the robust feature slightly against ỹ.',
      inVivo: !withInVivo
        ? undefined
        : (seed) => {
            const cfg = (model: 'random-labels' | 'auxiliary') =>
              inVivoConfig(P, { aux: { model, w1: 1 / IN_VIVO_DEFAULTS.d }, batch: 512, steps: 15, seed });
            const random = robustDrift(trainInVivo(cfg('random-labels')));
            const truth = robustDrift(trainInVivo(cfg('auxiliary')));
            const ratio = Math.abs(random) / Math.abs(truth);
            const allowed = P.eta + 1 / IN_VIVO_DEFAULTS.d;
            return {
              holds: truth > 0 && ratio < allowed,
              summary: `batch 512: robust weight moves ${fmt(random)} with random labels vs ${fmt(truth)} with true labels (ratio ${fmt(ratio)} < ${fmt(allowed)})`,
              metrics: { driftRandom: r4(random), driftTrue: r4(truth), ratio: r4(ratio) },
              seeds: [seed],
            };
          },
    });
    return out;
  };
  const P3 = { ...P1, w1: o.robustWeight };
  checks.push(...thm3Checks(P3, 'Theorem 3', 'thm3', '', false, true));
  const P3d = { ...P3, d: Math.min(P3.d, 100) };
  const B = o.smallBatch;
  checks.push({
    id: 'thm3.minibatch',
    ref: 'Theorem 3',
    statement: `Per mini-batch (B = ${B}) random labels do move the robust feature: the batch's robust signal has RMS ≥ 2× its infinite-batch value, and the robust weight's drift shrinks with the batch size.`,
    latex: String.raw`\mathbb{E}\Big[\Big(\tfrac1B\textstyle\sum_{b}\tilde y_b\,\partial\tilde\ell_b/\partial\tilde z^*_{b,1}\Big)^2\Big] = \mu^2 + \tfrac{\operatorname{Var}}{B} \ge 4\mu^2`,
    quantity: `E[(batch mean of ỹ·∂ℓ̃/∂z̃*₁/w̃₁)²], B = ${B}`,
    params: P3d,
    extra: { batch: B },
    prediction: { kind: 'above', bound: 4 * closed.randomLabelRobustSignal(P3d) ** 2 },
    exploratory: false,
    closedForm: () => closed.randomLabelRobustBatchMeanSquare(P3d, B),
    monteCarlo: (rng) =>
      mcBatchMeanSquare(
        P3d,
        'random-labels',
        Math.round(n(P3d, 2) / 2),
        B,
        rng,
        (s) => (s.label * s.gradAdv[0]) / P3d.w1,
      ),
    inVivo: (seed) => {
      const seeds = [0, 1, 2, 3].map((k) => seed + k);
      const drift = (batch: number, s: number) =>
        robustDrift(
          trainInVivo(
            inVivoConfig(P3, {
              aux: { model: 'random-labels', w1: 1 / IN_VIVO_DEFAULTS.d },
              batch,
              steps: 15,
              seed: s,
            }),
          ),
        );
      const small = seeds.map((s) => drift(2, s));
      const rms = Math.sqrt(small.reduce((a, x) => a + x * x, 0) / small.length);
      const large = Math.abs(drift(512, seed));
      return {
        holds: rms > 2 * large,
        summary: `robust-weight drift RMS ${fmt(rms)} at batch 2 (4 seeds) vs ${fmt(large)} at batch 512`,
        metrics: { rmsDriftBatch2: r4(rms), driftBatch512: r4(large) },
        seeds: [...seeds],
      };
    },
  });

  // ---- Eq. 26–30: uniform target through the shared head ----
  checks.push({
    id: 'eq26-30.gradient-sign',
    ref: 'Eq. 26–30',
    statement:
      'Uniform target: per sample sign(∂ℓ_u/∂z̃*ᵢ) = ỹ w.h.p. (the classifier is accurate), with no label used.',
    latex: String.raw`\frac{\partial \tilde\ell_u}{\partial \tilde z^*} = \big(\sigma(w^\top\tilde z^*)-\tfrac12\big)\,w,\quad P\big(\operatorname{sign}\partial\tilde\ell_u/\partial\tilde z^*_i = \tilde y\big) = \Phi(\eta\sqrt d)`,
    quantity: 'P(sign ∂ℓ_u/∂z̃*ᵢ = ỹ)',
    params: P1,
    prediction: { kind: 'above', bound: whp },
    exploratory: false,
    closedForm: () => closed.uniformGradientSign(P1),
    monteCarlo: (rng) =>
      mcProportion(P1, 'uniform-target', n(P1), rng, (s) => Math.sign(s.gradAdv[1]) === s.label),
  });
  checks.push({
    id: 'eq26-30.coordinate-sign',
    ref: 'Eq. 26–30',
    statement:
      'Uniform target: a single non-robust adversarial feature has sign ỹ with probability ≈ Φ(3η) (> ½): the adversary pushes the features along the prediction.',
    latex: String.raw`P\big(\operatorname{sign}\tilde z^*_i = \tilde y\big) \approx \Phi(3\eta)`,
    quantity: 'P(sign z̃*ᵢ = ỹ), one coordinate',
    params: P1,
    prediction: { kind: 'above', bound: 0.5 },
    exploratory: false,
    closedForm: () => closed.uniformCoordinateSign(P1),
    monteCarlo: (rng) =>
      mcMean(P1, 'uniform-target', n(P1), rng, (s) => nonRobustSignFraction(s.zAdv, s.label)),
  });
  checks.push({
    id: 'eq26-30.gradient',
    ref: 'Eq. 26–30',
    statement:
      'Uniform target: E[ỹ·∂ℓ_u/∂z̃*ᵢ] > 0, the sign of the features, so descent shrinks the non-robust weights; through the shared head (w₁ = 0) the robust weight does not move.',
    latex: String.raw`d\,\mathbb{E}\big[\tilde y\,\partial\tilde\ell_u/\partial\tilde z^*_i\big] = \mathbb{E}\big[\sigma(u + 2\eta\operatorname{sign}u) - \tfrac12\big] > 0`,
    quantity: 'd·E[ỹ·∂ℓ_u/∂z̃*ᵢ]',
    params: P1,
    prediction: { kind: 'sign', sign: 1 },
    exploratory: false,
    closedForm: () => closed.uniformGradient(P1),
    monteCarlo: (rng) =>
      mcMean(P1, 'uniform-target', n(P1), rng, (s) => s.label * P1.d * nonRobustMean(s.gradAdv)),
    inVivo: (seed) => {
      const t = trainInVivo(inVivoConfig(P1, { aux: { model: 'uniform-target', w1: 0 }, seed }));
      const shrink = nonRobustShrink(t);
      const drift = robustDrift(t);
      return {
        holds: shrink > 0 && drift === 0,
        summary: `uniform target: non-robust weights shrink by ${fmt(shrink)}, robust weight moves ${fmt(drift)}`,
        metrics: { shrink: r4(shrink), robustDrift: drift },
        seeds: [seed],
      };
    },
  });

  // ---- Theorems 4–6: weak correlation, under each ρ placement ----
  for (const placement of RHO_PLACEMENTS) {
    const exploratory = placement !== 'mean';
    const tag = `[${placement}]`;
    const Pw = { ...base, rho: o.rhoWeak, placement, w1: 0 };
    checks.push({
      id: `thm4.feature-sign${tag}`,
      ref: 'Theorem 4',
      statement: `Weak correlation (ρ = ${o.rhoWeak}): the adversarial non-robust feature still has E[ỹ·z̃*ᵢ] < 0.`,
      latex: String.raw`\operatorname{sign}\mathbb{E}[\tilde z^*_i] = -\tilde y`,
      quantity: 'E[ỹ·z̃*ᵢ]',
      params: Pw,
      prediction: { kind: 'sign', sign: -1 },
      exploratory,
      closedForm: () => closed.lemma2NonRobust(Pw),
      monteCarlo: (rng) => mcMean(Pw, 'auxiliary', n(Pw), rng, (s) => s.label * nonRobustMean(s.zAdv)),
    });
    checks.push({
      id: `thm4.gradient${tag}`,
      ref: 'Theorem 4',
      statement: `Weak correlation (ρ = ${o.rhoWeak}): the expected auxiliary gradient keeps the sign −ỹ, the features' sign.`,
      latex: String.raw`\operatorname{sign}\mathbb{E}\big[\partial\tilde\ell/\partial\tilde z^*_i\big] = -\tilde y`,
      quantity: 'd·E[ỹ·∂ℓ̃/∂z̃*ᵢ]',
      params: Pw,
      prediction: { kind: 'sign', sign: -1 },
      exploratory,
      closedForm: () => closed.trueLabelGradient(Pw),
      monteCarlo: (rng) =>
        mcMean(Pw, 'auxiliary', n(Pw), rng, (s) => s.label * Pw.d * nonRobustMean(s.gradAdv)),
    });
    const [hi, lo] = o.rhoPair;
    const Phi = { ...Pw, rho: hi };
    const Plo = { ...Pw, rho: lo };
    checks.push({
      id: `thm4.weakens${tag}`,
      ref: 'Theorem 4',
      statement: `The training signal weakens as ρ → 0: |E[∂ℓ̃/∂z̃*ᵢ]| is larger at ρ = ${hi} than at ρ = ${lo}, and in vivo the non-robust weights shrink faster.`,
      latex: String.raw`\big|\mathbb{E}[\partial\tilde\ell/\partial\tilde z^*_i]\big|_{\rho=${hi}} > \big|\mathbb{E}[\partial\tilde\ell/\partial\tilde z^*_i]\big|_{\rho=${lo}}`,
      quantity: `d·(|E[ỹ·∂ℓ̃/∂z̃*ᵢ]|(ρ=${hi}) − |…|(ρ=${lo}))`,
      params: Pw,
      extra: { rhoHigh: hi, rhoLow: lo },
      prediction: { kind: 'sign', sign: 1 },
      exploratory,
      closedForm: () => -closed.trueLabelGradient(Phi) + closed.trueLabelGradient(Plo),
      monteCarlo: (rng) =>
        difference(
          mcMean(
            Phi,
            'auxiliary',
            n(Phi),
            rng.fork('high'),
            (s) => -s.label * Phi.d * nonRobustMean(s.gradAdv),
          ),
          mcMean(
            Plo,
            'auxiliary',
            n(Plo),
            rng.fork('low'),
            (s) => -s.label * Plo.d * nonRobustMean(s.gradAdv),
          ),
        ),
      note:
        placement === 'mean'
          ? `Holds, but the gradient does not vanish at ρ = 0 (it tends to −1/(2d)); what vanishes is its correlation with the features (P(sign agreement) = Φ(ρη) → ½).`
          : "Under this placement the adversary's budget does not shrink with ρ, so it makes the (weakly correlated) features more adversarial as ρ → 0: the signal grows — at ρ = 0 this is the random-label case of Theorem 2.",
      inVivo: (seed) => {
        const shrink = (P: GaussianModelParams) =>
          nonRobustShrink(trainInVivo(inVivoConfig(P, { aux: { model: 'auxiliary', w1: 0 }, seed })));
        const a = shrink(Phi);
        const b = shrink(Plo);
        return {
          holds: a > b,
          summary: `auxiliary data alone shrink the non-robust weights by ${fmt(a)} at ρ=${hi} vs ${fmt(b)} at ρ=${lo}`,
          metrics: { shrinkHigh: r4(a), shrinkLow: r4(b) },
          seeds: [seed],
        };
      },
    });
    checks.push({
      id: `thm5.average-sign${tag}`,
      ref: 'Theorem 5',
      statement: `Weak correlation (ρ = ${o.rhoWeak}) with random labels: the average non-robust adversarial feature has sign −y_r w.h.p.`,
      latex: String.raw`P\Big(\operatorname{sign}\tfrac1d\textstyle\sum_{i\ge2}\tilde z^*_i = -y_r\Big) \to 1`,
      quantity: 'P(sign mean_i z̃*ᵢ = −y_r)',
      params: Pw,
      prediction: { kind: 'above', bound: whp },
      exploratory,
      closedForm: () => closed.randomLabelAverageSign(Pw),
      monteCarlo: (rng) =>
        mcProportion(
          Pw,
          'random-labels',
          n(Pw),
          rng,
          (s) => s.target.kind === 'label' && Math.sign(nonRobustMean(s.zAdv)) === -s.target.label,
        ),
    });
    checks.push(...thm3Checks({ ...Pw, w1: o.robustWeight }, 'Theorem 6', 'thm6', tag, exploratory, false));
  }
  return checks;
}
