/**
 * Two ways to run notebook cells behind one interface:
 * - InProcessKernel: a child Node process running tslab's executor (kernel-worker.ts), no Jupyter.
 * - JupyterKernel: the real tslab Jupyter kernel driven by nbclient (jupyter_driver.py).
 * Both run cells in the working directory they are given (the notebook's folder, see
 * runner.ts), and both enforce a start timeout, a per-cell timeout and a liveness watchdog: a kernel that dies
 * or hangs fails the cell it was running instead of hanging the harness.
 */
import { ChildProcess, fork, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import type { NotebookOutput } from './notebook';
import type { ParentMessage, WorkerMessage } from './kernel-worker';

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface CellRun {
  ok: boolean;
  outputs: NotebookOutput[];
  executionCount: number | null;
  error?: CellError;
  /** The kernel is gone (died or timed out): no further cell can run. */
  dead?: boolean;
}

export interface KernelOptions {
  /** Working directory of the cells. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  startTimeoutS: number;
  cellTimeoutS: number;
  /** Where kernel-process chatter (not cell output) goes. */
  log: (line: string) => void;
}

export interface Kernel {
  readonly kind: 'inprocess' | 'jupyter';
  start(): Promise<Record<string, unknown>>;
  execute(index: number, code: string): Promise<CellRun>;
  shutdown(): Promise<void>;
}

const TSX_CJS = require.resolve('tsx/cjs');

/** Appends to a cell's outputs the way Jupyter frontends do: consecutive stream chunks merge. */
function appendStream(outputs: NotebookOutput[], name: 'stdout' | 'stderr', text: string): void {
  const last = outputs[outputs.length - 1];
  if (last && last.output_type === 'stream' && last.name === name)
    last.text = `${last.text as string}${text}`;
  else outputs.push({ output_type: 'stream', name, text });
}

/**
 * tslab reports a failing cell only as stderr text (no Jupyter `error` message), so the error
 * name and value are read back from it: a TypeScript diagnostic ("1:7 - Type ... is not
 * assignable"), or an exception ("RangeError: boom").
 */
export function errorFromStderr(stderr: string): CellError {
  const lines = stderr.split('\n');
  const diagnostics = lines.filter((l) => /^(\S+ )?\d+:\d+ - /.test(l));
  if (diagnostics.length > 0)
    return { ename: 'CompileError', evalue: diagnostics.join('\n'), traceback: lines };
  for (const l of lines) {
    const m = /^(?:Uncaught )?([A-Za-z_$][\w$]*(?:Error|Exception))(?: \[[^\]]*\])?: (.*)$/.exec(l.trim());
    if (m) return { ename: m[1], evalue: m[2], traceback: lines };
  }
  const first = lines.find((l) => l.trim() !== '') ?? '';
  return { ename: 'Error', evalue: first || 'the cell failed without an error message', traceback: lines };
}

function stderrText(outputs: NotebookOutput[]): string {
  return outputs
    .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
    .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
    .join('');
}

export class InProcessKernel implements Kernel {
  readonly kind = 'inprocess' as const;
  private child?: ChildProcess;
  private outputs: NotebookOutput[] = [];
  private displays = new Map<string, NotebookOutput[]>();
  private executionCount = 0;
  private pending?: (msg: WorkerMessage | { type: 'exit'; reason: string }) => void;

  constructor(private readonly opts: KernelOptions) {}

