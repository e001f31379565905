/**
 * Turns results + expectations into verdicts (the words: src/report/verdicts.ts), never a silent pass.
 *
 * Paper claims carry a 95% interval of the quantity they compare: its standard error combines
 * the spread over seeds (sample variance / n; unknown with one seed) and the test set's binomial
 * error (p(100 − p) / (n · N) for an accuracy p in % measured on N test images). The interval
 * decides: wholly on the claim's side of the margin → reproduced; wholly on the other side →
 * not reproduced; straddling it → inconclusive, with how many seeds or test images would
 * resolve it (80% power at the observed gap and spread). Fewer seeds than the claim asks, a row
 * that needs a dataset with no offline copy, or a notebook not built / not run → inconclusive; a
 * notebook that ran but left out a row it could have produced → not reproduced. Claims defined
 * only for other profiles are "not tested at this profile".
 *
 * Integrity checks (ran, finite, in range) pass, fail, or were not run.
 */
import type { Profile } from '../src/experiments/profiles';
import { rowKey, type MetricSummary, type RowSummary } from '../src/report/records';
import {
  CONFIDENCE,
  POWER,
  Z_CONFIDENCE,
  Z_POWER,
  type ClaimVerdict,
  type IntegrityVerdict,
  type Verdict,
} from '../src/report/verdicts';
import { mean } from '../src/util/stats';
import type { Claim, Ref, TableClaims } from './expectations/types';

export type { Verdict };

/** How a notebook's run went, as the verdicts need it. */
export type NotebookState = 'ok' | 'failed' | 'not built yet' | 'not run';

/** A claim's compared quantity with its interval, and what the claim needs of it. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  confidence: number;
  /** The region the claim needs the interval in, in words: '≥ −1.00', 'within ±2.00', '≤ 3.00'. */
  needs: string;
  /** What the standard error is made of. */
  basis: string;
}

export interface ClaimResult {
  table: string;
  claim: Claim;
  verdict: Verdict;
  /** The numbers behind the verdict, in words. */
  evidence: string;
  interval?: Interval;
  /** For an inconclusive claim: how many seeds or test images would resolve it. */
  resolve?: string;
}

export interface VerdictContext {
  profile: Profile;
  rows: Map<string, RowSummary>;
  /** State of the notebook that produces each table. */
  tableState: (table: string) => NotebookState;
  /** The paper's value of a row's metric (the row's experiment config), if any. */
  paper: (row: string, metric: string) => number | undefined;
  /** Whether a row can run at this profile here (false: a dataset with no stand-in and no import). */
  available: (row: string) => boolean;
  /**
   * Whether the profile measures a row's metric at all (AutoAttack runs only at paper scale): a
   * claim on a metric it does not measure is not tested at this profile. Default: every metric.
   */
  measured?: (row: string, metric: string) => boolean;
}

/**
 * A compared value and its variance per seed: var(value) = (vSeed + vBin) / n. vSeed is the
 * spread over seeds (0 when unknown: fewer than 2 seeds), vBin the binomial error of one seed's
 * evaluation on `images` test images (0 when the value is not a test-set accuracy).
 */
interface Stat {
  value: number;
  n: number;
  vSeed: number;
  vBin: number;
  seedKnown: boolean;
  images?: number;
  testSet?: number;
  label: string;
}

/** Why a compared value is absent; `untested`: the profile does not measure it (not the run's fault). */
type Missing = { missing: string; fatal: boolean; untested?: boolean };

function statOf(m: MetricSummary): Omit<Stat, 'label'> {
  const seedKnown = m.n > 1 && Number.isFinite(m.sd);
  const p = Math.min(100, Math.max(0, m.mean));
  return {
    value: m.mean,
    n: m.n,
    vSeed: seedKnown ? m.sd ** 2 : 0,
    vBin: m.testImages ? (p * (100 - p)) / m.testImages : 0,
    seedKnown,
    images: m.testImages,
    testSet: m.testSetImages,
  };
}

const variance = (s: Omit<Stat, 'label'>) => (s.vSeed + s.vBin) / s.n;

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
}

/** Why a row has no value: not built / not run / failed / offline-unavailable are not the row's fault; a row the notebook could have produced but did not is. */
function whyMissing(ctx: VerdictContext, table: string, row: string, metric: string): Missing {
  if (ctx.measured && !ctx.measured(row, metric))
    return {
      missing: `the ${ctx.profile} profile does not measure ${metric} (${row})`,
      fatal: false,
      untested: true,
    };
  const state = ctx.tableState(table);
  if (state === 'not built yet') return { missing: `${table}: its notebook is not built yet`, fatal: false };
  if (state === 'not run')
    return { missing: `${table}: its notebook was not run in this report`, fatal: false };
  if (state === 'failed') return { missing: `${table}: its notebook failed`, fatal: false };
  if (!ctx.available(row)) return { missing: `${row} needs a dataset with no offline copy`, fatal: false };
  return { missing: `${row} (${table}) has no recorded ${metric} although its notebook ran`, fatal: true };
}

