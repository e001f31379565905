// Convolution shapes every custom conv kernel (wasm and webgpu) is checked on against the cpu
// backend, and the helpers those checks share (test/backend-kernels.test.ts,
// src/backend/webgpu/check.ts, the threads check).
import * as tf from '@tensorflow/tfjs';

export type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

export const CONV_CASES: ConvCase[] = [
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 5], filter: [1, 1, 5, 6], strides: 2, pad: 'same' },
  {
    x: [1, 7, 6, 2],
    filter: [3, 2, 2, 5],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [3, 10, 10, 4],
    filter: [3, 3, 4, 2],
    strides: [2, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [2, 12, 12, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'same' },
  // the models' explicit symmetric padding (PyTorch's padding=1), stride 1 and 2
  { x: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 1, pad: 1 },
  { x: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  { x: [2, 9, 9, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1 },
  { x: [2, 8, 8, 4], filter: [1, 1, 4, 6], strides: 2, pad: 'valid' },
  // padding larger than filter − 1: our dx falls back to tfjs's own kernel
  { x: [1, 5, 5, 2], filter: [1, 1, 2, 3], strides: 1, pad: 1 },
];

export function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

/** Runs `f` on `backend` and returns its values (the tensor is disposed). */
export async function onBackend(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = f();
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}
