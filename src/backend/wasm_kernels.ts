import * as tf from '@tensorflow/tfjs';

/**
 * Kernels the tfjs wasm backend (4.22) lacks but training needs, built from the wasm
 * backend's own fast kernels (XNNPACK Conv2D, Transpose, Slice) so the work stays in wasm.
 *
 * The kernel functions below call other wasm kernels directly (as the wasm backend's own
 * kernels do) and free their intermediates with `backend.disposeData`.
 */

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo;

function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel to build on`);
  return config.kernelFunc as KernelFunc;
}

/** Runs `fn` with a list that collects intermediates, then frees them all. */
function withScratch<T>(backend: tf.KernelBackend, fn: (keep: (t: tf.TensorInfo) => tf.TensorInfo) => T): T {
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

/**
 * Conv2DBackpropFilter (tfjs issue #8474: missing on wasm), NHWC, dilation 1.
 *
 *   dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[n,oh,ow,co]
 *
 * is itself a convolution: take x transposed to [ci, H, W, n] as the input (ci plays the
 * batch, n the channels) and dy transposed to [OH, OW, n, co] as the filter, with the
 * original stride as the filter's dilation and stride 1. Its output [ci, KH, KW, co]
 * transposed back is dW. The padding is explicit: the original top/left pad, and a
 * bottom/right pad chosen so the output has exactly KH×KW positions; where that is
 * negative (rows the forward conv never read, e.g. 'valid' with stride 2 on an even size),
 * those rows are sliced off instead.
 */
function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${attrs.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight, inWidth, outHeight, outWidth, inChannels, outChannels, batchSize } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // Input rows the output positions kh = 0..KH-1 reach: up to (KH-1) + (OH-1)·s − padTop.
  const padBottom = kh + (outHeight - 1) * sh - inHeight - padTop;
  const padRight = kw + (outWidth - 1) * sw - inWidth - padLeft;
  const transpose = wasmKernel('Transpose');
  const slice = wasmKernel('Slice');
  const conv2d = wasmKernel('Conv2D');

  return withScratch(backend, (keep) => {
    let xUsed: tf.TensorInfo = x;
    const usedHeight = inHeight + Math.min(0, padBottom);
    const usedWidth = inWidth + Math.min(0, padRight);
    if (usedHeight !== inHeight || usedWidth !== inWidth) {
      xUsed = keep(
        slice({
          inputs: { x },
          backend,
          attrs: { begin: [0, 0, 0, 0], size: [batchSize, usedHeight, usedWidth, inChannels] },
        }),
      );
    }
    const xT = keep(transpose({ inputs: { x: xUsed }, backend, attrs: { perm: [3, 1, 2, 0] } }));
    const dyT = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    const pad = [
      [0, 0],
      [padTop, Math.max(0, padBottom)],
      [padLeft, Math.max(0, padRight)],
      [0, 0],
    ] as tf.backend_util.ExplicitPadding;
    const dwT = keep(
      conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] },
      }),
    );
    if (dwT.shape[1] !== kh || dwT.shape[2] !== kw || dwT.shape[3] !== outChannels) {
      throw new Error(`Conv2DBackpropFilter: internal shape mismatch ${dwT.shape} vs ${attrs.filterShape}`);
    }
    return transpose({ inputs: { x: dwT }, backend, attrs: { perm: [1, 2, 0, 3] } });
  });
}

let registered = false;

/** Registers the training kernels the wasm backend lacks. Idempotent. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
    });
  }
  registered = true;
}
