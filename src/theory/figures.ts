/**
 * Plotly figure specs (data + layout JSON) of the theory sweeps: gradient signal vs ρ, sign
 * agreement vs η, robust-weight drift vs batch size. Closed forms as lines, seeded Monte Carlo
 * (and optionally in-vivo) points with their intervals. Specs are plain JSON so a harness can
 * render PNGs; figuresHtml() makes a standalone offline page with plotly.js inlined.
 */
import type { FigureSpec } from '../util/figure';
import { Rng } from '../util/rng';
import * as closed from './closed-form';
import { mcBatchMeanSquare, mcMean, nonRobustMean, nonRobustSignFraction } from './monte-carlo';
import { BASE_PARAMS, GaussianModelParams, RHO_PLACEMENTS } from './model';
import { normalCdf } from './math';
import { IN_VIVO_DEFAULTS, robustDrift, trainInVivo } from './in-vivo';

export type { FigureSpec };

export interface FigureOptions {
  seed: number;
  params?: Partial<GaussianModelParams>;
  /** Monte Carlo samples per point at d = 400 */
  samples?: number;
  /** add in-vivo drift points to the batch-size figure (tfjs; a few seconds) */
  inVivo?: boolean;
}

const grid = (lo: number, hi: number, n: number) =>
  Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Gradient signal vs ρ for each ρ placement: |d·E[ỹ ∂ℓ̃/∂z̃*ᵢ]| and the embedding signal. */
