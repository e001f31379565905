/**
 * Executes one notebook headless, papermill-style: inject the parameters, run the code cells in
 * order, and keep the output notebook as the log. Every code cell gets `metadata.repro`
 * {status, start_time, end_time, duration}; the notebook gets `metadata.repro` with the
 * parameters, the kernel, and the run's timing and status. The output is saved before and
 * after every cell, so a killed run still leaves a readable notebook. On failure a banner cell
 * at the top links to a marker placed before the failing cell, an error JSON is written beside
 * the output notebook, and the result says which cell failed and how.
 *
 * Working directory: cells run in the notebook's own folder, as under Jupyter, so a notebook
 * behaves the same in JupyterLab, nbclient and the in-process kernel. tslab roots its TypeScript
 * program there and resolves packages from it upwards, so notebooks/ imports the library by its
 * package name with its declarations (`import { runTable } from 'biamat'`, packages/biamat).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../src/util/atomic';
import { InProcessKernel, JupyterKernel, type CellError, type Kernel } from './kernel';
import {
  cellSource,
  firstLine,
  hasTag,
  injectParameters,
  readNotebook,
  writeNotebook,
  type JsonValue,
  type Notebook,
} from './notebook';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
const BANNER_TAG = 'repro-error-banner';
const MARKER_TAG = 'repro-error-marker';
const MARKER_ID = 'repro-error-cell';

export interface RunNotebookOptions {
  input: string;
  output: string;
  /** Name used in messages; defaults to the file's base name. */
  name?: string;
  /** Explicit parameters: each must be declared in the parameters cell. */
  params?: Record<string, JsonValue>;
  /** Well-known parameters (e.g. profile): injected only where declared. */
  optionalParams?: Record<string, JsonValue>;
  kernel?: 'inprocess' | 'jupyter';
  /** Working directory of the cells; defaults to the input notebook's folder (Jupyter's convention). */
  cwd?: string;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
  startTimeoutS?: number;
  cellTimeoutS?: number;
  log?: (line: string) => void;
}

export interface NotebookFailure {
  /** Index in the executed notebook (with the injected cell, before the banner); null: the kernel never started. */
  cellIndex: number | null;
  /** Index in the input notebook; null for the injected cell or a kernel-start failure. */
  sourceCellIndex: number | null;
  executionCount: number | null;
  firstLine: string;
  ename: string;
  evalue: string;
  traceback: string[];
  /** One line saying all of the above. */
  message: string;
}

export interface NotebookRunResult {
  notebook: string;
  input: string;
  output: string;
  kernel: 'inprocess' | 'jupyter';
  status: 'ok' | 'failed';
  parameters: Record<string, JsonValue>;
  startTime: string;
  endTime: string;
  durationS: number;
  cellsRun: number;
  warnings: string[];
  error?: NotebookFailure;
  errorFile?: string;
}

interface CellMeta {
  status: 'pending' | 'running' | 'completed' | 'failed' | 'skipped';
  start_time: string | null;
  end_time: string | null;
  duration: number | null;
  exception: boolean;
}

/** A path relative to the project root when inside it (portable across checkouts), else absolute. */
function projectPath(file: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(file));
  return rel.startsWith('..') ? path.resolve(file) : rel;
}

function nowIso(): string {
  return new Date().toISOString();
}

/** The error JSON written beside a failed output notebook. */
export function errorFileFor(output: string): string {
  return output.replace(/\.ipynb$/, '') + '.error.json';
}

