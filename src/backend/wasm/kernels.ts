import * as tf from '@tensorflow/tfjs';

/**
 * Kernels the tfjs wasm backend (4.22) lacks but training needs, and faster replacements of
 * slow ones, built from the wasm backend's own fast kernels (XNNPACK Conv2D, AvgPool, Transpose,
 * Slice) so the work stays in wasm, split across its thread pool where XNNPACK runs it.
 *
 * The kernel functions below call other wasm kernels directly (as the wasm backend's own
 * kernels do) and free their intermediates with `backend.disposeData`.
 */

import { wasmKernel, withScratch, type KernelFunc } from './util';
import { leadingAxesReduction } from './reduce';

/**
 * Conv2DBackpropFilter, NHWC, dilation 1: tfjs-wasm 4.22 has none (tfjs#8474,
 * github.com/tensorflow/tfjs/issues/8474), so nothing trains on wasm without it.
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
  const { inHeight, inWidth, outHeight, outWidth, inChannels, outChannels } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // Input rows the output positions kh = 0..KH-1 reach: up to (KH-1) + (OH-1)·s − padTop.
  const padBottom = kh + (outHeight - 1) * sh - inHeight - padTop;
  const padRight = kw + (outWidth - 1) * sw - inWidth - padLeft;
  const transpose = wasmKernel('Transpose');
  const slice = wasmKernel('Slice');
  const conv2d = wasmKernel('Conv2D');

  return withScratch(backend, (keep) => {
    const xT = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }));
    const dyT = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    const pad = [
      [0, 0],
      [padTop, Math.max(0, padBottom)],
      [padLeft, Math.max(0, padRight)],
      [0, 0],
    ] as tf.backend_util.ExplicitPadding;
    let dwT = keep(
      conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] },
      }),
    );
    if (dwT.shape[1] !== kh || dwT.shape[2] !== kw) {
      // Input rows the forward conv never read gave extra output positions: drop them (cheap:
      // this tensor is filter-sized).
      dwT = keep(
        slice({
          inputs: { x: dwT },
          backend,
          attrs: { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] },
        }),
      );
    }
    return transpose({ inputs: { x: dwT }, backend, attrs: { perm: [1, 2, 0, 3] } });
  });
}

/**
 * How one spatial dimension of dx splits into stride phases. Output rows i = s·q + r (phase r)
 * only receive filter taps k ≡ (r + padBefore) mod s:
 *
 *   dx[s·q + r] = Σ_m dy[q + c − m] · W[k0 + s·m],   k0 = (r + padBefore) mod s,  c = (r + padBefore − k0)/s
 *
 * which is a stride-1 conv of dy with the flipped sub-filter W[k0 :: s], padded by
 * M−1−c before (a negative pad crops dy instead) and enough after to give Q outputs.
 */
interface Phase1D {
  /** First filter tap of this phase and the number of taps (0: this phase of dx is all zeros). */
  k0: number;
  taps: number;
  padBefore: number;
  padAfter: number;
  cropBefore: number;
  cropAfter: number;
}

function phase1D(
  r: number,
  dyLen: number,
  filterLen: number,
  stride: number,
  pad: number,
  outLen: number,
): Phase1D {
  const k0 = (r + pad) % stride;
  const taps = k0 < filterLen ? Math.ceil((filterLen - k0) / stride) : 0;
  const c = (r + pad - k0) / stride;
  const before = taps - 1 - c;
  const after = outLen - dyLen - before + taps - 1;
  return {
    k0,
    taps,
    padBefore: Math.max(0, before),
    padAfter: Math.max(0, after),
    cropBefore: Math.max(0, -before),
    cropAfter: Math.max(0, -after),
  };
}

/** The parts of tfjs-wasm's backend the filter flip writes through. */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * The sub-filter of one stride phase, flipped in space and with its channel axes swapped:
 * out[a, b, co, ci] = W[kh0 + sh·(tapsH − 1 − a), kw0 + sw·(tapsW − 1 − b), ci, co]. One pass in
 * JS over the wasm heap: tfjs-wasm's Reverse takes 15 ms for a 3×3×256×256 filter (more on
 * several threads), and slice, reverse and transpose were three passes.
 */
function flippedSubFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  ph: Phase1D,
  pw: Phase1D,
  sh: number,
  sw: number,
): tf.TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
  // Views after the allocation: growing the heap detaches views taken before it.
  const w = backend.typedArrayFromHeap(filter);
  const o = backend.typedArrayFromHeap(out);
  for (let a = 0; a < ph.taps; a++) {
    const i = ph.k0 + sh * (ph.taps - 1 - a);
    for (let b = 0; b < pw.taps; b++) {
      const j = pw.k0 + sw * (pw.taps - 1 - b);
      const src = (i * kw + j) * ci * co;
      const dst = (a * pw.taps + b) * co * ci;
      for (let c = 0; c < ci; c++) for (let d = 0; d < co; d++) o[dst + d * ci + c] = w[src + c * co + d];
    }
  }
  return out;
}

/**
 * Conv2DBackpropInput (dx) on XNNPACK. tfjs-wasm's own kernel is a scalar C++ loop, 5–10×
 * slower than its Conv2D on the same shapes (docs/bench.md). dx of a stride-s conv is
 * computed as s² stride-1 convs of dy (one per output phase, see phase1D) with the flipped,
 * in/out-swapped sub-filters, interleaved back: the same FLOPs as the exact transpose, all
 * in XNNPACK's Conv2D. For stride 1 it is a single conv of dy with the flipped filter.
 */
function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  if (attrs.dataFormat !== 'NHWC') return builtinConv2DBackpropInput(args);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, batchSize } = info;
  const qh = Math.ceil(inHeight / sh);
  const qw = Math.ceil(inWidth / sw);
  const rowPhases = Array.from({ length: sh }, (_, r) => phase1D(r, outHeight, kh, sh, info.padInfo.top, qh));
  const colPhases = Array.from({ length: sw }, (_, r) => phase1D(r, outWidth, kw, sw, info.padInfo.left, qw));
  // A phase whose crop swallows dy entirely is a shape tfjs's own kernel handles fine.
  const degenerate = (p: Phase1D, len: number) => p.taps > 0 && p.cropBefore + p.cropAfter >= len;
  if (rowPhases.some((p) => degenerate(p, outHeight)) || colPhases.some((p) => degenerate(p, outWidth))) {
    return builtinConv2DBackpropInput(args);
  }
  const reshape = wasmKernel('Reshape');
  const slice = wasmKernel('Slice');
  const concat = wasmKernel('Concat');
  const fill = wasmKernel('Fill');
  const conv2d = wasmKernel('Conv2D');

  return withScratch(backend, (keep) => {
    // One phase of dx: [batch, qh, qw, inChannels].
    const phase = (ph: Phase1D, pw: Phase1D): tf.TensorInfo => {
      if (ph.taps === 0 || pw.taps === 0) {
        return keep(
          fill({
            backend,
            attrs: { shape: [batchSize, qh, qw, inChannels], value: 0, dtype: 'float32' },
            inputs: {},
          }),
        );
      }
      const swapped = keep(flippedSubFilter(backend as WasmBackend, filter, ph, pw, sh, sw));
      let dyUsed: tf.TensorInfo = dy;
      if (ph.cropBefore + ph.cropAfter + pw.cropBefore + pw.cropAfter > 0) {
        dyUsed = keep(
          slice({
            inputs: { x: dy },
            backend,
            attrs: {
              begin: [0, ph.cropBefore, pw.cropBefore, 0],
              size: [
                batchSize,
                outHeight - ph.cropBefore - ph.cropAfter,
                outWidth - pw.cropBefore - pw.cropAfter,
                outChannels,
              ],
            },
          }),
        );
      }
      const pad = [
        [0, 0],
        [ph.padBefore, ph.padAfter],
        [pw.padBefore, pw.padAfter],
        [0, 0],
      ] as tf.backend_util.ExplicitPadding;
      return keep(
        conv2d({
          inputs: { x: dyUsed, filter: swapped },
          backend,
          attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] },
        }),
      );
    };

    if (sh === 1 && sw === 1) {
      const only = phase(rowPhases[0], colPhases[0]);
      // withScratch frees `only`; hand back a reference of our own.
      return wasmKernel('Identity')({ inputs: { x: only }, backend });
    }
    // Interleave: [b, qh, qw, c] per phase → [b, qh, sh, qw, sw, c] → [b, qh·sh, qw·sw, c].
    const rows = rowPhases.map((ph) => {
      const cols = colPhases.map((pw) =>
        keep(
          reshape({
            inputs: { x: phase(ph, pw) },
            backend,
            attrs: { shape: [batchSize, qh, 1, qw, 1, inChannels] },
          }),
        ),
      );
      return cols.length === 1
        ? cols[0]
        : keep(concat({ inputs: cols as unknown as tf.NamedTensorInfoMap, backend, attrs: { axis: 4 } }));
    });
    const all =
      rows.length === 1
        ? rows[0]
        : keep(concat({ inputs: rows as unknown as tf.NamedTensorInfoMap, backend, attrs: { axis: 2 } }));
    const fullShape = [batchSize, qh * sh, qw * sw, inChannels];
    if (qh * sh === inHeight && qw * sw === inWidth) {
      return reshape({ inputs: { x: all }, backend, attrs: { shape: fullShape } });
    }
    // Odd sizes: crop the phases' extra last row/column (wasm's Slice is slow; this is rare).
    const merged = keep(reshape({ inputs: { x: all }, backend, attrs: { shape: fullShape } }));
    return slice({
      inputs: { x: merged },
      backend,
      attrs: { begin: [0, 0, 0, 0], size: [batchSize, inHeight, inWidth, inChannels] },
    });
  });
}

