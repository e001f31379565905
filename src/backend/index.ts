import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';
import { missingTrainingKernels } from './kernels';
import { resolveThreads } from './threads';
import { setWasmBackend } from './wasm/backend';
import { registerWasmTrainingKernels } from './wasm/kernels';
import { convGemmVariant, convGemmVariantName, registerWebGpuTrainingKernels } from './webgpu';

export { TRAINING_KERNELS, missingTrainingKernels } from './kernels';
export { batchNormElementwise, batchNormTraining } from './batchnorm';
export { registerWasmTrainingKernels } from './wasm/kernels';
export { MAX_WASM_THREADS } from './wasm/threaded';
export { THREADS_HELP, machineThreads, parseThreads, resolveThreads, threadsOption } from './threads';
export {
  registerWebGpuTrainingKernels,
  webGpuKernelsRegistered,
  webGpuKernelSelection,
  WEBGPU_REPLACED_KERNELS,
  WEBGPU_DEFAULT_KERNELS,
  convGemmVariant,
  convGemmVariantName,
  parseConvGemmVariant,
  setConvGemmVariant,
  type ConvGemmVariant,
} from './webgpu';

/** Backends in the order auto-selection tries them: fastest first. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendSkip {
  backend: BackendName;
  reason: string;
}

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** tfjs's own name for it (`tf.getBackend()`): 'tensorflow' for the tfjs-node packages. */
  tfBackend: string;
  /** How it was chosen: the caller's option (CLI flag), the BIAMAT_BACKEND env var, or auto. */
  source: 'option' | 'env' | 'auto';
  /** Why each faster backend was not used (auto-selection only; empty for an explicit choice). */
  skipped: BackendSkip[];
  /** What runs the kernels, e.g. 'XNNPACK SIMD, 2 threads on Intel Xeon … (16 cores)'. */
  device: string;
  /** CPU threads the backend computes on (GPU backends: 0, their host side is not counted). */
  threads: number;
  /** The one line initBackend printed. */
  line: string;
}

export interface InitBackendOptions {
  /** Explicit backend (e.g. from `--backend`); wins over BIAMAT_BACKEND. 'auto' = pick. */
  backend?: string;
  /** Where the one-line report goes (default console.log); false = silent. */
  log?: ((line: string) => void) | false;
  /**
   * CPU threads for the wasm backend (e.g. from `--threads`); wins over BIAMAT_THREADS; default
   * all cores. Other backends ignore it (tfjs-node uses every core, cpu one).
   */
  threads?: number;
  /** Environment to read BIAMAT_BACKEND and BIAMAT_THREADS from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Validates a backend name from a flag or env var; undefined/'' /'auto' mean auto-select. */
export function parseBackendName(value: string | undefined, from = 'backend'): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(
    `unknown ${from} "${value}"`,
    `use one of: ${BACKEND_NAMES.join(', ')}, auto (fastest available)`,
  );
}

/** The value of `--backend <name>` / `--backend=<name>` in argv, validated; undefined if absent. */
export function backendFromArgv(argv: readonly string[] = process.argv): BackendName | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--backend') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UserError(
          '--backend needs a value',
          `e.g. --backend wasm (one of ${BACKEND_NAMES.join(', ')}, auto)`,
        );
      }
      return parseBackendName(value, '--backend');
    }
    if (arg.startsWith('--backend=')) return parseBackendName(arg.slice('--backend='.length), '--backend');
  }
  return undefined;
}

type Attempt =
  | { ok: true; tfBackend: string; device: string; threads: number }
  | { ok: false; reason: string; fix: string };

const FIX_OTHER =
  'or choose another backend with --backend <name> / BIAMAT_BACKEND=<name> (auto picks the fastest available)';

