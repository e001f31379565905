/** Eq. 26–30: the uniform target through the shared head regularises without labels. */
import * as closed from '../closed-form';
import { mcMean, mcProportion, nonRobustMean, nonRobustSignFraction } from '../monte-carlo';
import { nonRobustShrink, robustDrift, trainInVivo } from '../in-vivo';
import { type CheckContext, type StatementCheck, inVivoConfig, r4, fmt, rhoOneParams } from './core';

export function uniformTargetChecks(ctx: CheckContext): StatementCheck[] {
  const { n, whp } = ctx;
  const P1 = rhoOneParams(ctx);
  const checks: StatementCheck[] = [];
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

  return checks;
}
