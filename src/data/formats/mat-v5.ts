import * as zlib from 'zlib';
import { UserError } from '../../util/errors';

/**
 * A minimal reader for MATLAB Level 5 MAT-files (the container SVHN's *_32x32.mat use):
 * a 128-byte header, then tagged data elements. Numeric matrices (miMATRIX) are read, also
 * inside zlib-compressed elements (miCOMPRESSED, MATLAB ≥ 7 default). Cells, structs,
 * sparse and char arrays are skipped: SVHN needs none. v7.3 files are HDF5 and refused.
 */
export interface MatVariable {
  name: string;
  /** mxClass id: 6 double, 7 single, 8 int8, 9 uint8, 10 int16, 11 uint16, 12 int32, 13 uint32. */
  mxClass: number;
  /** Column-major (Fortran) dimensions, as MATLAB stores them. */
  dims: number[];
  /** The real part, in the type it was stored with (often narrower than mxClass). */
  data:
    | Uint8Array
    | Int8Array
    | Float64Array
    | Float32Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array;
}

const mi = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13]);

interface Element {
  type: number;
  data: Uint8Array;
  next: number;
}

function bad(file: string, what: string): UserError {
  return new UserError(`${file}: not a readable MATLAB v5 MAT-file: ${what}`, 'download the .mat file again');
}

function readElement(buf: Uint8Array, p: number, file: string): Element {
  if (p + 8 > buf.length) throw bad(file, `truncated tag at byte ${p}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const first = view.getUint32(p, true);
  if (first >>> 16 !== 0) {
    // Small data element: type and byte count packed into 4 bytes, data in the next 4.
    const nbytes = first >>> 16;
    if (nbytes > 4) throw bad(file, `small element of ${nbytes} bytes at ${p}`);
    return { type: first & 0xffff, data: buf.subarray(p + 4, p + 4 + nbytes), next: p + 8 };
  }
  const nbytes = view.getUint32(p + 4, true);
  const start = p + 8;
  if (start + nbytes > buf.length)
    throw bad(
      file,
      `element at byte ${p} needs ${nbytes} bytes, only ${buf.length - start} left (truncated)`,
    );
  // Compressed elements are not padded; everything else is padded to 8 bytes.
  const next = first === mi.COMPRESSED ? start + nbytes : start + Math.ceil(nbytes / 8) * 8;
  return { type: first, data: buf.subarray(start, start + nbytes), next };
}

/** Copies into a fresh, aligned buffer so a typed-array view is legal. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer; // a copy even for a Buffer (Buffer.slice is a view)
}

function numericData(type: number, bytes: Uint8Array, file: string): MatVariable['data'] {
  switch (type) {
    case mi.UINT8:
      return bytes;
    case mi.INT8:
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    case mi.INT16:
      return new Int16Array(aligned(bytes));
    case mi.UINT16:
      return new Uint16Array(aligned(bytes));
    case mi.INT32:
      return new Int32Array(aligned(bytes));
    case mi.UINT32:
      return new Uint32Array(aligned(bytes));
    case mi.SINGLE:
      return new Float32Array(aligned(bytes));
    case mi.DOUBLE:
      return new Float64Array(aligned(bytes));
    default:
      throw bad(file, `numeric data of type ${type} is not supported`);
  }
}

function parseMatrix(body: Uint8Array, file: string): MatVariable | undefined {
  if (body.length === 0) return undefined;
  const flags = readElement(body, 0, file);
  const mxClass = flags.data[0];
  const dimsEl = readElement(body, flags.next, file);
  const nameEl = readElement(body, dimsEl.next, file);
  const name = Buffer.from(nameEl.data).toString('latin1');
  if (!NUMERIC_CLASSES.has(mxClass)) return { name, mxClass, dims: [], data: new Uint8Array(0) };
  const dv = new DataView(dimsEl.data.buffer, dimsEl.data.byteOffset, dimsEl.data.byteLength);
  const dims: number[] = [];
  for (let i = 0; i + 4 <= dimsEl.data.length; i += 4) dims.push(dv.getInt32(i, true));
  const real = readElement(body, nameEl.next, file);
  const data = numericData(real.type, real.data, file);
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count)
    throw bad(
      file,
      `variable '${name}' has ${data.length} values, its dimensions ${dims.join('×')} say ${count}`,
    );
  return { name, mxClass, dims, data };
}

function parseElements(buf: Uint8Array, start: number, file: string, out: Map<string, MatVariable>): void {
  let p = start;
  while (p + 8 <= buf.length) {
    const el = readElement(buf, p, file);
    if (el.type === mi.COMPRESSED) {
      let inner: Uint8Array;
      try {
        inner = zlib.inflateSync(el.data);
      } catch (e) {
        throw bad(file, `compressed element at byte ${p} is damaged (${(e as Error).message})`);
      }
      parseElements(inner, 0, file, out);
    } else if (el.type === mi.MATRIX) {
      const v = parseMatrix(el.data, file);
      if (v) out.set(v.name, v);
    }
    p = el.next;
  }
}

export function parseMatV5(buf: Uint8Array, file: string): Map<string, MatVariable> {
  if (buf.length < 128) throw bad(file, `only ${buf.length} bytes (a header alone is 128)`);
  const text = Buffer.from(buf.subarray(0, 116)).toString('latin1');
  if (text.startsWith('MATLAB 7.3'))
    throw new UserError(
      `${file}: MATLAB v7.3 files are HDF5 and not supported`,
      "re-save it in MATLAB/Octave with save(..., '-v7') or use the official SVHN *_32x32.mat",
    );
  if (!text.startsWith('MATLAB 5.0')) throw bad(file, 'header does not start with "MATLAB 5.0 MAT-file"');
  const endian = Buffer.from(buf.subarray(126, 128)).toString('latin1');
  if (endian !== 'IM') throw bad(file, 'big-endian MAT-files are not supported');
  const vars = new Map<string, MatVariable>();
  parseElements(buf, 128, file, vars);
  return vars;
}

/**
 * SVHN cropped digits: X is uint8 32×32×3×N (column-major: row fastest), y is N×1 with
 * label 10 meaning digit 0. Returns NHWC bytes and labels 0..9.
 */
export function svhnFromMat(buf: Uint8Array, file: string) {
  const vars = parseMatV5(buf, file);
  const X = vars.get('X');
  const y = vars.get('y');
  if (!X || !y)
    throw new UserError(
      `${file}: no 'X' and 'y' variables (found: ${[...vars.keys()].join(', ') || 'none'})`,
      'pass SVHN train_32x32.mat / test_32x32.mat (format 2, cropped digits)',
    );
  const [h, w, c, n] = X.dims;
  if (X.dims.length !== 4 || h !== 32 || w !== 32 || c !== 3)
    throw new UserError(`${file}: X is ${X.dims.join('×')}, expected 32×32×3×N`);
  if (y.data.length !== n) throw new UserError(`${file}: y has ${y.data.length} labels for ${n} images`);
  const images = new Uint8Array(n * 3072);
  const src = X.data;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const base = i * 3072 + ch * 1024;
      for (let col = 0; col < 32; col++) {
        for (let row = 0; row < 32; row++) {
          images[i * 3072 + (row * 32 + col) * 3 + ch] = src[base + col * 32 + row];
        }
      }
    }
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!(v >= 1 && v <= 10 && Number.isInteger(v)))
      throw new UserError(`${file}: label ${v} at ${i} is not 1..10`);
    labels[i] = v === 10 ? 0 : v;
  }
  return { images, labels, n };
}
