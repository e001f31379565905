/**
 * Closed-form building blocks of the Gaussian model: the sigmoid, the normal CDF Φ (via mathjs's
 * erf) and Gaussian expectations E[f(c + ξ)], ξ ~ N(0, s²), by quadrature.
 *
 * Every closed form in the theory reduces to mixtures of E[σ(c + ξ)] with ξ ~ N(0, 1/d): the
 * classifier's logit on the adversarial feature is (shift) + (mean of d unit Gaussians)/d.
 */
import { erf } from 'mathjs';

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + (erf(x / Math.SQRT2) as number));
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * E[f(ξ)] for ξ ~ N(0, std²), composite Simpson over ±10 std (the tails beyond carry < 1e-22 of
 * the mass, and every f here is bounded). std = 0 gives f(0).
 */
export function gaussianExpectation(f: (xi: number) => number, std: number, intervals = 400): number {
  if (std === 0) return f(0);
  const half = 10;
  const h = (2 * half) / intervals;
  let acc = 0;
  for (let k = 0; k <= intervals; k++) {
    const u = -half + k * h;
    const weight = k === 0 || k === intervals ? 1 : k % 2 === 1 ? 4 : 2;
    acc += weight * normalPdf(u) * f(u * std);
  }
  return (acc * h) / 3;
}

/** E[σ(c + ξ)], ξ ~ N(0, std²): the quantity every gradient theorem is written in. */
export function expectedSigmoid(c: number, std: number): number {
  return gaussianExpectation((xi) => sigmoid(c + xi), std);
}

/** E[σ(c + ξ)²], ξ ~ N(0, std²): second moments for the mini-batch noise statements. */
export function expectedSigmoidSquared(c: number, std: number): number {
  return gaussianExpectation((xi) => sigmoid(c + xi) ** 2, std);
}

/** A point mass of a discrete mixture: value with probability prob. */
export interface Atom {
  value: number;
  prob: number;
}

/** Σ prob · f(value) over a discrete mixture. */
export function mixture(atoms: readonly Atom[], f: (value: number) => number): number {
  let acc = 0;
  for (const a of atoms) if (a.prob > 0) acc += a.prob * f(a.value);
  return acc;
}