export async function runNotebook(opts: RunNotebookOptions): Promise<NotebookRunResult> {
  const name = opts.name ?? path.basename(opts.input, '.ipynb');
  const log = opts.log ?? (() => undefined);
  const kernelKind = opts.kernel ?? 'inprocess';
  const source = readNotebook(opts.input);
  // An earlier output notebook used as input: drop its banner and marker.
  const kept = source.cells
    .map((c, i) => [c, i] as const)
    .filter(([c]) => !hasTag(c, BANNER_TAG) && !hasTag(c, MARKER_TAG));
  source.cells = kept.map(([c]) => c);
  const keptIndex = kept.map(([, i]) => i);

  const injected = injectParameters(source, opts.params ?? {}, opts.optionalParams ?? {}, name);
  const nb: Notebook = injected.nb;
  const warnings = injected.warning ? [injected.warning] : [];
  for (const w of warnings) log(`warning: ${w}`);
  // Map each executed cell back to the input notebook (the injected cell has none). Injection
  // only inserts one cell, so the other cells keep their relative order.
  const origin: (number | null)[] = [];
  let k = 0;
  for (const cell of nb.cells) origin.push(hasTag(cell, 'injected-parameters') ? null : keptIndex[k++]);

  const startTime = nowIso();
  const t0 = Date.now();
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    cell.outputs = [];
    cell.execution_count = null;
    cell.metadata.repro = {
      status: 'pending',
      start_time: null,
      end_time: null,
      duration: null,
      exception: false,
    } satisfies CellMeta;
  }
  const runMeta: Record<string, unknown> = {
    ...(nb.metadata.repro as Record<string, unknown>),
    input_path: projectPath(opts.input),
    output_path: projectPath(opts.output),
    kernel: kernelKind,
    start_time: startTime,
    end_time: null,
    duration: null,
    status: 'running',
    exception: null,
  };
  nb.metadata.repro = runMeta;
  fs.rmSync(errorFileFor(opts.output), { force: true });
  writeNotebook(opts.output, nb);

  const kernelOpts = {
    cwd: opts.cwd ?? path.dirname(path.resolve(opts.input)),
    env: { ...process.env, ...opts.env },
    startTimeoutS: opts.startTimeoutS ?? 120,
    cellTimeoutS: opts.cellTimeoutS ?? 3600,
    log,
  };
  const kernel: Kernel =
    kernelKind === 'jupyter'
      ? new JupyterKernel(kernelOpts, path.resolve(opts.output))
      : new InProcessKernel(kernelOpts);

  let failure: NotebookFailure | undefined;
  let cellsRun = 0;
  try {
    runMeta.kernel_info = await kernel.start();
  } catch (e) {
    const err: CellError = { ename: 'KernelStartError', evalue: (e as Error).message, traceback: [] };
    failure = describeFailure(name, null, null, null, '', err);
  }

  for (let i = 0; i < nb.cells.length && !failure; i++) {
    const cell = nb.cells[i];
    if (cell.cell_type !== 'code') continue;
    const meta = cell.metadata.repro as CellMeta;
    if (cellSource(cell).trim() === '') {
      meta.status = 'completed';
      continue;
    }
    meta.status = 'running';
    meta.start_time = nowIso();
    writeNotebook(opts.output, nb);
    const c0 = Date.now();
    log(`${name}: cell ${i}: ${firstLine(cell).slice(0, 70)}`);
    const run = await kernel.execute(i, cellSource(cell));
    cellsRun++;
    cell.outputs = run.outputs;
    cell.execution_count = run.executionCount;
    meta.end_time = nowIso();
    meta.duration = (Date.now() - c0) / 1000;
    meta.status = run.ok ? 'completed' : 'failed';
    meta.exception = !run.ok;
    if (!run.ok) {
      const err = run.error ?? { ename: 'Error', evalue: 'the cell failed', traceback: [] };
      failure = describeFailure(name, i, origin[i], run.executionCount, firstLine(cell), err);
    }
    writeNotebook(opts.output, nb);
  }
  await kernel.shutdown().catch(() => undefined);

  for (const cell of nb.cells) {
    const meta = cell.metadata.repro as CellMeta | undefined;
    if (meta && meta.status === 'pending') meta.status = 'skipped';
  }
  const endTime = nowIso();
  const durationS = (Date.now() - t0) / 1000;
  Object.assign(runMeta, {
    end_time: endTime,
    duration: durationS,
    status: failure ? 'failed' : 'completed',
    exception: failure ? { ...failure } : null,
  });
  let errorFile: string | undefined;
  if (failure) {
    addErrorBanner(nb, failure);
    errorFile = errorFileFor(opts.output);
  }
  writeNotebook(opts.output, nb);

  const result: NotebookRunResult = {
    notebook: name,
    input: opts.input,
    output: opts.output,
    kernel: kernelKind,
    status: failure ? 'failed' : 'ok',
    parameters: (runMeta.parameters ?? {}) as Record<string, JsonValue>,
    startTime,
    endTime,
    durationS,
    cellsRun,
    warnings,
    error: failure,
    errorFile,
  };
  if (errorFile) writeJsonAtomic(errorFile, result);
  return result;
}

function describeFailure(
  notebook: string,
  cellIndex: number | null,
  sourceCellIndex: number | null,
  executionCount: number | null,
  line: string,
  err: CellError,
): NotebookFailure {
  const evalueFirst = err.evalue.split('\n')[0];
  const where =
    cellIndex === null
      ? 'kernel start'
      : `cell ${cellIndex}${sourceCellIndex === null ? ' (injected parameters)' : sourceCellIndex !== cellIndex ? ` (source cell ${sourceCellIndex})` : ''} \`${line.slice(0, 80)}\``;
  return {
    cellIndex,
    sourceCellIndex,
    executionCount,
    firstLine: line,
    ename: err.ename,
    evalue: err.evalue,
    traceback: err.traceback,
    message: `${notebook}: ${where} failed: ${err.ename}: ${evalueFirst}`,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Papermill's failure layout: a banner at the top linking to a marker before the failing cell. */
function addErrorBanner(nb: Notebook, failure: NotebookFailure): void {
  const style = 'color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;';
  const at = failure.cellIndex === null ? 'kernel start' : `cell ${failure.cellIndex}`;
  if (failure.cellIndex !== null) {
    nb.cells.splice(failure.cellIndex, 0, {
      cell_type: 'markdown',
      metadata: { tags: [MARKER_TAG] },
      source: `<span id="${MARKER_ID}" style="${style}">Execution using the repro harness stopped at the next cell: ${escapeHtml(failure.ename)}</span>`,
    });
  }
  const link = failure.cellIndex === null ? at : `<a href="#${MARKER_ID}">${at}</a>`;
  nb.cells.unshift({
    cell_type: 'markdown',
    metadata: { tags: [BANNER_TAG] },
    source:
      `<span style="${style}">An exception was encountered at ${link}.</span>\n\n` +
      `<pre>${escapeHtml(`${failure.ename}: ${failure.evalue}`)}</pre>\n`,
  });
}
