import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { UserError } from '../util/errors';
import type { CacheMeta } from './cache';
import { hashFile } from './checksums';
import { downloadsDir, importDataset, type ImportOptions } from './import';
import { createProgress, type ProgressMode } from './progress';
import { datasetInfo, type RemoteFile } from './registry';

/** Network failures that mean "no route to the host" rather than a bad file. */
const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
]);

export class OfflineError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
  ) {
    super(`cannot reach ${url} (${code})`);
  }
}

export interface DownloadResult {
  file: string;
  bytes: number;
  md5: string;
  sha256: string;
}

function checksumMismatch(file: RemoteFile, got: { md5: string; sha256: string }): string | undefined {
  if (file.sha256 && file.sha256 !== got.sha256) return `SHA-256 ${got.sha256}, expected ${file.sha256}`;
  if (file.md5 && file.md5 !== got.md5) return `MD5 ${got.md5}, expected ${file.md5}`;
  return undefined;
}

/**
 * Streams one URL to `dest` through a temp file beside it, hashing on the way; the file
 * appears under its name only when complete and matching the pinned checksum.
 */
export function downloadFile(
  url: string,
  dest: string,
  expect: Pick<RemoteFile, 'md5' | 'sha256'>,
  opts: { progress?: ProgressMode; timeoutMs?: number; redirects?: number } = {},
): Promise<DownloadResult> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  const redirects = opts.redirects ?? 5;
  return new Promise<DownloadResult>((resolve, reject) => {
    const done = (e: unknown) => {
      fs.rmSync(tmp, { force: true });
      reject(e);
    };
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: opts.timeoutMs ?? 30000 }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) return done(new UserError(`${url}: too many redirects`));
        const next = new URL(res.headers.location, url).toString();
        return downloadFile(next, dest, expect, { ...opts, redirects: redirects - 1 }).then(resolve, reject);
      }
      if (status !== 200) {
        res.resume();
        return done(
          new UserError(
            `${url}: HTTP ${status}`,
            'the host may have moved the file; try again later or import a local copy',
          ),
        );
      }
      const length = Number(res.headers['content-length'] ?? NaN);
      const md5 = crypto.createHash('md5');
      const sha256 = crypto.createHash('sha256');
      const out = fs.createWriteStream(tmp);
      const bar = createProgress(
        `downloading ${path.basename(dest)}`,
        Number.isFinite(length) ? length : 0,
        opts.progress ?? 'auto',
      );
      let bytes = 0;
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        bar.stop();
        res.destroy();
        // Remove the temp file only once the stream has closed (it may still be opening it).
        if (out.closed) done(e);
        else {
          out.once('close', () => done(e));
          out.destroy();
        }
      };
      const truncated = () =>
        new UserError(
          `${url}: download truncated after ${bytes} of ${Number.isFinite(length) ? length : '?'} bytes`,
          'run the same fetch again (a partial file is never kept)',
        );
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        md5.update(chunk);
        sha256.update(chunk);
        bar.update(bytes);
      });
      res.on('aborted', () => fail(truncated()));
      res.on('error', () => fail(truncated()));
      res.on('end', () => {
        if (failed) return;
        if (Number.isFinite(length) && bytes !== length) return fail(truncated());
        out.end();
      });
      res.pipe(out, { end: false });
      out.on('error', (e) => fail(e));
      out.on('finish', () => {
        if (failed) return;
        bar.stop();
        const got = { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
        const mismatch = checksumMismatch({ urls: [url], fileName: '', ...expect }, got);
        if (mismatch)
          return done(
            new UserError(
              `${url}: checksum mismatch (${mismatch}); the download was discarded`,
              'try again later; if it persists the host serves different bytes: import a verified local copy instead',
            ),
          );
        fs.renameSync(tmp, dest);
        resolve({ file: dest, bytes, ...got });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code && OFFLINE_CODES.has(e.code)) done(new OfflineError(url, e.code));
      else done(new UserError(`${url}: ${e.message}`, 'check the network or import a local copy'));
    });
  });
}

export interface FetchOptions extends ImportOptions {
  /** Override the registry's remote files (tests, mirrors). */
  remote?: RemoteFile[];
}

/** Downloads a dataset's official files (verified against pinned checksums), then imports them. */
export async function fetchDataset(name: string, opts: FetchOptions = {}): Promise<CacheMeta> {
  const info = datasetInfo(name);
  const remote = opts.remote ?? info.remote;
  if (!remote)
    throw new UserError(
      `'${name}' cannot be fetched: ${info.noFetchReason ?? 'no public download'}`,
      importAlternative(name),
    );
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const dir = downloadsDir(name, opts);
  for (const file of remote) {
    const dest = path.join(dir, file.fileName);
    if (
      fs.existsSync(dest) &&
      !checksumMismatch(file, { md5: hashFile(dest, 'md5'), sha256: hashFile(dest) })
    ) {
      log(`${file.fileName}: already downloaded and verified`);
      continue;
    }
    let offline: OfflineError | undefined;
    let got: DownloadResult | undefined;
    for (const url of file.urls) {
      try {
        got = await downloadFile(url, dest, file, { progress: opts.progress });
        break;
      } catch (e) {
        if (!(e instanceof OfflineError)) throw e;
        offline = e;
        log(`${url}: unreachable (${e.code})`);
      }
    }
    if (!got)
      throw new UserError(
        `cannot download ${file.fileName}: ${offline?.message ?? 'no URL'} — this machine seems to be offline`,
        importAlternative(name),
      );
    log(`${file.fileName}: ${got.bytes} bytes, md5 ${got.md5}, sha256 ${got.sha256} (verified)`);
  }
  const from = remote.length === 1 ? path.join(dir, remote[0].fileName) : dir;
  return importDataset(name, { ...opts, from });
}

function importAlternative(name: string): string {
  const info = datasetInfo(name);
  if (info.sharedArchive)
    return `import the offline copy: npm run data -- import ${name} --from ../shared/data/${info.sharedArchive}`;
  if (info.localSource) return `import the local copy: npm run data -- import ${name}`;
  const own = `put the official files on this machine, then: npm run data -- import ${name} --from <archive or folder>`;
  return info.standIn ? `${own}; or use the offline stand-in: npm run data -- import ${info.standIn}` : own;
}