  start(): Promise<Record<string, unknown>> {
    const worker = path.join(__dirname, 'kernel-worker.ts');
    const child = fork(worker, [], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      execArgv: ['--require', TSX_CJS],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        readline.createInterface({ input: stream }).on('line', (l) => this.opts.log(`[kernel] ${l}`));
    }
    child.on('message', (msg: WorkerMessage) => this.onMessage(msg));
    child.on('exit', (code, signal) => {
      this.child = undefined;
      const reason = signal
        ? `the kernel process was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`
        : `the kernel process exited with code ${code}`;
      this.pending?.({ type: 'exit', reason });
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`the in-process kernel did not start within ${this.opts.startTimeoutS} s`));
      }, this.opts.startTimeoutS * 1000);
      this.pending = (msg) => {
        clearTimeout(timer);
        this.pending = undefined;
        if (msg.type === 'ready') resolve({ implementation: 'tslab executor (in-process)', ...msg.versions });
        else reject(new Error(msg.type === 'exit' ? msg.reason : `unexpected ${msg.type} before ready`));
      };
    });
  }

  private onMessage(msg: WorkerMessage): void {
    if (msg.type === 'stream') return appendStream(this.outputs, msg.name, msg.text);
    if (msg.type === 'display') {
      const out: NotebookOutput = { output_type: 'display_data', data: msg.data, metadata: msg.metadata };
      if (msg.update && msg.displayId) {
        // update_display_data: rewrite every output shown under this id, in any cell.
        for (const o of this.displays.get(msg.displayId) ?? []) {
          o.data = msg.data;
          o.metadata = msg.metadata;
        }
        return;
      }
      this.outputs.push(out);
      if (msg.displayId) this.displays.set(msg.displayId, [...(this.displays.get(msg.displayId) ?? []), out]);
      return;
    }
    this.pending?.(msg);
  }

  execute(_index: number, code: string): Promise<CellRun> {
    const child = this.child;
    const outputs: NotebookOutput[] = [];
    this.outputs = outputs;
    if (!child) {
      return Promise.resolve({
        ok: false,
        outputs,
        executionCount: null,
        dead: true,
        error: { ename: 'DeadKernelError', evalue: 'the kernel is not running', traceback: [] },
      });
    }
    const count = ++this.executionCount;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.kill();
        resolve({
          ok: false,
          outputs,
          executionCount: count,
          dead: true,
          error: {
            ename: 'CellTimeoutError',
            evalue: `the cell did not finish within ${this.opts.cellTimeoutS} s`,
            traceback: [],
          },
        });
      }, this.opts.cellTimeoutS * 1000);
      this.pending = (msg) => {
        if (msg.type !== 'done' && msg.type !== 'exit') return;
        clearTimeout(timer);
        this.pending = undefined;
        if (msg.type === 'exit') {
          resolve({
            ok: false,
            outputs,
            executionCount: count,
            dead: true,
            error: { ename: 'DeadKernelError', evalue: msg.reason, traceback: [] },
          });
          return;
        }
        const error = msg.ok ? undefined : (msg.error ?? errorFromStderr(stderrText(outputs)));
        // Let output written in the same tick as the reply arrive first.
        setImmediate(() => resolve({ ok: msg.ok, outputs, executionCount: count, error }));
      };
      child.send({ type: 'execute', code } satisfies ParentMessage);
    });
  }

  private kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  async shutdown(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.send({ type: 'shutdown' } satisfies ParentMessage);
    });
    this.child = undefined;
  }
}

/** The Python that has Debian's nbclient (not the pyenv python3 on PATH). */
export function jupyterPython(): string {
  return process.env.BIAMAT_JUPYTER_PYTHON ?? '/usr/bin/python3';
}

/** Null when nbclient and the tslab kernel are usable, else what is missing and how to fix it. */
export function jupyterProblem(kernelName = 'tslab'): string | null {
  const py = jupyterPython();
  const probe = spawnSync(
    py,
    [
      '-c',
      'import sys, nbclient, nbformat\n' +
        'from jupyter_client.kernelspec import KernelSpecManager\n' +
        'sys.exit(0 if sys.argv[1] in KernelSpecManager().find_kernel_specs() else 3)',
      kernelName,
    ],
    { encoding: 'utf8' },
  );
  if (probe.error) return `${py} not found: ${probe.error.message}; run bash .ci/setup-jupyter.sh`;
  if (probe.status === 3)
    return `the ${kernelName} Jupyter kernel is not registered for ${py}; run bash .ci/setup-jupyter.sh`;
  if (probe.status !== 0)
    return `${py} lacks nbclient/nbformat (${probe.stderr.trim().split('\n').pop()}); run bash .ci/setup-jupyter.sh`;
  return null;
}

type DriverMessage =
  | { type: 'ready'; kernel: string; language_info: Record<string, unknown> }
  | {
      type: 'done';
      ok: boolean;
      outputs: NotebookOutput[];
      execution_count: number | null;
      error: Partial<CellError> | null;
      dead: boolean;
    }
  | { type: 'fatal'; error: CellError }
  | { type: 'exit'; reason: string };

export class JupyterKernel implements Kernel {
  readonly kind = 'jupyter' as const;
  private child?: ChildProcess;
  private pending?: (msg: DriverMessage) => void;
  private stderrTail: string[] = [];

