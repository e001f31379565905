import { parseCifarBinary } from '../src/data/formats/cifar-binary';
import { greyTo32x3, parseIdx } from '../src/data/formats/idx';
import { decodeImage } from '../src/data/formats/images';
import { parseMatV5, svhnFromMat } from '../src/data/formats/mat-v5';
import { imagenet32FromNpz, parseNpy, readZip } from '../src/data/formats/npy';
import { UserError } from '../src/util/errors';
import {
  cifarRecords,
  idxBytes,
  imagenet32Npz,
  jpegBytes,
  npyBytes,
  pngBytes,
  rgbImage,
  svhnMat,
  zipArchive,
} from './data-fixtures';

/** Value of CHW-stored pixel (channel c, flat position p) in record i. */
const chw = (i: number, c: number, p: number) => (i * 7 + c * 50 + p) % 256;

describe('CIFAR binary batches', () => {
  it('reads CIFAR-10 records (1 label byte, CHW) into NHWC', () => {
    const bytes = cifarRecords([[3], [9]], chw);
    const d = parseCifarBinary(bytes, { labelBytes: 1, labelIndex: 0, numClasses: 10, file: 'b.bin' });
    expect(d.n).toBe(2);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    for (const [i, p, c] of [
      [0, 0, 0],
      [1, 5 * 32 + 7, 2],
      [1, 1023, 1],
    ])
      expect(d.images[i * 3072 + p * 3 + c]).toBe(chw(i, c, p));
  });
  it('keeps the fine label of CIFAR-100 (coarse byte first)', () => {
    const bytes = cifarRecords(
      [
        [4, 77],
        [19, 2],
      ],
      chw,
    );
    const d = parseCifarBinary(bytes, { labelBytes: 2, labelIndex: 1, numClasses: 100, file: 'train.bin' });
    expect(Array.from(d.labels)).toEqual([77, 2]);
    expect(d.images[3072 + 3 * 10 + 1]).toBe(chw(1, 1, 10));
  });
  it('refuses a truncated batch, naming the file', () => {
    const bytes = cifarRecords([[1], [2]], chw).subarray(0, 5000);
    expect(() =>
      parseCifarBinary(bytes, { labelBytes: 1, labelIndex: 0, numClasses: 10, file: 'data_batch_3.bin' }),
    ).toThrow(/data_batch_3\.bin: 5000 bytes is not a whole number of 3073-byte CIFAR records/);
  });
});

describe('MATLAB v5 / SVHN', () => {
  // X(row, col, ch, i) column-major: index row + 32 col + 1024 ch + 3072 i.
  const n = 3;
  const X = new Uint8Array(3072 * n);
  const val = (row: number, col: number, ch: number, i: number) =>
    (row * 3 + col * 5 + ch * 70 + i * 11) % 256;
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < 3; ch++)
      for (let col = 0; col < 32; col++)
        for (let row = 0; row < 32; row++) X[row + 32 * col + 1024 * ch + 3072 * i] = val(row, col, ch, i);
  const y = [10, 3, 1];

  it.each([false, true])('reads X (column-major) and y (10 → 0), compressed=%s', (compressed) => {
    const mat = svhnMat(X, y, compressed);
    const vars = parseMatV5(mat, 'train_32x32.mat');
    expect(vars.get('X')!.dims).toEqual([32, 32, 3, n]);
    expect(vars.get('y')!.mxClass).toBe(6);
    const d = svhnFromMat(mat, 'train_32x32.mat');
    expect(Array.from(d.labels)).toEqual([0, 3, 1]);
    for (const [row, col, ch, i] of [
      [0, 0, 0, 0],
      [5, 17, 2, 1],
      [31, 30, 1, 2],
    ])
      expect(d.images[i * 3072 + (row * 32 + col) * 3 + ch]).toBe(val(row, col, ch, i));
  });
  it('refuses a truncated file and a v7.3 (HDF5) file with clear errors', () => {
    const mat = svhnMat(X, y);
    expect(() => svhnFromMat(mat.subarray(0, 4000), 'train_32x32.mat')).toThrow(
      /train_32x32\.mat: .*truncated/,
    );
    expect(() => svhnFromMat(svhnMat(X, y, false, 'MATLAB 7.3 MAT-file'), 'x.mat')).toThrow(
      /v7\.3 files are HDF5/,
    );
    expect(() => svhnFromMat(Buffer.alloc(50), 'tiny.mat')).toThrow(UserError);
  });
});

