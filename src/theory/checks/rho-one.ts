/** Lemma 2 and Theorem 1 (ρ = 1): the adversarial feature and non-robust feature regularisation. */
import * as closed from '../closed-form';
import { difference, mcMean, nonRobustMean, nonRobustSignFraction } from '../monte-carlo';
import { nonRobustShrink, trainInVivo } from '../in-vivo';
import { rhoOneParams, type CheckContext, type StatementCheck, inVivoConfig, r4, XI, fmt } from './core';

export function rhoOneChecks(ctx: CheckContext): StatementCheck[] {
  const { n } = ctx;
  const checks: StatementCheck[] = [];
  // ---- Lemma 2 (ρ = 1): the adversarial feature ----
  const P1 = rhoOneParams(ctx);
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

  return checks;
}
