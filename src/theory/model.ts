/**
 * The Gaussian model of Sec. 2.2 / App. A in feature space, as plain functions (no tfjs).
 *
 * Eq. 2 (primary):   y ~ U{−1,+1}; z₁ = +y w.p. p, −y w.p. 1−p (robust); z₂..z_{d+1} ~ N(ηy, 1).
 * Eq. 4 (auxiliary): ỹ, z̃ drawn the same way, the non-robust part tied to the primary's by a
 *                    correlation ρ. Where ρ enters is not recoverable from the paper, so it is a
 *                    parameter (RhoPlacement); ρ = 1 gives Eq. 2 under every placement.
 * Eq. 8 (random labels): the auxiliary features with a label y_r ~ U{−1,+1} independent of them.
 * Eq. 5: f(z) = σ(wᵀz), w = [w₁, 1/d, …, 1/d] (w₁ = 0 unless a statement gives the robust
 *        weight a positive value).
 * The adversary (App. A, proof of Lemma 2) moves each feature by its budget in the direction of
 * the loss gradient's sign: the robust feature has budget 0 (an adversary cannot switch it), the
 * non-robust ones 2η (2ρη under the 'mean' placement), which flips N(ηy, 1) to N(−ηy, 1).
 */
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';
import { Atom, sigmoid } from './math';

/**
 * Where ρ enters Eq. 4 (the paper's symbols were lost):
 * - 'mean' (the default): z̃ᵢ ~ N(ρηỹ, 1), adversarial budget 2ρη (the shift that flips them).
 * - 'mean-fixed-budget': z̃ᵢ ~ N(ρηỹ, 1), budget 2η (the budget belongs to the shared feature
 *   space, not to the dataset).
 * - 'label-mixture': per sample the non-robust features carry the label (N(ηỹ, 1)) w.p. (1+ρ)/2
 *   and its opposite (N(−ηỹ, 1)) otherwise, so their correlation with ỹ is ρ; budget 2η.
 */
export type RhoPlacement = 'mean' | 'mean-fixed-budget' | 'label-mixture';
export const RHO_PLACEMENTS: readonly RhoPlacement[] = ['mean', 'mean-fixed-budget', 'label-mixture'];

export interface GaussianModelParams {
  /** number of non-robust features */
  d: number;
  /** non-robust mean */
  eta: number;
  /** probability that the robust feature agrees with the label */
  p: number;
  /** correlation between the primary and auxiliary tasks (1 = same features) */
  rho: number;
  placement: RhoPlacement;
  /** the classifier's robust weight w₁ (Eq. 5 has 0) */
  w1: number;
}

export const BASE_PARAMS: GaussianModelParams = {
  d: 1000,
  eta: 0.2,
  p: 0.9,
  rho: 1,
  placement: 'mean',
  w1: 0,
};

/** Rejects parameters outside the model (one clear message naming the parameter). */
export function validateParams(params: GaussianModelParams): void {
  const { d, eta, p, rho, w1, placement } = params;
  const fix = 'use d ≥ 1 (integer), η > 0, ½ < p ≤ 1, 0 ≤ ρ ≤ 1, w₁ ≥ 0';
  if (!Number.isInteger(d) || d < 1)
    throw new UserError(`theory: d must be a positive integer, got ${d}`, fix);
  if (!(eta > 0)) throw new UserError(`theory: η must be positive, got ${eta}`, fix);
  if (!(p > 0.5 && p <= 1)) throw new UserError(`theory: p must be in (½, 1], got ${p}`, fix);
  if (!(rho >= 0 && rho <= 1)) throw new UserError(`theory: ρ must be in [0, 1], got ${rho}`, fix);
  if (!(w1 >= 0)) throw new UserError(`theory: w₁ must be ≥ 0, got ${w1}`, fix);
  if (!RHO_PLACEMENTS.includes(placement))
    throw new UserError(
      `theory: unknown ρ placement '${placement}'`,
      `use one of ${RHO_PLACEMENTS.join(', ')}`,
    );
}

/**
 * The non-robust mean of an auxiliary sample relative to its label (z̃ᵢ ~ N(m·ỹ, 1)), as a
 * distribution over samples: a single atom except under 'label-mixture'.
 */
export function nonRobustMeanAtoms(params: GaussianModelParams): Atom[] {
  const { eta, rho } = params;
  switch (params.placement) {
    case 'mean':
    case 'mean-fixed-budget':
      return [{ value: rho * eta, prob: 1 }];
    case 'label-mixture':
      return [
        { value: eta, prob: (1 + rho) / 2 },
        { value: -eta, prob: (1 - rho) / 2 },
      ];
  }
}

/** The adversary's L∞ budget on each non-robust feature. */
export function nonRobustBudget(params: GaussianModelParams): number {
  return params.placement === 'mean' ? 2 * params.rho * params.eta : 2 * params.eta;
}

/** The robust feature relative to the label: +1 w.p. p, −1 w.p. 1−p. */
export function robustAtoms(params: GaussianModelParams): Atom[] {
  return [
    { value: 1, prob: params.p },
    { value: -1, prob: 1 - params.p },
  ];
}

