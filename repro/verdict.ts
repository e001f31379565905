/**
 * Turns results + expectations into verdicts. Three outcomes, never a silent pass:
 * - reproduced: the comparison holds (within its margin or tolerance) with enough seeds;
 * - not reproduced: it fails by more than two standard errors beyond the margin, a notebook
 *   crashed, or a notebook that ran left out a row it could have produced;
 * - inconclusive: too few seeds, the gap is within noise, the row needs a dataset with no
 *   offline copy, or its notebook is not built yet / was not run.
 * The standard error of a mean is sd/√n (0 for n = 1); a reduction over rows takes the largest.
 */
import type { Profile } from '../src/experiments/profiles';
import { rowKey, type MetricSummary, type RowSummary } from '../src/report/records';
import type { ClaimVerdict as Verdict } from '../src/report/verdicts';
import { mean } from '../src/util/stats';
import type { Claim, Ref, TableClaims } from './expectations/types';

export type { Verdict };

/** How a notebook's run went, as the verdicts need it. */
export type NotebookState = 'ok' | 'failed' | 'not built yet' | 'not run';

export interface ClaimResult {
  table: string;
  claim: Claim;
  verdict: Verdict;
  /** The numbers behind the verdict, in words. */
  evidence: string;
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
}

interface Resolved {
  value: number;
  se: number;
  n: number;
  label: string;
}

type Missing = { missing: string; fatal: boolean };