function cpuModel(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} (${cpus.length} cores)`;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0];
}

/** Loads a tfjs-node package (which registers the 'tensorflow' backend) without making it a hard dependency. */
async function tryTfjsNode(
  pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node',
  needs: string,
): Promise<Attempt> {
  const fix = `install ${pkg}@4.22.0 (${needs}) ${FIX_OTHER}`;
  try {
    // Lazy: an optional package that is usually absent; a static import would fail to load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const notInstalled = code === 'MODULE_NOT_FOUND' && firstLine(err).includes(`'${pkg}'`);
    const reason = notInstalled
      ? `not installed (optional dependency; ${needs})`
      : `installed but does not load: ${firstLine(err)} (${needs})`;
    return { ok: false, reason, fix };
  }
  if (!(await tf.setBackend('tensorflow')))
    return { ok: false, reason: 'loaded but failed to initialise', fix };
  const gpu = pkg === '@tensorflow/tfjs-node-gpu';
  return {
    ok: true,
    tfBackend: 'tensorflow',
    device: gpu ? 'libtensorflow (CUDA)' : `libtensorflow on ${cpuModel()}`,
    threads: gpu ? 0 : os.cpus().length,
  };
}

// A real dynamic import: TypeScript (module commonjs) would rewrite `import()` into require(),
// which cannot load the ESM-only `webgpu` package.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

interface WebGpuModule {
  create(options: string[]): { requestAdapter(): Promise<WebGpuAdapter | null> };
  globals: Record<string, unknown>;
}
interface WebGpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  isFallbackAdapter?: boolean;
}

/**
 * On Linux Dawn reaches the GPU through the Vulkan loader. Without it, loading Dawn only prints
 * a warning and finds no adapter, so auto-selection skips it up front (quietly and faster).
 * An explicit --backend webgpu still tries: the loader may live somewhere this does not look.
 */
export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

/**
 * Whether the machine exposes a GPU device node (NVIDIA's /dev/nvidia*, or a DRM render node
 * /dev/dri/renderD*). Without one, the only Vulkan adapter Dawn could find is a software one
 * (lavapipe, installed for the webgpu kernel tests), slower than wasm: auto-selection skips
 * webgpu without loading Dawn, which would print warnings on every run.
 */
export function gpuDeviceNodeFound(devDir = '/dev'): boolean {
  if (process.platform !== 'linux') return true;
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return (
    list(devDir).some((name) => /^nvidia\d+$/.test(name)) ||
    list(path.join(devDir, 'dri')).some((name) => name.startsWith('renderD'))
  );
}

async function tryWebGpu(explicit: boolean, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const fix = `WebGPU needs a GPU with a Vulkan driver and the Vulkan loader (libvulkan.so.1) visible to Dawn (docs/bench.md, "On the GPU machine"), ${FIX_OTHER}`;
  if (!explicit && !vulkanLoaderFound(env)) {
    return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1 not found)', fix };
  }
  if (!explicit && !gpuDeviceNodeFound()) {
    return { ok: false, reason: 'no GPU device (/dev/nvidia*, /dev/dri/renderD*)', fix };
  }
  let webgpu: WebGpuModule;
  try {
    webgpu = (await dynamicImport('webgpu')) as WebGpuModule;
  } catch (err) {
    return { ok: false, reason: `the webgpu (Dawn) package does not load: ${firstLine(err)}`, fix };
  }
  const gpu = webgpu.create([]);
  let adapter: WebGpuAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return { ok: false, reason: `requestAdapter failed: ${firstLine(err)}`, fix };
  }
  if (!adapter) return { ok: false, reason: 'no adapter (Dawn found no GPU/Vulkan driver)', fix };
  const info = adapter.info ?? {};
  const description =
    [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const software = adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(description);
  if (software && !explicit) {
    return { ok: false, reason: `only a software adapter (${description}), slower than wasm`, fix };
  }
  Object.assign(globalThis, webgpu.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  // Lazy: only after navigator.gpu exists, and only when WebGPU is used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-webgpu');
  const ours = registerWebGpuTrainingKernels();
  // Read (and validate) BIAMAT_WEBGPU_GEMM now, not at the first convolution.
  const gemm = ours.some((k) => k === 'Conv2D' || k === 'Conv2DBackpropInput')
    ? ` (conv GEMM ${convGemmVariantName(convGemmVariant())})`
    : '';
  try {
    if (!(await tf.setBackend('webgpu')))
      return { ok: false, reason: `tfjs webgpu backend failed to initialise on ${description}`, fix };
  } catch (err) {
    return { ok: false, reason: `tfjs webgpu backend failed to initialise: ${firstLine(err)}`, fix };
  }
  return {
    ok: true,
    tfBackend: 'webgpu',
    device: `WebGPU/Dawn on ${description}, our kernels: ${ours.join(', ') || 'none (stock tfjs-webgpu)'}${gemm}`,
    threads: 0,
  };
}

async function tryWasm(requestedThreads: number): Promise<Attempt> {
  const fix = `reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (npm ci) ${FIX_OTHER}`;
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    // Lazy, so a broken install is a skip reason rather than a crash at import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    wasm = require('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm does not load: ${firstLine(err)}`, fix };
  }
  registerWasmTrainingKernels();
  let threads: number;
  let shortfall: string | undefined;
  try {
    ({ threads, shortfall } = await setWasmBackend(wasm, requestedThreads));
  } catch (err) {
    return { ok: false, reason: `failed to initialise: ${firstLine(err)}`, fix };
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return {
    ok: true,
    tfBackend: 'wasm',
    device:
      `XNNPACK${simd ? ' SIMD' : ' (no SIMD)'}, ${threads} thread${threads === 1 ? '' : 's'}` +
      `${shortfall ? ` (${shortfall})` : ''} on ${cpuModel()}` +
      (process.env.BIAMAT_WASM_STOCK_KERNELS === '1' ? ', stock tfjs-wasm dx/Identity kernels' : ''),
    threads,
  };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await tf.setBackend('cpu')))
    return { ok: false, reason: 'failed to initialise', fix: 'reinstall @tensorflow/tfjs (npm ci)' };
  return { ok: true, tfBackend: 'cpu', device: `plain JavaScript, 1 thread on ${cpuModel()}`, threads: 1 };
}

