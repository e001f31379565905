/**
 * Closed forms of the statements, derived from the model in model.ts and evaluated by
 * quadrature (math.ts). Notation: m = the auxiliary sample's non-robust mean relative to its
 * label (nonRobustMeanAtoms), b = the adversary's budget, r = ỹ·z̃₁ ∈ {±1} (robust feature),
 * ξ ~ N(0, 1/d). With w = [w₁, 1/d, …], the label-signed logit on the adversarial features is
 *   ỹ·wᵀz̃* = w₁r + m − b + ξ   (true labels),
 * and everything below is a mixture over m, r (and s = ỹ·y_r for random labels) of Φ or E[σ(·+ξ)].
 * Gradients are reported scaled by d (d·∂ℓ/∂z̃ᵢ) for non-robust coordinates and by 1/w₁ for the
 * robust one, so the numbers are O(1).
 */
import {
  expectedSigmoid,
  expectedSigmoidSquared,
  gaussianExpectation,
  mixture,
  normalCdf,
  normalPdf,
  sigmoid,
} from './math';
import { GaussianModelParams, nonRobustBudget, nonRobustMeanAtoms, robustAtoms } from './model';

const xiStd = (P: GaussianModelParams) => 1 / Math.sqrt(P.d);

/** The primary task is the auxiliary one at ρ = 1 (budget 2η, mean η). */
export function primaryOf(P: GaussianModelParams): GaussianModelParams {
  return { ...P, rho: 1, placement: 'mean' };
}

/** Lemma 2, robust coordinate: E[ỹ·z̃*₁] = 2p − 1. */
export function lemma2Robust(P: GaussianModelParams): number {
  return 2 * P.p - 1;
}

/** Lemma 2, non-robust coordinate: E[ỹ·z̃*ᵢ] = E[m] − b (= −η at ρ = 1). */
export function lemma2NonRobust(P: GaussianModelParams): number {
  return mixture(nonRobustMeanAtoms(P), (m) => m) - nonRobustBudget(P);
}

/** Thm 1/4: d·E[ỹ·∂ℓ̃/∂z̃*ᵢ] = −E[σ(b − m − w₁r + ξ)] (= −E[σ(η + ξ)] at ρ = 1, w₁ = 0). */
export function trueLabelGradient(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return -mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) => expectedSigmoid(b - m - P.w1 * r, xiStd(P))),
  );
}

/**
 * d·E[∂ℓ̃/∂z̃*ᵢ · z̃*ᵢ]: the signal a linear embedding's non-robust weight receives (gradient
 * times feature). = E[(b − m)σ(b − m − w₁r + ξ)] + (1/d)E[σ'(·)] (Stein's lemma for the noise).
 */
export function trueLabelEmbeddingSignal(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) => {
      const c = b - m - P.w1 * r;
      const s = expectedSigmoid(c, xiStd(P));
      return (b - m) * s + (s - expectedSigmoidSquared(c, xiStd(P))) / P.d;
    }),
  );
}

/** Thm 1: single-coordinate P(sign z̃*ᵢ = sign ∂ℓ̃/∂z̃*ᵢ = −ỹ) = Φ(b − m) (= Φ(η) at ρ = 1). */
export function trueLabelCoordinateSignAgreement(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) => normalCdf(b - m));
}

/** Random labels: s = ỹ·y_r is ±1 with probability ½, independent of the features. */
const labelAgreement = [
  { value: 1, prob: 0.5 },
  { value: -1, prob: 0.5 },
];

/** Thm 2/5: single coordinate P(sign z̃*ᵢ = −y_r) = E_s[Φ(b − s·m)] (= ½Φ(η) + ½Φ(3η) at ρ = 1). */
export function randomLabelCoordinateSign(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) => mixture(labelAgreement, (s) => normalCdf(b - s * m)));
}

/** Thm 2/5: coordinate average P(sign mean_{i≥2} z̃*ᵢ = −y_r) = E_s[Φ((b − s·m)√d)]. */
export function randomLabelAverageSign(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  const sq = Math.sqrt(P.d);
  return mixture(nonRobustMeanAtoms(P), (m) => mixture(labelAgreement, (s) => normalCdf((b - s * m) * sq)));
}

/** Thm 2/3/5/6: the per-sample gradient sign −y_r holds with probability 1 (σ > 0, wᵢ > 0). */
export function randomLabelGradientSign(): number {
  return 1;
}

