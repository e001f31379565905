/**
 * Replacement kernels for tfjs 4.22's webgpu backend, for the two places where its training
 * path is pathological (measured on an H100; docs/bench.md, "WebGPU"):
 *
 * - `Conv2DBackpropFilter` runs one thread per filter weight, each looping serially over
 *   batch × output positions (131,072 iterations at WRN's 32×32 layers, only 36,864 threads):
 *   15× slower than the forward conv on an H100. Ours is an implicit GEMM,
 *   dW[K, Co] = im2col(x)ᵀ[K, M] · dy[M, Co] with K = KH·KW·Ci and M = N·OH·OW, tiled 64×64
 *   through workgroup memory and split along M ("split-K") so that hundreds of workgroups share
 *   the long reduction; a second pass adds the splits (conv2d-backprop-filter.ts).
 * - `Sum` / `Mean` run one workgroup per output value. Batch norm reduces an [N, H, W, C]
 *   tensor over N, H, W: C (16–640) workgroups each walk 100k+ values after a full transpose.
 *   Ours reduces leading axes in place (threads along the contiguous channel axis, rows split
 *   over many workgroups) and trailing axes with few outputs in row chunks, then adds the
 *   partial sums in a second small pass (reduce.ts).
 *
 * - `Conv2D` / `Conv2DBackpropInput` reach 1.1–1.9 / 0.7–1.1 TFLOP/s on an H100 (a 4096² matmul:
 *   10). Ours are implicit GEMMs with 64×64 tiles of 256 threads (tfjs's: 32×32 of 64; conv2d.ts);
 *   their tile sizes, thread layout and vec4 loads are a variant (BIAMAT_WEBGPU_GEMM, conv-gemm-variant.ts)
 *   that the GPU sweep (bench/gpu/gemm-sweep.ts) times.
 *
 * One WGSL program per `*-program.ts` file, as tfjs-backend-webgpu lays them out; the kernels
 * that run them beside them. Which are registered (register.ts): WEBGPU_DEFAULT_KERNELS, or
 * BIAMAT_WEBGPU_KERNELS (all / none / a list; selection.ts). Everything else keeps tfjs's own
 * kernels. Each replacement is checked against the cpu backend by `bench/webgpu-check.ts` (run
 * by test/webgpu-kernels.test.ts, on a software Vulkan adapter where no GPU exists).
 */
export { registerWebGpuTrainingKernels, webGpuKernelsRegistered } from './register';
export {
  WEBGPU_DEFAULT_KERNELS,
  WEBGPU_REPLACED_KERNELS,
  webGpuKernelSelection,
  type WebGpuReplacedKernel,
} from './selection';
export {
  DEFAULT_CONV_GEMM,
  convGemmVariant,
  convGemmVariantName,
  convGemmVariantProblem,
  parseConvGemmVariant,
  setConvGemmVariant,
  type ConvGemmVariant,
} from './conv-gemm-variant';
