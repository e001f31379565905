import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';

/**
 * Replacement kernels for tfjs 4.22's webgpu backend, for the two places where its training
 * path is pathological (see shared/gpu/README.md and docs/bench.md):
 *
 * - `Conv2DBackpropFilter` runs one thread per filter weight, each looping serially over
 *   batch × output positions (131,072 iterations at WRN's 32×32 layers, only 36,864 threads):
 *   15× slower than the forward conv on an H100. Ours is an implicit GEMM,
 *   dW[K, Co] = im2col(x)ᵀ[K, M] · dy[M, Co] with K = KH·KW·Ci and M = N·OH·OW, tiled 64×64
 *   through workgroup memory and split along M ("split-K") so that hundreds of workgroups share
 *   the long reduction; a second pass adds the splits.
 * - `Sum` / `Mean` run one workgroup per output value. Batch norm reduces an [N, H, W, C]
 *   tensor over N, H, W: C (16–640) workgroups each walk 100k+ values after a full transpose.
 *   Ours reduces leading axes in place (threads along the contiguous channel axis, rows split
 *   over many workgroups) and trailing axes with few outputs in row chunks, then adds the
 *   partial sums in a second small pass.
 *
 * - `Conv2D` / `Conv2DBackpropInput` reach 1.1–1.9 / 0.7–1.1 TFLOP/s on an H100 (a 4096² matmul:
 *   10). Ours are implicit GEMMs with 64×64 tiles of 256 threads (tfjs's: 32×32 of 64).
 *
 * Which are registered: WEBGPU_DEFAULT_KERNELS, or BIAMAT_WEBGPU_KERNELS (all / none / a list).
 * Everything else keeps tfjs's own kernels. Each replacement is checked against the cpu
 * backend in test/webgpu_kernels.test.ts (on a software Vulkan adapter where no GPU exists).
 */

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo;

/** The parts of tfjs's WebGPUProgram interface these programs use. */
interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}

type ProgramUniform = Array<{ type: 'int32' | 'float32'; data: number[] }>;

/** The parts of tfjs's WebGPUBackend these kernels call. */
interface WebGpuBackend extends tf.KernelBackend {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform,
  ): tf.TensorInfo;
}

/** Aim for at least this many workgroups per dispatch: an H100 has 132 SMs, each runs several. */
const TARGET_WORKGROUPS = 1024;

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter as a split-K implicit GEMM

/** Output tile (filter rows K × output channels) per workgroup, and rows of M per step. */
const TILE = 64;
const TILE_M = 16;
/** Each split walks at least this many rows of M, so the partial sums stay few. */
const MIN_ROWS_PER_SPLIT = 256;
/** Partial sums may use at most this many floats (64 MiB) before splitting less. */
const MAX_PARTIAL_FLOATS = 16 * 1024 * 1024;

/** Number of M-splits for a dW of `k` × `co` over `m` rows: enough workgroups, bounded memory. */
function filterGradSplits(k: number, co: number, m: number): number {
  const tiles = Math.ceil(k / TILE) * Math.ceil(co / TILE);
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const byRows = Math.max(1, Math.floor(m / MIN_ROWS_PER_SPLIT));
  const byMemory = Math.max(1, Math.floor(MAX_PARTIAL_FLOATS / (k * co)));
  return Math.max(1, Math.min(wanted, byRows, byMemory, 65535));
}

/**
 * partial[s, k, co] = Σ_{m in split s} im2col(x)[m, k] · dy[m, co]. 16×16 threads each own a
 * 4×4 block of the 64×64 tile, strided by 16 so that a warp's reads of the B tile and its
 * writes are contiguous and reads of the A tile are broadcasts. Loads: consecutive threads
 * take consecutive k (consecutive input channels) and consecutive output channels, so both
 * global reads coalesce.
 */
class FilterGradPartialProgram implements WebGpuProgram {
  variableNames = ['x', 'dy'];
  workgroupSize: [number, number, number] = [16, 16, 1];
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'biamatFilterGradPartial';
  uniforms =
    'inH : i32, inW : i32, inC : i32, outH : i32, outW : i32, outC : i32, filterW : i32, ' +
    'kRows : i32, mRows : i32, rowsPerSplit : i32, strideH : i32, strideW : i32, padTop : i32, padLeft : i32,';

