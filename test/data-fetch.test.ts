import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { downloadFile, fetchDataset, loadDataset } from '../src/data';
import { tempDir, writeMnistIdx } from './data-fixtures';

/**
 * The fetch code path against a local HTTP server on 127.0.0.1: success, redirect, checksum
 * mismatch, truncated body, HTTP error, and an unreachable host (offline).
 */
let server: http.Server;
let base: string;
let work: string;
const body = crypto.randomBytes(50_000);
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const files = new Map<string, Buffer>();

beforeAll(async () => {
  work = tempDir('data-fetch');
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/file.bin') {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } else if (url === '/moved') {
      res.writeHead(302, { location: '/file.bin' });
      res.end();
    } else if (url === '/truncated') {
      // Promises the whole file, sends half, then drops the connection.
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length / 2), () => res.socket?.destroy());
    } else if (files.has(url)) {
      res.writeHead(200, { 'content-length': files.get(url)!.length });
      res.end(files.get(url));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

const leftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe('downloadFile', () => {
  it('downloads, verifies md5 and sha256, follows a redirect', async () => {
    const dest = path.join(work, 'ok', 'file.bin');
    const r = await downloadFile(
      `${base}/file.bin`,
      dest,
      { md5: md5(body), sha256: sha256(body) },
      { progress: 'none' },
    );
    expect(r.bytes).toBe(body.length);
    expect(fs.readFileSync(dest).equals(body)).toBe(true);
    const dest2 = path.join(work, 'ok', 'moved.bin');
    await downloadFile(`${base}/moved`, dest2, { sha256: sha256(body) }, { progress: 'none' });
    expect(fs.readFileSync(dest2).equals(body)).toBe(true);
    expect(leftovers(path.join(work, 'ok')).sort()).toEqual(['file.bin', 'moved.bin']);
  });

  it('discards a download whose checksum does not match', async () => {
    const dir = path.join(work, 'bad');
    await expect(
      downloadFile(
        `${base}/file.bin`,
        path.join(dir, 'file.bin'),
        { md5: '0'.repeat(32) },
        { progress: 'none' },
      ),
    ).rejects.toThrow(
      /file\.bin: checksum mismatch \(MD5 [0-9a-f]{32}, expected 0{32}\); the download was discarded/,
    );
    expect(leftovers(dir)).toEqual([]);
  });

  it('discards a truncated download', async () => {
    const dir = path.join(work, 'trunc');
    await expect(
      downloadFile(
        `${base}/truncated`,
        path.join(dir, 'file.bin'),
        { sha256: sha256(body) },
        { progress: 'none' },
      ),
    ).rejects.toThrow(/truncated: download truncated after \d+ of 50000 bytes/);
    expect(leftovers(dir)).toEqual([]);
  });

  it('reports an HTTP error', async () => {
    await expect(
      downloadFile(`${base}/missing`, path.join(work, 'x', 'f'), { md5: md5(body) }, { progress: 'none' }),
    ).rejects.toThrow(/missing: HTTP 404/);
  });
});

describe('fetchDataset', () => {
  it('offline: names the import alternative', async () => {
    // Port 9 (discard) on 127.0.0.1 has no listener here: connection refused, as when offline.
    const remote = [
      {
        urls: ['http://127.0.0.1:9/train-images-idx3-ubyte.gz'],
        fileName: 'train-images-idx3-ubyte.gz',
        md5: md5(body),
      },
    ];
    await expect(
      fetchDataset('mnist32', { dataDir: path.join(work, 'd0'), remote, progress: 'none', log: () => {} }),
    ).rejects.toThrow(
      /cannot download train-images-idx3-ubyte\.gz: cannot reach .* offline[\s\S]*npm run data -- import mnist32/,
    );
    await expect(fetchDataset('tin32', { dataDir: path.join(work, 'd0'), log: () => {} })).rejects.toThrow(
      /'tin32' cannot be fetched[\s\S]*import tin32 --from \.\.\/shared\/data\/tiny-imagenet-32-jpeg\.tar\.gz/,
    );
  });

  it('downloads every official file, verifies it, then imports (mnist32 from 4 IDX .gz)', async () => {
    const idxDir = path.join(work, 'idx');
    writeMnistIdx(idxDir, 20, 5, true);
    const remote = fs.readdirSync(idxDir).map((f) => {
      const bytes = fs.readFileSync(path.join(idxDir, f));
      files.set(`/mnist/${f}`, bytes);
      return {
        urls: ['http://127.0.0.1:9/unreachable-official-host/' + f, `${base}/mnist/${f}`],
        fileName: f,
        md5: md5(bytes),
      };
    });
    const dataDir = path.join(work, 'd1');
    const log: string[] = [];
    const meta = await fetchDataset('mnist32', {
      dataDir,
      remote,
      progress: 'none',
      log: (l) => log.push(l),
    });
    expect([meta.splits.train!.n, meta.splits.test!.n]).toEqual([20, 5]);
    expect(loadDataset('mnist32', 'test', { dataDir }).labels[4]).toBe(4);
    expect(log.join('\n')).toMatch(/unreachable-official-host\/.*unreachable \(ECONNREFUSED\)/);
    expect(log.join('\n')).toMatch(/\(verified\)/);
    // A second fetch reuses the verified downloads.
    await fetchDataset('mnist32', { dataDir, remote, progress: 'none', log: (l) => log.push(l) });
    expect(log.filter((l) => l.includes('already downloaded and verified'))).toHaveLength(4);
  });
});
