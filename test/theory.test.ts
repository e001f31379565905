import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/rng';
import { UserError } from '../src/util/errors';
import {
  BASE_PARAMS,
  CheckResult,
  RHO_PLACEMENTS,
  StatementCheck,
  adversarialFeatures,
  buildChecks,
  classifierWeights,
  closedForm,
  expectedSigmoid,
  gaussianExpectation,
  lossGradient,
  normalCdf,
  runCheck,
  runTheory,
  sigmoid,
  trainInVivo,
  validateParams,
} from '../src/theory';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('closed-form primitives', () => {
  test('sigmoid, Φ and Gaussian quadrature', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(3) + sigmoid(-3)).toBeCloseTo(1, 12);
    expect(normalCdf(0)).toBeCloseTo(0.5, 12);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(gaussianExpectation((x) => x * x, 0.3)).toBeCloseTo(0.09, 10);
    // E[σ(ξ)] = ½ by symmetry; E[σ(c+ξ)] → σ(c) as the noise vanishes
    expect(expectedSigmoid(0, 0.7)).toBeCloseTo(0.5, 12);
    expect(expectedSigmoid(0.4, 1e-4)).toBeCloseTo(sigmoid(0.4), 8);
  });

  test('Theorem 1 at ρ = 1 is −E[σ(η + ξ)], ξ ~ N(0, 1/d)', () => {
    const P = { ...BASE_PARAMS, d: 100, eta: 0.3 };
    expect(closedForm.trueLabelGradient(P)).toBeCloseTo(-expectedSigmoid(0.3, 0.1), 12);
    expect(closedForm.trueLabelCoordinateSignAgreement(P)).toBeCloseTo(normalCdf(0.3), 12);
    expect(closedForm.randomLabelCoordinateSign(P)).toBeCloseTo(
      0.5 * normalCdf(0.3) + 0.5 * normalCdf(0.9),
      12,
    );
  });

  test('bad parameters are one clear UserError', () => {
    expect(() => validateParams({ ...BASE_PARAMS, rho: 1.5 })).toThrow(UserError);
    expect(() => validateParams({ ...BASE_PARAMS, d: 0 })).toThrow(/d must be a positive integer/);
    expect(() => validateParams({ ...BASE_PARAMS, p: 0.3 })).toThrow(/p must be/);
  });
});

describe('the feature-space adversary and gradients', () => {
  const P = { ...BASE_PARAMS, d: 5, w1: 0.5 };
  const w = classifierWeights(P);
  const z = Float64Array.from([1, 0.3, -0.2, 0.5, 0.1, 0.4]);

  test('label loss gradient matches finite differences of −log σ(t·wᵀz)', () => {
    const loss = (zz: Float64Array, t: number) => {
      let a = 0;
      for (let i = 0; i < w.length; i++) a += w[i] * zz[i];
      return -Math.log(sigmoid(t * a));
    };
    for (const t of [1, -1]) {
      const g = lossGradient(w, z, { kind: 'label', label: t }, new Float64Array(6));
      for (let i = 0; i < 6; i++) {
        const zp = Float64Array.from(z);
        const zm = Float64Array.from(z);
        zp[i] += 1e-6;
        zm[i] -= 1e-6;
        expect(g[i]).toBeCloseTo((loss(zp, t) - loss(zm, t)) / 2e-6, 6);
      }
    }
  });

  test('the adversary moves non-robust features by the budget against the label and leaves z₁', () => {
    const adv = adversarialFeatures(w, z, { kind: 'label', label: 1 }, 0.4, new Float64Array(6));
    expect(adv[0]).toBe(z[0]);
    for (let i = 1; i < 6; i++) expect(adv[i]).toBeCloseTo(z[i] - 0.4, 12);
    // the uniform target pushes the logit away from 0 (here wᵀz > 0)
    const uni = adversarialFeatures(w, z, { kind: 'uniform' }, 0.4, new Float64Array(6));
    for (let i = 1; i < 6; i++) expect(uni[i]).toBeCloseTo(z[i] + 0.4, 12);
  });
});

