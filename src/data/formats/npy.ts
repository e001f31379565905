import * as zlib from 'zlib';
import { UserError } from '../../util/errors';

/**
 * .npy and .npz readers that never unpickle: only plain numeric dtypes are accepted; an
 * object array (dtype 'O', which numpy stores as a pickle) is refused with a clear error.
 */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data:
    | Uint8Array
    | Int8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | Float32Array
    | Float64Array;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(file: string, what: string, fix = 'pass a .npy/.npz written by numpy with a numeric dtype') {
  return new UserError(`${file}: ${what}`, fix);
}

export function parseNpy(buf: Uint8Array, file: string): NpyArray {
  if (buf.length < 10 || NPY_MAGIC.some((b, i) => buf[i] !== b))
    throw bad(file, 'not a .npy array (bad magic)');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number, headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw bad(file, `unknown .npy version ${major}`);
  if (headerStart + headerLen > buf.length) throw bad(file, 'truncated header');
  const header = Buffer.from(buf.subarray(headerStart, headerStart + headerLen)).toString('latin1');
  // The header is a Python dict literal; read its three keys with patterns, never eval it.
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    if (/'descr'\s*:\s*\[/.test(header)) throw bad(file, 'structured dtypes are not supported');
    throw bad(file, `unreadable header ${JSON.stringify(header.trim())}`);
  }
  if (descr.includes('O'))
    throw bad(
      file,
      `holds a Python object array (dtype '${descr}'), which numpy stores as a pickle; pickles are never loaded here`,
      're-save the data as a numeric array (e.g. np.savez(f, data=x.astype(np.uint8), labels=y.astype(np.int64)))',
    );
  if (fortran === 'True')
    throw bad(file, 'Fortran-ordered arrays are not supported', 'save with np.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(file, `bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(headerStart + headerLen);
  const data = typedFromDescr(descr, body, count, file);
  return { dtype: descr, shape, data };
}

function typedFromDescr(descr: string, body: Uint8Array, count: number, file: string): NpyArray['data'] {
  const order = descr[0];
  const kind = descr.slice(1);
  if (order === '>' && kind !== 'u1' && kind !== 'i1')
    throw bad(file, `big-endian dtype '${descr}' is not supported`);
  const sizes: Record<string, number> = {
    u1: 1,
    i1: 1,
    b1: 1,
    i2: 2,
    u2: 2,
    i4: 4,
    u4: 4,
    i8: 8,
    u8: 8,
    f4: 4,
    f8: 8,
  };
  const size = sizes[kind];
  if (!size) throw bad(file, `dtype '${descr}' is not supported (numeric dtypes only)`);
  if (body.length < count * size)
    throw bad(file, `truncated: ${count} values of ${size} bytes need ${count * size}, have ${body.length}`);
  const bytes = body.subarray(0, count * size);
  // new Uint8Array(x) copies (Buffer.slice would not): an aligned, exact-size ArrayBuffer.
  const copy = () => new Uint8Array(bytes).buffer;
  switch (kind) {
    case 'u1':
    case 'b1':
      return bytes;
    case 'i1':
      return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case 'i2':
      return new Int16Array(copy());
    case 'u2':
      return new Uint16Array(copy());
    case 'i4':
      return new Int32Array(copy());
    case 'u4':
      return new Uint32Array(copy());
    case 'f4':
      return new Float32Array(copy());
    case 'f8':
      return new Float64Array(copy());
    default: {
      // int64 / uint64 labels: fit in float64 exactly for any realistic class id.
      const big = kind === 'i8' ? new BigInt64Array(copy()) : new BigUint64Array(copy());
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(big[i]);
      return out;
    }
  }
}

/**
 * Reads every member of a zip archive (an .npz is a zip of .npy files) into memory. Handles
 * stored and deflated members and the zip64 extra fields numpy writes; uses node's zlib.
 */
export function readZip(buf: Uint8Array, file: string): Map<string, Uint8Array> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let p = buf.length - 22; p >= Math.max(0, buf.length - 22 - 65535); p--) {
    if (view.getUint32(p, true) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0)
    throw bad(
      file,
      'not a zip/npz archive or truncated (no end-of-central-directory record)',
      'download the file again',
    );
  let entries = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (
    (entries === 0xffff || cdOffset === 0xffffffff) &&
    eocd >= 20 &&
    view.getUint32(eocd - 20, true) === 0x07064b50
  ) {
    const z64 = Number(view.getBigUint64(eocd - 12, true));
    if (view.getUint32(z64, true) !== 0x06064b50) throw bad(file, 'bad zip64 end record');
    entries = Number(view.getBigUint64(z64 + 32, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  let p = cdOffset;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > buf.length || view.getUint32(p, true) !== 0x02014b50)
      throw bad(file, 'damaged zip central directory');
    const method = view.getUint16(p + 10, true);
    let compSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = Buffer.from(buf.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    // zip64 extra (id 1) holds, in order, the fields whose 32-bit slot is 0xffffffff.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(view.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    if (view.getUint32(localOffset, true) !== 0x04034b50)
      throw bad(file, `damaged local header of '${name}'`);
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compSize > buf.length)
      throw bad(file, `member '${name}' is truncated`, 'download the file again');
    const comp = buf.subarray(dataStart, dataStart + compSize);
    let data: Uint8Array;
    if (method === 0) data = comp;
    else if (method === 8) {
      try {
        data = zlib.inflateRawSync(comp);
      } catch (err) {
        throw bad(file, `member '${name}' is damaged (${(err as Error).message})`, 'download the file again');
      }
    } else throw bad(file, `member '${name}' uses zip compression method ${method} (only stored/deflate)`);
    if (data.length !== size)
      throw bad(file, `member '${name}' inflated to ${data.length} bytes, expected ${size}`);
    out.set(name, data);
    p = extraEnd + commentLen;
  }
  return out;
}

/** The arrays of an .npz, keyed by name without '.npy'. */
export function parseNpz(buf: Uint8Array, file: string): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [name, bytes] of readZip(buf, file)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(bytes, `${file}:${name}`));
  }
  return out;
}