  constructor(splits: number, kRows: number, outC: number) {
    this.outputShape = [splits, kRows, outC];
    this.dispatch = [Math.ceil(outC / TILE), Math.ceil(kRows / TILE), splits];
  }

  getUserCode(): string {
    return `
      var<workgroup> tileA : array<f32, ${TILE_M * TILE}>;
      var<workgroup> tileB : array<f32, ${TILE_M * TILE}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * 16 + tx;
        let co0 = i32(workgroupId.x) * ${TILE};
        let k0 = i32(workgroupId.y) * ${TILE};
        let split = i32(workgroupId.z);
        let mStart = split * uniforms.rowsPerSplit;
        let mEnd = min(mStart + uniforms.rowsPerSplit, uniforms.mRows);
        let outHW = uniforms.outH * uniforms.outW;
        let filterWC = uniforms.filterW * uniforms.inC;

        // This thread loads column t % 64 of both tiles, rows t / 64 + 4i.
        let col = t % ${TILE};
        let k = k0 + col;
        let kValid = k < uniforms.kRows;
        let kh = k / filterWC;
        let kRest = k % filterWC;
        let kw = kRest / uniforms.inC;
        let ci = kRest % uniforms.inC;
        let co = co0 + col;
        let coValid = co < uniforms.outC;
        let firstRow = t / ${TILE};

        var acc : array<f32, 16>;
        for (var i = 0; i < 16; i = i + 1) { acc[i] = 0.0; }

        // The trip count comes from uniforms only: WGSL requires barriers in uniform control
        // flow, and tfjs passes workgroupId through a private variable it cannot prove uniform.
        // Rows past mEnd (the last split's ragged end) load as zeros.
        let steps = uniforms.rowsPerSplit / ${TILE_M};
        for (var step = 0; step < steps; step = step + 1) {
          let m0 = mStart + step * ${TILE_M};
          for (var i = 0; i < ${(TILE_M * TILE) / 256}; i = i + 1) {
            let row = firstRow + 4 * i;
            let m = m0 + row;
            var a = 0.0;
            var b = 0.0;
            if (m < mEnd) {
              let n = m / outHW;
              let rest = m % outHW;
              let oh = rest / uniforms.outW;
              let ow = rest % uniforms.outW;
              if (kValid) {
                let ih = oh * uniforms.strideH + kh - uniforms.padTop;
                let iw = ow * uniforms.strideW + kw - uniforms.padLeft;
                if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
                  a = x[((n * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + ci];
                }
              }
              if (coValid) {
                b = dy[m * uniforms.outC + co];
              }
            }
            tileA[row * ${TILE} + col] = a;
            tileB[row * ${TILE} + col] = b;
          }
          workgroupBarrier();
          for (var r = 0; r < ${TILE_M}; r = r + 1) {
            var av : array<f32, 4>;
            var bv : array<f32, 4>;
            for (var i = 0; i < 4; i = i + 1) {
              av[i] = tileA[r * ${TILE} + ty + 16 * i];
              bv[i] = tileB[r * ${TILE} + tx + 16 * i];
            }
            for (var i = 0; i < 4; i = i + 1) {
              for (var j = 0; j < 4; j = j + 1) {
                acc[i * 4 + j] = fma(av[i], bv[j], acc[i * 4 + j]);
              }
            }
          }
          workgroupBarrier();
        }

        for (var i = 0; i < 4; i = i + 1) {
          let kOut = k0 + ty + 16 * i;
          for (var j = 0; j < 4; j = j + 1) {
            let cOut = co0 + tx + 16 * j;
            if (kOut < uniforms.kRows && cOut < uniforms.outC) {
              result[(split * uniforms.kRows + kOut) * uniforms.outC + cOut] = acc[i * 4 + j];
            }
          }
        }
      }
    `;
  }
}

