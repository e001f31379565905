import * as zlib from 'zlib';
import { UserError } from '../../util/errors';

/** An IDX array (MNIST format): big-endian header, unsigned-byte data. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Parses an IDX file (gzipped or not). Only unsigned-byte IDX (type 0x08) exists in (Fashion-)MNIST. */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  let bytes = raw;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new UserError(
        `${file}: gzip data is damaged (${(e as Error).message})`,
        'download the file again',
      );
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new UserError(`${file}: not an IDX file (bad magic number)`, 'pass the MNIST *-idx?-ubyte files');
  if (bytes[2] !== 0x08)
    throw new UserError(`${file}: IDX element type 0x${bytes[2].toString(16)} is not unsigned byte`);
  const dims = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < dims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * dims;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset < count)
    throw new UserError(
      `${file}: truncated: header says ${shape.join('×')} = ${count} bytes, file has ${bytes.length - offset}`,
      'download the file again',
    );
  return { shape, data: bytes.subarray(offset, offset + count) };
}

/**
 * MNIST-style 28×28 grey → 32×32×3: zero-pad 2 pixels each side (as the classic LeNet input)
 * and replicate the grey value to R, G and B, so it can stand in for SVHN's 32×32 RGB.
 */
export function greyTo32x3(grey: Uint8Array, n: number, size: number): Uint8Array {
  const pad = (32 - size) / 2;
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`greyTo32x3: cannot pad ${size}×${size} to 32×32`);
  const out = new Uint8Array(n * 32 * 32 * 3);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = grey[i * size * size + y * size + x];
        const o = ((i * 32 + y + pad) * 32 + x + pad) * 3;
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      }
    }
  }
  return out;
}

/** Images + labels IDX pair → 32×32×3 images and labels. */
export function idxPairTo32(
  images: IdxArray,
  labels: IdxArray,
  files: { images: string; labels: string },
  numClasses: number,
) {
  if (images.shape.length !== 3 || images.shape[1] !== images.shape[2])
    throw new UserError(`${files.images}: expected n×28×28 images, got ${images.shape.join('×')}`);
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0])
    throw new UserError(
      `${files.labels}: ${labels.shape.join('×')} labels do not match ${images.shape[0]} images in ${files.images}`,
      'pass the label file of the same split',
    );
  const n = images.shape[0];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (labels.data[i] >= numClasses) throw new UserError(`${files.labels}: label ${labels.data[i]} at ${i}`);
    out[i] = labels.data[i];
  }
  return { images: greyTo32x3(images.data, n, images.shape[1]), labels: out, n };
}
