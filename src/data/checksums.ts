import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';

/** Hex digest of a file, read in 4 MiB chunks (no whole-file buffer). */
export function hashFile(file: string, algorithm: 'sha256' | 'md5' = 'sha256'): string {
  const hash = crypto.createHash(algorithm);
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(4 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Reads a `sha256sum`-style file: "<hex>  <name>" per line. */
export function readSumsFile(file: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) sums.set(path.basename(m[2]), m[1].toLowerCase());
  }
  return sums;
}

/**
 * Hashes an archive and, when a SHA256SUMS beside it (or in `extraSumsDirs`) lists its file
 * name, checks it. A mismatch means a damaged or truncated copy: one clear UserError.
 */
export function verifyArchive(
  file: string,
  extraSumsDirs: string[] = [],
): { sha256: string; checkedAgainst?: string } {
  const sha256 = hashFile(file, 'sha256');
  const name = path.basename(file);
  for (const dir of [path.dirname(file), ...extraSumsDirs]) {
    const sumsFile = path.join(dir, 'SHA256SUMS');
    if (!fs.existsSync(sumsFile)) continue;
    const expected = readSumsFile(sumsFile).get(name);
    if (!expected) continue;
    if (expected !== sha256)
      throw new UserError(
        `${file}: SHA-256 ${sha256} does not match ${expected} listed in ${sumsFile} (damaged or truncated copy)`,
        'copy the archive again from the shared folder or re-download it',
      );
    return { sha256, checkedAgainst: sumsFile };
  }
  return { sha256 };
}

/**
 * A digest for a folder source: SHA-256 over the sorted lines "<sha256>  <relative path>" of
 * its regular files (symlinks skipped), i.e. of the `sha256sum` listing of the tree.
 */
export function hashTree(dir: string): { sha256: string; files: number } {
  const lines: string[] = [];
  const visit = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(d, e.name), r);
      else if (e.isFile()) lines.push(`${hashFile(path.join(d, e.name))}  ${r}`);
    }
  };
  visit(dir, '');
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  const sha256 = crypto
    .createHash('sha256')
    .update(lines.join('\n') + '\n')
    .digest('hex');
  return { sha256, files: lines.length };
}
