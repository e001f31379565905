import { UserError } from '../../util/errors';

export interface DecodedImages {
  /** n×32×32×3 bytes, NHWC. */
  images: Uint8Array;
  labels: Int32Array;
  n: number;
}

const PIXELS = 32 * 32;

/**
 * Parses a CIFAR binary batch: records of `labelBytes` label bytes then 3072 pixel bytes in
 * CHW order (1024 red, 1024 green, 1024 blue). CIFAR-10 has 1 label byte; CIFAR-100 has 2
 * (coarse, fine) and we keep the fine label (`labelIndex` 1).
 */
export function parseCifarBinary(
  bytes: Uint8Array,
  opts: { labelBytes: 1 | 2; labelIndex: number; numClasses: number; file: string },
): DecodedImages {
  const record = opts.labelBytes + 3 * PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0)
    throw new UserError(
      `${opts.file}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR records (truncated or not a CIFAR binary batch)`,
      'download the archive again (npm run data -- fetch) or import another copy',
    );
  const n = bytes.length / record;
  const images = new Uint8Array(n * 3 * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * record;
    const label = bytes[base + opts.labelIndex];
    if (label >= opts.numClasses)
      throw new UserError(
        `${opts.file}: record ${i} has label ${label}, outside 0..${opts.numClasses - 1}`,
        'check that the file belongs to this dataset (CIFAR-10 vs CIFAR-100)',
      );
    labels[i] = label;
    const src = base + opts.labelBytes;
    const dst = i * 3 * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      images[dst + 3 * p] = bytes[src + p];
      images[dst + 3 * p + 1] = bytes[src + PIXELS + p];
      images[dst + 3 * p + 2] = bytes[src + 2 * PIXELS + p];
    }
  }
  return { images, labels, n };
}

/** Class names from batches.meta.txt / fine_label_names.txt: one per line, blanks dropped. */
export function parseLabelNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
