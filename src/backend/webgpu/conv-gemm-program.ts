import type { WebGpuProgram } from './backend';
import { convGemmVariantName, type ConvGemmVariant } from './conv-gemm-variant';

// Conv2D and Conv2DBackpropInput as implicit GEMMs: the program.

/**
 * out[m, c] = Σ_k A[m, k] · B[k, c] without materialising A:
 * - 'forward' (Conv2D): m = (n, oh, ow), k = (kh, kw, ci), c = co; A = im2col(x), B = W as [K, Co].
 * - 'inputGrad' (Conv2DBackpropInput): m = (n, ih, iw), k = (kh, kw, co), c = ci;
 *   A[m, k] = dy[n, (ih + padTop − kh)/s, (iw + padLeft − kw)/s, co] where that division is
 *   exact and in range (else 0), B[k, ci] = W[kh, kw, ci, co].
 * The tile sizes and thread layout are a ConvGemmVariant (default: 16×16 threads each own a 4×4
 * block of a 64×64 tile, strided by 16 so that writes are contiguous). Each thread's A rows are
 * fixed, so their (n, h, w) is decoded once, not per K step. tfjs's own kernels use 32×32 tiles
 * of 64 threads, and decode every index on every load.
 */
export class ConvGemmProgram implements WebGpuProgram {
  variableNames: string[];
  workgroupSize: [number, number, number];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;
  /** [4, 4] binds both inputs as vec4<f32> arrays (vec4 variants on channel counts divisible by 4). */
  variableComponents?: number[];
  uniforms =
    'inH : i32, inW : i32, inC : i32, outH : i32, outW : i32, outC : i32, filterW : i32, ' +
    'strideH : i32, strideW : i32, padTop : i32, padLeft : i32, mRows : i32, kCols : i32, nCols : i32,';

  constructor(
    private mode: 'forward' | 'inputGrad',
    mRows: number,
    nCols: number,
    private v: ConvGemmVariant,
  ) {
    this.variableNames = mode === 'forward' ? ['x', 'w'] : ['dy', 'w'];
    this.outputShape = [mRows, nCols];
    this.workgroupSize = [v.threadsX, v.threadsY, 1];
    this.dispatch = [Math.ceil(nCols / v.tileN), Math.ceil(mRows / v.tileM), 1];
    this.shaderKey = `biamatConvGemm_${mode}_${convGemmVariantName(v)}`;
    if (v.vec4) this.variableComponents = [4, 4];
  }

  getUserCode(): string {
    const { tileM, tileN, tileK, threadsX, threadsY } = this.v;
    const threads = threadsX * threadsY;
    // vec4: one load brings 4 consecutive values along each input's contiguous axis (k for A,
    // co for B), which the tiles store as 4 scalars.
    const lanes = this.v.vec4 ? 4 : 1;
    const zero = lanes === 4 ? 'vec4<f32>(0.0)' : '0.0';
    const at = (buffer: string, index: string) =>
      lanes === 4 ? `${buffer}[(${index}) / 4]` : `${buffer}[${index}]`;
    const spread = (target: (lane: number) => string, value: string) =>
      lanes === 4
        ? [0, 1, 2, 3].map((l) => `${target(l)} = ${value}.${'xyzw'[l]};`).join('\n          ')
        : `${target(0)} = ${value};`;
    // A: thread t loads k group t % kGroups (lanes consecutive k) of rows t / kGroups + aRowStride · i.
    const kGroups = tileK / lanes;
    const aRowStride = threads / kGroups;
    const aRows = (tileM * kGroups) / threads;
    // Outputs per thread: rows ty + threadsY · i, columns tx + threadsX · j.
    const outRows = tileM / threadsY;
    const outCols = tileN / threadsX;
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
            a = ${at('x', '((rowN[i] * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + kc')};
          }`
      : `
          let th = rowY[i] + uniforms.padTop - kh;
          let tw = rowX[i] + uniforms.padLeft - kw;
          if (th >= 0 && tw >= 0 && th % uniforms.strideH == 0 && tw % uniforms.strideW == 0) {
            let oh = th / uniforms.strideH;
            let ow = tw / uniforms.strideW;
            if (oh < uniforms.outH && ow < uniforms.outW) {
              a = ${at('dy', '((rowN[i] * uniforms.outH + oh) * uniforms.outW + ow) * uniforms.outC + kc')};
            }
          }`;
    // B loads, consecutive threads on consecutive addresses: forward reads W[k, co] along co;
    // inputGrad reads W[kh, kw, ci, co] along co (= k).
    const loadB = forward
      ? `
        for (var idx = t; idx < ${(tileK * tileN) / lanes}; idx = idx + ${threads}) {
          let kk = idx / ${tileN / lanes};
          let cc = ${lanes} * (idx % ${tileN / lanes});
          let k = k0 + kk;
          let c = c0 + cc;
          var b = ${zero};
          if (k < uniforms.kCols && c < uniforms.nCols) {
            b = ${at('w', 'k * uniforms.nCols + c')};
          }
          ${spread((l) => `tileB[kk * ${tileN} + cc + ${l}]`, 'b')}
        }`
      : `
        for (var idx = t; idx < ${(tileK * tileN) / lanes}; idx = idx + ${threads}) {
          let kk = ${lanes} * (idx % ${kGroups});
          let cc = idx / ${kGroups};
          let kB = k0 + kk;
          let c = c0 + cc;
          var b = ${zero};
          if (kB < uniforms.kCols && c < uniforms.nCols) {
            b = ${at('w', '((kB / uniforms.outC) * uniforms.inC + c) * uniforms.outC + kB % uniforms.outC')};
          }
          ${spread((l) => `tileB[(kk + ${l}) * ${tileN} + cc]`, 'b')}
        }`;
    return `
      var<workgroup> tileA : array<f32, ${tileK * tileM}>;
      var<workgroup> tileB : array<f32, ${tileK * tileN}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * ${threadsX} + tx;
        let c0 = i32(workgroupId.x) * ${tileN};
        let m0 = i32(workgroupId.y) * ${tileM};
        let rowHW = ${rowH} * ${rowW};
        let filterWC = uniforms.filterW * ${kChannels};

