import type { Notebook } from '../repro/notebook';

/** A notebook of code cells (source, optional tags) for the harness tests; `metadata` as given. */
export function codeNotebook(
  cells: { src: string; tags?: string[] }[],
  metadata: Notebook['metadata'] = {},
): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata,
    cells: cells.map((c) => ({
      cell_type: 'code',
      source: c.src,
      metadata: { tags: c.tags ?? [] },
      outputs: [],
      execution_count: null,
    })),
  };
}
