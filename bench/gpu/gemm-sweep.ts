/**
 * Sweeps the implicit-GEMM conv variants (src/backend/webgpu/conv-gemm-variant.ts) on WRN-16-4's
 * layer shapes: every variant is first checked against the cpu backend (the webgpu kernel
 * checks' conv cases plus each WRN shape at batch 1, Conv2D and Conv2DBackpropInput, max
 * relative error ≤ 1e-5); only a variant that passes is timed, per shape, next to tfjs's own
 * kernels. The JSON is rewritten after every variant, so a run stopped by its deadline keeps
 * what it measured.
 *
 *   npx tsx bench/gpu/measure.ts sweep --batch 128 --json sweep.json --seconds 120
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { maxRelativeError, onBackend, type ConvCase } from '../../src/backend/kernel-check';
import { convChecks, WEBGPU_CASES } from '../../src/backend/webgpu/check';
import { builtin, type KernelFunc } from '../../src/backend/webgpu/backend';
import {
  convGemmVariantName,
  setConvGemmVariant,
  type ConvGemmVariant,
} from '../../src/backend/webgpu/conv-gemm-variant';
import { writeJsonAtomic } from '../../src/util/atomic';
import { Rng } from '../../src/util/rng';

/** Variants worth timing on a GPU besides the default: vec4 loads, tfjs-sized tiles, deeper/shallower K, bigger register blocks. */
export const SWEEP_VARIANTS = [
  'tile=64x64,k=16,wg=16x16',
  'tile=64x64,k=16,wg=16x16,vec4=1',
  'tile=32x32,k=16,wg=8x8',
  'tile=64x64,k=8,wg=16x16',
  'tile=64x64,k=32,wg=16x16',
  'tile=128x64,k=16,wg=16x16',
  'tile=128x64,k=16,wg=16x16,vec4=1',
  'tile=64x128,k=16,wg=16x16',
  'tile=128x128,k=8,wg=16x16',
  'tile=128x128,k=8,wg=16x16,vec4=1',
  'tile=64x64,k=16,wg=8x8',
  'tile=64x64,k=16,wg=8x8,vec4=1',
];

/** The tolerance test/webgpu-kernels.test.ts holds every kernel check to. */
const TOLERANCE = 1e-5;

/** WRN-16-4's distinct convolutions (the model's explicit padding 1, 1×1 shortcuts unpadded) at `batch`×`size`². */
export function wrn164Shapes(batch: number, size: number): Array<ConvCase & { name: string }> {
  const s2 = Math.ceil(size / 2);
  const s4 = Math.ceil(s2 / 2);
  return [
    { name: 'stem 3→16', x: [batch, size, size, 3], filter: [3, 3, 3, 16], strides: 1, pad: 1 },
    { name: 'g1 16→64', x: [batch, size, size, 16], filter: [3, 3, 16, 64], strides: 1, pad: 1 },
    { name: 'g1 64→64', x: [batch, size, size, 64], filter: [3, 3, 64, 64], strides: 1, pad: 1 },
    { name: 'g1 short 16→64', x: [batch, size, size, 16], filter: [1, 1, 16, 64], strides: 1, pad: 'valid' },
    { name: 'g2 64→128 s2', x: [batch, size, size, 64], filter: [3, 3, 64, 128], strides: 2, pad: 1 },
    { name: 'g2 128→128', x: [batch, s2, s2, 128], filter: [3, 3, 128, 128], strides: 1, pad: 1 },
    { name: 'g2 short s2', x: [batch, size, size, 64], filter: [1, 1, 64, 128], strides: 2, pad: 'valid' },
    { name: 'g3 128→256 s2', x: [batch, s2, s2, 128], filter: [3, 3, 128, 256], strides: 2, pad: 1 },
    { name: 'g3 256→256', x: [batch, s4, s4, 256], filter: [3, 3, 256, 256], strides: 1, pad: 1 },
    { name: 'g3 short s2', x: [batch, s2, s2, 128], filter: [1, 1, 128, 256], strides: 2, pad: 'valid' },
  ];
}

