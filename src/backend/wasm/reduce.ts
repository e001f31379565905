import * as tf from '@tensorflow/tfjs';
import { wasmKernel, withScratch, type KernelFunc } from './util';

/**
 * Sum and Mean of an NHWC tensor over N, H and W (batch norm's statistics and its gradient's
 * sums, in every layer at every PGD step). tfjs-wasm's own kernels move the reduced axes
 * innermost with a full transpose and then reduce on one thread: about 10 ms per call on
 * WRN-16-4's 32×32×64 layers at batch 32. Ours average-pools each image over H × W with XNNPACK
 * (one pass, split across the thread pool) and reduces the small [N, C] result with tfjs's own
 * kernel, then scales a Sum back by N·H·W. Every other reduction goes to tfjs's kernel.
 */
export function leadingAxesReduction(kind: 'Sum' | 'Mean', builtin: KernelFunc): KernelFunc {
  return (args) => {
    const { backend } = args;
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    if (x.dtype !== 'float32' || x.shape.length !== 4 || axes.join() !== '0,1,2') return builtin(args);
    const [n, h, w, c] = x.shape;
    if (h * w === 1 || n * h * w * c === 0) return builtin(args);
    const outShape = keepDims ? [1, 1, 1, c] : [c];
    return withScratch(backend, (keep) => {
      const pooled = keep(
        wasmKernel('AvgPool')({
          inputs: { x },
          backend,
          attrs: { filterSize: [h, w], strides: [h, w], pad: 'valid', dimRoundingMode: undefined },
        } as unknown as Parameters<KernelFunc>[0]),
      );
      const perImage = keep(
        wasmKernel('Reshape')({ inputs: { x: pooled }, backend, attrs: { shape: [n, c] } }),
      );
      const mean = keep(
        wasmKernel('Mean')({ inputs: { x: perImage }, backend, attrs: { axis: 0, keepDims: false } }),
      );
      let result = mean;
      if (kind === 'Sum') {
        const count = keep(
          wasmKernel('Fill')({
            inputs: {},
            backend,
            attrs: { shape: [], value: n * h * w, dtype: 'float32' },
          }),
        );
        result = keep(wasmKernel('Multiply')({ inputs: { a: mean, b: count }, backend }));
      }
      return wasmKernel('Reshape')({ inputs: { x: result }, backend, attrs: { shape: outShape } });
    });
  };
}
