/**
 * What the notebooks call: run a paper table (plan, run, record), show ours beside the paper,
 * record results, and draw figures. The recorder lives here (records.ts); the harness only
 * reads what it wrote.
 */
export * from './present';
export * from './records';
export * from './run-table';
export * from './superclasses';
export * from './theory';
export * from './verdicts';
export { figureDiv, plotlySource, type FigureSpec } from '../util/figure';
