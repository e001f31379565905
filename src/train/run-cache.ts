/**
 * The run cache: a run's folder is named by a hash of its FULL resolved config, so the same
 * config always lands in the same folder (resume after a kill) and a finished run (result.json
 * present) is never retrained. Any change to any field gives a new folder.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../util/atomic';

/** JSON with object keys sorted at every level, so key order never changes the hash. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** First 16 hex digits of the SHA-256 of the canonical JSON. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 16);
}

export interface RunPaths {
  dir: string;
  hash: string;
  config: string;
  log: string;
  checkpoint: string;
  best: string;
  /** Hendrycks et al.: the best pre-training weights, where fine-tuning starts. */
  pretrainBest: string;
  result: string;
}

/** Folder of the run `<resultsDir>/<id>-<hash>` and the files inside it. */
export function runPaths(resultsDir: string, id: string, config: unknown): RunPaths {
  const hash = configHash(config);
  const dir = path.join(resultsDir, `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}-${hash}`);
  return {
    dir,
    hash,
    config: path.join(dir, 'config.json'),
    log: path.join(dir, 'log.jsonl'),
    checkpoint: path.join(dir, 'checkpoint'),
    best: path.join(dir, 'best-weights.bin'),
    pretrainBest: path.join(dir, 'pretrain-best-weights.bin'),
    result: path.join(dir, 'result.json'),
  };
}

/** The finished result of this run, if there is one. */
export function cachedResult<T>(paths: RunPaths): T | null {
  if (!fs.existsSync(paths.result)) return null;
  return JSON.parse(fs.readFileSync(paths.result, 'utf8')) as T;
}

export function writeResult(paths: RunPaths, result: unknown): void {
  writeJsonAtomic(paths.result, result);
}

export function writeConfig(paths: RunPaths, config: unknown): void {
  if (!fs.existsSync(paths.config)) writeJsonAtomic(paths.config, config);
}
