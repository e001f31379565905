/**
 * Seeded Monte Carlo estimates of the same quantities as closed-form.ts, by sampling the data
 * models and running the adversary (model.ts), never by reusing a closed form. Each estimate is
 * a mean of iid per-sample (or per-batch) observations with a normal confidence interval, or a
 * proportion with a Wilson interval.
 */
import { Rng } from '../util/rng';
import { AdversarialSample, DataModel, GaussianModelParams, forEachAdversarialSample } from './model';

/**
 * z for a two-sided 99.99% interval. With ~30 checks a run fails by chance with probability
 * ≈ 0.3% (at 99.9% it would be ≈ 3%, too often for a harness that injects its own seeds).
 */
export const CI_Z = 3.8906;

export interface Estimate {
  mean: number;
  /** half-width of the confidence interval */
  halfWidth: number;
  n: number;
}

/** Mean ± CI_Z·standard error of iid observations (Welford). */
export class MeanAccumulator {
  private count = 0;
  private mean = 0;
  private m2 = 0;
  add(x: number): void {
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
  }
  estimate(): Estimate {
    const variance = this.count > 1 ? this.m2 / (this.count - 1) : 0;
    return { mean: this.mean, halfWidth: CI_Z * Math.sqrt(variance / this.count), n: this.count };
  }
}

/** A proportion with its Wilson score interval, reported as centre ± half-width. */
export function proportion(successes: number, n: number): Estimate {
  const phat = successes / n;
  const z2 = CI_Z * CI_Z;
  const centre = (phat + z2 / (2 * n)) / (1 + z2 / n);
  const half = (CI_Z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // Report the point estimate with a half-width wide enough to cover the (asymmetric) interval.
  return { mean: phat, halfWidth: Math.max(centre + half - phat, phat - (centre - half)), n };
}

/** Difference of two independent estimates. */
export function difference(a: Estimate, b: Estimate): Estimate {
  return { mean: a.mean - b.mean, halfWidth: Math.hypot(a.halfWidth, b.halfWidth), n: a.n + b.n };
}

/** Mean over samples of a per-sample observation. */
export function mcMean(
  P: GaussianModelParams,
  model: DataModel,
  n: number,
  rng: Rng,
  observe: (s: AdversarialSample) => number,
): Estimate {
  const acc = new MeanAccumulator();
  forEachAdversarialSample(P, model, n, rng, (s) => acc.add(observe(s)));
  return acc.estimate();
}

/** Proportion of samples for which event holds. */
export function mcProportion(
  P: GaussianModelParams,
  model: DataModel,
  n: number,
  rng: Rng,
  event: (s: AdversarialSample) => boolean,
): Estimate {
  let hits = 0;
  forEachAdversarialSample(P, model, n, rng, (s) => {
    if (event(s)) hits++;
  });
  return proportion(hits, n);
}

/** Mean over the non-robust coordinates of one sample (exchangeable, so its mean is E[·ᵢ]). */
export function nonRobustMean(v: Float64Array): number {
  let acc = 0;
  for (let i = 1; i < v.length; i++) acc += v[i];
  return acc / (v.length - 1);
}

/** Fraction of non-robust coordinates of one sample whose sign is `sign`. */
export function nonRobustSignFraction(v: Float64Array, sign: number): number {
  let hits = 0;
  for (let i = 1; i < v.length; i++) if (Math.sign(v[i]) === sign) hits++;
  return hits / (v.length - 1);
}

/** Mean over batches of B of (batch mean of a per-sample observation)². */
export function mcBatchMeanSquare(
  P: GaussianModelParams,
  model: DataModel,
  batches: number,
  batch: number,
  rng: Rng,
  observe: (s: AdversarialSample) => number,
): Estimate {
  const acc = new MeanAccumulator();
  let sum = 0;
  let inBatch = 0;
  forEachAdversarialSample(P, model, batches * batch, rng, (s) => {
    sum += observe(s);
    if (++inBatch === batch) {
      acc.add((sum / batch) ** 2);
      sum = 0;
      inBatch = 0;
    }
  });
  return acc.estimate();
}
