import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { Classifier } from '../src/models/types';
import { AutoAttack, autoAttackList, FABT } from '../src/attacks';
import { projectLinfHyperplane } from '../src/attacks/fab';
import { projectByBisection } from '../src/attacks/fab-projection';
import { squareFraction } from '../src/attacks/square';
import { dlrLoss, dlrTargetedLoss } from '../src/attacks/common';
import { Rng } from '../src/util/rng';

/** Rows like FAB's (gradients of an image model, a plane near the point) plus edge cases. */
function projectionCases(): { t: number[]; w: number[]; b: number[]; n: number; d: number } {
  const rng = new Rng(11);
  const n = 40,
    d = 300;
  const t = Array.from(rng.uniformArray(n * d));
  const w = Array.from(rng.normalArray(n * d, 0, 0.01));
  for (let k = 0; k < n * d; k += 7) t[k] = k % 2 ? 0 : 1; // saturated pixels: caps of 0 and 1
  for (let k = 0; k < n * d; k += 13) w[k] = 0;
  for (let k = 5; k < n * d; k += 17) w[k] = k % 2 ? 1e-39 : -1e-40; // subnormal gradients (ReLU nets have them)
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let dot = 0,
      l1 = 0;
    for (let k = i * d; k < (i + 1) * d; k++) {
      dot += w[k] * t[k];
      l1 += Math.abs(w[k]);
    }
    // Steps of radius ~1e-4 … 0.5, one on the plane already, two out of reach.
    const r = i === 0 ? 0 : i >= n - 2 ? 5 : 10 ** -rng.uniform(0.3, 4);
    b.push(dot + (i % 2 ? 1 : -1) * r * l1);
  }
  return { t, w, b, n, d };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('attack pieces', () => {
  it('AutoAttack standard is APGD-CE, APGD-T, FAB-T, Square with the published budgets', () => {
    const list = autoAttackList('standard', 8 / 255, 0) as unknown as Record<string, number>[];
    expect(list.map((a) => a.name)).toEqual(['APGD-CE', 'APGD-T', 'FAB-T', 'Square']);
    expect([list[0].iterations, list[0].restarts, list[1].iterations, list[1].targetClasses]).toEqual([
      100, 1, 100, 9,
    ]);
    expect([list[2].iterations, list[2].targetClasses, list[2].alphaMax, list[2].eta, list[2].beta]).toEqual([
      100, 9, 0.1, 1.05, 0.9,
    ]);
    expect([list[3].queries, list[3].pInit]).toEqual([5000, 0.8]);
    expect(() => new AutoAttack({ eps: 8 / 255, version: 'plus' as never })).toThrow(
      /unknown AutoAttack version/,
    );
  });

  it('DLR and targeted DLR match their definitions and are differentiable', async () => {
    const z = tf.tensor2d([
      [1, 5, 3, 2, 0],
      [4, 1, 2, 0, 3],
    ]);
    const y = tf.tensor1d([2, 0], 'int32');
    const t = tf.tensor1d([1, 4], 'int32');
    const dlr = Array.from(await dlrLoss(z, y).data());
    expect(dlr[0]).toBeCloseTo(-(3 - 5) / (5 - 2), 6);
    expect(dlr[1]).toBeCloseTo(-(4 - 3) / (4 - 2), 6);
    const dlrT = Array.from(await dlrTargetedLoss(z, y, t).data());
    expect(dlrT[0]).toBeCloseTo(-(3 - 5) / (5 - 1.5), 6);
    expect(dlrT[1]).toBeCloseTo(-(4 - 3) / (4 - (2 + 1) / 2), 6); // sorted: 4, 3, 2, 1, 0
    const g = tf.grad((zz: tf.Tensor) => tf.sum(dlrLoss(zz as tf.Tensor2D, y)))(z);
    // Row 1: d/dz of −(z_y − z_π1)/(z_π1 − z_π3) with z_y = 3, z_π1 = 5, z_π3 = 2.
    const g0 = Array.from(await g.data()).slice(0, 5);
    [0, 1 / 9, -1 / 3, 2 / 9, 0].forEach((v, k) => expect(g0[k]).toBeCloseTo(v, 5));
    tf.dispose([z, y, t, g]);
  });

  it("Square's p schedule halves at 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000", () => {
    expect([0, 10, 11, 50, 51, 200, 201, 4001, 8001].map((i) => squareFraction(i, 0.8))).toEqual([
      0.8,
      0.8,
      0.4,
      0.4,
      0.2,
      0.2,
      0.1,
      0.8 / 128,
      0.8 / 512,
    ]);
  });

  it("FAB's projection is the minimal-L∞ step onto the hyperplane within [0,1]", async () => {
    const rng = new Rng(5);
    const n = 6,
      d = 5;
    const t = tf.tensor2d(rng.uniformArray(n * d), [n, d]);
    const w = tf.tensor2d(rng.normalArray(n * d), [n, d]);
    const b = tf.tensor1d(rng.uniformArray(n, -0.5, 0.5));
    const delta = await projectLinfHyperplane(t, w, b);
    const [T, W, B, D] = await Promise.all([t.data(), w.data(), b.data(), delta.data()]);
    for (let i = 0; i < n; i++) {
      const row = (a: ArrayLike<number>) => Array.from({ length: d }, (_, k) => a[i * d + k]);
      const ti = row(T),
        wi = row(W),
        di = row(D);
      const dot = (z: number[]) => z.reduce((s, v, k) => s + v * wi[k], 0);
      const norm = Math.max(...di.map(Math.abs));
      di.forEach((v, k) => expect(ti[k] + v).toBeGreaterThanOrEqual(-1e-6));
      di.forEach((v, k) => expect(ti[k] + v).toBeLessThanOrEqual(1 + 1e-6));
      // Brute force: smallest λ on a fine grid whose box-clipped best step reaches the plane.
      const c = B[i] - dot(ti);
      const reach = (lam: number) =>
        wi.reduce((s, wk, k) => {
          const dir = Math.sign(wk) * Math.sign(c || 1);
          const step = dir > 0 ? Math.min(lam, 1 - ti[k]) : dir < 0 ? -Math.min(lam, ti[k]) : 0;
          return s + wk * step;
        }, 0);
      const feasible = Math.abs(reach(1)) >= Math.abs(c);
      if (feasible) {
        expect(dot(ti.map((v, k) => v + di[k]))).toBeCloseTo(B[i], 4);
        let lam = 0;
        while (Math.abs(reach(lam)) < Math.abs(c) - 1e-9) lam += 1e-4;
        expect(norm).toBeGreaterThan(lam - 2e-4);
        expect(norm).toBeLessThanOrEqual(lam + 1e-5);
      }
    }
    tf.dispose([t, w, b, delta]);
  });

  it("the fast FAB projection returns exactly the bisection's bits (cpu and wasm)", async () => {
    const { t, w, b, n, d } = projectionCases();
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const tt = tf.tensor2d(t, [n, d]),
        wt = tf.tensor2d(w, [n, d]),
        bt = tf.tensor1d(b);
      const before = tf.memory().numTensors;
      const fast = await projectLinfHyperplane(tt, wt, bt);
      const slow = projectByBisection(tt, wt, bt);
      const [f, s] = await Promise.all([fast.data(), slow.data()]);
      tf.dispose([fast, slow]);
      expect([backend, tf.memory().numTensors]).toEqual([backend, before]);
      let differing = 0;
      for (let k = 0; k < f.length; k++) if (!Object.is(f[k], s[k])) differing++;
      expect([backend, differing]).toEqual([backend, 0]);
      tf.dispose([tt, wt, bt]);
    }
    await tf.setBackend('cpu');
  });

  it('FAB-T finds the minimal L∞ perturbation of a linear 2-class model (up to its overshoot)', async () => {
    const rng = new Rng(8);
    const dim = 4 * 4 * 1;
    const wv = rng.normalArray(dim * 2, 0, 0.1);
    const w = tf.tensor2d(wv, [dim, 2]);
    const lin: Classifier = {
      logits: (xx) => tf.matMul(tf.reshape(xx, [xx.shape[0], -1]), w) as tf.Tensor2D,
    };
    // Points in the middle of the box so [0,1] does not bind.
    const xs = tf.tensor4d(rng.uniformArray(5 * dim, 0.45, 0.55), [5, 4, 4, 1]);
    const logits = lin.logits(xs);
    const ys = tf.argMax(logits, 1) as tf.Tensor1D;
    const adv = await new FABT({ eps: 1, iterations: 20, targetClasses: 1 }).perturb(lin, xs, ys);
    const [L, X, A] = await Promise.all([logits.data(), xs.data(), adv.data()]);
    let wDiffL1 = 0;
    for (let k = 0; k < dim; k++) wDiffL1 += Math.abs(wv[k * 2 + 1] - wv[k * 2]);
    for (let i = 0; i < 5; i++) {
      const minNorm = Math.abs(L[2 * i + 1] - L[2 * i]) / wDiffL1;
      let norm = 0;
      for (let k = 0; k < dim; k++) norm = Math.max(norm, Math.abs(A[i * dim + k] - X[i * dim + k]));
      expect(norm).toBeGreaterThanOrEqual(minNorm * (1 - 1e-3));
      expect(norm).toBeLessThanOrEqual(minNorm * 1.06);
    }
    tf.dispose([w, xs, logits, ys, adv]);
  });
});
