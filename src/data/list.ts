import { checkCache, type CacheMeta } from './cache';
import type { DataDirOptions } from './paths';
import { DATASETS } from './registry';

export interface DatasetStatus {
  name: string;
  title: string;
  paperRole: string;
  present: boolean;
  /** Cache files re-hashed against meta.json. */
  cacheOk: boolean;
  problems: string[];
  bytesOnDisk: number;
  meta?: CacheMeta;
}

/** Every known dataset, prepared or not; prepared ones have their cache files re-hashed. */
export function listDatasets(opts: DataDirOptions = {}): DatasetStatus[] {
  return Object.values(DATASETS).map((info) => {
    const check = checkCache(info.name, opts);
    return {
      name: info.name,
      title: info.title,
      paperRole: info.paperRole,
      present: check.meta !== undefined,
      cacheOk: check.ok,
      problems: check.meta ? check.problems : [],
      bytesOnDisk: check.bytesOnDisk,
      meta: check.meta,
    };
  });
}
