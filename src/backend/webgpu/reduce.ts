import * as tf from '@tensorflow/tfjs';
import { TARGET_WORKGROUPS, builtin, type KernelFunc, type WebGpuBackend } from './backend';
import { ColumnSumProgram } from './column-sum-program';
import { RowChunkSumProgram } from './row-chunk-sum-program';

// Sum and Mean with few outputs.

/** Rows of a reduction below which one pass (no splits) is enough. */
const MIN_SPLIT_ROWS = 1024;

function splitCount(rows: number, workgroupsPerSplit: number): number {
  const wanted = Math.ceil(TARGET_WORKGROUPS / workgroupsPerSplit);
  return Math.max(1, Math.min(wanted, Math.ceil(rows / MIN_SPLIT_ROWS), 65535));
}

/** Σ over the first axes of x viewed as [rows, cols], times `scale`: a [cols] tensor. */
export function sumLeadingAxes(
  backend: WebGpuBackend,
  x: tf.TensorInfo,
  rows: number,
  cols: number,
  scale: number,
) {
  const splits = rows < MIN_SPLIT_ROWS ? 1 : splitCount(rows, Math.ceil(cols / 64));
  const rowsPerSplit = Math.ceil(rows / splits);
  const run = (input: tf.TensorInfo, nRows: number, perSplit: number, nSplits: number, s: number) =>
    backend.runWebGPUProgram(new ColumnSumProgram(nSplits, cols), [input], 'float32', [
      { type: 'int32', data: [nRows] },
      { type: 'int32', data: [cols] },
      { type: 'int32', data: [perSplit] },
      { type: 'float32', data: [s] },
    ]);
  if (splits === 1) return run(x, rows, rows, 1, scale);
  const partial = run(x, rows, rowsPerSplit, splits, 1);
  try {
    return run(partial, splits, splits, 1, scale);
  } finally {
    backend.disposeData(partial.dataId);
  }
}

/** Σ over the last axes of x viewed as [outer, inner], times `scale`: an [outer] tensor. */
function sumTrailingAxes(
  backend: WebGpuBackend,
  x: tf.TensorInfo,
  outer: number,
  inner: number,
  scale: number,
) {
  const chunks = splitCount(inner, outer);
  const chunk = Math.ceil(inner / chunks);
  const run = (input: tf.TensorInfo, n: number, size: number, nChunks: number, s: number) =>
    backend.runWebGPUProgram(new RowChunkSumProgram(outer, nChunks), [input], 'float32', [
      { type: 'int32', data: [n] },
      { type: 'int32', data: [size] },
      { type: 'int32', data: [nChunks] },
      { type: 'float32', data: [s] },
    ]);
  const partial = run(x, inner, chunk, chunks, 1);
  try {
    return run(partial, chunks, chunks, 1, scale);
  } finally {
    backend.disposeData(partial.dataId);
  }
}

export function reduction(kind: 'Sum' | 'Mean'): KernelFunc {
  return (args) => {
    const backend = args.backend as WebGpuBackend;
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const shape = x.shape;
    const size = tf.util.sizeFromShape(shape);
    if (x.dtype !== 'float32' || size === 0) return builtin[kind](args);
    const rank = shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
    const reduced = axes.reduce((p, a) => p * shape[a], 1);
    const kept = size / reduced;
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    const trailing = axes.length > 0 && axes.every((a, i) => a === rank - axes.length + i);
    const scale = kind === 'Mean' ? 1 / reduced : 1;
    let out: tf.TensorInfo;
    if (leading) {
      out = sumLeadingAxes(backend, x, reduced, kept, scale);
    } else if (trailing && reduced >= 16 * MIN_SPLIT_ROWS && kept <= TARGET_WORKGROUPS) {
      out = sumTrailingAxes(backend, x, kept, reduced, scale);
    } else {
      return builtin[kind](args);
    }
    const outShape = keepDims
      ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : shape.filter((_, i) => !axes.includes(i));
    try {
      return builtin.Reshape({ inputs: { x: out }, backend, attrs: { shape: outShape } });
    } finally {
      backend.disposeData(out.dataId);
    }
  };
}
