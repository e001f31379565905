import type { WebGpuProgram } from './backend';

/**
 * Reduces the trailing axes of x viewed as [outer, inner] in chunks: out[o, s] = scale ·
 * Σ_{i in chunk s} x[o, i], one 256-thread workgroup per (o, s), so a reduction to a handful of
 * values still spreads over many workgroups.
 */
export class RowChunkSumProgram implements WebGpuProgram {
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
