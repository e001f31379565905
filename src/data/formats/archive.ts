import * as fs from 'fs';
import * as path from 'path';
import { Parser, type ReadEntry } from 'tar';
import { UserError } from '../../util/errors';

/** Counts of what an archive walk saw; links and special files are never followed. */
export interface ArchiveWalkStats {
  files: number;
  skippedLinks: number;
  skippedOther: number;
}

export interface ArchiveWalkOptions {
  /** Only members for which this is true are read into memory. */
  want?: (relPath: string) => boolean;
  /** Called with bytes consumed so far and the total (compressed bytes for a tar file). */
  onProgress?: (done: number, total: number) => void;
}

export function isTarFile(p: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(p);
}

/** Archive member names are untrusted: refuse absolute paths and '..' segments. */
export function checkMemberPath(member: string, archive: string): string {
  const p = member.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.split('/').includes('..'))
    throw new UserError(
      `${archive}: member '${member}' points outside the archive (absolute path or '..'); refusing the whole archive`,
      "use the original archive from the dataset's publisher or ../shared/data",
    );
  return p.replace(/^(\.\/)+/, '');
}

/**
 * Calls onFile(relPath, bytes) for every regular file in a .tar/.tar.gz (streamed through
 * tar's Parser, nothing is ever written to disk) or under a folder (symlinks not followed).
 * Members are read into memory only; so no member name can write outside any folder.
 */
export async function walkArchive(
  source: string,
  onFile: (relPath: string, bytes: Buffer) => void,
  opts: ArchiveWalkOptions = {},
): Promise<ArchiveWalkStats> {
  if (!fs.existsSync(source))
    throw new UserError(
      `${source}: no such file or folder`,
      'check the --from path (relative paths start at the current folder)',
    );
  if (fs.statSync(source).isDirectory()) return walkFolder(source, onFile, opts);
  if (!isTarFile(source))
    throw new UserError(
      `${source}: not a folder, .tar, .tar.gz or .tgz`,
      'pass the dataset archive or its extracted folder',
    );
  return walkTar(source, onFile, opts);
}

function walkFolder(
  root: string,
  onFile: (relPath: string, bytes: Buffer) => void,
  opts: ArchiveWalkOptions,
): ArchiveWalkStats {
  const stats: ArchiveWalkStats = { files: 0, skippedLinks: 0, skippedOther: 0 };
  const all: string[] = [];
  const visit = (dir: string, rel: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) stats.skippedLinks++;
      else if (d.isDirectory()) visit(path.join(dir, d.name), r);
      else if (d.isFile()) all.push(r);
      else stats.skippedOther++;
    }
  };
  visit(root, '');
  all.forEach((rel, i) => {
    if (!opts.want || opts.want(rel)) {
      onFile(rel, fs.readFileSync(path.join(root, ...rel.split('/'))));
      stats.files++;
    }
    if (i % 1000 === 0 || i === all.length - 1) opts.onProgress?.(i + 1, all.length);
  });
  return stats;
}

function walkTar(
  file: string,
  onFile: (relPath: string, bytes: Buffer) => void,
  opts: ArchiveWalkOptions,
): Promise<ArchiveWalkStats> {
  const stats: ArchiveWalkStats = { files: 0, skippedLinks: 0, skippedOther: 0 };
  const total = fs.statSync(file).size;
  return new Promise((resolve, reject) => {
    let failed = false;
    let read = 0;
    const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      stream.destroy();
      if (e instanceof UserError) reject(e);
      else
        reject(
          new UserError(
            `${file}: damaged or truncated archive (${(e as Error).message})`,
            'copy or download the archive again; files in ../shared/data are checked against its SHA256SUMS',
          ),
        );
    };
    const onReadEntry = (entry: ReadEntry) => {
      if (failed) return void entry.resume();
      let rel: string;
      try {
        rel = checkMemberPath(entry.path, file);
      } catch (e) {
        entry.resume();
        return fail(e);
      }
      if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        stats.skippedLinks++;
        return void entry.resume();
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        if (entry.type !== 'Directory') stats.skippedOther++;
        return void entry.resume();
      }
      if (opts.want && !opts.want(rel)) return void entry.resume();
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        if (failed) return;
        try {
          onFile(rel, Buffer.concat(chunks));
          stats.files++;
        } catch (e) {
          fail(e);
        }
      });
    };
    const parser = new Parser({ strict: true, onReadEntry });
    parser.on('error', fail);
    parser.on('end', () => {
      if (!failed) {
        opts.onProgress?.(total, total);
        resolve(stats);
      }
    });
    stream.on('error', fail);
    stream.on('data', (chunk) => {
      read += chunk.length;
      opts.onProgress?.(read, total);
    });
    stream.pipe(parser);
  });
}
