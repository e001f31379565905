/** Presentation helpers for the result notebooks (notebooks/02–08): plan, run, record, show. */
export * from './rows';
export * from './superclasses';
export * from './tables';
export * from './present';
export * from './theory';
export { figureDiv, plotlySource } from '../theory/figures';
