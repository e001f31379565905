import * as tf from '@tensorflow/tfjs';
import type { WebGpuReplacedKernel } from './selection';

// What our webgpu kernels use of tfjs's webgpu backend (tfjs-backend-webgpu 4.22): its program
// interface, runWebGPUProgram, and its own kernels, which ours fall back to and build on.

export type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo;

/** The parts of tfjs's WebGPUProgram interface these programs use. */
export interface WebGpuProgram {
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

export type ProgramUniform = Array<{ type: 'int32' | 'float32'; data: number[] }>;

/** The parts of tfjs's WebGPUBackend these kernels call. */
export interface WebGpuBackend extends tf.KernelBackend {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform,
  ): tf.TensorInfo;
}

/** Aim for at least this many workgroups per dispatch: an H100 has 132 SMs, each runs several. */
export const TARGET_WORKGROUPS = 1024;

/** tfjs's own webgpu kernels: fallbacks for cases ours do not cover, and building blocks. */
export const STOCK_KERNELS = ['Reshape', 'Reverse', 'Transpose'] as const;
export const builtin = {} as Record<WebGpuReplacedKernel | (typeof STOCK_KERNELS)[number], KernelFunc>;
