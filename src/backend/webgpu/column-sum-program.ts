import type { WebGpuProgram } from './backend';

/**
 * Reduces the leading axes of x viewed as [rows, cols]: out[s, c] = scale · Σ_{r in split s}
 * x[r, c]. A workgroup is 64 consecutive columns × 4 row lanes: reads coalesce along the
 * contiguous column axis and no transpose is needed (batch norm's N, H, W of NHWC).
 */
export class ColumnSumProgram implements WebGpuProgram {
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
