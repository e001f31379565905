/**
 * The in-process "kernel": a child process that runs notebook cells with tslab's own
 * converter and executor (the code tslab's Jupyter kernel runs), so cells get exactly tslab's
 * semantics (top-level await, per-cell scopes, local .ts imports compiled to CommonJS) without
 * Jupyter. The parent (kernel.ts) talks to it over the Node IPC channel:
 *
 *   parent → worker: { type: 'execute', code } | { type: 'shutdown' }
 *   worker → parent: { type: 'ready', versions } | { type: 'stream', name, text }
 *                    | { type: 'display', data, metadata, displayId, update } | { type: 'done', ok, error? }
 *
 * Like the tslab kernel, stdout/stderr and tslab's display API are routed to the current cell,
 * and a failing cell prints its error to stderr (tslab sends no Jupyter `error` message).
 */
import * as util from 'util';
import { createConverter } from 'tslab/dist/converter';
import { createExecutor } from 'tslab/dist/executor';

export interface WorkerError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type WorkerMessage =
  | { type: 'ready'; versions: Record<string, string> }
  | { type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | {
      type: 'display';
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
      displayId?: string;
      update: boolean;
    }
  | { type: 'done'; ok: boolean; error?: WorkerError };

export type ParentMessage = { type: 'execute'; code: string } | { type: 'shutdown' };

interface DisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

function main(): void {
  // Route the process's own output to the running cell, as tslab's kernel does.
  const writeTo = (name: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      send({ type: 'stream', name, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString() });
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = writeTo('stdout');
  process.stderr.write = writeTo('stderr');

  // The display API (`tslab.display.html(...)`) writes through this module-level hook; the
  // notebook's `require('tslab')` resolves to this same module instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jupyter = require('tslab/dist/jupyter') as {
    lastWriteDisplayData: ((d: DisplayData, update: boolean) => void) | null;
  };
  jupyter.lastWriteDisplayData = (d, update) =>
    send({
      type: 'display',
      data: d.data,
      metadata: d.metadata ?? {},
      displayId: d.transient?.display_id,
      update,
    });

  // The last error the executor reported for the running cell.
  let cellError: WorkerError | undefined;
  const diagnostics: string[] = [];
  const executorConsole = {
    log: (...args: unknown[]) => console.log(...args),
    error: (...args: unknown[]) => {
      const first = args[0];
      if (first instanceof Error) {
        cellError = { ename: first.name, evalue: first.message, traceback: (first.stack ?? '').split('\n') };
      } else if (typeof first === 'string' && first.startsWith('%s%d:%d - %s')) {
        // A TypeScript diagnostic: (format, fileName, line, column, message).
        const [, file, line, col, message] = args as [string, string, number, number, string];
        diagnostics.push(`${file}${line}:${col} - ${message}`);
      } else {
        cellError = { ename: 'Error', evalue: util.format(...args), traceback: [] };
      }
      console.error(...args);
    },
  };

  const node = createConverter({ isJS: false, isBrowser: false });
  let browser: ReturnType<typeof createConverter> | undefined;
  const convs = {
    node,
    get browser() {
      return (browser ??= createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      node.close();
      browser?.close();
    },
  };
  const executor = createExecutor(process.cwd(), convs, executorConsole);

  process.on('uncaughtException', (err) => console.error('UncaughtException:', err));
  process.on('unhandledRejection', (reason) => console.error('UnhandledPromiseRejection:', reason));

  process.on('message', (msg: ParentMessage) => {
    if (msg.type === 'shutdown') {
      executor.close();
      process.disconnect?.();
      process.exit(0);
    }
    if (msg.type !== 'execute') return;
    cellError = undefined;
    diagnostics.length = 0;
    executor.execute(msg.code).then(
      (ok) => {
        if (ok) return send({ type: 'done', ok: true });
        const error =
          diagnostics.length > 0
            ? { ename: 'CompileError', evalue: diagnostics.join('\n'), traceback: diagnostics.slice() }
            : (cellError ?? {
                ename: 'Error',
                evalue: 'the cell failed without an error message',
                traceback: [],
              });
        send({ type: 'done', ok: false, error });
      },
      (err: Error) =>
        send({
          type: 'done',
          ok: false,
          error: { ename: err.name, evalue: err.message, traceback: (err.stack ?? '').split('\n') },
        }),
    );
  });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { versions } = require('tslab') as { versions: Record<string, string> };
  send({ type: 'ready', versions });
}

main();
