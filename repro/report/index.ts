/** The report of a results dir: the model (model.ts), rendered as Markdown and self-contained HTML. */
export { buildReportModel, notebookStates, type ReportModel, type RowLine, type TableSection } from './model';
export { renderMarkdown, writeMarkdown, type RenderCheck } from './markdown';
export { expectedCounts, renderHtml, writeHtml } from './html';
