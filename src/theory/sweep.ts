/**
 * Parameter sweeps over d, η, p: closed form vs Monte Carlo for the quantities that depend on
 * them (Lemma 2's robust coordinate on p, Theorem 1's gradient and Theorem 2's sign probabilities
 * on d and η). `npm run theory -- --sweep` prints them; every point must agree.
 */
import { Rng } from '../util/rng';
import * as closed from './closed-form';
import { fmt } from './checks';
import { Estimate, mcMean, mcProportion, nonRobustMean, nonRobustSignFraction } from './monte-carlo';
import { BASE_PARAMS, GaussianModelParams } from './model';

export interface SweepRow {
  quantity: string;
  params: GaussianModelParams;
  closedForm: number;
  monteCarlo: Estimate;
  agree: boolean;
  mcSeed: number;
}

export interface SweepOptions {
  seed: number;
  ds?: number[];
  etas?: number[];
  ps?: number[];
  /** Monte Carlo coordinates per point (samples × d) */
  budget?: number;
}

export function runSweep(opts: SweepOptions): SweepRow[] {
  const ds = opts.ds ?? [10, 100, 1000];
  const etas = opts.etas ?? [0.1, 0.3, 1];
  const ps = opts.ps ?? [0.6, 0.9];
  const budget = opts.budget ?? 200_000;
  const root = new Rng(opts.seed).fork('sweep');
  const rows: SweepRow[] = [];
  const add = (quantity: string, P: GaussianModelParams, c: number, mc: (rng: Rng) => Estimate) => {
    const mcSeed = root.fork(`${quantity}/${P.d}/${P.eta}/${P.p}`).seed;
    const m = mc(new Rng(mcSeed));
    rows.push({
      quantity,
      params: P,
      closedForm: c,
      monteCarlo: m,
      agree: Math.abs(c - m.mean) <= m.halfWidth,
      mcSeed,
    });
  };
  for (const p of ps) {
    const P = { ...BASE_PARAMS, d: 10, p };
    add('Lemma 2: E[ỹ·z̃*₁]', P, closed.lemma2Robust(P), (rng) =>
      mcMean(P, 'auxiliary', 4000, rng, (s) => s.label * s.zAdv[0]),
    );
  }
  for (const d of ds)
    for (const eta of etas) {
      const P = { ...BASE_PARAMS, d, eta };
      const n = Math.max(300, Math.round(budget / d));
      add('Thm 1: d·E[ỹ·∂ℓ̃/∂z̃*ᵢ]', P, closed.trueLabelGradient(P), (rng) =>
        mcMean(P, 'auxiliary', n, rng, (s) => s.label * d * nonRobustMean(s.gradAdv)),
      );
      add('Thm 2: P(sign z̃*ᵢ = −y_r)', P, closed.randomLabelCoordinateSign(P), (rng) =>
        mcMean(P, 'random-labels', n, rng, (s) =>
          s.target.kind === 'label' ? nonRobustSignFraction(s.zAdv, -s.target.label) : NaN,
        ),
      );
      add('Thm 2: P(sign mean z̃*ᵢ = −y_r)', P, closed.randomLabelAverageSign(P), (rng) =>
        mcProportion(
          P,
          'random-labels',
          n,
          rng,
          (s) => s.target.kind === 'label' && Math.sign(nonRobustMean(s.zAdv)) === -s.target.label,
        ),
      );
    }
  return rows;
}

export function formatSweepRow(r: SweepRow): string {
  const p = r.params;
  return `${r.agree ? 'agree   ' : 'DISAGREE'} sweep ${r.quantity} | d=${p.d} η=${p.eta} p=${p.p} | closed ${fmt(r.closedForm)}, MC ${fmt(r.monteCarlo.mean)} ± ${fmt(r.monteCarlo.halfWidth)}`;
}
