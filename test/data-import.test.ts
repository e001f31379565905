import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { buildProgram } from '../data-scripts/cli';
import {
  checkCache,
  datasetDir,
  ensureDataset,
  importDataset,
  listDatasets,
  loadDataset,
  readCacheMeta,
  CIFAR10_CLASSES,
} from '../src/data';
import { UserError } from '../src/util/errors';
import {
  cifarRecords,
  imagenet32Npz,
  jpegBytes,
  pngBytes,
  solid,
  svhnMat,
  tarArchive,
  tempDir,
  writeMnistIdx,
  type TarEntry,
} from './data-fixtures';

// Every test works in its own temp data dir and a temp "shared" dir: nothing touches .data/.
let work: string;
let dataDir: string;
let sharedDir: string;
const quiet = { progress: 'none' as const, log: () => {} };
const opts = () => ({ dataDir, sharedDir, ...quiet });

beforeEach(() => {
  work = tempDir('data-import');
  dataDir = path.join(work, 'data');
  sharedDir = path.join(work, 'shared');
  fs.mkdirSync(sharedDir);
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** Colour of image k of class c: exact in PNG. */
const colour = (c: number, k: number): [number, number, number] => [20 * c + 5, 40 + k * 30, 200 - c * 10];

/** A tiny cifar10-jpeg.tar.gz lookalike: cifar10/{train,test}/<class>/NNNN.png|jpg. */
function cifarFolderEntries(): TarEntry[] {
  const entries: TarEntry[] = [{ name: 'cifar10/', type: '5' }];
  for (const [split, count] of [
    ['train', 3],
    ['test', 1],
  ] as const)
    for (const c of [0, 3, 9])
      for (let k = 0; k < count; k++) {
        const png = k % 2 === 0;
        const img = solid(...colour(c, k));
        entries.push({
          name: `cifar10/${split}/${CIFAR10_CLASSES[c]}/${String(k).padStart(4, '0')}.${png ? 'png' : 'jpg'}`,
          data: png ? pngBytes(32, 32, img) : jpegBytes(32, 32, img),
        });
      }
  return entries;
}

function writeFile(name: string, data: Buffer): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('import: image folders', () => {
  it('imports a CIFAR-10 image-folder tar.gz into the cache, sorted by class then file', async () => {
    const archive = writeFile('cifar10-jpeg.tar.gz', tarArchive(cifarFolderEntries()));
    const meta = await importDataset('cifar10', { ...opts(), from: archive });
    expect(meta.splits.train!.n).toBe(9);
    expect(meta.splits.test!.n).toBe(3);
    expect(meta.provenance.sha256).toBe(sha256(fs.readFileSync(archive)));
    expect(meta.provenance.note).toMatch(/lossy JPEG/);
    expect(meta.provenance.warnings).toContain('train has 9 images, the official split has 50000');
    const train = loadDataset('cifar10', 'train', { dataDir });
    expect(train.classNames).toEqual(CIFAR10_CLASSES);
    expect(Array.from(train.labels)).toEqual([0, 0, 0, 3, 3, 3, 9, 9, 9]);
    // Image 3 is class 3 ('cat'), k = 0: a PNG, so its pixels are exact.
    expect(Array.from(train.images.subarray(3 * 3072, 3 * 3072 + 3))).toEqual(colour(3, 0));
    // k = 1 is a JPEG: close, not exact.
    const j = train.images.subarray(4 * 3072 + 500 * 3, 4 * 3072 + 500 * 3 + 3);
    colour(3, 1).forEach((v, ch) => expect(Math.abs(j[ch] - v)).toBeLessThanOrEqual(3));
    const dir = datasetDir('cifar10', { dataDir });
    expect(fs.readdirSync(dir).sort()).toEqual([
      'meta.json',
      'test.images.u8',
      'test.labels.i32',
      'train.images.u8',
      'train.labels.i32',
    ]);
    expect(sha256(fs.readFileSync(path.join(dir, 'train.images.u8')))).toBe(meta.splits.train!.images.sha256);
    expect(checkCache('cifar10', { dataDir }).ok).toBe(true);
  });

  it('imports the same images from an extracted folder identically', async () => {
    const archive = writeFile('c.tar.gz', tarArchive(cifarFolderEntries()));
    const a = await importDataset('cifar10', { ...opts(), from: archive });
    const root = path.join(work, 'extracted');
    for (const e of cifarFolderEntries())
      if (e.data) {
        fs.mkdirSync(path.dirname(path.join(root, e.name)), { recursive: true });
        fs.writeFileSync(path.join(root, e.name), e.data);
      }
    const b = await importDataset('cifar10', { ...opts(), from: root });
    expect(b.splits.train!.images.sha256).toBe(a.splits.train!.images.sha256);
    expect(b.splits.test!.labels.sha256).toBe(a.splits.test!.labels.sha256);
    // A folder source is identified by the sha256 of its sorted sha256sum listing.
    const listing = cifarFolderEntries()
      .filter((e) => e.data)
      .map((e) => `${sha256(Buffer.from(e.data!))}  ${e.name}`)
      .sort((p, q) => (p.slice(66) < q.slice(66) ? -1 : 1));
    expect(b.provenance.sha256).toBe(sha256(Buffer.from(listing.join('\n') + '\n')));
  });

  it('imports a Tiny-ImageNet layout as tin32: val → test, names from words.txt', async () => {
    const wnids = ['n02', 'n01'];
    const entries: TarEntry[] = [
      { name: 'tin32/wnids.txt', data: Buffer.from(wnids.join('\n') + '\n') },
      {
        name: 'tin32/words.txt',
        data: Buffer.from('n01\tgoldfish, Carassius auratus\nn02\tbullfrog, Rana\nn99\tunused\n'),
      },
    ];
    for (const [split, id, k] of [
      ['train', 'n01', 0],
      ['train', 'n02', 1],
      ['train', 'n02', 2],
      ['val', 'n01', 3],
    ] as const)
      entries.push({
        name: `tin32/${split}/${id}/${id}_${k}.JPEG`,
        data: jpegBytes(32, 32, solid(10 * k, 0, 0)),
      });
    const meta = await importDataset('tin32', {
      ...opts(),
      from: writeFile('tin.tar.gz', tarArchive(entries)),
    });
    expect(meta.classIds).toEqual(['n01', 'n02']);
    expect(meta.classNames).toEqual(['goldfish', 'bullfrog']);
    const test = loadDataset('tin32', 'test', { dataDir });
    expect(test.n).toBe(1);
    expect(Array.from(loadDataset('tin32', 'train', { dataDir }).labels)).toEqual([0, 1, 1]);
  });
});

describe('import: official binary formats', () => {
  it('imports CIFAR-10 binary batches (cifar-10-binary.tar.gz layout)', async () => {
    const entries: TarEntry[] = [];
    for (let b = 1; b <= 5; b++)
      entries.push({
        name: `cifar-10-batches-bin/data_batch_${b}.bin`,
        data: cifarRecords([[b], [b + 1]], (i, c, p) => (b + i + c + p) % 256),
      });
    entries.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords([[7]], () => 9) });
    entries.push({
      name: 'cifar-10-batches-bin/batches.meta.txt',
      data: Buffer.from(CIFAR10_CLASSES.join('\n') + '\n\n'),
    });
    const meta = await importDataset('cifar10', {
      ...opts(),
      from: writeFile('cifar-10-binary.tar.gz', tarArchive(entries)),
    });
    expect(meta.splits.train!.n).toBe(10);
    expect(meta.provenance.note).toBeUndefined();
    const train = loadDataset('cifar10', 'train', { dataDir });
    expect(Array.from(train.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(train.images[3072 * 2 + 3 * 5 + 1]).toBe((2 + 0 + 1 + 5) % 256); // batch 2, record 0, channel 1, pixel 5
  });

  it('refuses a binary archive missing a batch', async () => {
    const entries: TarEntry[] = [
      { name: 'cifar-10-batches-bin/data_batch_1.bin', data: cifarRecords([[1]], () => 0) },
    ];
    await expect(
      importDataset('cifar10', { ...opts(), from: writeFile('c.tgz', tarArchive(entries)) }),
    ).rejects.toThrow(/missing data_batch_2\.bin, .*test_batch\.bin/);
  });

  it('imports CIFAR-100 (fine labels, names from fine_label_names.txt)', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const entries: TarEntry[] = [
      {
        name: 'cifar-100-binary/train.bin',
        data: cifarRecords(
          [
            [1, 42],
            [2, 99],
          ],
          () => 1,
        ),
      },
      { name: 'cifar-100-binary/test.bin', data: cifarRecords([[3, 7]], () => 2) },
      { name: 'cifar-100-binary/fine_label_names.txt', data: Buffer.from(names.join('\n')) },
    ];
    await importDataset('cifar100', {
      ...opts(),
      from: writeFile('cifar-100-binary.tar.gz', tarArchive(entries)),
    });
    const train = loadDataset('cifar100', 'train', { dataDir });
    expect(Array.from(train.labels)).toEqual([42, 99]);
    expect(train.classNames[99]).toBe('c99');
  });

  it('imports SVHN .mat files from a folder', async () => {
    const X = new Uint8Array(3072 * 2).fill(7);
    writeFile('svhn/train_32x32.mat', svhnMat(X, [10, 4], true));
    writeFile('svhn/test_32x32.mat', svhnMat(X.subarray(0, 3072), [2]));
    const meta = await importDataset('svhn', { ...opts(), from: path.join(work, 'svhn') });
    expect(meta.splits.train!.n).toBe(2);
    expect(Array.from(loadDataset('svhn', 'train', { dataDir }).labels)).toEqual([0, 4]);
    expect(Array.from(loadDataset('svhn', 'test', { dataDir }).labels)).toEqual([2]);
  });

  it('imports Imagenet32 npz batches from a folder (batch order natural, labels 0-based)', async () => {
    const d = (v: number, n: number) => new Uint8Array(n * 3072).fill(v);
    writeFile('in32/train_data_batch_10.npz', imagenet32Npz(d(10, 1), [10], { deflate: true }));
    writeFile('in32/train_data_batch_2.npz', imagenet32Npz(d(2, 2), [2, 3], { deflate: true }));
    writeFile('in32/val_data.npz', imagenet32Npz(d(5, 1), [1000]));
    await importDataset('imagenet32', { ...opts(), from: path.join(work, 'in32') });
    const train = loadDataset('imagenet32', 'train', { dataDir });
    expect(Array.from(train.labels)).toEqual([1, 2, 9]);
    expect(train.images[2 * 3072]).toBe(10);
    expect(loadDataset('imagenet32', 'test', { dataDir }).labels[0]).toBe(999);
  });

  it.each(['mnist32', 'fashion-mnist'])('imports %s from IDX files (gz) padded to 32×32×3', async (name) => {
    writeMnistIdx(path.join(work, 'idx'), 12, 4, true);
    const meta = await importDataset(name, { ...opts(), from: path.join(work, 'idx') });
    expect([meta.splits.train!.n, meta.splits.test!.n]).toEqual([12, 4]);
    const ds = loadDataset(name, 'train', { dataDir });
    expect([ds.height, ds.width, ds.channels]).toEqual([32, 32, 3]);
    expect(ds.labels[11]).toBe(1);
  });
});

describe('import: bad input gives one clear UserError', () => {
  it('unknown dataset name lists the known ones', async () => {
    await expect(importDataset('cifar11', opts())).rejects.toThrow(
      /unknown dataset 'cifar11'[\s\S]*cifar10, cifar100, svhn/,
    );
    expect(() => loadDataset('nope', 'train', { dataDir })).toThrow(UserError);
  });

  it('missing --from file names the path', async () => {
    await expect(
      importDataset('cifar10', { ...opts(), from: path.join(work, 'nope.tar.gz') }),
    ).rejects.toThrow(/nope\.tar\.gz: no such file or folder/);
  });

  it('a dataset that is not prepared names the import command', () => {
    expect(() => loadDataset('cifar10', 'train', { dataDir })).toThrow(
      /dataset 'cifar10' is not prepared[\s\S]*npm run data -- import cifar10 --from \.\.\/shared\/data\/cifar10-jpeg\.tar\.gz/,
    );
  });

  it('checksum mismatch against SHA256SUMS is refused before reading', async () => {
    const archive = writeFile('shared2/cifar10-jpeg.tar.gz', tarArchive(cifarFolderEntries()));
    fs.writeFileSync(path.join(work, 'shared2', 'SHA256SUMS'), `${'0'.repeat(64)}  cifar10-jpeg.tar.gz\n`);
    await expect(importDataset('cifar10', { ...opts(), from: archive })).rejects.toThrow(
      /cifar10-jpeg\.tar\.gz: SHA-256 [0-9a-f]{64} does not match 0{64} listed in .*SHA256SUMS/,
    );
    expect(fs.existsSync(datasetDir('cifar10', { dataDir }))).toBe(false);
    // A matching entry is recorded in the provenance.
    fs.writeFileSync(
      path.join(work, 'shared2', 'SHA256SUMS'),
      `${sha256(fs.readFileSync(archive))}  cifar10-jpeg.tar.gz\n`,
    );
    const meta = await importDataset('cifar10', { ...opts(), from: archive });
    expect(meta.provenance.checkedAgainst).toBe(path.join(work, 'shared2', 'SHA256SUMS'));
  });

  it('a truncated archive fails cleanly and leaves the previous cache untouched', async () => {
    const good = tarArchive(cifarFolderEntries());
    await importDataset('cifar10', { ...opts(), from: writeFile('good.tar.gz', good) });
    const before = readCacheMeta('cifar10', { dataDir });
    const cut = writeFile('cut.tar.gz', good.subarray(0, Math.floor(good.length / 2)));
    await expect(importDataset('cifar10', { ...opts(), from: cut })).rejects.toThrow(
      /cut\.tar\.gz: damaged or truncated archive/,
    );
    const rawCut = writeFile('cut.tar', tarArchive(cifarFolderEntries(), false).subarray(0, 3000));
    await expect(importDataset('cifar10', { ...opts(), from: rawCut })).rejects.toThrow(
      /cut\.tar: damaged or truncated archive/,
    );
    expect(readCacheMeta('cifar10', { dataDir })).toEqual(before);
    expect(checkCache('cifar10', { dataDir }).ok).toBe(true);
    expect(fs.readdirSync(dataDir)).toEqual(['cifar10']); // no temp folders left behind
  });

  it('a 64×64 image names the archive member and the fix', async () => {
    const entries = cifarFolderEntries();
    entries.push({ name: 'cifar10/train/cat/big.jpg', data: jpegBytes(64, 64, solid(1, 2, 3, 64)) });
    await expect(
      importDataset('cifar10', { ...opts(), from: writeFile('b.tar.gz', tarArchive(entries)) }),
    ).rejects.toThrow(
      /b\.tar\.gz:cifar10\/train\/cat\/big\.jpg: image is 64×64, expected 32×32[\s\S]*downsample/,
    );
    expect(fs.existsSync(datasetDir('cifar10', { dataDir }))).toBe(false);
  });

  it('a stray class folder is refused', async () => {
    const entries = cifarFolderEntries();
    entries.push({ name: 'cifar10/train/unicorn/0.png', data: pngBytes(32, 32, solid(0, 0, 0)) });
    await expect(
      importDataset('cifar10', { ...opts(), from: writeFile('u.tar.gz', tarArchive(entries)) }),
    ).rejects.toThrow(/class folder 'unicorn' is not one of the 10 classes of cifar10/);
  });
});

describe('import: untrusted archives', () => {
  it("refuses a member named '../evil' and writes nothing outside", async () => {
    const entries = cifarFolderEntries();
    entries.push({ name: '../evil.png', data: pngBytes(32, 32, solid(0, 0, 0)) });
    entries.push({ name: 'cifar10/train/cat/../../../evil2.png', data: pngBytes(32, 32, solid(0, 0, 0)) });
    const archive = writeFile('deep/evil.tar.gz', tarArchive(entries));
    await expect(importDataset('cifar10', { ...opts(), from: archive })).rejects.toThrow(
      /member '\.\.\/evil\.png' points outside the archive/,
    );
    for (const dir of [work, path.join(work, 'deep'), process.cwd(), dataDir, path.dirname(work)])
      expect(fs.existsSync(path.join(dir, 'evil.png')) || fs.existsSync(path.join(dir, 'evil2.png'))).toBe(
        false,
      );
    const abs = [
      ...cifarFolderEntries(),
      { name: '/tmp/evil-abs.png', data: pngBytes(32, 32, solid(0, 0, 0)) },
    ];
    await expect(
      importDataset('cifar10', { ...opts(), from: writeFile('abs.tar.gz', tarArchive(abs)) }),
    ).rejects.toThrow(/'\/tmp\/evil-abs\.png' points outside/);
    expect(fs.existsSync('/tmp/evil-abs.png')).toBe(false);
  });

  it('ignores symlink and hardlink members (never followed, never created)', async () => {
    const entries = cifarFolderEntries();
    entries.push({ name: 'cifar10/train/cat/link.png', type: '2', linkname: '/etc/passwd' });
    entries.push({ name: 'cifar10/train/cat/hard.png', type: '1', linkname: '../../../../etc/passwd' });
    const meta = await importDataset('cifar10', {
      ...opts(),
      from: writeFile('links.tar.gz', tarArchive(entries)),
    });
    expect(meta.splits.train!.n).toBe(9); // the links added nothing
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    for (const f of walk(work)) expect(fs.lstatSync(f).isSymbolicLink()).toBe(false);
  });
});

describe('ensureDataset, list, verify, CLI', () => {
  it('imports from the shared folder on first use, then reuses the cache', async () => {
    fs.writeFileSync(path.join(sharedDir, 'cifar10-jpeg.tar.gz'), tarArchive(cifarFolderEntries()));
    const lines: string[] = [];
    const first = await ensureDataset('cifar10', { ...opts(), log: (l) => lines.push(l) });
    expect(first.splits.train!.n).toBe(9);
    expect(lines.join('\n')).toMatch(/not prepared yet; importing from .*cifar10-jpeg\.tar\.gz/);
    const second = await ensureDataset('cifar10', { ...opts(), log: (l) => lines.push(l) });
    expect(second.provenance.importedAt).toBe(first.provenance.importedAt);
  });

  it('parallel callers wait for one import instead of racing', async () => {
    fs.writeFileSync(path.join(sharedDir, 'cifar10-jpeg.tar.gz'), tarArchive(cifarFolderEntries()));
    const lines: string[] = [];
    const [a, b] = await Promise.all(
      [0, 1].map(() => ensureDataset('cifar10', { ...opts(), log: (l) => lines.push(l) })),
    );
    expect(a.provenance.importedAt).toBe(b.provenance.importedAt);
    expect(lines.filter((l) => l.includes('importing from'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('waiting'))).toBe(true);
    expect(fs.readdirSync(dataDir)).toEqual(['cifar10']); // lock released
  });

  it('with no local copy and no public download, says how to import', async () => {
    await expect(ensureDataset('tin32', opts())).rejects.toThrow(
      /'tin32' is not prepared and no local copy[\s\S]*import tin32 --from \.\.\/shared\/data\/tiny-imagenet-32-jpeg\.tar\.gz/,
    );
  });

  it('list shows every dataset; a damaged cache file is reported', async () => {
    await importDataset('cifar10', {
      ...opts(),
      from: writeFile('c.tar.gz', tarArchive(cifarFolderEntries())),
    });
    const rows = listDatasets({ dataDir });
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['cifar10', 'cifar100', 'svhn', 'imagenet32', 'tin32', 'mnist32']),
    );
    const c = rows.find((r) => r.name === 'cifar10')!;
    expect([c.present, c.cacheOk, c.meta!.splits.train!.n]).toEqual([true, true, 9]);
    expect(rows.find((r) => r.name === 'svhn')!.present).toBe(false);
    const f = path.join(datasetDir('cifar10', { dataDir }), 'test.images.u8');
    const bytes = fs.readFileSync(f);
    bytes[100] ^= 0xff;
    fs.writeFileSync(f, bytes);
    expect(checkCache('cifar10', { dataDir }).problems).toEqual([
      'test.images.u8 SHA-256 differs from meta.json',
    ]);
    expect(() => loadDataset('cifar10', 'test', { dataDir, verify: true })).toThrow(
      /SHA-256 differs from meta\.json/,
    );
    fs.truncateSync(f, 10);
    expect(() => loadDataset('cifar10', 'test', { dataDir })).toThrow(/missing or damaged cache file/);
  });

  it('the CLI imports, lists and verifies', async () => {
    const archive = writeFile('c.tar.gz', tarArchive(cifarFolderEntries()));
    const out: string[] = [];
    const run = (...args: string[]) =>
      buildProgram((l) => out.push(l)).parseAsync([
        'node',
        'cli',
        '--data-dir',
        dataDir,
        '--shared-dir',
        sharedDir,
        '--progress',
        'none',
        ...args,
      ]);
    const saved = process.env.BIAMAT_DATA_DIR;
    const savedShared = process.env.BIAMAT_SHARED_DATA;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await run('import', 'cifar10', '--from', archive);
      await run('list');
      await run('verify', 'cifar10');
    } finally {
      stderr.mockRestore();
      process.env.BIAMAT_DATA_DIR = saved;
      process.env.BIAMAT_SHARED_DATA = savedShared;
      if (saved === undefined) delete process.env.BIAMAT_DATA_DIR;
      if (savedShared === undefined) delete process.env.BIAMAT_SHARED_DATA;
    }
    const text = out.join('\n');
    expect(text).toMatch(/train: 9 images, 10 classes/);
    expect(text).toMatch(/^cifar10 +yes +9 +3 +[\d.]+ MB +ok$/m);
    expect(text).toMatch(/^svhn +no /m);
    expect(text).toMatch(/train channel mean \(R G B\): [\d.]+ [\d.]+ [\d.]+/);
    expect(text).toMatch(/cifar10: cache files match meta\.json/);
    // The tiny archive is not CIFAR-10's real distribution: verify says so and sets a failing exit code.
    expect(text).toMatch(/cifar10 train mean vs official 0\.4914 0\.4822 0\.4465: max \|diff\| [\d.]+ FAIL/);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });
});
