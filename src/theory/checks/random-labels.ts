/** Theorems 2–3: random labels regularise without label information; what they do to the robust feature. */
import * as closed from '../closed-form';
import {
  mcBatchMeanSquare,
  mcMean,
  mcProportion,
  nonRobustMean,
  nonRobustSignFraction,
} from '../monte-carlo';
import type { GaussianModelParams } from '../model';
import { IN_VIVO_DEFAULTS, nonRobustShrink, robustDrift, trainInVivo } from '../in-vivo';
import { inVivoConfig, r4, fmt, rhoOneParams, type CheckContext, type StatementCheck } from './core';

/** Theorem 3's statements about the robust feature (w̃₁ > 0); Theorem 6 reuses them under weak correlation. */
export function robustFeatureChecks(
  ctx: CheckContext,
  P: GaussianModelParams,
  ref: string,
  idBase: string,
  tag: string,
  exploratory: boolean,
  withInVivo: boolean,
): StatementCheck[] {
  const { n, whp } = ctx;
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
    monteCarlo: (rng) => mcMean(Pd, 'random-labels', n(Pd, 4), rng, (s) => (s.label * s.gradAdv[0]) / Pd.w1),
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
}

export function randomLabelChecks(ctx: CheckContext): StatementCheck[] {
  const { o, n, whp } = ctx;
  const P1 = rhoOneParams(ctx);
  const checks: StatementCheck[] = [];
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

  const P3 = { ...P1, w1: o.robustWeight };
  checks.push(...robustFeatureChecks(ctx, P3, 'Theorem 3', 'thm3', '', false, true));
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
  return checks;
}
