import { TARGET_WORKGROUPS, type WebGpuProgram } from './backend';

// Conv2DBackpropFilter as a split-K implicit GEMM: the partial-sums program.

/** Output tile (filter rows K × output channels) per workgroup, and rows of M per step. */
const TILE = 64;
export const TILE_M = 16;
/** Each split walks at least this many rows of M, so the partial sums stay few. */
const MIN_ROWS_PER_SPLIT = 256;
/** Partial sums may use at most this many floats (64 MiB) before splitting less. */
const MAX_PARTIAL_FLOATS = 16 * 1024 * 1024;

/** Number of M-splits for a dW of `k` × `co` over `m` rows: enough workgroups, bounded memory. */
export function filterGradSplits(k: number, co: number, m: number): number {
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
export class FilterGradPartialProgram implements WebGpuProgram {
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
