/**
 * Jupyter notebook files (nbformat 4) and papermill-style parameter injection for TypeScript.
 *
 * Convention for notebook authors: tag one code cell `parameters` and declare each parameter
 * there as a top-level `const` (or `let`), optionally typed:
 *
 *     const profile: 'smoke' | 'small' | 'paper' = 'smoke';
 *     const seeds: number[] = [0];
 *
 * The harness inserts an `injected-parameters` cell right after it that redeclares the given
 * names with the same keyword and type annotation and a JSON value:
 *
 *     const profile: 'smoke' | 'small' | 'paper' = "paper";
 *
 * tslab allows a later cell to redeclare a `const`/`let` name (each cell is its own scope
 * chained to the earlier ones), and the copied annotation makes tslab type-check the injected
 * value against the author's declared type.
 */
import * as fs from 'fs';
import * as ts from 'typescript';
import { UserError } from '../src/util/errors';
import { writeJsonAtomic } from '../src/util/atomic';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface NotebookOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  name?: 'stdout' | 'stderr';
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export const PARAMETERS_TAG = 'parameters';
export const INJECTED_TAG = 'injected-parameters';

/** Reads a notebook file; a file that is not an nbformat-4 notebook is a UserError naming it. */
export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
  } catch (e) {
    throw new UserError(`cannot read notebook ${file}: ${(e as Error).message}`, 'pass a valid .ipynb file');
  }
  if (!Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new UserError(`${file} is not an nbformat-4 notebook`, 'save it from Jupyter (File → Save)');
  }
  nb.metadata ??= {};
  for (const cell of nb.cells) cell.metadata ??= {};
  return nb;
}

export function writeNotebook(file: string, nb: Notebook): void {
  writeJsonAtomic(file, nb);
}

export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** First non-blank line of a cell, for error messages. */
export function firstLine(cell: NotebookCell): string {
  return (
    cellSource(cell)
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

export function hasTag(cell: NotebookCell, tag: string): boolean {
  return Array.isArray(cell.metadata.tags) && cell.metadata.tags.includes(tag);
}

/** One top-level declaration in a parameters cell. */
export interface ParameterDecl {
  name: string;
  keyword: 'const' | 'let' | 'var';
  /** The author's type annotation, verbatim, if any. */
  type?: string;
}

/** The top-level `const`/`let`/`var` names a parameters cell declares (parsed, not regex-matched). */
export function parseParameterDecls(source: string): ParameterDecl[] {
  const file = ts.createSourceFile('parameters.ts', source, ts.ScriptTarget.ES2022, true);
  const decls: ParameterDecl[] = [];
  for (const stmt of file.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    const flags = stmt.declarationList.flags;
    const keyword = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    for (const d of stmt.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) continue; // destructuring is not a parameter
      decls.push({ name: d.name.text, keyword, type: d.type?.getText(file) });
    }
  }
  return decls;
}

/** The TypeScript source of an injected-parameters cell. */
export function renderInjectedSource(decls: ParameterDecl[], params: Record<string, JsonValue>): string {
  const lines = [
    '// Parameters injected by the repro harness (npm run repro). Edit the cell above, not this one.',
  ];
  for (const [name, value] of Object.entries(params)) {
    const decl = decls.find((d) => d.name === name);
    const keyword = decl?.keyword ?? 'const';
    const type = decl?.type ? `: ${decl.type}` : '';
    lines.push(`${keyword} ${name}${type} = ${JSON.stringify(value)};`);
  }
  return lines.join('\n') + '\n';
}

export interface InjectResult {
  nb: Notebook;
  /** Names the parameters cell declares. */
  known: string[];
  /** Set when the notebook had no tagged parameters cell (the injected cell went to the top). */
  warning?: string;
}

/**
 * Inserts the injected-parameters cell after the `parameters` cell (replacing an earlier
 * injected one), records the parameters in `metadata.repro.parameters`, and rejects names the
 * parameters cell does not declare (without a tagged cell: inject at the top, with a warning). `optional` parameters (the harness's well-known ones such as
 * `profile`) are injected only when declared. Returns a new notebook; the input is not changed.
 */
export function injectParameters(
  nb: Notebook,
  params: Record<string, JsonValue>,
  optional: Record<string, JsonValue> = {},
  notebookName = 'notebook',
): InjectResult {
  const out: Notebook = JSON.parse(JSON.stringify(nb)) as Notebook;
  out.cells = out.cells.filter((c) => !hasTag(c, INJECTED_TAG));
  const paramIndex = out.cells.findIndex((c) => c.cell_type === 'code' && hasTag(c, PARAMETERS_TAG));
  const decls = paramIndex >= 0 ? parseParameterDecls(cellSource(out.cells[paramIndex])) : [];
  const known = decls.map((d) => d.name);

  // Without a parameters cell there is nothing to check against: papermill's rule, inject at
  // the top and warn. With one, a name it does not declare is almost always a typo.
  const unknown = paramIndex >= 0 ? Object.keys(params).filter((n) => !known.includes(n)) : [];
  if (unknown.length > 0) {
    throw new UserError(
      `${notebookName}: unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; ` +
        `its parameters cell declares: ${known.length ? known.join(', ') : '(nothing)'}`,
      'declare the parameter in the notebook\'s "parameters" cell (const name = default;) or drop it',
    );
  }
  const injected: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(optional)) if (known.includes(k)) injected[k] = v;
  Object.assign(injected, params);

  const repro = (out.metadata.repro ?? {}) as Record<string, unknown>;
  out.metadata.repro = { ...repro, parameters: injected };
  if (Object.keys(injected).length === 0) return { nb: out, known };

  const cell: NotebookCell = {
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source: renderInjectedSource(decls, injected),
  };
  if (paramIndex >= 0) {
    out.cells.splice(paramIndex + 1, 0, cell);
    return { nb: out, known };
  }
  out.cells.unshift(cell);
  return {
    nb: out,
    known,
    warning: `${notebookName}: no cell is tagged "parameters"; injected the parameters at the top`,
  };
}
