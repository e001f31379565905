import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../util/atomic';

/**
 * tfjs-backend-wasm's multi-threaded build (XNNPACK with a pthreads pool) in Node.
 *
 * tfjs 4.22 never uses it in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag is false there
 * (tfjs#3830, github.com/tensorflow/tfjs/issues/3830), and its loader would hand Node's
 * worker_threads a Blob URL, which Node cannot start a worker from. The build itself has a Node
 * path (its pthread workers are worker_threads), so we instantiate it ourselves:
 *
 * 1. The pthread worker script (tfjs ships it as a string, `wasmWorkerContents`) is written to a
 *    file in the temp folder, and the workers load the module script by its path in node_modules.
 * 2. tfjs's C++ caps the pool at min(requested, 8, logical cores / 2): it assumes two hardware
 *    threads per core, and reads the core count (`emscripten_num_logical_cores`, in Node
 *    `os.cpus().length`) once, when the module starts. On a 2-core machine that cap is 1: the
 *    workers started, yet `getThreadsCount()` said 1 and nothing ran in parallel. We answer that
 *    import with twice the count we want, so the cap is our count (and at most 8, compiled in).
 * 3. Emscripten starts 8 pool workers; we keep the `threads − 1` the pool will use (the calling
 *    thread is the other one) and stop the rest before the module is loaded into them.
 * 4. Running pthreads keep Node's event loop alive: once the pool has started, we unref their
 *    workers, so a process ends when its work does (Node stops the workers at exit).
 *
 * Nothing in node_modules is patched. Any failure is reported to the caller, which falls back to
 * tfjs's single-threaded build and says why.
 */

/** tfjs-wasm 4.22's thread pool never has more threads than this (a compile-time constant). */
export const MAX_WASM_THREADS = 8;

/** How long the pool workers may take to load the module before we give up on threads. */
const LOAD_TIMEOUT_MS = 60_000;

interface PThreadWorker {
  terminate(): Promise<number> | void;
  unref(): void;
  onerror: ((e: unknown) => void) | null;
}

/** The parts of the Emscripten module (and of what tfjs adds to it) that we use. */
export interface ThreadedWasmModule {
  PThread: { unusedWorkers: PThreadWorker[]; runningWorkers: PThreadWorker[] };
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
}

type WasmImports = Record<string, Record<string, unknown>>;
interface FactoryConfig {
  locateFile(file: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: WasmImports, receive: (instance: unknown, module: unknown) => void): object;
  onAbort(what: unknown): void;
  PThread?: ThreadedWasmModule['PThread'];
}

const BUILD = 'tfjs-backend-wasm-threaded-simd';

/** The folder holding tfjs-wasm's threaded build (its .js, .worker.js and .wasm). */
function buildDir(): string {
  return path.dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${BUILD}.js`));
}

/**
 * Writes the pthread worker script once per content (its name carries a hash of it). tfjs ships
 * it as a JS string whose "\n" escapes became real newlines inside string literals; tfjs escapes
 * them again before use, and so do we.
 */
function workerScript(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(dir, `${BUILD}.worker.js`)) as {
    wasmWorkerContents: string;
  };
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const file = path.join(os.tmpdir(), `biamat-${BUILD}-${hash}.worker.js`);
  if (!fs.existsSync(file)) writeFileAtomic(file, source);
  return file;
}

/** Why this Node cannot run the threaded build, or null if it can. */
async function unsupported(): Promise<string | null> {
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) return 'the threaded build needs WebAssembly SIMD';
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(memory.buffer instanceof SharedArrayBuffer)) return 'no shared WebAssembly memory';
  } catch (err) {
    return `no shared WebAssembly memory (${(err as Error).message})`;
  }
  return null;
}

/**
 * Instantiates tfjs-wasm's threaded build with a pool of `threads` (2 to MAX_WASM_THREADS) and
 * returns the module, ready for `new BackendWasm(module)` after `setThreadsCount(threads)`.
 * Rejects (stopping any worker it started) when threads cannot run here.
 */
export async function loadThreadedWasm(threads: number): Promise<ThreadedWasmModule> {
  const reason = await unsupported();
  if (reason) throw new Error(reason);
  const dir = buildDir();
  const worker = workerScript(dir);
  const wasmBytes = fs.readFileSync(path.join(dir, `${BUILD}.wasm`));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(path.join(dir, `${BUILD}.js`)) as (
    config: FactoryConfig,
  ) => Promise<ThreadedWasmModule>;

  const loading: Array<[PThreadWorker, PThreadWorker['onerror']]> = [];
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const config: FactoryConfig = {
    locateFile: (file) => (file.endsWith('.worker.js') ? worker : path.join(dir, file)),
    mainScriptUrlOrBlob: path.join(dir, `${BUILD}.js`),
    instantiateWasm(imports, receive) {
      let cores = 0;
      for (const table of Object.values(imports))
        for (const [name, f] of Object.entries(table))
          if (typeof f === 'function' && f.toString().includes('hardwareConcurrency')) {
            table[name] = () => 2 * threads;
            cores++;
          }
      if (cores === 0) {
        fail(new Error("tfjs-wasm's core-count import was not found (a build this shim does not know)"));
        return {};
      }
      const pool = config.PThread!;
      for (const extra of pool.unusedWorkers.splice(threads - 1)) void extra.terminate();
      WebAssembly.instantiate(wasmBytes, imports as WebAssembly.Imports).then(
        ({ instance, module }) => {
          receive(instance, module);
          // Emscripten's own handler rethrows a worker's error, which would end the process;
          // while the workers load, a failure means "no threads" instead (restored once loaded).
          for (const w of pool.unusedWorkers) {
            loading.push([w, w.onerror]);
            w.onerror = (e) => fail(new Error(`a pool worker failed: ${e}`));
          }
        },
        (err: Error) => fail(err),
      );
      return {};
    },
    onAbort: (what) => fail(new Error(`the threaded module aborted: ${what}`)),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the pool workers did not load within ${LOAD_TIMEOUT_MS / 1000} s`)),
      LOAD_TIMEOUT_MS,
    );
  });
  try {
    const module = await Promise.race([factory(config), failed, timeout]);
    for (const [w, handler] of loading) w.onerror = handler;
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    return module;
  } catch (err) {
    for (const w of config.PThread?.unusedWorkers ?? []) void w.terminate();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Lets the process exit while the pool's threads wait for work (call once the pool started). */
export function unrefPoolWorkers(module: ThreadedWasmModule): void {
  for (const w of module.PThread.runningWorkers) w.unref();
}