/**
 * A downsampled-ImageNet batch (Chrabaszcz et al. 2017): 'data' uint8 N×3072 in CHW order
 * per row, 'labels' 1-based class ids. Returns NHWC bytes and 0-based labels.
 */
export function imagenet32FromNpz(buf: Uint8Array, file: string, numClasses = 1000) {
  const arrays = parseNpz(buf, file);
  const data = arrays.get('data');
  const labels = arrays.get('labels');
  if (!data || !labels)
    throw new UserError(
      `${file}: no 'data' and 'labels' arrays (found: ${[...arrays.keys()].join(', ') || 'none'})`,
      'pass the Imagenet32 *_data_batch_N.npz / val_data.npz files',
    );
  if (!(data.data instanceof Uint8Array) || data.shape.length !== 2 || data.shape[1] !== 3072)
    throw new UserError(`${file}: 'data' is ${data.dtype} ${data.shape.join('×')}, expected uint8 N×3072`);
  const n = data.shape[0];
  if (labels.data.length !== n) throw new UserError(`${file}: ${labels.data.length} labels for ${n} images`);
  const images = new Uint8Array(n * 3072);
  const src = data.data;
  for (let i = 0; i < n; i++) {
    const b = i * 3072;
    for (let p = 0; p < 1024; p++) {
      images[b + 3 * p] = src[b + p];
      images[b + 3 * p + 1] = src[b + 1024 + p];
      images[b + 3 * p + 2] = src[b + 2048 + p];
    }
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i];
    if (!(v >= 1 && v <= numClasses))
      throw new UserError(`${file}: label ${v} at ${i} is not 1..${numClasses}`);
    out[i] = v - 1;
  }
  return { images, labels: out, n };
}
