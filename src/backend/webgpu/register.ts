import * as tf from '@tensorflow/tfjs';
import { STOCK_KERNELS, builtin, type KernelFunc } from './backend';
import { conv2D, conv2DBackpropInput } from './conv2d';
import { conv2DBackpropFilter } from './conv2d-backprop-filter';
import { reduction } from './reduce';
import { WEBGPU_REPLACED_KERNELS, webGpuKernelSelection, type WebGpuReplacedKernel } from './selection';

let replaced: WebGpuReplacedKernel[] | null = null;

/**
 * Registers our replacement kernels for the 'webgpu' backend (call after loading
 * @tensorflow/tfjs-backend-webgpu), those `use` names (default: per BIAMAT_WEBGPU_KERNELS).
 * Returns the kernels now ours. Once per process: later calls return the first selection.
 */
export function registerWebGpuTrainingKernels(
  use: readonly WebGpuReplacedKernel[] = webGpuKernelSelection(process.env.BIAMAT_WEBGPU_KERNELS),
): WebGpuReplacedKernel[] {
  if (replaced) return replaced;
  for (const name of [...WEBGPU_REPLACED_KERNELS, ...STOCK_KERNELS]) {
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
