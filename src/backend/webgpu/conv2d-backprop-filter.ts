import * as tf from '@tensorflow/tfjs';
import { builtin, type ProgramUniform, type WebGpuBackend } from './backend';
import { FilterGradPartialProgram, TILE_M, filterGradSplits } from './filter-grad-program';
import { sumLeadingAxes } from './reduce';

export function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WebGpuBackend;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32') return builtin.Conv2DBackpropFilter(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const kRows = info.filterHeight * info.filterWidth * info.inChannels;
  const outC = info.outChannels;
  const mRows = info.batchSize * info.outHeight * info.outWidth;
  const splits = filterGradSplits(kRows, outC, mRows);
  // Whole TILE_M steps per split, so that only the last split has a ragged end.
  const rowsPerSplit = Math.ceil(Math.ceil(mRows / splits) / TILE_M) * TILE_M;
  const usedSplits = Math.ceil(mRows / rowsPerSplit);
  const uniforms: ProgramUniform = [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    outC,
    info.filterWidth,
    kRows,
    mRows,
    rowsPerSplit,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ].map((v) => ({ type: 'int32', data: [v] }));
  const partial = backend.runWebGPUProgram(
    new FilterGradPartialProgram(usedSplits, kRows, outC),
    [x, dy],
    'float32',
    uniforms,
  );
  // Adding the splits is the batch-norm reduction's job: partial viewed as [splits, K·Co].
  let summed: tf.TensorInfo | null = null;
  try {
    summed = sumLeadingAxes(backend, partial, usedSplits, kRows * outC, 1);
    return builtin.Reshape({ inputs: { x: summed }, backend, attrs: { shape: info.filterShape } });
  } finally {
    backend.disposeData(partial.dataId);
    if (summed) backend.disposeData(summed.dataId);
  }
}