  /** `notebookFile` is the prepared notebook; the driver executes its cells by index. */
  constructor(
    private readonly opts: KernelOptions,
    private readonly notebookFile: string,
    private readonly kernelName = 'tslab',
  ) {}

  start(): Promise<Record<string, unknown>> {
    const driver = path.join(__dirname, 'jupyter_driver.py');
    const child = spawn(
      jupyterPython(),
      [
        driver,
        '--notebook',
        this.notebookFile,
        '--kernel',
        this.kernelName,
        '--cwd',
        this.opts.cwd,
        '--start-timeout',
        String(Math.ceil(this.opts.startTimeoutS)),
        '--cell-timeout',
        String(Math.ceil(this.opts.cellTimeoutS)),
      ],
      { cwd: this.opts.cwd, env: this.opts.env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child = child;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: DriverMessage;
      try {
        msg = JSON.parse(line) as DriverMessage;
      } catch {
        return this.opts.log(`[driver] ${line}`);
      }
      this.pending?.(msg);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail = [...this.stderrTail.slice(-20), line];
      this.opts.log(`[jupyter] ${line}`);
    });
    child.on('error', (err) =>
      this.pending?.({ type: 'exit', reason: `cannot start ${jupyterPython()}: ${err.message}` }),
    );
    child.on('exit', (code, signal) => {
      this.child = undefined;
      const tail = this.stderrTail.slice(-3).join(' | ');
      this.pending?.({
        type: 'exit',
        reason: `the Jupyter driver ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`,
      });
    });
    // nbclient enforces startup_timeout itself; this guard covers a driver that never gets that far.
    const guardS = this.opts.startTimeoutS + 30;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`the Jupyter kernel did not start within ${guardS} s`));
      }, guardS * 1000);
      this.pending = (msg) => {
        clearTimeout(timer);
        this.pending = undefined;
        if (msg.type === 'ready')
          resolve({ implementation: `Jupyter kernel ${msg.kernel}`, ...msg.language_info });
        else if (msg.type === 'fatal') reject(new Error(`${msg.error.ename}: ${msg.error.evalue}`));
        else if (msg.type === 'exit') reject(new Error(msg.reason));
        else reject(new Error(`unexpected ${msg.type} before ready`));
      };
    });
  }

  execute(index: number, _code: string): Promise<CellRun> {
    const child = this.child;
    if (!child) {
      return Promise.resolve({
        ok: false,
        outputs: [],
        executionCount: null,
        dead: true,
        error: { ename: 'DeadKernelError', evalue: 'the Jupyter driver is not running', traceback: [] },
      });
    }
    // nbclient enforces the cell timeout; this guard covers a driver that stops answering.
    const guardS = this.opts.cellTimeoutS + 60;
    return new Promise((resolve) => {
      const fail = (ename: string, evalue: string): void =>
        resolve({
          ok: false,
          outputs: [],
          executionCount: null,
          dead: true,
          error: { ename, evalue, traceback: [] },
        });
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.stop();
        fail('CellTimeoutError', `no reply from the Jupyter driver within ${guardS} s`);
      }, guardS * 1000);
      this.pending = (msg) => {
        clearTimeout(timer);
        this.pending = undefined;
        if (msg.type === 'exit') return fail('DeadKernelError', msg.reason);
        if (msg.type !== 'done')
          return fail('DeadKernelError', `unexpected ${msg.type} from the Jupyter driver`);
        const outputs = msg.outputs;
        let error: CellError | undefined;
        if (!msg.ok) {
          // tslab sends no `error` message: fall back to what it printed on stderr.
          const fromStderr = errorFromStderr(stderrText(outputs));
          error =
            msg.error?.ename && msg.error.evalue
              ? { ename: msg.error.ename, evalue: msg.error.evalue, traceback: msg.error.traceback ?? [] }
              : fromStderr;
        }
        resolve({ ok: msg.ok, outputs, executionCount: msg.execution_count, error, dead: msg.dead });
      };
      child.stdin!.write(JSON.stringify({ op: 'execute', index }) + '\n');
    });
  }

  /** SIGTERM lets the driver shut the kernel down; SIGKILL if it does not go. */
  private stop(): void {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    setTimeout(
      () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'),
      10000,
    ).unref();
  }

  async shutdown(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.stop();
        resolve();
      }, 20000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin!.write(JSON.stringify({ op: 'shutdown' }) + '\n');
      child.stdin!.end();
    });
  }
}