export function gradientVsRho(opts: FigureOptions): FigureSpec {
  const base = { ...BASE_PARAMS, ...opts.params };
  const rhos = grid(0, 1, 41);
  const mcRhos = [0, 0.25, 0.5, 0.75, 1];
  const n = Math.round(((opts.samples ?? 600) * 400) / base.d);
  const root = new Rng(opts.seed).fork('figure/gradient-vs-rho');
  const data: Record<string, unknown>[] = [];
  RHO_PLACEMENTS.forEach((placement, k) => {
    const at = (rho: number): GaussianModelParams => ({ ...base, rho, placement, w1: 0 });
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${placement}: |d·E[∂ℓ̃/∂z̃*ᵢ]| (closed form)`,
      x: rhos,
      y: rhos.map((r) => -closed.trueLabelGradient(at(r))),
      line: { color: COLORS[k] },
    });
    const mc = mcRhos.map((r) =>
      mcMean(
        at(r),
        'auxiliary',
        n,
        root.fork(`${placement}/${r}`),
        (s) => -s.label * base.d * nonRobustMean(s.gradAdv),
      ),
    );
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `${placement}: Monte Carlo`,
      x: mcRhos,
      y: mc.map((e) => e.mean),
      error_y: { type: 'data', array: mc.map((e) => e.halfWidth), visible: true },
      marker: { color: COLORS[k] },
    });
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${placement}: d·E[∂ℓ̃/∂z̃*ᵢ·z̃*ᵢ] (embedding signal)`,
      x: rhos,
      y: rhos.map((r) => closed.trueLabelEmbeddingSignal(at(r))),
      line: { color: COLORS[k], dash: 'dash' },
      yaxis: 'y2',
    });
  });
  return {
    id: 'gradient-vs-rho',
    title: 'Theorem 4: auxiliary training signal vs correlation ρ',
    data,
    layout: {
      title: { text: `Auxiliary gradient signal vs ρ (d=${base.d}, η=${base.eta}, p=${base.p})` },
      xaxis: { title: { text: 'ρ' } },
      yaxis: { title: { text: '|d·E[ỹ ∂ℓ̃/∂z̃*ᵢ]| (solid)' } },
      yaxis2: { title: { text: 'd·E[∂ℓ̃/∂z̃*ᵢ · z̃*ᵢ] (dashed)' }, overlaying: 'y', side: 'right' },
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}

/** Sign-agreement probabilities vs η: single coordinates (Φ(η), Φ(3η)) and coordinate averages. */
export function signAgreementVsEta(opts: FigureOptions): FigureSpec {
  const base = { ...BASE_PARAMS, ...opts.params };
  const etas = grid(0.01, 1, 60);
  const mcEtas = [0.05, 0.2, 0.5, 1];
  const n = Math.round(((opts.samples ?? 600) * 400) / base.d);
  const root = new Rng(opts.seed).fork('figure/sign-vs-eta');
  const at = (eta: number): GaussianModelParams => ({ ...base, eta, rho: 1, placement: 'mean', w1: 0 });
  const data: Record<string, unknown>[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: 'Thm 1, one coordinate: Φ(η)',
      x: etas,
      y: etas.map(normalCdf),
      line: { color: COLORS[0] },
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: 'Thm 2, one coordinate: ½Φ(η)+½Φ(3η)',
      x: etas,
      y: etas.map((e) => closed.randomLabelCoordinateSign(at(e))),
      line: { color: COLORS[1] },
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: 'Eq. 30, one coordinate (≈ Φ(3η))',
      x: etas,
      y: etas.map((e) => closed.uniformCoordinateSign(at(e))),
      line: { color: COLORS[2] },
    },
  ];
  for (const [k, d] of [10, 100, base.d].entries()) {
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `Thm 2, average of d=${d}: ½Φ(η√d)+½Φ(3η√d)`,
      x: etas,
      y: etas.map((e) => closed.randomLabelAverageSign({ ...at(e), d })),
      line: { color: COLORS[3 + k], dash: 'dot' },
    });
  }
  const thm1 = mcEtas.map((e) =>
    mcMean(at(e), 'auxiliary', n, root.fork(`thm1/${e}`), (s) =>
      nonRobustSignFraction(s.zAdv, Math.sign(s.gradAdv[1])),
    ),
  );
  const thm2 = mcEtas.map((e) =>
    mcMean(at(e), 'random-labels', n, root.fork(`thm2/${e}`), (s) =>
      s.target.kind === 'label' ? nonRobustSignFraction(s.zAdv, -s.target.label) : NaN,
    ),
  );
  for (const [k, [name, est]] of (
    [
      ['Thm 1 Monte Carlo', thm1],
      ['Thm 2 Monte Carlo', thm2],
    ] as const
  ).entries())
    data.push({
      type: 'scatter',
      mode: 'markers',
      name,
      x: mcEtas,
      y: est.map((e) => e.mean),
      error_y: { type: 'data', array: est.map((e) => e.halfWidth), visible: true },
      marker: { color: COLORS[k] },
    });
  return {
    id: 'sign-agreement-vs-eta',
    title: 'Sign agreement vs η',
    data,
    layout: {
      title: { text: `P(sign of adversarial feature = predicted sign) vs η (d=${base.d})` },
      xaxis: { title: { text: 'η' } },
      yaxis: { title: { text: 'probability' }, range: [0.45, 1.02] },
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}

/** Robust-weight drift vs batch size under random labels (Thm 3): per-batch RMS signal vs its limit. */
export function robustDriftVsBatch(opts: FigureOptions): FigureSpec {
  const base: GaussianModelParams = {
    ...BASE_PARAMS,
    d: 100,
    rho: 1,
    placement: 'mean',
    w1: 0.25,
    ...opts.params,
  };
  const batches = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
  const mcBatches = [1, 4, 16, 64];
  const root = new Rng(opts.seed).fork('figure/drift-vs-batch');
  const mu = closed.randomLabelRobustSignal(base);
  const truth = closed.trueLabelRobustSignal(base);
  const mc = mcBatches.map((B) =>
    mcBatchMeanSquare(
      base,
      'random-labels',
      Math.max(200, Math.round(4000 / B)),
      B,
      root.fork(`${B}`),
      (s) => (s.label * s.gradAdv[0]) / base.w1,
    ),
  );
  const data: Record<string, unknown>[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: 'random labels: RMS of batch robust signal (closed form)',
      x: batches,
      y: batches.map((B) => Math.sqrt(closed.randomLabelRobustBatchMeanSquare(base, B))),
      line: { color: COLORS[1] },
    },
    {
      type: 'scatter',
      mode: 'markers',
      name: 'random labels: Monte Carlo',
      x: mcBatches,
      y: mc.map((e) => Math.sqrt(e.mean)),
      marker: { color: COLORS[1] },
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: 'random labels, infinite batch |μ|',
      x: batches,
      y: batches.map(() => Math.abs(mu)),
      line: { color: COLORS[1], dash: 'dot' },
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: 'true labels, infinite batch',
      x: batches,
      y: batches.map(() => Math.abs(truth)),
      line: { color: COLORS[0], dash: 'dot' },
    },
  ];
  if (opts.inVivo) {
    const vivoBatches = [2, 8, 32, 128, 512];
    const seeds = [0, 1, 2];
    const rms = vivoBatches.map((B) => {
      const drifts = seeds.map((s) =>
        robustDrift(
          trainInVivo({
            params: { ...base, d: IN_VIVO_DEFAULTS.d },
            primary: false,
            aux: { model: 'random-labels', w1: 1 / IN_VIVO_DEFAULTS.d },
            steps: 15,
            batch: B,
            lr: IN_VIVO_DEFAULTS.lrPerD * IN_VIVO_DEFAULTS.d,
            seed: opts.seed + s,
          }),
        ),
      );
      return Math.sqrt(drifts.reduce((a, x) => a + x * x, 0) / drifts.length);
    });
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'in vivo: RMS robust-weight drift after 15 steps (3 seeds)',
      x: vivoBatches,
      y: rms,
      yaxis: 'y2',
      line: { color: COLORS[3] },
    });
  }
  return {
    id: 'robust-drift-vs-batch',
    title: 'Theorem 3: robust signal per mini-batch vs batch size',
    data,
    layout: {
      title: {
        text: `Random labels move the robust feature per mini-batch (d=${base.d}, η=${base.eta}, w̃₁=${base.w1})`,
      },
      xaxis: { title: { text: 'batch size' }, type: 'log' },
      yaxis: { title: { text: 'RMS of ỹ·∂ℓ̃/∂z̃*₁/w̃₁ over a batch' }, type: 'log' },
      yaxis2: { title: { text: 'in vivo drift of v₁' }, overlaying: 'y', side: 'right', type: 'log' },
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}

export function buildFigures(opts: FigureOptions): FigureSpec[] {
  return [gradientVsRho(opts), signAgreementVsEta(opts), robustDriftVsBatch(opts)];
}
