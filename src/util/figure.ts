/**
 * The one figure type: a plotly spec (data + layout JSON), so the same value is drawn in a
 * notebook, in the self-contained report and to PNG. plotly.js comes from the installed
 * plotly.js-dist package and is inlined (everything works offline).
 */
import * as fs from 'fs';

export interface FigureSpec {
  id: string;
  title: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

let cachedPlotly: string | undefined;

/** plotly.js's source, safe to inline inside a <script> element. */
export function plotlySource(): string {
  // (under tsx's require API the resolved path carries a '?namespace=…' query: drop it)
  cachedPlotly ??= fs
    .readFileSync(require.resolve('plotly.js-dist/plotly.js').replace(/\?.*$/, ''), 'utf8')
    .replace(/<\/script/gi, '<\\/script');
  return cachedPlotly;
}

/** HTML for one figure; it draws itself once Plotly is on the page. */
export function figureDiv(
  fig: FigureSpec,
  elementId = `fig-${fig.id}-${Math.random().toString(36).slice(2, 8)}`,
): string {
  const spec = JSON.stringify({ data: fig.data, layout: fig.layout }).replace(/</g, '\\u003c');
  return `<div id="${elementId}" style="width:100%;max-width:900px;height:520px"></div>
<script>(function(){var s=${spec};function draw(){Plotly.newPlot(${JSON.stringify(elementId)},s.data,s.layout);}if(window.Plotly){draw();}else{var t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}},100);}})();</script>`;
}

/** A standalone page with plotly.js inlined and every figure. */
export function figuresHtml(title: string, figs: FigureSpec[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<script>${plotlySource()}</script></head><body>
${figs.map((f) => `<h2>${f.title}</h2>\n${figureDiv(f, `fig-${f.id}`)}`).join('\n')}
</body></html>
`;
}
