/**
 * The paper's claims as explicit typed comparisons with a margin and a minimum seed count, per
 * profile. Rows are experiment config ids (src/experiments/tables), the same ids the records
 * and the report use; the paper's numbers live in those configs, not here. verdict.ts turns
 * claims plus results into reproduced / not reproduced / inconclusive.
 */
import type { Profile } from '../../src/experiments/profiles';

/** A value a claim compares: one row's metric mean, or a reduction over several rows' (or metrics') means. */
export interface Ref {
  /** Defaults to the claim's own table. */
  table?: string;
  rows: string[];
  /** One metric, or several of each row (Table 14's superclasses). */
  metric: string | string[];
  /** How to combine several values; required when there is more than one. */
  reduce?: 'min' | 'max' | 'mean';
  /**
   * Skip metrics a row did not record, as long as it recorded one of them: Table 14's
   * superclasses that have no member in the stand-in aux set (Tiny-ImageNet has no airplane).
   */
  skipUnrecorded?: boolean;
}

interface ClaimBase {
  id: string;
  /** The claim in words, as the report prints it. */
  text: string;
  /** Fewer seeds than this for any row involved → inconclusive. */
  minSeeds: number;
}

/** left ≥ right − margin (the margin absorbs run-to-run noise smaller than the paper's effect). */
export interface AtLeastClaim extends ClaimBase {
  kind: 'atLeast';
  left: Ref;
  right: Ref;
  margin: number;
}

/** |ours − paper| ≤ tolerance for one row's metric. */
export interface MatchesPaperClaim extends ClaimBase {
  kind: 'matchesPaper';
  row: string;
  metric: string;
  tolerance: number;
}

/** max − min over the rows' means ≤ maxSpread (a flat, smooth curve). */
export interface SpreadClaim extends ClaimBase {
  kind: 'spreadAtMost';
  rows: string[];
  metric: string;
  maxSpread: number;
}

/** Smoke-level check: the notebook ran, recorded at least minRows rows, every value finite and in range. */
export interface IntegrityClaim extends ClaimBase {
  kind: 'integrity';
  minRows: number;
  /** Allowed range per metric name; '*' applies to every metric not listed. */
  ranges: Record<string, [number, number]>;
  /** Metrics that must equal a value wherever recorded, e.g. { passed: 1 } for theory checks. */
  mustEqual?: Record<string, number>;
}

export type Claim = AtLeastClaim | MatchesPaperClaim | SpreadClaim | IntegrityClaim;

/** The claims about one table (a paper table id, or 'theory'), per profile. */
export interface TableClaims {
  table: string;
  claims: Record<Profile, Claim[]>;
}

/** The smoke profile checks integrity, not paper numbers. */
export function smokeIntegrity(ranges: Record<string, [number, number]>, minRows = 1): IntegrityClaim[] {
  return [
    {
      kind: 'integrity',
      id: 'integrity',
      text: 'the notebook ran and recorded finite values in range',
      minSeeds: 1,
      minRows,
      ranges,
    },
  ];
}

export const ACCURACY_RANGE: [number, number] = [0, 100];