describe('every statement', () => {
  let report: ReturnType<typeof runTheory>;
  beforeAll(() => {
    report = runTheory({ seed: 7, checkOptions: { samples: 400 } });
  }, 120_000);

  test('covers Lemma 2, Theorems 1–6 and Eq. 26–30 with ≥ 12 statements', () => {
    const refs = new Set(report.results.map((r) => r.ref));
    for (const ref of [
      'Lemma 2',
      'Theorem 1',
      'Theorem 2',
      'Theorem 3',
      'Theorem 4',
      'Theorem 5',
      'Theorem 6',
      'Eq. 26–30',
    ])
      expect(refs).toContain(ref);
    expect(report.results.length).toBeGreaterThanOrEqual(12);
  });

  test('closed form and Monte Carlo agree everywhere, and no check fails', () => {
    const bad = report.results
      .filter((r) => !r.agree || r.verdict === 'fail')
      .map((r) => `${r.id}: ${r.reason}`);
    expect(bad).toEqual([]);
  });

  test('every claim (default ρ placement) holds, with its predicted sign on closed form and Monte Carlo', () => {
    for (const r of report.results.filter((x) => !x.exploratory)) {
      expect([r.id, r.verdict]).toEqual([r.id, 'pass']);
      expect([r.id, r.predictedByClosedForm, r.predictedByMonteCarlo]).toEqual([r.id, true, true]);
    }
  });

  test('sign predictions, one by one', () => {
    const sign = (id: string) => Math.sign(byId(report.results, id).closedForm);
    expect(sign('lemma2.robust')).toBe(1); // E[ỹ z̃*₁] = 2p − 1 > 0
    expect(sign('lemma2.non-robust')).toBe(-1); // E[ỹ z̃*ᵢ] = −η
    expect(sign('thm1.gradient')).toBe(-1); // gradient sign −ỹ, same as the feature: descent shrinks it
    expect(sign('eq26-30.gradient')).toBe(1); // uniform target: gradient sign +ỹ, same as its feature
    expect(sign('thm3.infinite-batch')).toBe(1); // the exact (small) bias: random labels push z̃₁ against ỹ
    for (const placement of RHO_PLACEMENTS) {
      expect(sign(`thm4.feature-sign[${placement}]`)).toBe(-1);
      expect(sign(`thm4.gradient[${placement}]`)).toBe(-1);
    }
    expect(byId(report.results, 'thm1.coordinate-sign').closedForm).toBeGreaterThan(0.5);
    expect(byId(report.results, 'thm2.coordinate-sign').closedForm).toBeGreaterThan(0.5);
    expect(byId(report.results, 'eq26-30.coordinate-sign').closedForm).toBeGreaterThan(0.5);
  });

  test('in vivo: auxiliary data shrink non-robust weights faster; uniform targets leave the robust weight', () => {
    const thm1 = byId(report.results, 'thm1.gradient').inVivo!;
    expect(thm1.metrics.shrinkWithAux).toBeGreaterThan(thm1.metrics.shrinkPrimaryAlone);
    expect(thm1.metrics.shrinkPrimaryAlone).toBeGreaterThan(0);
    const uni = byId(report.results, 'eq26-30.gradient').inVivo!;
    expect(uni.metrics.shrink).toBeGreaterThan(0);
    expect(uni.metrics.robustDrift).toBe(0);
    const mini = byId(report.results, 'thm3.minibatch').inVivo!;
    expect(mini.metrics.rmsDriftBatch2).toBeGreaterThan(2 * mini.metrics.driftBatch512);
  });

  test('"signal weakens as ρ → 0": holds for the default placement, is a finding for the alternatives', () => {
    const weakens = (p: string) => byId(report.results, `thm4.weakens[${p}]`);
    expect(weakens('mean').verdict).toBe('pass');
    expect(weakens('mean').closedForm).toBeGreaterThan(0);
    for (const p of ['mean-fixed-budget', 'label-mixture']) {
      expect(weakens(p).verdict).toBe('finding');
      expect(weakens(p).closedForm).toBeLessThan(0);
      expect(weakens(p).inVivo!.holds).toBe(false);
    }
  });

  test('the report records the seeds', () => {
    expect(report.seed).toBe(7);
    for (const r of report.results) expect(Number.isInteger(r.mcSeed)).toBe(true);
  });
});

describe('a deliberately wrong prediction fails', () => {
  const checks = buildChecks({ samples: 400 });
  const find = (id: string): StatementCheck => {
    const c = checks.find((x) => x.id === id);
    if (!c) throw new Error(`no check ${id}`);
    return c;
  };

  test('flipping the sign of Theorem 1 makes the check fail', () => {
    const right = find('thm1.gradient');
    expect(runCheck({ ...right, inVivo: undefined }, { seed: 3 }).verdict).toBe('pass');
    const flipped: StatementCheck = { ...right, inVivo: undefined, prediction: { kind: 'sign', sign: 1 } };
    const r = runCheck(flipped, { seed: 3 });
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(/does not hold/);
  });

  test('flipping the sign of Lemma 2 (robust coordinate) makes the check fail', () => {
    const flipped: StatementCheck = { ...find('lemma2.robust'), prediction: { kind: 'sign', sign: -1 } };
    expect(runCheck(flipped, { seed: 3 }).verdict).toBe('fail');
  });

  test('a wrong closed form (off by 10%) fails on Monte Carlo disagreement', () => {
    const right = find('thm2.coordinate-sign');
    const wrong: StatementCheck = { ...right, inVivo: undefined, closedForm: () => 0.9 * right.closedForm() };
    const r = runCheck(wrong, { seed: 3 });
    expect(r.verdict).toBe('fail');
    expect(r.agree).toBe(false);
  });

  test('a wrong in-vivo expectation fails the check', () => {
    const right = find('eq26-30.gradient');
    const wrong: StatementCheck = {
      ...right,
      inVivo: (seed) => ({ ...right.inVivo!(seed), holds: false }),
    };
    expect(runCheck(wrong, { seed: 3 }).verdict).toBe('fail');
  });
});

describe('in-vivo trainer', () => {
  test('is seeded and leaks no tensors', () => {
    const cfg = {
      params: { ...BASE_PARAMS, d: 10 },
      primary: true,
      aux: { model: 'random-labels' as const, w1: 0.1 },
      steps: 5,
      batch: 8,
      lr: 1,
      seed: 11,
    };
    trainInVivo(cfg);
    const before = tf.memory().numTensors;
    const a = trainInVivo(cfg);
    const b = trainInVivo(cfg);
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toEqual(b);
    expect(a.nonRobust).toHaveLength(6);
  });

  test('Monte Carlo is reproducible from its seed', () => {
    const c = buildChecks({ samples: 200 }).find((x) => x.id === 'lemma2.non-robust')!;
    expect(c.monteCarlo(new Rng(5))).toEqual(c.monteCarlo(new Rng(5)));
  });
});

function byId(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  if (!r) throw new Error(`no result ${id}`);
  return r;
}
