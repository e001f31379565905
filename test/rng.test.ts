import { Rng } from '../src/util/rng';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42),
      b = new Rng(42),
      c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.nextU32());
    const sb = Array.from({ length: 5 }, () => b.nextU32());
    const sc = Array.from({ length: 5 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });
  it('has uniform mean ≈ 1/2 and normal mean 0, variance 1', () => {
    const r = new Rng(1);
    const n = 200000;
    let su = 0,
      sn = 0,
      sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.02);
  });
  it('permutation is a permutation and forks are independent of each other', () => {
    const r = new Rng(7);
    const p = Array.from(r.permutation(100)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const f1 = new Rng(7).fork('data'),
      f2 = new Rng(7).fork('init');
    expect(f1.nextU32()).not.toEqual(f2.nextU32());
    expect(new Rng(7).fork('data').nextU32()).toEqual(new Rng(7).fork('data').nextU32());
  });
});