describe('.npy / .npz / Imagenet32', () => {
  const n = 2;
  const data = new Uint8Array(n * 3072);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 256;

  it.each([
    [{}, 'stored'],
    [{ deflate: true }, 'deflated'],
    [{ deflate: true, zip64: true }, 'deflated with zip64 extra fields'],
  ])('reads data (CHW rows) and 1-based labels from an npz (%j %s)', (opts, _how) => {
    const npz = imagenet32Npz(data, [1, 1000], opts);
    const d = imagenet32FromNpz(npz, 'train_data_batch_1.npz');
    expect(Array.from(d.labels)).toEqual([0, 999]);
    // image 1, pixel 40, channel 2 comes from row 1, column 2048 + 40.
    expect(d.images[3072 + 40 * 3 + 2]).toBe(data[3072 + 2048 + 40]);
    expect(d.images[0 * 3072 + 0 * 3 + 1]).toBe(data[1024]);
  });
  it('refuses object (pickled) arrays without unpickling them', () => {
    const npy = npyBytes('|O', [2], new Uint8Array([0x80, 0x04, 0x95, 0, 0, 0, 0, 0]));
    expect(() => parseNpy(npy, 'x.npy')).toThrow(/object array .*pickle/);
    const npz = zipArchive([
      { name: 'data.npy', data: npy },
      { name: 'labels.npy', data: npy },
    ]);
    expect(() => imagenet32FromNpz(npz, 'evil.npz')).toThrow(
      /evil\.npz:data\.npy: holds a Python object array/,
    );
  });
  it('reads int64/float32 arrays and rejects truncated data', () => {
    const f = new Float32Array([1.5, -2]);
    expect(Array.from(parseNpy(npyBytes('<f4', [2], new Uint8Array(f.buffer)), 'f.npy').data)).toEqual([
      1.5, -2,
    ]);
    const short = npyBytes('|u1', [10, 3072], new Uint8Array(100));
    expect(() => parseNpy(short, 's.npy')).toThrow(/truncated/);
    const npz = imagenet32Npz(data, [1, 2]);
    expect(() => readZip(npz.subarray(0, npz.length - 30), 'cut.npz')).toThrow(
      /cut\.npz: .*(truncated|damaged)/,
    );
  });
});

describe('IDX (MNIST)', () => {
  it.each([false, true])('reads images and labels, gzip=%s, and pads 28→32×3', (gz) => {
    const img = Uint8Array.from({ length: 2 * 784 }, (_, i) => i % 251);
    const arr = parseIdx(idxBytes([2, 28, 28], img, gz), 'train-images-idx3-ubyte');
    expect(arr.shape).toEqual([2, 28, 28]);
    const out = greyTo32x3(arr.data, 2, 28);
    expect(out.length).toBe(2 * 3072);
    // Border is zero; (y, x) of the 28×28 image lands at (y+2, x+2), same value in R, G, B.
    expect(out[(0 * 32 + 0) * 3]).toBe(0);
    const v = img[784 + 10 * 28 + 20];
    const o = 3072 + ((10 + 2) * 32 + 20 + 2) * 3;
    expect([out[o], out[o + 1], out[o + 2]]).toEqual([v, v, v]);
  });
  it('refuses a truncated file', () => {
    const bytes = idxBytes([5, 28, 28], new Uint8Array(5 * 784)).subarray(0, 1000);
    expect(() => parseIdx(bytes, 't10k-images-idx3-ubyte')).toThrow(/t10k-images-idx3-ubyte: truncated/);
  });
});

describe('JPEG / PNG decoding', () => {
  const img = rgbImage(32, 32, (x, y) => [x * 8, y * 8, 128]);
  it('decodes PNG exactly and JPEG closely', () => {
    expect(Array.from(decodeImage(pngBytes(32, 32, img), 'a.png', { height: 32, width: 32 }))).toEqual(
      Array.from(img),
    );
    const j = decodeImage(jpegBytes(32, 32, img), 'a.jpg', { height: 32, width: 32 });
    let err = 0;
    for (let i = 0; i < img.length; i++) err += Math.abs(j[i] - img[i]);
    expect(err / img.length).toBeLessThan(4);
  });
  it('refuses a wrong-size image naming the file and the fix', () => {
    const big = rgbImage(64, 64, () => [1, 2, 3]);
    expect(() =>
      decodeImage(jpegBytes(64, 64, big), 'arch.tgz:train/cat/x.jpg', { height: 32, width: 32 }),
    ).toThrow(/arch\.tgz:train\/cat\/x\.jpg: image is 64×64, expected 32×32[\s\S]*downsample/);
    expect(() => decodeImage(Buffer.from('not an image'), 'y.jpg', { height: 32, width: 32 })).toThrow(
      /neither JPEG nor PNG/,
    );
  });
});
