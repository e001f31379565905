/**
 * runs.json in a results dir: what one harness invocation (or one shard) ran, so a report can
 * be rebuilt and shards merged without rerunning anything.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../src/util/atomic';
import { UserError } from '../src/util/errors';
import type { Profile } from '../src/experiments/profiles';
import type { NotebookFailure } from './runner';

export interface RunEntry {
  id: string;
  notebook: string;
  status: 'ok' | 'failed';
  /** Executed notebook, relative to the results dir. */
  output: string;
  durationS: number;
  parameters: Record<string, unknown>;
  warnings: string[];
  error?: NotebookFailure;
}

export interface Manifest {
  profile: Profile;
  kernel: 'inprocess' | 'jupyter';
  shard: { index: number; count: number } | null;
  /** Set on a merged manifest: the shards it came from. */
  shards?: { dir: string; shard: { index: number; count: number } | null }[];
  /** Every run of the profile (all shards), so a merge can tell when a shard is missing. */
  plannedRuns: string[];
  /** Planned runs that no merged shard executed. */
  missingRuns?: string[];
  runs: RunEntry[];
  notBuilt: { id: string; title: string }[];
  startedAt: string;
  finishedAt: string;
  versions: Record<string, string>;
}

export const MANIFEST_FILE = 'runs.json';

export function writeManifest(dir: string, manifest: Manifest): void {
  writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    throw new UserError(
      `${dir} has no ${MANIFEST_FILE}`,
      'pass the --out directories of finished `npm run repro` runs',
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
}