/** One row's metric, or a reduction (min / max / mean) over several rows' or metrics' means. */
function resolve(ctx: VerdictContext, table: string, ref: Ref): Stat | Missing {
  const t = ref.table ?? table;
  const metrics = Array.isArray(ref.metric) ? ref.metric : [ref.metric];
  const parts: Omit<Stat, 'label'>[] = [];
  for (const row of ref.rows) {
    const recorded = ctx.rows.get(rowKey(t, row))?.metrics;
    for (const metric of metrics) {
      const m = recorded?.[metric];
      if (ctx.measured && !ctx.measured(row, metric)) return whyMissing(ctx, t, row, metric);
      if (m) parts.push(statOf(m));
      else if (!(ref.skipUnrecorded && recorded)) return whyMissing(ctx, t, row, metric);
    }
  }
  if (parts.length === 0) return whyMissing(ctx, t, ref.rows[0], metrics.join('/'));
  const reduce = ref.reduce ?? 'mean';
  const label =
    parts.length === 1 && ref.rows.length === 1
      ? `${t === table ? '' : `${t}: `}${ref.rows[0]} ${metrics[0]}`
      : `${reduce} over ${parts.length} values of ${metrics.length > 1 ? metrics.join('/') : metrics[0]}`;
  let stat: Omit<Stat, 'label'>;
  if (parts.length === 1) stat = parts[0];
  else if (reduce === 'mean') {
    // The mean of k values: its variance is the sum of theirs over k² (each per-seed term too).
    const k = parts.length;
    const n = Math.min(...parts.map((p) => p.n));
    stat = {
      value: mean(parts.map((p) => p.value)),
      n,
      vSeed: parts.reduce((a, p) => a + (p.vSeed * n) / p.n, 0) / k ** 2,
      vBin: parts.reduce((a, p) => a + (p.vBin * n) / p.n, 0) / k ** 2,
      seedKnown: parts.every((p) => p.seedKnown),
      images: Math.min(...parts.map((p) => p.images ?? Infinity)),
      testSet: parts.find((p) => p.testSet)?.testSet,
    };
  } else {
    // min / max: the extreme row's value and uncertainty.
    const pick = parts.reduce((a, p) => ((reduce === 'min' ? p.value < a.value : p.value > a.value) ? p : a));
    stat = { ...pick, n: Math.min(...parts.map((p) => p.n)) };
  }
  if (stat.images === Infinity) stat.images = undefined;
  return { ...stat, label };
}

function isMissing(r: Stat | Missing): r is Missing {
  return 'missing' in r;
}

/** left − right, the two independent. */
function difference(l: Stat, r: Stat): Stat & { se: number } {
  const se = Math.sqrt(variance(l) + variance(r));
  const images = l.images && r.images ? Math.min(l.images, r.images) : (l.images ?? r.images);
  return {
    value: l.value - r.value,
    n: Math.min(l.n, r.n),
    vSeed: l.vSeed + r.vSeed,
    vBin: l.vBin + r.vBin,
    seedKnown: l.seedKnown && r.seedKnown,
    images,
    testSet: l.testSet ?? r.testSet,
    label: `${l.label} − ${r.label}`,
    se,
  };
}

function basisOf(s: Stat): string {
  const parts = [
    s.seedKnown ? `spread over ${s.n} seeds` : `seed spread unknown (n=${s.n})`,
    s.images ? `binomial error on ${s.images} test images` : 'no test-set binomial term (not an accuracy)',
  ];
  return parts.join(' + ');
}

/**
 * How many seeds (per row) or test images would resolve a claim whose interval straddles its
 * boundary, at the observed gap `gap` between the estimate and the boundary and the observed
 * per-seed variance: the n with (z_{95%} + z_{80%})·se(n) ≤ gap.
 */
