import type { WebGpuProgram } from './backend';

// Conv2D and Conv2DBackpropInput as implicit GEMMs: the program.

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
export class ConvGemmProgram implements WebGpuProgram {
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
