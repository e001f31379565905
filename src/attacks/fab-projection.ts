import * as tf from '@tensorflow/tfjs';

/**
 * FAB's projection (Croce & Hein 2020, arXiv 1907.02044, Sec. 3.1): the minimal-L∞ step from
 * each row of `t` onto the hyperplane w·z = b within the box [0,1],
 * argmin ‖d‖∞ s.t. w·(t+d) = b, 0 ≤ t+d ≤ 1. For a radius λ the best step is
 * d_i = dir_i·min(λ, cap_i) (dir: toward the plane, cap: room to the box), which reaches
 * reach(λ) = Σ|w_i|·min(λ, cap_i) of the needed change |b − w·t|; reach grows monotonically
 * in λ. The reference solves this by sorting the breakpoints; this workbench defines λ by
 * `bisections` halvings of [0,1] on the backend's float32 reach, then makes it exact by
 * linear interpolation on the final piece. If the plane is out of reach inside the box, the
 * step goes to the box corner nearest to it (λ = 1). t, w: [n, D]; b: [n]. Returns d [n, D].
 *
 * How it is computed (fast, same result as running the bisection): reach, evaluated in float32
 * by the backend, is still monotone in λ (every term and every rounded addition is), so the
 * bisection's end point is fixed by where reach crosses the need on the grid of multiples of
 * δ = 2^−bisections: hi = the smallest grid point in (0,1) with reach(hi) ≥ need (1 if none),
 * lo = hi − δ. We find λ* on the host in float64 (Newton on the concave, piecewise-linear
 * reach), move to the grid crossing of the host's emulation of the backend's float32 reach,
 * and check that point and the one below with the backend's own reach (the same Multiply and
 * Sum kernels on the same [n, D] shapes as the bisection, so the same bits); rows whose check
 * fails (an emulation that does not match the backend) are bisected exactly on the backend. Then lo, hi
 * and the interpolation are the bisection's. Element-wise min/select run on the host (exact;
 * tfjs-wasm's broadcasting Minimum/Greater cost ~40 ms per [260, 3072] pass). On GPU backends
 * (webgpu, webgl), where those passes are cheap and reading back is not, it runs the bisection
 * itself (projectByBisection).
 */
