/**
 * Tiny generators for every dataset format the data layer reads, so tests never need the
 * real archives: ustar/tar.gz (hand-written headers, so crafted '../' and link entries are
 * possible), JPEG/PNG, CIFAR binary records, MATLAB v5, .npy/.npz (zip), IDX.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `biamat-${label}-`));
}

export interface TarEntry {
  name: string;
  /** '0' file (default), '1' hard link, '2' symlink, '5' directory. */
  type?: '0' | '1' | '2' | '5';
  data?: Uint8Array;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A POSIX ustar archive, gzipped unless gzip=false. Names are written exactly as given. */
export function tarArchive(entries: TarEntry[], gzip = true): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? new Uint8Array(0));
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(octal(e.type === '5' ? 0o755 : 0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(e.type === undefined || e.type === '0' ? data.length : 0, 12), 124);
    h.write(octal(1577836800, 12), 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h);
    if (e.type === undefined || e.type === '0') {
      blocks.push(data);
      const rest = (512 - (data.length % 512)) % 512;
      if (rest) blocks.push(Buffer.alloc(rest));
    }
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return gzip ? zlib.gzipSync(tar) : tar;
}

/** A w×h RGB image whose pixel (x, y) is fill(x, y). */
export function rgbImage(
  w: number,
  h: number,
  fill: (x: number, y: number) => [number, number, number],
): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(fill(x, y), (y * w + x) * 3);
  return out;
}

export function jpegBytes(w: number, h: number, rgb: Uint8Array, quality = 95): Buffer {
  const rgba = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    rgba[4 * p] = rgb[3 * p];
    rgba[4 * p + 1] = rgb[3 * p + 1];
    rgba[4 * p + 2] = rgb[3 * p + 2];
    rgba[4 * p + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: w, height: h }, quality).data;
}

export function pngBytes(w: number, h: number, rgb: Uint8Array): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) {
    png.data[4 * p] = rgb[3 * p];
    png.data[4 * p + 1] = rgb[3 * p + 1];
    png.data[4 * p + 2] = rgb[3 * p + 2];
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A solid-colour 32×32 image, distinct per (class, index). */
export function solid(r: number, g: number, b: number, size = 32): Uint8Array {
  return rgbImage(size, size, () => [r, g, b]);
}

/** CIFAR binary records: labels (1 or 2 bytes) then CHW pixels; pixel value = f(record, channel, p). */
export function cifarRecords(labels: number[][], f: (i: number, c: number, p: number) => number): Buffer {
  const rec = labels[0].length + 3072;
  const buf = Buffer.alloc(labels.length * rec);
  labels.forEach((ls, i) => {
    ls.forEach((l, j) => (buf[i * rec + j] = l));
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 1024; p++) buf[i * rec + ls.length + c * 1024 + p] = f(i, c, p);
  });
  return buf;
}

// ---- MATLAB v5 ----
function matElement(type: number, data: Buffer): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  const pad = Buffer.alloc((8 - (data.length % 8)) % 8);
  return Buffer.concat([tag, data, pad]);
}

/** One numeric miMATRIX: class 9 = uint8 (data miUINT8), 6 = double (data miDOUBLE). */
function matMatrix(name: string, mxClass: 6 | 9, dims: number[], values: ArrayLike<number>): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(mxClass, 0);
  const dimsBuf = Buffer.alloc(dims.length * 4);
  dims.forEach((d, i) => dimsBuf.writeInt32LE(d, 4 * i));
  const data =
    mxClass === 9
      ? Buffer.from(Uint8Array.from(values))
      : Buffer.from(new Uint8Array(Float64Array.from(values).buffer));
  const body = Buffer.concat([
    matElement(6, flags),
    matElement(5, dimsBuf),
    matElement(1, Buffer.from(name, 'latin1')),
    matElement(mxClass === 9 ? 2 : 9, data),
  ]);
  return matElement(14, body);
}

