import * as tf from '@tensorflow/tfjs';
import { builtin, type ProgramUniform, type WebGpuBackend } from './backend';
import { ConvGemmProgram } from './conv-gemm-program';
import { convGemmVariant } from './conv-gemm-variant';

// Conv2D and Conv2DBackpropInput on the implicit-GEMM program.

/** The numbers a ConvGemmProgram needs, in its uniform order (NHWC, dilation 1). */
interface GemmConv {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

function gemmConv(info: tf.backend_util.Conv2DInfo): GemmConv {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function runConvGemm(
  backend: WebGpuBackend,
  mode: 'forward' | 'inputGrad',
  inputs: tf.TensorInfo[],
  c: GemmConv,
): tf.TensorInfo {
  const forward = mode === 'forward';
  const outShape = forward ? [c.batch, c.outH, c.outW, c.outC] : [c.batch, c.inH, c.inW, c.inC];
  const mRows = outShape[0] * outShape[1] * outShape[2];
  const nCols = outShape[3];
  const kChannels = forward ? c.inC : c.outC;
  const kCols = c.filterH * c.filterW * kChannels;
  // vec4 loads need 4 | the channels k runs over (A, and B for inputGrad) and 4 | co (B, forward).
  const variant = convGemmVariant();
  const vec4 = variant.vec4 && kChannels % 4 === 0 && (!forward || nCols % 4 === 0);
  const uniforms: ProgramUniform = [
    c.inH,
    c.inW,
    c.inC,
    c.outH,
    c.outW,
    c.outC,
    c.filterW,
    c.strideH,
    c.strideW,
    c.padTop,
    c.padLeft,
    mRows,
    kCols,
    nCols,
  ].map((v) => ({ type: 'int32', data: [v] }));
  const flat = backend.runWebGPUProgram(
    new ConvGemmProgram(mode, mRows, nCols, { ...variant, vec4 }),
    inputs,
    'float32',
    uniforms,
  );
  try {
    return builtin.Reshape({ inputs: { x: flat }, backend, attrs: { shape: outShape } });
  } finally {
    backend.disposeData(flat.dataId);
  }
}

/**
 * dx of a stride-1 conv is itself a stride-1 conv: of dy with the filter flipped in space and
 * its channel axes swapped, padded by filter − 1 − pad. That runs the forward GEMM, whose loads
 * need no divisibility tests; strided convs use the 'inputGrad' GEMM.
 */
function inputGradByForwardConv(
  backend: WebGpuBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  c: GemmConv,
) {
  const flipped = builtin.Reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } });
  try {
    const swapped = builtin.Transpose({ inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } });
    try {
      return runConvGemm(backend, 'forward', [dy, swapped], {
        batch: c.batch,
        inH: c.outH,
        inW: c.outW,
        inC: c.outC,
        outH: c.inH,
        outW: c.inW,
        outC: c.inC,
        filterH: c.filterH,
        filterW: c.filterW,
        strideH: 1,
        strideW: 1,
        padTop: c.filterH - 1 - c.padTop,
        padLeft: c.filterW - 1 - c.padLeft,
      });
    } finally {
      backend.disposeData(swapped.dataId);
    }
  } finally {
    backend.disposeData(flipped.dataId);
  }
}

export function conv2D(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) {
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  const x = args.inputs.x as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const dilations = attrs.dilations ?? 1;
  const dilated = Array.isArray(dilations) ? dilations.some((d) => d !== 1) : dilations !== 1;
  if (attrs.dataFormat !== 'NHWC' || dilated || x.dtype !== 'float32') return builtin.Conv2D(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return runConvGemm(args.backend as WebGpuBackend, 'forward', [x, filter], gemmConv(info));
}

export function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  if (attrs.dataFormat !== 'NHWC' || dy.dtype !== 'float32') return builtin.Conv2DBackpropInput(args);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const backend = args.backend as WebGpuBackend;
  const c = gemmConv(info);
  if (c.strideH === 1 && c.strideW === 1) return inputGradByForwardConv(backend, dy, filter, c);
  return runConvGemm(backend, 'inputGrad', [dy, filter], c);
}