/**
 * Identity that shares the input's memory (reference count) instead of copying it, as the cpu
 * backend's does. Training calls Identity for every tensor a gradient saves (tfjs's engine
 * clones them), so wasm's copying Identity doubled the memory of saved activations and cost
 * ~10% of a WRN training step. Safe because tensors are immutable: kernels always write
 * fresh outputs, and Variable.assign swaps in new data rather than writing in place.
 */
function sharingIdentity(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return builtinIdentity(args);
  (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let builtinIdentity: KernelFunc;

/** tfjs-wasm's own Conv2DBackpropInput, captured before ours replaces it. */
let builtinConv2DBackpropInput: KernelFunc;

let registered = false;

/**
 * Registers the training kernels the wasm backend lacks (Conv2DBackpropFilter) and replaces
 * slow ones (Conv2DBackpropInput, Identity, Sum and Mean over N, H, W) unless
 * `replaceSlowKernels` is false (default: env BIAMAT_WASM_STOCK_KERNELS=1 turns the replacement
 * off). Idempotent.
 */
export function registerWasmTrainingKernels(
  opts: { replaceSlowKernels?: boolean } = {
    replaceSlowKernels: process.env.BIAMAT_WASM_STOCK_KERNELS !== '1',
  },
): void {
  if (registered) return;
  // The wasm backend's own kernels, which ours build on. Loaded here, not at import, because
  // loading it registers 'wasm' as tfjs's preferred backend for every importer.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
    });
  }
  registered = true;
  // BIAMAT_WASM_STOCK_KERNELS=1 keeps tfjs-wasm's own kernels, for before/after benches.
  if (opts.replaceSlowKernels === false) return;
  const builtin = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!builtin) throw new Error('wasm backend has no Conv2DBackpropInput kernel');
  builtinConv2DBackpropInput = builtin.kernelFunc as KernelFunc;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: builtin.setupFunc,
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  });
  const identity = tf.getKernel('Identity', 'wasm');
  if (!identity) throw new Error('wasm backend has no Identity kernel');
  builtinIdentity = identity.kernelFunc as KernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: sharingIdentity as unknown as tf.KernelFunc,
  });
  for (const kind of ['Sum', 'Mean'] as const) {
    const config = tf.getKernel(kind, 'wasm');
    if (!config) throw new Error(`wasm backend has no ${kind} kernel`);
    tf.unregisterKernel(kind, 'wasm');
    tf.registerKernel({
      kernelName: kind,
      backendName: 'wasm',
      setupFunc: config.setupFunc,
      kernelFunc: leadingAxesReduction(kind, config.kernelFunc as KernelFunc) as unknown as tf.KernelFunc,
    });
  }
}