/** An SVHN-like .mat: X uint8 32×32×3×n column-major, y double n×1. Optionally miCOMPRESSED. */
export function svhnMat(
  X: Uint8Array,
  y: number[],
  compressed = false,
  header = 'MATLAB 5.0 MAT-file, test',
): Buffer {
  const h = Buffer.alloc(128, 0x20);
  h.write(header, 0, 'latin1');
  h.fill(0, 116, 124);
  h.writeUInt16LE(0x0100, 124);
  h.write('IM', 126, 'latin1');
  const vars = [matMatrix('X', 9, [32, 32, 3, y.length], X), matMatrix('y', 6, [y.length, 1], y)];
  const body = compressed
    ? vars.map((v) => {
        const z = zlib.deflateSync(v);
        const tag = Buffer.alloc(8);
        tag.writeUInt32LE(15, 0);
        tag.writeUInt32LE(z.length, 4);
        return Buffer.concat([tag, z]);
      })
    : vars;
  return Buffer.concat([h, ...body]);
}

// ---- .npy / .npz ----
export function npyBytes(descr: string, shape: number[], data: Uint8Array): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data)]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive. zip64: sizes in the central directory are 0xffffffff with the real values in
 * a zip64 extra field, as numpy's savez (force_zip64) can write.
 */
export function zipArchive(
  members: { name: string; data: Uint8Array }[],
  opts: { deflate?: boolean; zip64?: boolean } = {},
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const comp = opts.deflate ? zlib.deflateRawSync(m.data) : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    const crc = crc32(m.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(opts.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, comp);
    let extra = Buffer.alloc(0);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(opts.deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc, 16);
    if (opts.zip64) {
      extra = Buffer.alloc(4 + 24);
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(m.data.length), 4);
      extra.writeBigUInt64LE(BigInt(comp.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
      c.writeUInt32LE(0xffffffff, 20);
      c.writeUInt32LE(0xffffffff, 24);
      c.writeUInt32LE(0xffffffff, 42);
    } else {
      c.writeUInt32LE(comp.length, 20);
      c.writeUInt32LE(m.data.length, 24);
      c.writeUInt32LE(offset, 42);
    }
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    centrals.push(c, name, extra);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** An Imagenet32-style batch: data uint8 n×3072 (CHW rows), labels int64 1-based. */
export function imagenet32Npz(
  data: Uint8Array,
  labels1: number[],
  opts: { deflate?: boolean; zip64?: boolean } = {},
): Buffer {
  const lab = new BigInt64Array(labels1.map((l) => BigInt(l)));
  return zipArchive(
    [
      { name: 'data.npy', data: npyBytes('|u1', [labels1.length, 3072], data) },
      { name: 'labels.npy', data: npyBytes('<i8', [labels1.length], new Uint8Array(lab.buffer)) },
    ],
    opts,
  );
}

// ---- IDX ----
export function idxBytes(shape: number[], data: Uint8Array, gzip = false): Buffer {
  const h = Buffer.alloc(4 + 4 * shape.length);
  h[2] = 0x08;
  h[3] = shape.length;
  shape.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([h, Buffer.from(data)]);
  return gzip ? zlib.gzipSync(raw) : raw;
}

/** Writes the four (Fashion-)MNIST IDX files into dir: n train and m test 28×28 digits. */
export function writeMnistIdx(dir: string, nTrain: number, nTest: number, gzip: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  const ext = gzip ? '.gz' : '';
  for (const [prefix, n] of [
    ['train', nTrain],
    ['t10k', nTest],
  ] as const) {
    const img = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) for (let p = 0; p < 784; p++) img[i * 784 + p] = (i * 31 + p) % 256;
    const lab = Uint8Array.from({ length: n }, (_, i) => i % 10);
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte${ext}`), idxBytes([n, 28, 28], img, gzip));
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`), idxBytes([n], lab, gzip));
  }
}
