import { UserError } from '../../util/errors';

// The knobs of the implicit-GEMM conv program (conv-gemm-program.ts), so that a GPU session can
// sweep them without editing WGSL: BIAMAT_WEBGPU_GEMM="tile=64x64,k=16,wg=16x16,vec4=1".

/**
 * One shape of the GEMM: each workgroup computes a tileM (rows of M) × tileN (output channels)
 * block, stepping through K tileK at a time via workgroup memory; threadsX × threadsY threads
 * each own a (tileM / threadsY) × (tileN / threadsX) block of outputs, strided so that
 * neighbouring threads write neighbouring values. vec4: inputs are read 4 floats at a time
 * (along k for A, along co for B), where the channel counts allow it (conv2d.ts decides per call).
 */
export interface ConvGemmVariant {
  tileM: number;
  tileN: number;
  tileK: number;
  threadsX: number;
  threadsY: number;
  vec4: boolean;
}

/** What the kernels have used since they were written: 64×64 tiles, K steps of 16, 16×16 threads (4×4 each). */
export const DEFAULT_CONV_GEMM: ConvGemmVariant = {
  tileM: 64,
  tileN: 64,
  tileK: 16,
  threadsX: 16,
  threadsY: 16,
  vec4: false,
};

/** WebGPU's guaranteed maximum of invocations per workgroup (maxComputeInvocationsPerWorkgroup). */
const MAX_THREADS = 256;
/** Accumulators per thread: beyond this registers spill on any GPU. */
const MAX_OUTPUTS_PER_THREAD = 64;
/** Workgroup memory for both tiles, in floats: 16 KiB of the guaranteed 16 KiB. */
const MAX_TILE_FLOATS = 4096;

/** 'tile=64x64,k=16,wg=16x16' (+ ',vec4=1'): the form BIAMAT_WEBGPU_GEMM and the sweep's JSON use. */
export function convGemmVariantName(v: ConvGemmVariant): string {
  return `tile=${v.tileM}x${v.tileN},k=${v.tileK},wg=${v.threadsX}x${v.threadsY}${v.vec4 ? ',vec4=1' : ''}`;
}

/** Why a variant cannot run as one program, or null when it can. */
export function convGemmVariantProblem(v: ConvGemmVariant): string | null {
  const threads = v.threadsX * v.threadsY;
  const sizes = [v.tileM, v.tileN, v.tileK, v.threadsX, v.threadsY];
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) return 'every size must be a positive integer';
  if (threads > MAX_THREADS) return `${threads} threads per workgroup exceed WebGPU's ${MAX_THREADS}`;
  if (v.tileM % v.threadsY || v.tileN % v.threadsX)
    return 'tile rows must divide by wg rows (threadsY) and tile columns by wg columns (threadsX)';
  // Each thread loads the same A column of fixed rows at every K step, decoding them once.
  if (threads % v.tileK || (v.tileM * v.tileK) % threads)
    return 'threads must be a multiple of k, and tile rows × k a multiple of threads';
  if ((v.tileM / v.threadsY) * (v.tileN / v.threadsX) > MAX_OUTPUTS_PER_THREAD)
    return `more than ${MAX_OUTPUTS_PER_THREAD} outputs per thread`;
  if ((v.tileM + v.tileN) * v.tileK > MAX_TILE_FLOATS) return 'tiles exceed 16 KiB of workgroup memory';
  // vec4: each thread loads 4 consecutive k of its A rows, and B in groups of 4 (calls whose
  // channels do not divide by 4 run the scalar program, so its conditions above hold too).
  if (
    v.vec4 &&
    (v.tileK % 4 || v.tileN % 4 || threads % (v.tileK / 4) || (v.tileM * v.tileK) % (4 * threads))
  )
    return 'vec4 needs k and tile columns divisible by 4, threads a multiple of k/4, tile rows × k/4 a multiple of threads';
  return null;
}

/**
 * Parses 'tile=MxN,k=K,wg=XxY,vec4=0|1' (any subset; the rest from the default). '' or undefined: the
 * default. Throws a UserError naming the problem for malformed or unrunnable variants.
 */
export function parseConvGemmVariant(spec: string | undefined): ConvGemmVariant {
  const v = { ...DEFAULT_CONV_GEMM };
  const text = (spec ?? '').trim();
  const hint =
    'e.g. BIAMAT_WEBGPU_GEMM="tile=64x64,k=16,wg=16x16,vec4=1" (tile rows x columns, K step, threads x by y, vec4 loads)';
  if (text === '') return v;
  const pair = (value: string, key: string): [number, number] => {
    const m = /^(\d+)x(\d+)$/.exec(value);
    if (!m) throw new UserError(`BIAMAT_WEBGPU_GEMM: ${key}=${value} is not <n>x<n>`, hint);
    return [Number(m[1]), Number(m[2])];
  };
  for (const part of text.split(',')) {
    const [key, value = ''] = part.split('=').map((s) => s.trim());
    if (key === 'tile') [v.tileM, v.tileN] = pair(value, key);
    else if (key === 'wg') [v.threadsX, v.threadsY] = pair(value, key);
    else if (key === 'k' && /^\d+$/.test(value)) v.tileK = Number(value);
    else if (key === 'vec4' && (value === '0' || value === '1')) v.vec4 = value === '1';
    else throw new UserError(`BIAMAT_WEBGPU_GEMM: cannot read "${part}"`, hint);
  }
  const problem = convGemmVariantProblem(v);
  if (problem) throw new UserError(`BIAMAT_WEBGPU_GEMM="${text}": ${problem}`, hint);
  return v;
}

let current: ConvGemmVariant | null = null;

/** The variant the conv kernels use now: set by setConvGemmVariant, else BIAMAT_WEBGPU_GEMM, else the default. */
export function convGemmVariant(): ConvGemmVariant {
  current ??= parseConvGemmVariant(process.env.BIAMAT_WEBGPU_GEMM);
  return current;
}

/**
 * Switches the variant for the programs built from now on (each variant compiles to its own
 * shader, keyed by its name): the sweep times several in one process. null: back to the env/default.
 */
export function setConvGemmVariant(v: ConvGemmVariant | null): void {
  if (v) {
    const problem = convGemmVariantProblem(v);
    if (problem)
      throw new UserError(`conv GEMM variant ${convGemmVariantName(v)}: ${problem}`, 'pick another');
  }
  current = v;
}
