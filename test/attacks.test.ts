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