        // This thread loads A columns kkA.. of rows t / ${kGroups} + ${aRowStride}i: decode those rows once.
        let kkA = ${lanes} * (t % ${kGroups});
        var rowN : array<i32, ${aRows}>;
        var rowY : array<i32, ${aRows}>;
        var rowX : array<i32, ${aRows}>;
        var rowOk : array<bool, ${aRows}>;
        for (var i = 0; i < ${aRows}; i = i + 1) {
          let m = m0 + t / ${kGroups} + ${aRowStride} * i;
          rowOk[i] = m < uniforms.mRows;
          rowN[i] = m / rowHW;
          let rest = m % rowHW;
          rowY[i] = rest / ${rowW};
          rowX[i] = rest % ${rowW};
        }

        var acc : array<f32, ${outRows * outCols}>;
        for (var i = 0; i < ${outRows * outCols}; i = i + 1) { acc[i] = 0.0; }

        let steps = (uniforms.kCols + ${tileK - 1}) / ${tileK};
        for (var step = 0; step < steps; step = step + 1) {
          let k0 = step * ${tileK};
          let k = k0 + kkA;
          let kh = k / filterWC;
          let kRest = k % filterWC;
          let kw = kRest / ${kChannels};
          let kc = kRest % ${kChannels};
          for (var i = 0; i < ${aRows}; i = i + 1) {
            var a = ${zero};
            if (rowOk[i] && k < uniforms.kCols) {${loadA}
            }
            let row = t / ${kGroups} + ${aRowStride} * i;
            ${spread((l) => `tileA[(kkA + ${l}) * ${tileM} + row]`, 'a')}
          }
          ${loadB}
          workgroupBarrier();
          for (var kk = 0; kk < ${tileK}; kk = kk + 1) {
            var av : array<f32, ${outRows}>;
            var bv : array<f32, ${outCols}>;
            for (var i = 0; i < ${outRows}; i = i + 1) {
              av[i] = tileA[kk * ${tileM} + ty + ${threadsY} * i];
            }
            for (var j = 0; j < ${outCols}; j = j + 1) {
              bv[j] = tileB[kk * ${tileN} + tx + ${threadsX} * j];
            }
            for (var i = 0; i < ${outRows}; i = i + 1) {
              for (var j = 0; j < ${outCols}; j = j + 1) {
                acc[i * ${outCols} + j] = fma(av[i], bv[j], acc[i * ${outCols} + j]);
              }
            }
          }
          workgroupBarrier();
        }

        for (var i = 0; i < ${outRows}; i = i + 1) {
          let m = m0 + ty + ${threadsY} * i;
          for (var j = 0; j < ${outCols}; j = j + 1) {
            let c = c0 + tx + ${threadsX} * j;
            if (m < uniforms.mRows && c < uniforms.nCols) {
              result[m * uniforms.nCols + c] = acc[i * ${outCols} + j];
            }
          }
        }
      }
    `;
  }
}
