// Static checks of the notebooks (no execution): valid nbformat 4 JSON with a tslab kernel,
// the library imported by its package name with its types ('biamat': no tsx.require, no `any`),
// and no logic (function, class or arrow definitions) in cells; result notebooks 02–08 also have
// exactly one `parameters`-tagged cell declaring the harness's parameters and do their work
// through one library call.
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG } from '../repro/plan';

const DIR = path.join(__dirname, '..', 'notebooks');
const ALL = CATALOG.map((c) => c.id);
const RESULT_NOTEBOOKS = ALL.filter((id) => Number(id.slice(0, 2)) >= 2 && Number(id.slice(0, 2)) <= 8);
/** Packages a notebook may import: the library, tslab's display API, and tfjs (notebook 01 picks the cpu backend). */
const ALLOWED_PACKAGES = ['biamat', 'tslab', '@tensorflow/tfjs'];

interface Cell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: unknown[];
}
interface NotebookJson {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string } };
  cells: Cell[];
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);
const load = (id: string) =>
  JSON.parse(fs.readFileSync(path.join(DIR, `${id}.ipynb`), 'utf8')) as NotebookJson;

/** Module specifiers a cell loads: `import … from 'x'`, `require('x')`, `tsx.require('x', …)`. */
function specifiers(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]/g))
    out.push(m[1] ?? m[2]);
  return out;
}

/** A cell's code without comments and string literals (so words inside them do not count). */
function codeOnly(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '""');
}

describe('helpers of this test', () => {
  test('specifiers and codeOnly see what they should', () => {
    expect(
      specifiers("import * as a from 'x';\nconst b = tsx.require('../src/y', f); require(\"z\")"),
    ).toEqual(['x', '../src/y', 'z']);
    expect(codeOnly("// function f() {}\nconst s = 'class X'; /* => */")).not.toMatch(/function|class|=>/);
  });
});

describe.each(ALL)('notebook %s', (id) => {
  const nb = load(id);
  const codeCells = nb.cells.filter((c) => c.cell_type === 'code');

  test('is nbformat 4 JSON with a tslab kernel and well-formed cells', () => {
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBeGreaterThanOrEqual(4);
    expect(nb.metadata.kernelspec?.name).toBe('tslab');
    const ids = new Set<string>();
    for (const c of nb.cells) {
      expect(['code', 'markdown', 'raw']).toContain(c.cell_type);
      expect(typeof text(c)).toBe('string');
      if (nb.nbformat_minor >= 5) {
        expect(c.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        ids.add(c.id!);
      }
      if (c.cell_type === 'code') expect(Array.isArray(c.outputs)).toBe(true);
    }
    if (nb.nbformat_minor >= 5) expect(ids.size).toBe(nb.cells.length);
  });

  test("imports the library by its package name, typed: 'biamat', no tsx.require, no relative paths, no any", () => {
    const all = codeCells.map(text).join('\n');
    expect(all).not.toMatch(/tsx/);
    expect(all).toMatch(/^import \{[^}]+\} from 'biamat';$/m);
    for (const c of codeCells) {
      for (const s of specifiers(text(c))) expect(ALLOWED_PACKAGES).toContain(s);
      expect(codeOnly(text(c))).not.toMatch(/\bany\b/);
      expect(codeOnly(text(c))).not.toMatch(/\bas unknown\b/);
    }
  });

  test('holds no logic: no function, class or arrow definitions', () => {
    for (const c of codeCells) {
      const src = codeOnly(text(c));
      expect(src).not.toMatch(/\bfunction\b/);
      expect(src).not.toMatch(/\bclass\s+\w/);
      expect(src).not.toMatch(/=>/);
    }
  });

  test('has exactly one parameters cell of top-level consts', () => {
    const tagged = nb.cells.filter((c) => (c.metadata.tags ?? []).includes('parameters'));
    expect(tagged).toHaveLength(1);
    expect(tagged[0].cell_type).toBe('code');
    // Only top-level consts (the harness redeclares them after the cell).
    for (const line of codeOnly(text(tagged[0]))
      .split('\n')
      .filter((l) => l.trim()))
      expect(line).toMatch(/^const \w+(: [\w[\]]+)? = /);
  });
});

describe.each(RESULT_NOTEBOOKS)('result notebook %s', (id) => {
  const nb = load(id);
  const codeCells = nb.cells.filter((c) => c.cell_type === 'code');

  test('prints tslab versions first and states the stand-ins in markdown', () => {
    expect(text(codeCells[0])).toMatch(/tslab\.versions/);
    const markdown = nb.cells
      .filter((c) => c.cell_type === 'markdown')
      .map(text)
      .join('\n');
    expect(markdown).toMatch(/MNIST-32/);
    expect(markdown).toMatch(/Tiny-ImageNet-32/);
    expect(markdown).toMatch(/unavailable offline/);
  });

  test("declares profile (typed as the library's Profile), seeds and the results dir", () => {
    const src = text(nb.cells.find((c) => (c.metadata.tags ?? []).includes('parameters'))!);
    expect(src).toMatch(/^const profile: Profile = /m);
    expect(src).toMatch(/^const seeds: number\[\] = /m);
    expect(src).toMatch(/^const resultsDir: string = /m);
  });

  test('runs, records and shows its table through one library call, and draws a figure', () => {
    const all = codeCells.map(text).join('\n');
    expect(all).toMatch(/await runTable\('table\d+', \{ profile: profile, seeds: seeds,/);
    expect(all).toMatch(/figureDiv\(/);
  });
});