export function resolveText(s: Stat, gap: number): string {
  if (!(gap > 0)) return 'the estimate sits on the boundary: no number of seeds resolves it';
  const z = Z_CONFIDENCE + Z_POWER;
  const target = (gap / z) ** 2; // the variance the claim's value may have
  const seeds = Math.ceil((s.vSeed + s.vBin) / target);
  const out = [
    s.seedKnown
      ? `≈ ${seeds} seeds per row (now ${s.n})`
      : `at least 2 seeds per row to measure the seed spread (now ${s.n}; the test-set error alone asks ${Math.max(seeds, 2)})`,
  ];
  if (s.images && s.vBin > 0) {
    // vSeed/n + B/(n·N) ≤ target, with B = vBin·images the binomial numerator.
    const room = s.n * target - s.vSeed;
    if (room <= 0) out.push('more test images alone cannot (the seed spread is wider than the gap)');
    else {
      const images = Math.ceil((s.vBin * s.images) / room);
      out.push(
        s.testSet && images > s.testSet
          ? `more test images than the test set holds (${images} > ${s.testSet})`
          : `≈ ${images} test images with ${s.n} seed(s) (now ${s.images}${s.testSet ? ` of ${s.testSet}` : ''})`,
      );
    }
  }
  return `${out.join(', or ')} would resolve it (${POWER * 100}% power at ${CONFIDENCE * 100}% confidence, assuming the observed gap and spread)`;
}

/** The interval of `s` against a boundary, and the verdict it gives. `side`: which side the claim needs. */
function judge(
  s: Stat & { se?: number },
  accept: { lo: number; hi: number },
  needs: string,
): { verdict: ClaimVerdict; interval: Interval; gap: number } {
  const se = s.se ?? Math.sqrt(variance(s));
  const lo = s.value - Z_CONFIDENCE * se;
  const hi = s.value + Z_CONFIDENCE * se;
  const interval = { estimate: s.value, lo, hi, confidence: CONFIDENCE, needs, basis: basisOf(s) };
  const inside = lo >= accept.lo && hi <= accept.hi;
  const outside = hi < accept.lo || lo > accept.hi;
  // Distance from the estimate to the nearest boundary of the accepted region.
  const gap = Math.min(Math.abs(s.value - accept.lo), Math.abs(s.value - accept.hi));
  return { verdict: inside ? 'reproduced' : outside ? 'not reproduced' : 'inconclusive', interval, gap };
}

function integrity(ctx: VerdictContext, table: string, claim: Extract<Claim, { kind: 'integrity' }>) {
  const done = (verdict: IntegrityVerdict, evidence: string): ClaimResult => ({
    table,
    claim,
    verdict,
    evidence,
  });
  const state = ctx.tableState(table);
  if (state === 'failed') return done('failed', 'the notebook failed');
  if (state !== 'ok')
    return done('not run', `the notebook ${state === 'not run' ? 'was not run' : 'is not built yet'}`);
  const rows = [...ctx.rows.values()].filter((r) => r.table === table);
  if (rows.length < claim.minRows)
    return done('failed', `${rows.length} row(s) recorded, at least ${claim.minRows} expected`);
  const problems: string[] = [];
  let values = 0;
  for (const r of rows) {
    for (const [name, m] of Object.entries(r.metrics)) {
      const [lo, hi] = claim.ranges[name] ?? claim.ranges['*'] ?? [-Infinity, Infinity];
      for (const v of m.values) {
        values++;
        if (!Number.isFinite(v)) problems.push(`${r.row} ${name} = ${v} (not finite)`);
        else if (v < lo || v > hi) problems.push(`${r.row} ${name} = ${v} outside [${lo}, ${hi}]`);
        const want = claim.mustEqual?.[name];
        if (want !== undefined && v !== want) problems.push(`${r.row} ${name} = ${v}, expected ${want}`);
      }
    }
  }
  if (problems.length > 0) return done('failed', problems.slice(0, 5).join('; '));
  return done('passed', `notebook ran; ${rows.length} row(s), ${values} value(s), all finite and in range`);
}