function conv2DBackpropFilter(args: {
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

// ---------------------------------------------------------------------------------------------
// Conv2D and Conv2DBackpropInput as implicit GEMMs

/** Output tile (rows of M × output columns) per workgroup, and the depth of one K step. */
const GEMM_TILE = 64;
const GEMM_TILE_K = 16;

/**
 * out[m, c] = Σ_k A[m, k] · B[k, c] without materialising A:
 * - 'forward' (Conv2D): m = (n, oh, ow), k = (kh, kw, ci), c = co; A = im2col(x), B = W as [K, Co].
 * - 'inputGrad' (Conv2DBackpropInput): m = (n, ih, iw), k = (kh, kw, co), c = ci;
 *   A[m, k] = dy[n, (ih + padTop − kh)/s, (iw + padLeft − kw)/s, co] where that division is
 *   exact and in range (else 0), B[k, ci] = W[kh, kw, ci, co].
 * 16×16 threads each own a 4×4 block of the 64×64 tile (strided by 16: contiguous writes).
 * Each thread's four A rows are fixed, so their (n, h, w) is decoded once, not per K step.
 * tfjs's own kernels use 32×32 tiles of 64 threads, and decode every index on every load.
 */
class ConvGemmProgram implements WebGpuProgram {
  variableNames: string[];
  workgroupSize: [number, number, number] = [16, 16, 1];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;
  uniforms =
    'inH : i32, inW : i32, inC : i32, outH : i32, outW : i32, outC : i32, filterW : i32, ' +
    'strideH : i32, strideW : i32, padTop : i32, padLeft : i32, mRows : i32, kCols : i32, nCols : i32,';

  constructor(
    private mode: 'forward' | 'inputGrad',
    mRows: number,
    nCols: number,
  ) {
    this.variableNames = mode === 'forward' ? ['x', 'w'] : ['dy', 'w'];
    this.outputShape = [mRows, nCols];
    this.dispatch = [Math.ceil(nCols / GEMM_TILE), Math.ceil(mRows / GEMM_TILE), 1];
    this.shaderKey = `biamatConvGemm_${mode}`;
  }

  getUserCode(): string {
    const forward = this.mode === 'forward';
    // Row decoding: forward rows are output positions, inputGrad rows are input positions.
    const rowH = forward ? 'uniforms.outH' : 'uniforms.inH';
    const rowW = forward ? 'uniforms.outW' : 'uniforms.inW';
    // The channel that k runs over innermost: ci for forward, co for inputGrad.
    const kChannels = forward ? 'uniforms.inC' : 'uniforms.outC';
    const loadA = forward
      ? `
          let ih = rowY[i] * uniforms.strideH + kh - uniforms.padTop;
          let iw = rowX[i] * uniforms.strideW + kw - uniforms.padLeft;
          if (ih >= 0 && ih < uniforms.inH && iw >= 0 && iw < uniforms.inW) {
            a = x[((rowN[i] * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + kc];
          }`
      : `
          let th = rowY[i] + uniforms.padTop - kh;
          let tw = rowX[i] + uniforms.padLeft - kw;
          if (th >= 0 && tw >= 0 && th % uniforms.strideH == 0 && tw % uniforms.strideW == 0) {
            let oh = th / uniforms.strideH;
            let ow = tw / uniforms.strideW;
            if (oh < uniforms.outH && ow < uniforms.outW) {
              a = dy[((rowN[i] * uniforms.outH + oh) * uniforms.outW + ow) * uniforms.outC + kc];
            }
          }`;
    // B loads: forward reads W[k, co] along co; inputGrad reads W[kh, kw, ci, co] along co (= k).
    const loadB = forward
      ? `
        for (var i = 0; i < 4; i = i + 1) {
          let kk = t / ${GEMM_TILE} + 4 * i;
          let k = k0 + kk;
          let c = c0 + t % ${GEMM_TILE};
          var b = 0.0;
          if (k < uniforms.kCols && c < uniforms.nCols) {
            b = w[k * uniforms.nCols + c];
          }
          tileB[kk * ${GEMM_TILE} + t % ${GEMM_TILE}] = b;
        }`
      : `
        let kB = k0 + t % ${GEMM_TILE_K};
        let khwB = kB / uniforms.outC;
        let coB = kB % uniforms.outC;
        for (var i = 0; i < 4; i = i + 1) {
          let cc = t / ${GEMM_TILE_K} + 16 * i;
          let c = c0 + cc;
          var b = 0.0;
          if (kB < uniforms.kCols && c < uniforms.nCols) {
            b = w[(khwB * uniforms.inC + c) * uniforms.outC + coB];
          }
          tileB[(t % ${GEMM_TILE_K}) * ${GEMM_TILE} + cc] = b;
        }`;
    return `
      var<workgroup> tileA : array<f32, ${GEMM_TILE_K * GEMM_TILE}>;
      var<workgroup> tileB : array<f32, ${GEMM_TILE_K * GEMM_TILE}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * 16 + tx;
        let c0 = i32(workgroupId.x) * ${GEMM_TILE};
        let m0 = i32(workgroupId.y) * ${GEMM_TILE};
        let rowHW = ${rowH} * ${rowW};
        let filterWC = uniforms.filterW * ${kChannels};

        // This thread loads A column t % 16 of rows t / 16 + 16i: decode those rows once.
        let kkA = t % ${GEMM_TILE_K};
        var rowN : array<i32, 4>;
        var rowY : array<i32, 4>;
        var rowX : array<i32, 4>;
        var rowOk : array<bool, 4>;
        for (var i = 0; i < 4; i = i + 1) {
          let m = m0 + t / ${GEMM_TILE_K} + 16 * i;
          rowOk[i] = m < uniforms.mRows;
          rowN[i] = m / rowHW;
          let rest = m % rowHW;
          rowY[i] = rest / ${rowW};
          rowX[i] = rest % ${rowW};
        }

        var acc : array<f32, 16>;
        for (var i = 0; i < 16; i = i + 1) { acc[i] = 0.0; }

        let steps = (uniforms.kCols + ${GEMM_TILE_K - 1}) / ${GEMM_TILE_K};
        for (var step = 0; step < steps; step = step + 1) {
          let k0 = step * ${GEMM_TILE_K};
          let k = k0 + kkA;
          let kh = k / filterWC;
          let kRest = k % filterWC;
          let kw = kRest / ${kChannels};
          let kc = kRest % ${kChannels};
          for (var i = 0; i < 4; i = i + 1) {
            var a = 0.0;
            if (rowOk[i] && k < uniforms.kCols) {${loadA}
            }
            tileA[kkA * ${GEMM_TILE} + t / ${GEMM_TILE_K} + 16 * i] = a;
          }
          ${loadB}
          workgroupBarrier();
          for (var kk = 0; kk < ${GEMM_TILE_K}; kk = kk + 1) {
            var av : array<f32, 4>;
            var bv : array<f32, 4>;
            for (var i = 0; i < 4; i = i + 1) {
              av[i] = tileA[kk * ${GEMM_TILE} + ty + 16 * i];
              bv[i] = tileB[kk * ${GEMM_TILE} + tx + 16 * i];
            }
            for (var i = 0; i < 4; i = i + 1) {
              for (var j = 0; j < 4; j = j + 1) {
                acc[i * 4 + j] = fma(av[i], bv[j], acc[i * 4 + j]);
              }
            }
          }
          workgroupBarrier();
        }

        for (var i = 0; i < 4; i = i + 1) {
          let m = m0 + ty + 16 * i;
          for (var j = 0; j < 4; j = j + 1) {
            let c = c0 + tx + 16 * j;
            if (m < uniforms.mRows && c < uniforms.nCols) {
              result[m * uniforms.nCols + c] = acc[i * 4 + j];
            }
          }
        }
      }
    `;
  }
}

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
  const kCols = c.filterH * c.filterW * (forward ? c.inC : c.outC);
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
  const flat = backend.runWebGPUProgram(new ConvGemmProgram(mode, mRows, nCols), inputs, 'float32', uniforms);
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

function conv2D(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) {
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

function conv2DBackpropInput(args: {
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

// ---------------------------------------------------------------------------------------------
// Sum and Mean with few outputs

/** Rows of a reduction below which one pass (no splits) is enough. */
const MIN_SPLIT_ROWS = 1024;

/**
 * Reduces the leading axes of x viewed as [rows, cols]: out[s, c] = scale · Σ_{r in split s}
 * x[r, c]. A workgroup is 64 consecutive columns × 4 row lanes: reads coalesce along the
 * contiguous column axis and no transpose is needed (batch norm's N, H, W of NHWC).
 */
class ColumnSumProgram implements WebGpuProgram {
  variableNames = ['x'];
  workgroupSize: [number, number, number] = [64, 4, 1];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'biamatColumnSum';
  uniforms = 'rows : i32, cols : i32, rowsPerSplit : i32, scale : f32,';

  constructor(splits: number, cols: number) {
    this.outputShape = [splits, cols];
    this.dispatch = [Math.ceil(cols / 64), splits, 1];
  }

  getUserCode(): string {
    return `
      var<workgroup> lanes : array<f32, 256>;

      fn main() {
        let c = i32(workgroupId.x) * 64 + i32(localId.x);
        let lane = i32(localId.y);
        let split = i32(workgroupId.y);
        let rStart = split * uniforms.rowsPerSplit;
        let rEnd = min(rStart + uniforms.rowsPerSplit, uniforms.rows);
        var total = 0.0;
        if (c < uniforms.cols) {
          for (var r = rStart + lane; r < rEnd; r = r + 4) {
            total = total + x[r * uniforms.cols + c];
          }
        }
        lanes[lane * 64 + i32(localId.x)] = total;
        workgroupBarrier();
        if (lane == 0 && c < uniforms.cols) {
          let x0 = i32(localId.x);
          let sum4 = lanes[x0] + lanes[64 + x0] + lanes[128 + x0] + lanes[192 + x0];
          result[split * uniforms.cols + c] = sum4 * uniforms.scale;
        }
      }
    `;
  }
}

/**
 * Reduces the trailing axes of x viewed as [outer, inner] in chunks: out[o, s] = scale ·
 * Σ_{i in chunk s} x[o, i], one 256-thread workgroup per (o, s), so a reduction to a handful of
 * values still spreads over many workgroups.
 */
class RowChunkSumProgram implements WebGpuProgram {
  variableNames = ['x'];
  workgroupSize: [number, number, number] = [256, 1, 1];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'biamatRowChunkSum';
  uniforms = 'inner : i32, chunk : i32, chunks : i32, scale : f32,';

  constructor(outer: number, chunks: number) {
    this.outputShape = [outer, chunks];
    this.dispatch = [chunks, outer, 1];
  }

  getUserCode(): string {
    return `
      var<workgroup> partials : array<f32, 256>;

      fn main() {
        let chunkIndex = i32(workgroupId.x);
        let o = i32(workgroupId.y);
        let t = i32(localId.x);
        let start = chunkIndex * uniforms.chunk;
        let end = min(start + uniforms.chunk, uniforms.inner);
        let base = o * uniforms.inner;
        var total = 0.0;
        for (var i = start + t; i < end; i = i + 256) {
          total = total + x[base + i];
        }
        partials[t] = total;
        workgroupBarrier();
        for (var width = 128; width > 0; width = width / 2) {
          if (t < width) {
            partials[t] = partials[t] + partials[t + width];
          }
          workgroupBarrier();
        }
        if (t == 0) {
          result[o * uniforms.chunks + chunkIndex] = partials[0] * uniforms.scale;
        }
      }
    `;
  }
}

function splitCount(rows: number, workgroupsPerSplit: number): number {
  const wanted = Math.ceil(TARGET_WORKGROUPS / workgroupsPerSplit);
  return Math.max(1, Math.min(wanted, Math.ceil(rows / MIN_SPLIT_ROWS), 65535));
}

/** Σ over the first axes of x viewed as [rows, cols], times `scale`: a [cols] tensor. */
function sumLeadingAxes(backend: WebGpuBackend, x: tf.TensorInfo, rows: number, cols: number, scale: number) {
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

function reduction(kind: 'Sum' | 'Mean'): KernelFunc {
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

// ---------------------------------------------------------------------------------------------

export const WEBGPU_REPLACED_KERNELS = [
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'Sum',
  'Mean',
] as const;
export type WebGpuReplacedKernel = (typeof WEBGPU_REPLACED_KERNELS)[number];
/** tfjs's own webgpu kernels: fallbacks for cases ours do not cover, and building blocks. */
const builtin = {} as Record<WebGpuReplacedKernel | 'Reshape' | 'Reverse' | 'Transpose', KernelFunc>;
let replaced: WebGpuReplacedKernel[] | null = null;

/**
 * Used unless BIAMAT_WEBGPU_KERNELS says otherwise: the replacements that remove a pathology
 * (dW's one thread per weight, reductions' one workgroup per output). Our Conv2D and dx GEMMs
 * are correct but not yet shown faster than tfjs's on a GPU (tfjs's use vec4 loads; on a
 * software adapter they are about even), so they are opt-in until a GPU session times them.
 */
export const WEBGPU_DEFAULT_KERNELS: readonly WebGpuReplacedKernel[] = [
  'Conv2DBackpropFilter',
  'Sum',
  'Mean',
];

/**
 * Which of our webgpu kernels to register, from BIAMAT_WEBGPU_KERNELS: unset/'' = the default
 * set; 'all'; 'none' (tfjs's own only, the "before" of a benchmark); or a comma-separated list
 * of kernel names (to time each replacement on a GPU).
 */
export function webGpuKernelSelection(value: string | undefined): WebGpuReplacedKernel[] {
  const v = (value ?? '').trim();
  if (v === '') return [...WEBGPU_DEFAULT_KERNELS];
  if (v === 'all') return [...WEBGPU_REPLACED_KERNELS];
  if (v === 'none') return [];
  const names = v.split(',').map((n) => n.trim());
  for (const name of names)
    if (!(WEBGPU_REPLACED_KERNELS as readonly string[]).includes(name))
      throw new UserError(
        `BIAMAT_WEBGPU_KERNELS names an unknown kernel "${name}"`,
        `use all, none, or a comma-separated subset of ${WEBGPU_REPLACED_KERNELS.join(',')}`,
      );
  return WEBGPU_REPLACED_KERNELS.filter((k) => names.includes(k));
}

/**
 * Registers our replacement kernels for the 'webgpu' backend (call after loading
 * @tensorflow/tfjs-backend-webgpu), those `use` names (default: per BIAMAT_WEBGPU_KERNELS).
 * Returns the kernels now ours. Once per process: later calls return the first selection.
 */
export function registerWebGpuTrainingKernels(
  use: readonly WebGpuReplacedKernel[] = webGpuKernelSelection(process.env.BIAMAT_WEBGPU_KERNELS),
): WebGpuReplacedKernel[] {
  if (replaced) return replaced;
  for (const name of [...WEBGPU_REPLACED_KERNELS, 'Reshape', 'Reverse', 'Transpose'] as const) {
    const config = tf.getKernel(name, 'webgpu');
    if (!config)
      throw new Error(`webgpu backend has no ${name} kernel (load @tensorflow/tfjs-backend-webgpu first)`);
    builtin[name] = config.kernelFunc as KernelFunc;
  }
  const ours: Record<WebGpuReplacedKernel, KernelFunc> = {
    Conv2D: conv2D,
    Conv2DBackpropInput: conv2DBackpropInput,
    Conv2DBackpropFilter: conv2DBackpropFilter,
    Sum: reduction('Sum'),
    Mean: reduction('Mean'),
  };
  for (const name of use) {
    const config = tf.getKernel(name, 'webgpu');
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      kernelName: name,
      backendName: 'webgpu',
      setupFunc: config?.setupFunc,
      kernelFunc: ours[name] as unknown as tf.KernelFunc,
    });
  }
  replaced = [...use];
  return replaced;
}

/** The webgpu kernels that are ours (empty before registration or with BIAMAT_WEBGPU_KERNELS=none). */
export function webGpuKernelsRegistered(): WebGpuReplacedKernel[] {
  return replaced ? [...replaced] : [];
}