export async function projectLinfHyperplane(
  t: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  bisections = 24,
): Promise<tf.Tensor2D> {
  const [n, d] = t.shape;
  if (n === 0) return tf.zeros([0, d]);
  if (GPU_BACKENDS.includes(tf.getBackend())) return projectByBisection(t, w, b, bisections);
  // c, the side of the plane and dir come from the backend's own kernels (tfjs-wasm's Sign
  // returns 0 for subnormal inputs, Math.sign does not).
  const { cT, dirT } = tf.tidy(() => {
    const c = tf.sub(b, tf.sum(tf.mul(w, t), 1));
    const s = tf.where(tf.greaterEqual(c, 0), tf.onesLike(c), tf.neg(tf.onesLike(c)));
    return { cT: c, dirT: tf.mul(tf.sign(w), tf.reshape(s, [-1, 1])) };
  });
  const absWT = tf.abs(w);
  const [cv, tv, wv, dir] = (await Promise.all([
    cT.data(),
    t.data(),
    w.data(),
    dirT.data(),
  ])) as Float32Array[];
  tf.dispose([cT, dirT]);
  const size = n * d;
  const absW = new Float32Array(size);
  const cap = new Float32Array(size);
  const need = new Float32Array(n);
  for (let i = 0; i < n; i++) need[i] = Math.abs(cv[i]);
  for (let k = 0; k < size; k++) {
    absW[k] = Math.abs(wv[k]);
    cap[k] = dir[k] > 0 ? 1 - tv[k] : dir[k] < 0 ? tv[k] : 0;
  }
  const delta = 2 ** -bisections;
  const top = 2 ** bisections;
  /** reach(k_i·δ) per row on the backend: Σ_j |w_ij|·min(k_i·δ, cap_ij), float32. */
  const reachAt = async (k: Float64Array): Promise<Float32Array> => {
    const m = new Float32Array(size);
    for (let i = 0; i < n; i++) {
      const lam = Math.fround(k[i] * delta);
      for (let j = i * d; j < (i + 1) * d; j++) m[j] = Math.min(lam, cap[j]);
    }
    const r = tf.tidy(() => tf.sum(tf.mul(absWT, tf.tensor2d(m, [n, d])), 1));
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return out;
  };
  // hi = kHi·δ. Invariant of the exact search: P(kLo) false (or kLo = 0, never tested) and
  // P(kHi) true (or kHi = top, never tested), P(k) = reach(k·δ) ≥ need.
  const kLo = new Float64Array(n);
  const kHi = new Float64Array(n);
  const guess = new Float64Array(n);
  // The host's guess: Newton's λ*, then the crossing of reach as the host computes it in the
  // backend's summation order (sequential float32 on wasm, float64 then rounded on cpu).
  const f64Sum = tf.getBackend() === 'cpu';
  for (let i = 0; i < n; i++) {
    const lam = newtonRoot(absW, cap, i * d, d, need[i]);
    const g = Math.min(Math.max(Math.ceil(lam / delta), 1), top);
    guess[i] = crossing(g, top, (k) => hostReach(absW, cap, i * d, d, k * delta, f64Sum) >= need[i]);
  }
  // Check the guess and the grid point below it.
  const probeHi = Float64Array.from(guess, (g) => Math.min(g, top - 1));
  const probeLo = Float64Array.from(guess, (g) => Math.max(g - 1, 1));
  const [rHi, rLo] = [await reachAt(probeHi), await reachAt(probeLo)];
  for (let i = 0; i < n; i++) {
    const g = guess[i];
    const pHi = g >= top ? true : rHi[i] >= need[i];
    const pLo = g - 1 <= 0 ? false : rLo[i] >= need[i];
    if (pHi && !pLo) [kLo[i], kHi[i]] = [g - 1, g];
    else if (!pHi) [kLo[i], kHi[i]] = [g, top];
    else [kLo[i], kHi[i]] = [0, g - 1];
  }
  // Exact bisection where the guess was off (rare: float32 rounding moved the crossing).
  for (;;) {
    const open: number[] = [];
    for (let i = 0; i < n; i++) if (kHi[i] - kLo[i] > 1) open.push(i);
    if (open.length === 0) break;
    const mid = Float64Array.from(kHi, (h, i) => (h - kLo[i] > 1 ? Math.floor((kLo[i] + h) / 2) : h));
    const r = await reachAt(mid);
    for (const i of open) {
      if (r[i] >= need[i]) kHi[i] = mid[i];
      else kLo[i] = mid[i];
    }
  }
  // The bisection's closing step, with its kernels: interpolate on the last piece.
  const reachLo = kLo.every((k, i) => k === probeLo[i]) ? rLo : await reachAt(kLo);
  const above = new Float32Array(size);
  for (let i = 0; i < n; i++) {
    const lo = Math.fround(kLo[i] * delta);
    for (let j = i * d; j < (i + 1) * d; j++) above[j] = cap[j] > lo ? 1 : 0;
  }
  const lamT = tf.tidy(() => {
    const lo = tf.tensor1d(Float32Array.from(kLo, (k) => k * delta));
    const hi = tf.tensor1d(Float32Array.from(kHi, (k) => k * delta));
    const slope = tf.sum(tf.mul(absWT, tf.tensor2d(above, [n, d])), 1);
    const exact = tf.add(
      lo,
      tf.div(tf.sub(tf.tensor1d(need), tf.tensor1d(reachLo)), tf.maximum(slope, 1e-30)),
    );
    return tf.minimum(tf.maximum(exact, lo), hi);
  });
  absWT.dispose();
  const lamV = (await lamT.data()) as Float32Array;
  lamT.dispose();
  const out = new Float32Array(size);
  for (let i = 0; i < n; i++)
    for (let j = i * d; j < (i + 1) * d; j++) out[j] = dir[j] * Math.min(lamV[i], cap[j]);
  return tf.tensor2d(out, [n, d]);
}

const GPU_BACKENDS = ['webgpu', 'webgl'];