export interface ShapeTiming {
  shape: string;
  kernel: 'Conv2D' | 'Conv2DBackpropInput';
  /** Mean ms per call over the timed calls (queued back to back, one read-back at the end). */
  ms: number;
  /** 2 · M · N · K / time. */
  tflops: number;
}

export interface VariantResult {
  /** 'tfjs' for tfjs-backend-webgpu's own kernels, else the variant's name. */
  variant: string;
  checked: boolean;
  worstRelativeError: number | null;
  worstCheck: string | null;
  timings: ShapeTiming[];
  /** Why it was not (fully) timed: a failed check, a compile error, the deadline. */
  note?: string;
}

export interface SweepReport {
  device: string;
  batch: number;
  imageSize: number;
  reps: number;
  results: VariantResult[];
  /** True when the deadline ended the sweep before every variant was timed. */
  stoppedEarly: boolean;
  date: string;
  /** True in the copies written while the sweep still runs. */
  partial: boolean;
}

/** Multiply-adds × 2 of a conv (forward and dx have the same count). */
function convFlops(c: ConvCase): number {
  const out = tf.tidy(
    () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape,
  );
  const [, , ci, co] = c.filter;
  return 2 * out[0] * out[1] * out[2] * co * c.filter[0] * c.filter[1] * ci;
}

async function readOne(t: tf.Tensor): Promise<void> {
  const one = tf.slice(tf.reshape(t, [-1]), 0, 1);
  await one.data();
  one.dispose();
}

/** One warm-up call (compiles), then `reps` calls queued back to back and one tiny read-back. */
async function timeCalls(run: () => tf.Tensor, reps: number): Promise<number> {
  const warm = run();
  await readOne(warm);
  warm.dispose();
  const start = performance.now();
  for (let i = 0; i < reps - 1; i++) run().dispose();
  const last = run();
  await readOne(last);
  last.dispose();
  return (performance.now() - start) / reps;
}

/** Runs Conv2D or Conv2DBackpropInput on one case: through the registered kernel (ours) or tfjs's own. */
function convCall(
  kernel: ShapeTiming['kernel'],
  c: ConvCase,
  tensors: { x: tf.Tensor; w: tf.Tensor; dy: tf.Tensor },
  stock: boolean,
) {
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 } as Record<
    string,
    unknown
  >;
  const inputs: tf.NamedTensorMap =
    kernel === 'Conv2D' ? { x: tensors.x, filter: tensors.w } : { dy: tensors.dy, filter: tensors.w };
  if (kernel === 'Conv2DBackpropInput') attrs.inputShape = c.x;
  if (!stock)
    return () => tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const own = builtin[kernel] as KernelFunc;
  return () =>
    tf
      .engine()
      .makeTensorFromTensorInfo(
        own({ inputs, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap }),
      );
}

/**
 * The checks a variant must pass before it is timed: Conv2D and dx of every webgpu check case
 * and of each WRN shape at batch 1. Expected values are computed on cpu once and kept.
 */
async function checkVariant(shapes: ConvCase[], expected: Map<string, Float32Array>) {
  const rng = new Rng(11);
  let worst = 0;
  let worstName = '';
  for (const c of [
    ...WEBGPU_CASES,
    ...shapes.map((s) => ({ ...s, x: [1, ...s.x.slice(1)] as ConvCase['x'] })),
  ]) {
    for (const [name, f] of convChecks(c, rng).slice(0, 2)) {
      if (!expected.has(name)) expected.set(name, await onBackend('cpu', f));
      const actual = await onBackend('webgpu', f);
      const err = maxRelativeError(actual, expected.get(name)!);
      if (!(err <= worst)) [worst, worstName] = [err, name];
    }
  }
  return { worst, worstName };
}

