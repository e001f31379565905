import * as os from 'os';
import { UserError } from '../util/errors';

/**
 * How many CPU threads the wasm backend computes on: `--threads N` on a CLI, else
 * BIAMAT_THREADS, else every core this process may use (`os.availableParallelism()`).
 */

/** The help text of `--threads` on every CLI that initialises a backend. */
export const THREADS_HELP = 'CPU threads for the wasm backend (default: BIAMAT_THREADS, else all cores)';

/** Cores this process may run on: the default thread count. */
export function machineThreads(): number {
  return Math.max(1, os.availableParallelism());
}

/** Validates a thread count from a flag, option or env var (`from` names it in the error). */
export function parseThreads(value: string | number, from = 'threads'): number {
  const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(
      `${from} must be a positive integer, got "${value}"`,
      `e.g. ${from === 'BIAMAT_THREADS' ? 'BIAMAT_THREADS=2' : `${from} 2`} (default: all ${machineThreads()} cores)`,
    );
  }
  return n;
}

export interface ThreadChoice {
  threads: number;
  /** Where the count came from. */
  source: 'option' | 'env' | 'default';
}

/** The thread count to use: the option (e.g. `--threads`), else BIAMAT_THREADS, else all cores. */
export function resolveThreads(
  option: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ThreadChoice {
  if (option !== undefined) return { threads: parseThreads(option, '--threads'), source: 'option' };
  const fromEnv = env.BIAMAT_THREADS;
  if (fromEnv !== undefined && fromEnv !== '')
    return { threads: parseThreads(fromEnv, 'BIAMAT_THREADS'), source: 'env' };
  return { threads: machineThreads(), source: 'default' };
}

/**
 * Commander parser for `--threads <n>` on the CLIs that reach initBackend through other layers
 * (train, experiments): validates the count and sets BIAMAT_THREADS, so that it reaches
 * initBackend wherever it is called in this process and in the processes it starts (notebook
 * kernels), with no option threaded through every layer in between.
 */
export function threadsOption(value: string): number {
  const n = parseThreads(value, '--threads');
  process.env.BIAMAT_THREADS = String(n);
  return n;
}