/**
 * The projection as defined: `bisections` halvings of [0,1] on the backend's float32 reach, then
 * linear interpolation on the last piece, all as tensor ops (the workbench's original code, and
 * what projectLinfHyperplane must equal bit for bit).
 */
export function projectByBisection(
  t: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  bisections = 24,
): tf.Tensor2D {
  return tf.tidy(() => {
    const c = tf.sub(b, tf.sum(tf.mul(w, t), 1));
    const s = tf.where(tf.greaterEqual(c, 0), tf.onesLike(c), tf.neg(tf.onesLike(c)));
    const dir = tf.mul(tf.sign(w), tf.reshape(s, [-1, 1]));
    const cap = tf.where(tf.greater(dir, 0), tf.sub(1, t), tf.where(tf.less(dir, 0), t, tf.zerosLike(t)));
    const absW = tf.abs(w);
    const need = tf.abs(c);
    const reach = (lam: tf.Tensor) => tf.sum(tf.mul(absW, tf.minimum(tf.reshape(lam, [-1, 1]), cap)), 1);
    let lo: tf.Tensor = tf.zerosLike(c);
    let hi: tf.Tensor = tf.onesLike(c);
    for (let i = 0; i < bisections; i++) {
      const mid = tf.mul(tf.add(lo, hi), 0.5);
      const ok = tf.greaterEqual(reach(mid), need);
      hi = tf.where(ok, mid, hi);
      lo = tf.where(ok, lo, mid);
    }
    const slope = tf.sum(tf.mul(absW, tf.cast(tf.greater(cap, tf.reshape(lo, [-1, 1])), 'float32')), 1);
    const exact = tf.add(lo, tf.div(tf.sub(need, reach(lo)), tf.maximum(slope, 1e-30)));
    const lam = tf.minimum(tf.maximum(exact, lo), hi);
    return tf.mul(dir, tf.minimum(tf.reshape(lam, [-1, 1]), cap)) as tf.Tensor2D;
  });
}

/**
 * The smallest k in [1, top] with p(k), p monotone (false … true), p(top) taken as true and
 * p(0) as false, searched outward from the guess g (gallop, then bisect).
 */
function crossing(g: number, top: number, p: (k: number) => boolean): number {
  const test = (k: number) => (k >= top ? true : k <= 0 ? false : p(k));
  let lo = g - 1,
    hi = g;
  if (!test(hi)) {
    for (let step = 1; !test(hi); step *= 2) [lo, hi] = [hi, Math.min(hi + step, top)];
  } else if (test(lo)) {
    for (let step = 1; test(lo); step *= 2) [hi, lo] = [lo, Math.max(lo - step, 0)];
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (test(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** reach(λ) of one row as the host's emulation of the backend: float32 products, then the sum. */
function hostReach(
  a: Float32Array,
  c: Float32Array,
  off: number,
  d: number,
  lam: number,
  f64Sum: boolean,
): number {
  let s = 0;
  if (f64Sum) {
    for (let j = off; j < off + d; j++) s += Math.fround(a[j] * Math.min(lam, c[j]));
    return Math.fround(s);
  }
  for (let j = off; j < off + d; j++) s = Math.fround(s + Math.fround(a[j] * Math.min(lam, c[j])));
  return s;
}

/**
 * λ ≥ 0 with Σ_j a_j·min(λ, c_j) = need (float64), by Newton from 0: the function is concave and
 * piecewise linear, so the iterates rise monotonically to the root. Infinity if unreachable.
 */
function newtonRoot(a: Float32Array, c: Float32Array, off: number, d: number, need: number): number {
  if (!(need > 0)) return need === 0 ? 0 : Infinity;
  let lam = 0;
  for (let it = 0; it < 64; it++) {
    let reach = 0,
      slope = 0;
    for (let j = off; j < off + d; j++) {
      const cj = c[j];
      if (cj > lam) {
        reach += a[j] * lam;
        slope += a[j];
      } else reach += a[j] * cj;
    }
    if (reach >= need) return lam;
    if (!(slope > 0) || lam >= 1) return Infinity;
    const next = lam + (need - reach) / slope;
    if (!(next > lam)) return lam;
    lam = next;
  }
  return lam;
}
