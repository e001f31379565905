import * as tf from '@tensorflow/tfjs';
import { MAX_WASM_THREADS, loadThreadedWasm, unrefPoolWorkers } from './threaded';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');
type BackendFactory = NonNullable<ReturnType<typeof tf.findBackendFactory>>;
type WasmModule = ConstructorParameters<WasmPackage['BackendWasm']>[0];

/** tfjs's own 'wasm' factory (single-threaded in Node), kept once ours replaces it. */
let stockFactory: BackendFactory | null = null;
/** Threads of the registered 'wasm' factory: 1 = tfjs's own. */
let registeredThreads = 1;
/** The last thread count that could not start, and why (not retried: it may take a minute). */
let failure: { threads: number; reason: string } | null = null;

export interface WasmThreads {
  /** Threads XNNPACK's pool runs (tfjs's getThreadsCount). */
  threads: number;
  /** Why that is fewer than requested, if it is. */
  shortfall?: string;
}

/**
 * Initialises 'wasm' as the tfjs backend with `requested` threads: tfjs's own single-threaded
 * build for 1, its threaded build otherwise (./threaded.ts). Switching counts replaces the
 * backend: tensors on the old one are gone. Where threads cannot start, falls back to tfjs's own
 * build and says why.
 */
export async function setWasmBackend(wasm: WasmPackage, requested: number): Promise<WasmThreads> {
  stockFactory ??= tf.findBackendFactory('wasm');
  if (!stockFactory) throw new Error('@tensorflow/tfjs-backend-wasm registered no wasm backend');
  const wanted = Math.min(requested, MAX_WASM_THREADS);
  let reason: string | undefined;
  if (wanted !== registeredThreads) {
    let factory = stockFactory;
    let factoryThreads = 1;
    if (wanted > 1 && failure?.threads === wanted) {
      reason = failure.reason;
    } else if (wanted > 1) {
      try {
        const module = await loadThreadedWasm(wanted);
        factory = () => {
          wasm.setThreadsCount(wanted);
          const backend = new wasm.BackendWasm(module as unknown as WasmModule);
          unrefPoolWorkers(module);
          return backend;
        };
        factoryThreads = wanted;
      } catch (err) {
        reason = (err as Error).message.split('\n')[0];
        failure = { threads: wanted, reason };
      }
    }
    if (factoryThreads !== registeredThreads) {
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', factory, 2);
      registeredThreads = factoryThreads;
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialise the wasm backend');
  const threads = wasm.getThreadsCount();
  const shortfall =
    threads >= requested
      ? undefined
      : reason
        ? `threads unavailable: ${reason}`
        : requested > MAX_WASM_THREADS
          ? `${requested} requested; tfjs-wasm 4.22's pool has at most ${MAX_WASM_THREADS}`
          : `${requested} requested; tfjs-wasm's pool started ${threads}`;
  return { threads, shortfall };
}
