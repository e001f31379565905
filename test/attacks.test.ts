import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../src/models';
import type { Classifier } from '../src/models/types';
import {
  APGD,
  APGDT,
  AutoAttack,
  CW,
  FABT,
  FGSM,
  PGD,
  Square,
  robustAccuracy,
  type Attack,
} from '../src/attacks';
import { accuracy, perturbationStats, syntheticData, trainedModel } from './attacks-fixture';

const EPS = 0.015;
let model: TwoHeadModel;
let clf: Classifier;
let x: tf.Tensor4D;
let y: tf.Tensor1D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  ({ model, clf } = trainedModel(10, 80));
  ({ x, y } = syntheticData(16, 10, 7));
});
afterAll(() => {
  tf.dispose([x, y]);
  model.dispose();
});

function cheapAttacks(seed = 0): Attack[] {
  return [
    new FGSM({ eps: EPS }),
    new PGD({ eps: EPS, stepSize: EPS / 4, steps: 10, seed }),
    new CW({ eps: EPS, stepSize: EPS / 4, steps: 10, seed }),
    new APGD({ eps: EPS, iterations: 10, seed }),
    new APGD({ eps: EPS, iterations: 10, loss: 'dlr', seed }),
    new APGDT({ eps: EPS, iterations: 5, targetClasses: 2, seed }),
    new FABT({ eps: EPS, iterations: 5, targetClasses: 2 }),
    new Square({ eps: EPS, queries: 30, seed }),
    new AutoAttack({ eps: EPS, version: 'custom', attacks: cheapEnsemble(seed), log: () => {} }),
  ];
}

function cheapEnsemble(seed: number): Attack[] {
  return [
    new APGD({ eps: EPS, iterations: 5, seed }),
    new APGDT({ eps: EPS, iterations: 3, targetClasses: 2, seed }),
  ];
}

describe('attacks on a trained small CNN', () => {
  it('orders as expected: PGD ≤ FGSM ≤ clean, APGD-CE ≤ PGD (same budget), AutoAttack ≤ PGD', async () => {
    const clean = await accuracy(clf, x, y);
    const acc = async (a: Attack) => {
      const adv = await a.perturb(clf, x, y);
      const v = await accuracy(clf, adv, y);
      adv.dispose();
      return v;
    };
    const fgsm = await acc(new FGSM({ eps: EPS }));
    const pgd = await acc(new PGD({ eps: EPS, stepSize: EPS / 4, steps: 10 }));
    const apgd = await acc(new APGD({ eps: EPS, iterations: 10 }));
    const aa = await acc(new AutoAttack({ eps: EPS, version: 'fast', log: () => {} }));
    expect(clean).toBeGreaterThan(0.9);
    expect(fgsm).toBeLessThanOrEqual(clean);
    expect(pgd).toBeLessThanOrEqual(fgsm);
    expect(pgd).toBeLessThan(clean); // the attack does something at this ε
    expect(apgd).toBeLessThanOrEqual(pgd);
    expect(aa).toBeLessThanOrEqual(pgd);
  });

  it('every attack respects ε and [0,1] exactly and leaks no tensors (numTensors back to its start)', async () => {
    for (const attack of cheapAttacks()) {
      const before = tf.memory().numTensors;
      const adv2 = await attack.perturb(clf, x, y);
      const [dev, lo, hi] = await perturbationStats(adv2, x);
      expect([attack.name, dev <= EPS + 1e-6, lo >= 0, hi <= 1]).toEqual([attack.name, true, true, true]);
      adv2.dispose();
      expect([attack.name, tf.memory().numTensors]).toEqual([attack.name, before]);
    }
  });

  it('robust flags are the same at two batch sizes', async () => {
    for (const make of [
      () => new FABT({ eps: EPS, iterations: 3, targetClasses: 2 }),
      () => new PGD({ eps: EPS, stepSize: EPS / 4, steps: 5, seed: 3 }),
      () => new APGDT({ eps: EPS, iterations: 5, targetClasses: 2, seed: 3 }),
      () => new Square({ eps: EPS, queries: 20, seed: 3 }),
    ]) {
      const a = await robustAccuracy(clf, make(), x, y, 16);
      const b = await robustAccuracy(clf, make(), x, y, 5);
      expect([a.attack, b.robustFlags]).toEqual([a.attack, a.robustFlags]);
      expect(a.maxPerturbation).toBeLessThanOrEqual(EPS + 1e-6);
    }
    const lines: string[] = [];
    const aa = (log: (l: string) => void) =>
      new AutoAttack({ eps: EPS, version: 'custom', attacks: cheapEnsemble(1), log });
    const aa1 = await aa((l) => lines.push(l)).run(clf, x, y, 16);
    const aa2 = await aa(() => {}).run(clf, x, y, 5);
    expect(lines.join('\n')).toMatch(
      /robust accuracy after APGD-T: .*\n.*max Linf perturbation: .*nan in tensor: 0/,
    );
    expect(aa2.robustFlags).toEqual(aa1.robustFlags);
    expect(aa1.eps).toBe('3/200');
    expect(aa1.attacks).toEqual(['APGD-CE', 'APGD-T']);
    expect(aa1.robustAccuracy).toBe(aa1.robustAccuracyAfter['APGD-T']);
    expect(aa1.robustAccuracyAfter['APGD-T']).toBeLessThanOrEqual(aa1.robustAccuracyAfter['APGD-CE']);
    expect(aa1.maxPerturbation).toBeLessThanOrEqual(EPS + 1e-6);
    expect(aa1.nanCount).toBe(0);
  });
});

