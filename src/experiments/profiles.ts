/**
 * The three profiles, defined once: how far `scaleConfig` shrinks each paper config, which rows
 * the smoke profile runs, and what the harness (`npm run repro`) does per profile (seeds,
 * timeouts). Everything that says "smoke", "small" or "paper" reads this module.
 *
 * | profile | data (primary train / test / aux)   | model          | epochs | train attack | eval            | AutoAttack    |
 * |---------|-------------------------------------|----------------|--------|--------------|-----------------|---------------|
 * | smoke   | 1024 / 256 / 1024, batch 32 + 32    | small-cnn w8   | 1      | 2 steps      | PGD-5, CW-5     | 64 images     |
 * | small   | 5000 / 1000 / 5000, batch 128 + 128 | small-cnn w32  | 10     | 5 steps      | PGD-20, CW-20   | 500 images    |
 * | paper   | full                                | the paper's    | paper  | 10 steps     | PGD-100, CW-100 | all 10,000    |
 */
import { UserError } from '../util/errors';
import type { ExperimentConfig } from './schema';

export const PROFILES = ['smoke', 'small', 'paper'] as const;
export type Profile = (typeof PROFILES)[number];

/** The numbers `scaleConfig` puts into a paper config below paper scale. */
export interface ScaleNumbers {
  primaryTrain: number;
  primaryTest: number;
  aux: number;
  batch: number;
  model: ExperimentConfig['model'];
  epochs: number;
  trainSteps: number;
  evalSteps: number;
  /** PGD steps of the per-epoch evaluation that picks the reported checkpoint. */
  selectionSteps: number;
  /** Seeds of a config kept at this scale (the first ones). */
  maxSeeds: number;
  /** Descent steps of a robust dataset (Table 6). */
  robustDatasetSteps: number;
  /** Test images AutoAttack standard runs on (the first ones of the test subset). */
  autoattackImages: number;
}

export interface ProfileSpec {
  name: Profile;
  /** One sentence for reports and help texts. */
  description: string;
  /** Seeds the harness runs (one notebook run per seed where a notebook splits seeds). */
  seeds: number[];
  startTimeoutS: number;
  cellTimeoutS: number;
  /** null: the paper's own settings. */
  scale: ScaleNumbers | null;
}

export const PROFILE_SPECS: Record<Profile, ProfileSpec> = {
  smoke: {
    name: 'smoke',
    description:
      'minutes on a CPU: every notebook end to end at toy scale; checks integrity, not paper numbers',
    seeds: [0],
    startTimeoutS: 120,
    cellTimeoutS: 900,
    scale: {
      primaryTrain: 1024,
      primaryTest: 256,
      aux: 1024,
      batch: 32,
      model: { arch: 'small-cnn', width: 8 },
      epochs: 1,
      trainSteps: 2,
      evalSteps: 5,
      selectionSteps: 3,
      maxSeeds: 1,
      robustDatasetSteps: 10,
      // Enough to exercise AutoAttack's whole path and show its per-attack columns in seconds.
      autoattackImages: 64,
    },
  },
  small: {
    name: 'small',
    description: "hours on one GPU: scaled-down models and epochs; checks the paper's directional claims",
    seeds: [0, 1],
    startTimeoutS: 180,
    cellTimeoutS: 6 * 3600,
    scale: {
      primaryTrain: 5000,
      primaryTest: 1000,
      aux: 5000,
      batch: 128,
      model: { arch: 'small-cnn', width: 32 },
      epochs: 10,
      trainSteps: 5,
      evalSteps: 20,
      selectionSteps: 5,
      maxSeeds: 3,
      robustDatasetSteps: 100,
      autoattackImages: 500,
    },
  },
  paper: {
    name: 'paper',
    description: "the paper's settings (days of GPU time): directional claims and paper numbers",
    seeds: [0, 1, 2],
    startTimeoutS: 300,
    cellTimeoutS: 48 * 3600,
    scale: null,
  },
};

/** A profile name from user input; anything else is one UserError listing the valid ones. */
export function parseProfile(name: string, where = 'profile'): Profile {
  if (!(PROFILES as readonly string[]).includes(name))
    throw new UserError(`unknown ${where} '${name}'`, `choose one of: ${PROFILES.join(', ')}`);
  return name as Profile;
}

/**
 * Rows the smoke profile runs per table (config ids): every notebook end to end in minutes on
 * 2 CPU cores. Rows whose datasets have no offline copy still appear (as unavailable); the
 * others are listed as skipped with SMOKE_SKIP_REASON.
 */
export const SMOKE_ROWS: Record<string, string[]> = {
  // Plain AT (also Table 2's row: cached for notebook 03), true labels with an unrelated aux
  // set, the uniform target with a related one.
  table1: ['table2/c10-at', 'table1/true-labels-svhn', 'table1/uniform-imagenet32'],
  // Both base methods alone and with BiaMAT (ImageNet stand-in); the AT pair are the sources
  // of Tables 6 and 14 (run cache).
  table2: [
    'table2/c10-at',
    'table2/c10-at-biamat-imagenet32',
    'table2/c10-trades',
    'table2/c10-trades-biamat-imagenet32',
  ],
  // The two methods only Table 3 has (TRADES and TRADES+BiaMAT run in notebook 03).
  table3: ['table3/hendrycks-imagenet32', 'table3/rst-imagenet32'],
  table4: [],
  // Standard training without attacks: seconds per row at smoke scale.
  table5: ['table5/b128-A', 'table5/b128-AB', 'table5/b128-AC', 'table5/b128-ABC'],
  table6: ['table6/from-at', 'table6/from-at-biamat'],
  table13: ['table13/at-biamat-gamma0.45', 'table13/trades-biamat-gamma0.7'],
  table14: ['table14/per-class-high-ratio'],
};

export const SMOKE_SKIP_REASON =
  'not run at smoke scale (time budget of the smoke profile); run the small or paper profile, or name it in `only`';