/**
 * Thm 3/6, infinite batch: E[ỹ·∂ℓ̃/∂z̃*₁]/w₁ = −½(E[σ(b − m − w₁r + ξ)] − E[σ(b + m + w₁r + ξ)]).
 * Not exactly 0: a label that disagrees with the features meets a more confident classifier, so it
 * weighs more. The difference is O(η) (σ(3η) − σ(η) ≈ η/2 at ρ = 1, w₁ → 0).
 */
export function randomLabelRobustSignal(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) =>
      mixture(labelAgreement, (s) => -s * expectedSigmoid(b - s * m - P.w1 * s * r, xiStd(P))),
    ),
  );
}

/** E[(ỹ·∂ℓ̃/∂z̃*₁/w₁)²] under random labels: the per-sample second moment (mini-batch noise). */
export function randomLabelRobustSecondMoment(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) =>
      mixture(labelAgreement, (s) => expectedSigmoidSquared(b - s * m - P.w1 * s * r, xiStd(P))),
    ),
  );
}

/** E[(batch mean of ỹ·∂ℓ̃/∂z̃*₁/w₁)²] for a batch of B: mean² + variance/B (exact, no CLT). */
export function randomLabelRobustBatchMeanSquare(P: GaussianModelParams, batch: number): number {
  const mean = randomLabelRobustSignal(P);
  return mean * mean + (randomLabelRobustSecondMoment(P) - mean * mean) / batch;
}

/** The same robust signal with the true labels: E[ỹ·∂ℓ̃/∂z̃*₁]/w₁ = −E[σ(b − m − w₁r + ξ)]. */
export function trueLabelRobustSignal(P: GaussianModelParams): number {
  return trueLabelGradient(P);
}

/**
 * Eq. 26–30, uniform target through the shared head. u = ỹ·wᵀz̃ ~ N(w₁r + m, 1/d); the adversary
 * pushes the logit away from 0, ỹ·wᵀz̃* = u + b·sign(u), and ∂ℓ_u/∂z̃*ᵢ = (σ(wᵀz̃*) − ½)/d.
 * Per sample: P(sign ∂ℓ_u/∂z̃*ᵢ = ỹ) = P(u > 0) = E[Φ((w₁r + m)√d)].
 */
export function uniformGradientSign(P: GaussianModelParams): number {
  const sq = Math.sqrt(P.d);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) => normalCdf((P.w1 * r + m) * sq)),
  );
}

/** Eq. 29: d·E[ỹ·∂ℓ_u/∂z̃*ᵢ] = E[σ(u + b·sign u) − ½] > 0. */
export function uniformGradient(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) =>
      gaussianExpectation((xi) => {
        const u = P.w1 * r + m + xi;
        return sigmoid(u + b * Math.sign(u)) - 0.5;
      }, xiStd(P)),
    ),
  );
}

/**
 * Eq. 30, single coordinate: P(sign z̃*ᵢ = ỹ), z̃*ᵢ = z̃ᵢ + b·sign(wᵀz̃), exact: condition on the
 * coordinate's noise n (it is also 1/d of the logit), the rest of the logit is N(·, (d−1)/d²).
 */
export function uniformCoordinateSign(P: GaussianModelParams): number {
  const b = nonRobustBudget(P);
  const restStd = Math.sqrt(P.d - 1) / P.d;
  const probLogitPositive = (mean: number) =>
    restStd === 0 ? (mean > 0 ? 1 : 0) : normalCdf(mean / restStd);
  return mixture(nonRobustMeanAtoms(P), (m) =>
    mixture(robustAtoms(P), (r) => {
      // ∫ φ(n) [P(u>0|n)·1(m+n+b>0) + P(u<0|n)·1(m+n−b>0)] dn, each piece on its own interval.
      const up = normalIntegral((n) => probLogitPositive(P.w1 * r + m + n / P.d), -m - b, 10);
      const down = normalIntegral((n) => 1 - probLogitPositive(P.w1 * r + m + n / P.d), b - m, 10);
      return up + down;
    }),
  );
}

/** ∫_lo^hi φ(n) f(n) dn by composite Simpson (clipped to ±10). */
function normalIntegral(f: (n: number) => number, lo: number, hi: number, intervals = 2000): number {
  const a = Math.max(lo, -10);
  const c = Math.min(hi, 10);
  if (c <= a) return 0;
  const h = (c - a) / intervals;
  let acc = 0;
  for (let k = 0; k <= intervals; k++) {
    const n = a + k * h;
    const weight = k === 0 || k === intervals ? 1 : k % 2 === 1 ? 4 : 2;
    acc += weight * normalPdf(n) * f(n);
  }
  return (acc * h) / 3;
}