describe('robustAccuracy: the one path every reported number takes', () => {
  /** An attack that does what a broken one might: `make` builds x_adv from x. */
  const broken = (name: string, make: (x: tf.Tensor4D) => tf.Tensor, eps = EPS) => ({
    name,
    eps,
    perturb: async (_m: Classifier, xb: tf.Tensor4D) => tf.tidy(() => make(xb) as tf.Tensor4D),
  });

  it('runs AutoAttack once over the whole set and keeps the accuracy after each attack', async () => {
    const aa = () =>
      new AutoAttack({ eps: EPS, version: 'custom', attacks: cheapEnsemble(2), log: () => {} });
    const direct = await aa().run(clf, x, y, 6);
    const before = tf.memory().numTensors;
    const r = await robustAccuracy(clf, aa(), x, y, 6);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.robustFlags).toEqual(direct.robustFlags);
    expect(r.robustAccuracy).toBe(direct.robustAccuracy);
    expect(r.adversarialAccuracy).toBe(direct.robustAccuracy);
    expect(r.stages!.map((s) => [s.attack, s.robustAccuracy])).toEqual([
      ['APGD-CE', direct.robustAccuracyAfter['APGD-CE']],
      ['APGD-T', direct.robustAccuracyAfter['APGD-T']],
    ]);
    expect(r.stages![0].attacked).toBe(Math.round(direct.cleanAccuracy * x.shape[0]));
    expect(r.eps).toBe('3/200');
  });

  it('counts adversarial accuracy apart from robust accuracy (the released PGD scripts report the former)', async () => {
    // The identity "attack": x_adv = x, so both equal clean accuracy.
    const r = await robustAccuracy(
      clf,
      broken('identity', (xb) => xb.clone()),
      x,
      y,
      5,
    );
    expect(r.adversarialAccuracy).toBe(r.cleanAccuracy);
    expect(r.robustAccuracy).toBe(r.cleanAccuracy);
    expect(r.maxPerturbation).toBe(0);
  });

  it('refuses a number from an attack that leaves the ε-ball, leaves [0,1] or returns NaN', async () => {
    await expect(
      robustAccuracy(
        clf,
        broken('too-far', (xb) => tf.clipByValue(tf.add(xb, 2 * EPS), 0, 1)),
        x,
        y,
        8,
      ),
    ).rejects.toThrow(/too-far left the ε-ball/);
    // Inside the ball but below 0: on inputs near 0 (the fixture's pixels are in (0.09, 0.94)).
    const dark = tf.mul(x, 0.001) as tf.Tensor4D;
    await expect(
      robustAccuracy(
        clf,
        broken('outside', (xb) => tf.sub(xb, EPS / 2)),
        dark,
        y,
        8,
      ),
    ).rejects.toThrow(/outside left \[0,1\]/);
    dark.dispose();
    await expect(
      robustAccuracy(
        clf,
        broken('nan', (xb) => tf.mul(xb, tf.scalar(NaN))),
        x,
        y,
        8,
      ),
    ).rejects.toThrow(/nan returned \d+ NaN pixel/);
    // Inside AutoAttack too: an attack of the ensemble that breaks points by leaving the ball.
    const flip = broken('far-flip', (xb) => tf.sub(tf.scalar(1), xb), EPS);
    const aa = new AutoAttack({ eps: EPS, version: 'custom', attacks: [flip], log: () => {} });
    await expect(robustAccuracy(clf, aa, x, y, 8)).rejects.toThrow(/AutoAttack-custom left the ε-ball/);
  });
});
