/**
 * What a profile runs: the catalog of result notebooks (which tables each records), one run
 * per notebook and seed, and the deterministic split of a profile's runs across machines
 * (--shard i/n). The profiles themselves are src/experiments/profiles.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../src/util/errors';
import { PROFILE_SPECS, type Profile } from '../src/experiments/profiles';
import type { JsonValue } from './notebook';

export interface CatalogEntry {
  /** Canonical name; a file notebooks/<NN>-*.ipynb with the same two-digit prefix fills it. */
  id: string;
  title: string;
  /** Tables (paper table ids, or 'theory') the notebook records. */
  tables: string[];
  /** One run per seed (so shards can spread the seeds), passing `seeds: [s]`; else one run with all seeds. */
  splitSeeds: boolean;
}

export const CATALOG: CatalogEntry[] = [
  { id: '01-theory', title: 'Theory (Gaussian model)', tables: ['theory'], splitSeeds: false },
  {
    id: '02-table1-aux-labels',
    title: 'Table 1: true vs uniform aux labels',
    tables: ['table1'],
    splitSeeds: true,
  },
  {
    id: '03-table2-biamat',
    title: 'Table 2: BiaMAT with AT and TRADES',
    tables: ['table2'],
    splitSeeds: true,
  },
  { id: '04-table3-trades-family', title: 'Table 3: TRADES family', tables: ['table3'], splitSeeds: true },
  { id: '05-table13-gamma', title: 'Table 13: γ ablation', tables: ['table13'], splitSeeds: true },
  {
    id: '06-table6-robust-datasets',
    title: 'Table 6: robust datasets',
    tables: ['table6'],
    splitSeeds: true,
  },
  {
    id: '07-table14-selection-ratio',
    title: 'Figure 3 / Table 14: selection ratio',
    tables: ['table14'],
    splitSeeds: true,
  },
  {
    id: '08-tables4-5-two-aux-noisy',
    title: 'Tables 4–5: two aux sets; noisy extra data',
    tables: ['table4', 'table5'],
    splitSeeds: true,
  },
];

export interface PlannedRun {
  /** Unique within a profile, e.g. '03-table2@seed-1'. */
  id: string;
  /** Catalog id, or the file's base name for a notebook outside the catalog. */
  notebook: string;
  input: string;
  /** Output notebook path relative to the results dir. */
  output: string;
  /** Well-known parameters, injected only where the parameters cell declares them. */
  optionalParams: Record<string, JsonValue>;
}

export interface Plan {
  runs: PlannedRun[];
  /** Catalog entries with no notebook file yet (all of them, whatever `only` selects). */
  notBuilt: CatalogEntry[];
}

/** Notebook files in `dir`, keyed by catalog id (by two-digit prefix) or by base name. */
export function discoverNotebooks(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!fs.existsSync(dir)) return found;
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.ipynb') || f.startsWith('.')) continue;
    const base = f.slice(0, -'.ipynb'.length);
    const entry = CATALOG.find((c) => c.id === base || c.id.slice(0, 3) === base.slice(0, 3));
    const key = entry?.id ?? base;
    if (found.has(key)) {
      throw new UserError(
        `two notebooks claim ${key}: ${path.basename(found.get(key)!)} and ${f}`,
        'keep one notebook per two-digit prefix in notebooks/',
      );
    }
    found.set(key, path.join(dir, f));
  }
  return found;
}

/** Resolves --only names: a catalog id, a file base name, or a two-digit prefix ("03"). */
export function matchOnly(only: string[], available: string[], flag = '--only'): string[] {
  return only.map((name) => {
    const n = name.replace(/\.ipynb$/, '').replace(/^notebooks\//, '');
    const hit =
      available.find((a) => a === n) ?? available.find((a) => /^\d\d$/.test(n) && a.startsWith(`${n}-`));
    if (!hit) {
      throw new UserError(`${flag} ${name}: no such notebook`, `choose from: ${available.join(', ')}`);
    }
    return hit;
  });
}

export function planRuns(profile: Profile, notebooksDir: string, only?: string[]): Plan {
  const spec = PROFILE_SPECS[profile];
  const files = discoverNotebooks(notebooksDir);
  const names = [...new Set([...CATALOG.map((c) => c.id), ...files.keys()])];
  const selected = only && only.length > 0 ? new Set(matchOnly(only, names)) : new Set(names);
  const runs: PlannedRun[] = [];
  const notBuilt: CatalogEntry[] = [];
  for (const name of names) {
    const entry = CATALOG.find((c) => c.id === name);
    const input = files.get(name);
    if (!input) {
      // Listed whatever --only says: the report must never hide a missing notebook.
      if (entry) notBuilt.push(entry);
      continue;
    }
    if (!selected.has(name)) continue;
    if (entry?.splitSeeds) {
      for (const seed of spec.seeds) {
        runs.push({
          id: `${name}@seed-${seed}`,
          notebook: name,
          input,
          output: path.join('notebooks', `${name}.seed-${seed}.ipynb`),
          optionalParams: { profile, seeds: [seed] },
        });
      }
    } else {
      runs.push({
        id: name,
        notebook: name,
        input,
        output: path.join('notebooks', `${name}.ipynb`),
        optionalParams: { profile, seeds: spec.seeds },
      });
    }
  }
  return { runs, notBuilt };
}

/** Parses "i/n" (1-based): shard 1/3, 2/3, 3/3. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(
      `--shard ${text}: expected i/n with 1 ≤ i ≤ n, e.g. 2/3`,
      'run shard 1/n … n/n on n machines',
    );
  }
  return { index, count };
}

/**
 * The runs shard i of n executes: runs sorted by id, dealt round-robin. Deterministic (same
 * notebooks → same split on every machine), disjoint, and together they cover every run.
 */
export function shardRuns<T extends { id: string }>(runs: T[], index: number, count: number): T[] {
  return [...runs]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((_, k) => k % count === index - 1);
}
