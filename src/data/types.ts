/**
 * The one in-memory form every dataset takes once imported: uint8 NHWC pixels + int labels.
 * Readers of official formats produce it; the cache stores it; batch streams read it.
 */
export interface ImageDataset {
  /** Registry name, e.g. 'cifar10', 'tin32', 'mnist32'. */
  name: string;
  split: 'train' | 'test';
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  channels: number;
  /** n*height*width*channels bytes, NHWC, 0..255. */
  images: Uint8Array;
  /** n labels in [0, classNames.length). */
  labels: Int32Array;
  classNames: string[];
  provenance: Provenance;
}

export interface Provenance {
  /** Where the bytes came from: an archive path or URL. */
  source: string;
  /** SHA-256 of that archive, when checked. */
  sha256?: string;
  /** e.g. 'lossy JPEG re-encoding of CIFAR-10: pixel values differ slightly from the official binaries'. */
  note?: string;
  importedAt?: string;
}

/** One batch as tensors for the model: x float32 in [0,1] NHWC, y int32 class ids. */
export interface TensorBatch {
  x: import('@tensorflow/tfjs').Tensor4D;
  y: import('@tensorflow/tfjs').Tensor1D;
}