function se(m: MetricSummary): number {
  return m.n > 1 && Number.isFinite(m.sd) ? m.sd / Math.sqrt(m.n) : 0;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** Why a row has no value: not built / not run / failed / offline-unavailable are not the row's fault; a row the notebook could have produced but did not is. */
function whyMissing(ctx: VerdictContext, table: string, row: string, metric: string): Missing {
  const state = ctx.tableState(table);
  if (state === 'not built yet') return { missing: `${table}: its notebook is not built yet`, fatal: false };
  if (state === 'not run')
    return { missing: `${table}: its notebook was not run in this report`, fatal: false };
  if (state === 'failed') return { missing: `${table}: its notebook failed`, fatal: false };
  if (!ctx.available(row)) return { missing: `${row} needs a dataset with no offline copy`, fatal: false };
  return { missing: `${row} (${table}) has no recorded ${metric} although its notebook ran`, fatal: true };
}

function resolve(ctx: VerdictContext, table: string, ref: Ref): Resolved | Missing {
  const t = ref.table ?? table;
  const metrics = Array.isArray(ref.metric) ? ref.metric : [ref.metric];
  const parts: { mean: number; se: number; n: number }[] = [];
  for (const row of ref.rows) {
    const recorded = ctx.rows.get(rowKey(t, row))?.metrics;
    for (const metric of metrics) {
      const m = recorded?.[metric];
      if (m) parts.push({ mean: m.mean, se: se(m), n: m.n });
      else if (!(ref.skipUnrecorded && recorded)) return whyMissing(ctx, t, row, metric);
    }
  }
  if (parts.length === 0) return whyMissing(ctx, t, ref.rows[0], metrics.join('/'));
  const means = parts.map((p) => p.mean);
  const reduce = ref.reduce ?? 'mean';
  const value = reduce === 'min' ? Math.min(...means) : reduce === 'max' ? Math.max(...means) : mean(means);
  const label =
    parts.length === 1 && ref.rows.length === 1
      ? `${t === table ? '' : `${t}: `}${ref.rows[0]} ${metrics[0]}`
      : `${reduce} over ${parts.length} values of ${metrics.length > 1 ? metrics.join('/') : metrics[0]}`;
  return {
    value,
    se: Math.max(...parts.map((p) => p.se)),
    n: Math.min(...parts.map((p) => p.n)),
    label,
  };
}

function isMissing(r: Resolved | Missing): r is Missing {
  return 'missing' in r;
}

/** Three-way decision: holds → reproduced; fails but within 2 SE → inconclusive; else not reproduced. */
function decide(slack: number, twoSe: number): Verdict {
  if (slack >= 0) return 'reproduced';
  return slack + twoSe >= 0 ? 'inconclusive' : 'not reproduced';
}

export function evaluateClaim(ctx: VerdictContext, table: string, claim: Claim): ClaimResult {
  const done = (verdict: Verdict, evidence: string): ClaimResult => ({ table, claim, verdict, evidence });
  const missing = (m: Missing) => done(m.fatal ? 'not reproduced' : 'inconclusive', m.missing);
  const fewSeeds = (n: number) => n < claim.minSeeds;

  switch (claim.kind) {
    case 'integrity': {
      const state = ctx.tableState(table);
      if (state === 'failed') return done('not reproduced', 'the notebook failed');
      if (state !== 'ok')
        return done(
          'inconclusive',
          `the notebook ${state === 'not run' ? 'was not run' : 'is not built yet'}`,
        );
      const rows = [...ctx.rows.values()].filter((r) => r.table === table);
      if (rows.length < claim.minRows) {
        return done('not reproduced', `${rows.length} row(s) recorded, at least ${claim.minRows} expected`);
      }
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
      if (problems.length > 0) return done('not reproduced', problems.slice(0, 5).join('; '));
      return done(
        'reproduced',
        `notebook ran; ${rows.length} row(s), ${values} value(s), all finite and in range`,
      );
    }
    case 'atLeast': {
      const l = resolve(ctx, table, claim.left);
      if (isMissing(l)) return missing(l);
      const r = resolve(ctx, table, claim.right);
      if (isMissing(r)) return missing(r);
      const diff = l.value - r.value;
      const twoSe = 2 * Math.sqrt(l.se ** 2 + r.se ** 2);
      const evidence = `${l.label} ${fmt(l.value)} (n=${l.n}) vs ${r.label} ${fmt(r.value)} (n=${r.n}): Δ ${diff >= 0 ? '+' : ''}${fmt(diff)}, margin ${claim.margin}, 2·SE ${fmt(twoSe)}`;
      if (fewSeeds(Math.min(l.n, r.n)))
        return done('inconclusive', `${evidence}; needs ≥ ${claim.minSeeds} seeds`);
      return done(decide(diff + claim.margin, twoSe), evidence);
    }
    case 'matchesPaper': {
      const paper = ctx.paper(claim.row, claim.metric);
      if (paper === undefined) return done('inconclusive', `no paper value for ${claim.row} ${claim.metric}`);
      const ours = resolve(ctx, table, { rows: [claim.row], metric: claim.metric });
      if (isMissing(ours)) return missing(ours);
      const delta = ours.value - paper;
      const evidence = `ours ${fmt(ours.value)} (n=${ours.n}) vs paper ${fmt(paper)}: Δ ${delta >= 0 ? '+' : ''}${fmt(delta)}, tolerance ±${claim.tolerance}`;
      if (fewSeeds(ours.n)) return done('inconclusive', `${evidence}; needs ≥ ${claim.minSeeds} seeds`);
      return done(decide(claim.tolerance - Math.abs(delta), 2 * ours.se), evidence);
    }
    case 'spreadAtMost': {
      const parts: Resolved[] = [];
      for (const row of claim.rows) {
        const p = resolve(ctx, table, { rows: [row], metric: claim.metric });
        if (isMissing(p)) return missing(p);
        parts.push(p);
      }
      const values = parts.map((p) => p.value);
      const spread = Math.max(...values) - Math.min(...values);
      const n = Math.min(...parts.map((p) => p.n));
      const twoSe = 2 * Math.max(...parts.map((p) => p.se));
      const evidence = `${claim.metric} from ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))} over ${parts.length} rows: spread ${fmt(spread)}, allowed ${claim.maxSpread}`;
      if (fewSeeds(n)) return done('inconclusive', `${evidence}; needs ≥ ${claim.minSeeds} seeds`);
      return done(decide(claim.maxSpread - spread, twoSe), evidence);
    }
  }
}

export function evaluateTable(ctx: VerdictContext, claims: TableClaims): ClaimResult[] {
  return claims.claims[ctx.profile].map((c) => evaluateClaim(ctx, claims.table, c));
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
  if (ctx.profile !== 'paper') return `${ctx.profile} scale: see claims`;
  if (row.standIn) return 'stand-in data: see claims';
  const deltas = Object.entries(row.paper)
    .map(([k, p]) => (summary.metrics[k] ? Math.abs(summary.metrics[k].mean - p) : NaN))
    .filter((d) => !Number.isNaN(d));
  if (deltas.length === 0) return 'missing';
  return deltas.every((d) => d <= tolerance) ? `within ±${tolerance}` : `differs by > ${tolerance}`;
}
