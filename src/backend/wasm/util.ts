import * as tf from '@tensorflow/tfjs';

// What our wasm kernels share: calling the wasm backend's own kernels and freeing intermediates.

export type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo;

export function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel to build on`);
  return config.kernelFunc as KernelFunc;
}

/** Runs `fn` with a list that collects intermediates, then frees them all. */
export function withScratch<T>(
  backend: tf.KernelBackend,
  fn: (keep: (t: tf.TensorInfo) => tf.TensorInfo) => T,
): T {
  const scratch: tf.TensorInfo[] = [];
  try {
    return fn((t) => {
      scratch.push(t);
      return t;
    });
  } finally {
    for (const t of scratch) backend.disposeData(t.dataId);
  }
}