export async function runSweep(opts: {
  batch: number;
  imageSize: number;
  reps: number;
  variants: ConvGemmVariant[];
  deadline: number;
  json?: string;
  log?: (line: string) => void;
}): Promise<SweepReport> {
  const log = opts.log ?? console.log;
  // Our Conv2D and dx must be the registered kernels for the checks and the timed calls.
  process.env.BIAMAT_WEBGPU_KERNELS = 'all';
  const info = await initBackend({ backend: 'webgpu', log });
  const shapes = wrn164Shapes(opts.batch, opts.imageSize);
  const report: SweepReport = {
    device: info.device,
    batch: opts.batch,
    imageSize: opts.imageSize,
    reps: opts.reps,
    results: [],
    stoppedEarly: false,
    date: new Date().toISOString(),
    partial: true,
  };
  const save = () => opts.json && writeJsonAtomic(opts.json, report);
  const expected = new Map<string, Float32Array>();
  const rng = new Rng(5);
  const tensors = shapes.map((c) => {
    const y = tf.tidy(() =>
      tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad),
    );
    const t = {
      x: tf.tensor(rng.normalArray(c.x.reduce((a, b) => a * b)), c.x),
      w: tf.tensor(rng.normalArray(c.filter.reduce((a, b) => a * b)), c.filter),
      dy: tf.tensor(rng.normalArray(y.size), y.shape),
    };
    y.dispose();
    return t;
  });
  const flops = shapes.map(convFlops);
  const candidates: Array<ConvGemmVariant | 'tfjs'> = ['tfjs', ...opts.variants];
  try {
    for (const candidate of candidates) {
      const name = candidate === 'tfjs' ? 'tfjs' : convGemmVariantName(candidate);
      if (Date.now() >= opts.deadline) {
        report.stoppedEarly = true;
        log(`sweep: deadline reached before ${name}`);
        break;
      }
      const result: VariantResult = {
        variant: name,
        checked: false,
        worstRelativeError: null,
        worstCheck: null,
        timings: [],
      };
      report.results.push(result);
      try {
        if (candidate === 'tfjs')
          result.note = "tfjs-backend-webgpu's own kernels: the baseline, not checked";
        else {
          setConvGemmVariant(candidate);
          const { worst, worstName } = await checkVariant(shapes, expected);
          result.worstRelativeError = worst;
          result.worstCheck = worstName;
          result.checked = worst <= TOLERANCE;
          log(`${name}: checked against cpu, worst relative error ${worst.toExponential(2)} (${worstName})`);
          if (!result.checked) {
            result.note = `not timed: max relative error ${worst.toExponential(2)} > ${TOLERANCE}`;
            continue;
          }
        }
        for (const [i, c] of shapes.entries())
          for (const kernel of ['Conv2D', 'Conv2DBackpropInput'] as const) {
            if (Date.now() >= opts.deadline) throw new Error('deadline');
            const ms = await timeCalls(convCall(kernel, c, tensors[i], candidate === 'tfjs'), opts.reps);
            result.timings.push({ shape: c.name, kernel, ms, tflops: flops[i] / ms / 1e9 });
          }
        const total = result.timings.reduce((a, t) => a + t.ms, 0);
        log(`${name}: ${total.toFixed(2)} ms for one forward + dx of every WRN-16-4 shape`);
      } catch (err) {
        const deadline = (err as Error).message === 'deadline';
        result.note = deadline
          ? 'deadline reached while timing'
          : `failed: ${(err as Error).message.split('\n')[0]}`;
        log(`${name}: ${result.note}`);
        if (deadline) {
          report.stoppedEarly = true;
          break;
        }
      } finally {
        save();
      }
    }
  } finally {
    setConvGemmVariant(null);
    tf.dispose(tensors.flatMap((t) => [t.x, t.w, t.dy]));
  }
  report.partial = false;
  save();
  return report;
}