export function evaluateClaim(ctx: VerdictContext, table: string, claim: Claim): ClaimResult {
  if (claim.kind === 'integrity') return integrity(ctx, table, claim);
  const done = (verdict: ClaimVerdict, evidence: string, extra: Partial<ClaimResult> = {}): ClaimResult => ({
    table,
    claim,
    verdict,
    evidence,
    ...extra,
  });
  const missing = (m: Missing) =>
    done(m.untested ? 'not tested at this profile' : m.fatal ? 'not reproduced' : 'inconclusive', m.missing);
  /** The interval's verdict, unless there are fewer seeds than the claim asks. */
  const finish = (s: Stat, j: ReturnType<typeof judge>, evidence: string): ClaimResult => {
    if (s.n < claim.minSeeds)
      return done('inconclusive', `${evidence}; needs ≥ ${claim.minSeeds} seeds`, {
        interval: j.interval,
        resolve: `${claim.minSeeds} seeds per row (the claim's minimum; now ${s.n})`,
      });
    return done(j.verdict, evidence, {
      interval: j.interval,
      ...(j.verdict === 'inconclusive' ? { resolve: resolveText(s, j.gap) } : {}),
    });
  };

  switch (claim.kind) {
    case 'atLeast': {
      const l = resolve(ctx, table, claim.left);
      if (isMissing(l)) return missing(l);
      const r = resolve(ctx, table, claim.right);
      if (isMissing(r)) return missing(r);
      const d = difference(l, r);
      const evidence = `${l.label} ${fmt(l.value)} (n=${l.n}) vs ${r.label} ${fmt(r.value)} (n=${r.n}): Δ ${signed(d.value)}, margin ${claim.margin}`;
      return finish(
        d,
        judge(d, { lo: -claim.margin, hi: Infinity }, `Δ ≥ ${signed(-claim.margin)}`),
        evidence,
      );
    }
    case 'matchesPaper': {
      const paper = ctx.paper(claim.row, claim.metric);
      if (paper === undefined) return done('inconclusive', `no paper value for ${claim.row} ${claim.metric}`);
      const ours = resolve(ctx, table, { rows: [claim.row], metric: claim.metric });
      if (isMissing(ours)) return missing(ours);
      const delta = { ...ours, value: ours.value - paper };
      const evidence = `ours ${fmt(ours.value)} (n=${ours.n}) vs paper ${fmt(paper)}: Δ ${signed(delta.value)}, tolerance ±${claim.tolerance}`;
      const j = judge(
        delta,
        { lo: -claim.tolerance, hi: claim.tolerance },
        `Δ within ±${fmt(claim.tolerance)}`,
      );
      return finish(delta, j, evidence);
    }
    case 'spreadAtMost': {
      const parts: Stat[] = [];
      for (const row of claim.rows) {
        const p = resolve(ctx, table, { rows: [row], metric: claim.metric });
        if (isMissing(p)) return missing(p);
        parts.push(p);
      }
      const lowest = parts.reduce((a, p) => (p.value < a.value ? p : a));
      const highest = parts.reduce((a, p) => (p.value > a.value ? p : a));
      const spread = difference(highest, lowest);
      const evidence = `${claim.metric} from ${fmt(lowest.value)} to ${fmt(highest.value)} over ${parts.length} rows: spread ${fmt(spread.value)}, allowed ${claim.maxSpread}`;
      const j = judge(spread, { lo: -Infinity, hi: claim.maxSpread }, `spread ≤ ${fmt(claim.maxSpread)}`);
      return finish(spread, j, evidence);
    }
  }
}

/**
 * A table's claims at the context's profile, then the paper claims defined only for other
 * profiles as "not tested at this profile" (one line per claim id).
 */
export function evaluateTable(ctx: VerdictContext, claims: TableClaims): ClaimResult[] {
  const here = claims.claims[ctx.profile];
  const results = here.map((c) => evaluateClaim(ctx, claims.table, c));
  const ids = new Set(here.map((c) => c.id));
  const elsewhere = new Map<string, { claim: Claim; profiles: Profile[] }>();
  for (const [profile, list] of Object.entries(claims.claims) as [Profile, Claim[]][]) {
    for (const c of list) {
      if (c.kind === 'integrity' || ids.has(c.id)) continue;
      const seen = elsewhere.get(c.id);
      if (seen) seen.profiles.push(profile);
      else elsewhere.set(c.id, { claim: c, profiles: [profile] });
    }
  }
  for (const { claim, profiles } of elsewhere.values())
    results.push({
      table: claims.table,
      claim,
      verdict: 'not tested at this profile',
      evidence: `tested at the ${profiles.join(' and ')} profile${profiles.length > 1 ? 's' : ''}`,
    });
  return results;
}

/** What the per-row "verdict" column says: a paper comparison only where it is meaningful. */
export function rowVerdict(
  ctx: VerdictContext,
  table: string,
  row: { id: string; standIn: boolean; paper: Record<string, number> },
  summary: RowSummary | undefined,
  tolerance = 2.0,
): string {
  if (!summary) {
    const state = ctx.tableState(table);
    if (state !== 'ok') return state === 'failed' ? 'notebook failed' : state;
    return ctx.available(row.id) ? 'not run at this profile' : 'unavailable offline';
  }
  if (ctx.profile === 'smoke') return 'smoke scale: integrity only';
  if (ctx.profile !== 'paper') return `${ctx.profile} scale: see claims`;
  if (row.standIn) return 'stand-in data: see claims';
  const deltas = Object.entries(row.paper)
    .map(([k, p]) => (summary.metrics[k] ? Math.abs(summary.metrics[k].mean - p) : NaN))
    .filter((d) => !Number.isNaN(d));
  if (deltas.length === 0) return 'missing';
  return deltas.every((d) => d <= tolerance) ? `within ±${tolerance}` : `differs by > ${tolerance}`;
}
