/**
 * What each table should show: the paper's numbers, which of our datasets stands in for the
 * paper's, and the paper's claims as explicit typed comparisons with a margin and a minimum
 * seed count. verdict.ts turns these plus our results into reproduced / not reproduced /
 * inconclusive.
 */
export const PROFILES = ['smoke', 'small', 'paper'] as const;
export type Profile = (typeof PROFILES)[number];

export interface PaperRow {
  /** Row id our notebooks use in recordResult(table, row, ...). */
  row: string;
  /** The row as the paper labels it. */
  label: string;
  /** The paper's values per metric (accuracy or error in %, ratios in [0, 1]). */
  paper: Record<string, number>;
  /** The paper's standard deviations, where it gives them. */
  paperSd?: Record<string, number>;
  /** How we run it offline when it differs from the paper, e.g. 'MNIST-32 stands in for SVHN'. */
  standIn?: string;
  /** False when a dataset the row needs has no offline copy (the row stays inconclusive). */
  offline: boolean;
}

/** A value a claim compares: one row's metric mean, or a reduction over several rows' means. */
export interface Ref {
  /** Defaults to the claim's own table. */
  table?: string;
  rows: string[];
  metric: string;
  /** How to combine several rows; required when rows has more than one entry. */
  reduce?: 'min' | 'max' | 'mean';
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
  /** Metrics that must equal a value wherever recorded, e.g. { holds: 1 } for theory checks. */
  mustEqual?: Record<string, number>;
}

export type Claim = AtLeastClaim | MatchesPaperClaim | SpreadClaim | IntegrityClaim;

export interface MetricSpec {
  key: string;
  label: string;
}

export interface TableExpectation {
  /** The table id notebooks record under, e.g. 'table2'. */
  table: string;
  title: string;
  /** The catalog notebook that produces it. */
  notebook: string;
  metrics: MetricSpec[];
  /** The metric a bar chart of ours-vs-paper shows. */
  headlineMetric: string;
  rows: PaperRow[];
  /** Stand-in and data caveats every report of this table prints. */
  notes: string[];
  claims: Record<Profile, Claim[]>;
  /** Extra figure: 'line' plots headlineMetric over rows in order (e.g. γ); 'curves' plots recorded curves. */
  figure?: 'bars' | 'line' | 'curves';
}

/** Stand-in datasets and lossy copies: one sentence each, reused by every table. */
export const STAND_IN = {
  svhn: 'MNIST-32 (MNIST digits padded to 32×32×3) stands in for SVHN: both are digits, unrelated to CIFAR-10',
  imagenet:
    'Tiny-ImageNet-32 (200 classes, 100k images) stands in for downsampled ImageNet 32×32 (1000 classes, 1.28M)',
  cifar10Jpeg:
    'CIFAR-10 comes from a lossy JPEG copy (about 0.9 KB per image): close to, not identical with, the official binaries',
  unavailable: (what: string) => `No offline copy of ${what} here: rows that need it stay inconclusive`,
};

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

/** The accuracy columns of Tables 2–4: clean, PGD-100, CW-100, AutoAttack. */
export const CLEAN_PGD_CW_AA: MetricSpec[] = [
  { key: 'clean', label: 'Clean' },
  { key: 'pgd', label: 'PGD' },
  { key: 'cw', label: 'CW' },
  { key: 'aa', label: 'AA' },
];