/** Eq. 5's weights: [w₁, 1/d, …, 1/d]. */
export function classifierWeights(params: GaussianModelParams): Float64Array {
  const w = new Float64Array(params.d + 1).fill(1 / params.d);
  w[0] = params.w1;
  return w;
}

export function logit(w: Float64Array, z: Float64Array): number {
  let a = 0;
  for (let i = 0; i < w.length; i++) a += w[i] * z[i];
  return a;
}

/**
 * What a sample is trained against: a ±1 label (the true ỹ or a random y_r), or the uniform
 * target u = ½ (Eq. 26–30: the "expectation of random labels" through the shared head).
 */
export type Target = { kind: 'label'; label: number } | { kind: 'uniform' };

/**
 * ∂ℓ/∂z for the sigmoid loss of f(z) = σ(wᵀz), written into out.
 * Label t ∈ {±1}: ℓ = −log σ(t·wᵀz), ∂ℓ/∂z = −t·σ(−t·wᵀz)·w.
 * Uniform target: ℓ = −½log σ(wᵀz) − ½log σ(−wᵀz), ∂ℓ/∂z = (σ(wᵀz) − ½)·w (Eq. 26).
 */
export function lossGradient(
  w: Float64Array,
  z: Float64Array,
  target: Target,
  out: Float64Array,
): Float64Array {
  const a = logit(w, z);
  const scale = target.kind === 'label' ? -target.label * sigmoid(-target.label * a) : sigmoid(a) - 0.5;
  for (let i = 0; i < w.length; i++) out[i] = scale * w[i];
  return out;
}

/**
 * The feature-space adversary: z* = z + ε ⊙ sign(∂ℓ/∂z), ε = [0, b, …, b]. For a linear
 * classifier one signed step is the exact L∞ maximiser of a loss monotone in |wᵀz| (label) or
 * in the margin (uniform target: pushing wᵀz away from 0 maximises the soft cross-entropy).
 */
export function adversarialFeatures(
  w: Float64Array,
  z: Float64Array,
  target: Target,
  budget: number,
  out: Float64Array,
  scratch: Float64Array = new Float64Array(z.length),
): Float64Array {
  const g = lossGradient(w, z, target, scratch);
  out[0] = z[0];
  for (let i = 1; i < z.length; i++) out[i] = z[i] + budget * Math.sign(g[i]);
  return out;
}

/** One sample of the model: label, clean features, what it is trained against. */
export interface FeatureSample {
  /** the true label y (primary) or ỹ (auxiliary) */
  label: number;
  z: Float64Array;
  target: Target;
}

/** Which data model to draw: Eq. 2 (primary), Eq. 4 (auxiliary, true labels), Eq. 8 (random labels), or Eq. 4 with the uniform target. */
export type DataModel = 'primary' | 'auxiliary' | 'random-labels' | 'uniform-target';

/**
 * Draws one sample of the data model into z (length d+1). The primary model is the auxiliary
 * one at ρ = 1 (all placements agree there).
 */
export function drawSample(
  params: GaussianModelParams,
  model: DataModel,
  rng: Rng,
  z: Float64Array,
): FeatureSample {
  const label = rng.next() < 0.5 ? -1 : 1;
  z[0] = rng.next() < params.p ? label : -label;
  let mean = params.eta;
  if (model !== 'primary') {
    const atoms = nonRobustMeanAtoms(params);
    mean = atoms[0].value;
    if (atoms.length > 1 && rng.next() >= atoms[0].prob) mean = atoms[1].value;
  }
  for (let i = 1; i < z.length; i++) z[i] = mean * label + rng.normal();
  let target: Target;
  if (model === 'random-labels') target = { kind: 'label', label: rng.next() < 0.5 ? -1 : 1 };
  else if (model === 'uniform-target') target = { kind: 'uniform' };
  else target = { kind: 'label', label };
  return { label, z, target };
}

/** A sample after the adversary: clean features, adversarial features z*, and ∂ℓ/∂z* . */
export interface AdversarialSample extends FeatureSample {
  zAdv: Float64Array;
  gradAdv: Float64Array;
}

/**
 * Streams n adversarial samples through visit (buffers are reused: copy what you keep). The
 * budget is the data model's: 2η for the primary, nonRobustBudget(params) for auxiliary data.
 */
export function forEachAdversarialSample(
  params: GaussianModelParams,
  model: DataModel,
  n: number,
  rng: Rng,
  visit: (s: AdversarialSample) => void,
): void {
  validateParams(params);
  const w = classifierWeights(params);
  const z = new Float64Array(params.d + 1);
  const zAdv = new Float64Array(params.d + 1);
  const gradAdv = new Float64Array(params.d + 1);
  const scratch = new Float64Array(params.d + 1);
  const budget = model === 'primary' ? 2 * params.eta : nonRobustBudget(params);
  for (let k = 0; k < n; k++) {
    const s = drawSample(params, model, rng, z);
    adversarialFeatures(w, z, s.target, budget, zAdv, scratch);
    lossGradient(w, zAdv, s.target, gradAdv);
    visit({ ...s, zAdv, gradAdv });
  }
}