async function attempt(
  name: BackendName,
  explicit: boolean,
  env: NodeJS.ProcessEnv,
  threads: number,
): Promise<Attempt> {
  let result: Attempt;
  switch (name) {
    case 'tfjs-node-gpu':
      result = await tryTfjsNode('@tensorflow/tfjs-node-gpu', 'needs CUDA 11.2/cuDNN 8.1');
      break;
    case 'tfjs-node':
      result = await tryTfjsNode('@tensorflow/tfjs-node', 'downloads libtensorflow at install time');
      break;
    case 'webgpu':
      result = await tryWebGpu(explicit, env);
      break;
    case 'wasm':
      result = await tryWasm(threads);
      break;
    case 'cpu':
      result = await tryCpu();
      break;
  }
  if (!result.ok) return result;
  const missing = missingTrainingKernels(result.tfBackend);
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `lacks training kernels: ${missing.join(', ')}`,
      fix: `register them (see src/backend/wasm/kernels.ts) ${FIX_OTHER}`,
    };
  }
  return result;
}

/**
 * Picks and initialises the tfjs backend: the explicit choice (option, else BIAMAT_BACKEND),
 * or the fastest that works in the order tfjs-node-gpu → tfjs-node → webgpu → wasm → cpu.
 * Checks that every kernel training needs is registered. Prints one line naming the backend
 * and why each faster one was skipped. An explicit choice that fails is a UserError, never a
 * silent fallback.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = opts.env ?? process.env;
  const fromOption = parseBackendName(opts.backend, 'backend');
  const fromEnv = fromOption ? undefined : parseBackendName(env.BIAMAT_BACKEND, 'BIAMAT_BACKEND');
  const requested = fromOption ?? fromEnv;
  const source: BackendInfo['source'] = fromOption ? 'option' : fromEnv ? 'env' : 'auto';
  const log = opts.log === false ? () => {} : (opts.log ?? ((line: string) => console.log(line)));
  const { threads } = resolveThreads(opts.threads, env);

  const finish = (
    name: BackendName,
    result: Extract<Attempt, { ok: true }>,
    skipped: BackendSkip[],
  ): BackendInfo => {
    const why =
      source === 'option'
        ? 'requested'
        : source === 'env'
          ? `requested by BIAMAT_BACKEND=${name}`
          : skipped.length === 0
            ? 'fastest available'
            : `skipped ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`;
    const line = `backend: ${name} [${result.device}] (${why})`;
    log(line);
    return {
      name,
      tfBackend: result.tfBackend,
      source,
      skipped,
      device: result.device,
      threads: result.threads,
      line,
    };
  };

  if (requested) {
    const result = await attempt(requested, true, env, threads);
    if (!result.ok) {
      const how = source === 'env' ? `BIAMAT_BACKEND=${requested}` : `backend ${requested}`;
      throw new UserError(`${how} is not available: ${result.reason}`, result.fix);
    }
    return finish(requested, result, []);
  }
  const skipped: BackendSkip[] = [];
  for (const name of BACKEND_NAMES) {
    const result = await attempt(name, false, env, threads);
    if (result.ok) return finish(name, result, skipped);
    skipped.push({ backend: name, reason: result.reason });
  }
  throw new UserError(
    `no tfjs backend works: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
    'reinstall dependencies with npm ci',
  );
}
