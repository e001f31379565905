/**
 * The workbench as notebooks import it, by package name and with its types:
 *
 *     import { runTable, comparisonMarkdown, type Profile } from 'biamat';
 *
 * `biamat` is an npm workspace (packages/biamat) whose types are this file's declarations in
 * dist/ and whose code is dist/index.js, rebuilt whenever src/ changed (packages/biamat/build.js).
 * The surface is deliberate: what a notebook calls to run a paper table, record a result, check
 * the theory and draw figures, plus the registry it names rows from. Tools inside the repository
 * (repro/, tests, CLIs) import src/ directly.
 */

// Paper tables: plan, run and record a table in one call, then show ours beside the paper.
export {
  planSummary,
  planTable,
  runTable,
  type PlannedRow,
  type RowOutcome,
  type SkippedRow,
  type TableOptions,
  type TablePlan,
  type TableRun,
} from './report/run-table';
export {
  comparisonBars,
  comparisonMarkdown,
  formatMean,
  gammaFigure,
  lineFigure,
  saveFigureSpecs,
  selectionRatioFigure,
  superclassBars,
  superclassMarkdown,
} from './report/present';

// The recorder: one validated JSON file per result, read by the repro report.
export { recordResult, resultsDir, type Curve, type RecordOptions, type ResultMeta } from './report/records';

// The Gaussian model's statements (notebook 01).
export {
  formatSummary,
  gradientVsRho,
  robustDriftVsBatch,
  runSweep,
  runTheory,
  signAgreementVsEta,
  type CheckResult,
  type FigureOptions,
  type SweepOptions,
  type SweepRow,
  type TheoryOptions,
  type TheoryReport,
} from './theory';
export { recordTheory, sweepText, theoryOutcome, theoryView } from './report/theory';

// Figures: plotly specs, drawn in the notebook with plotly.js inlined (offline).
export { figureDiv, plotlySource, type FigureSpec } from './util/figure';

// The registry rows are named from, and the profiles.
export { PROFILES, type Profile } from './experiments/profiles';
export { findExperiment, paperTable, TABLES } from './experiments/tables';
export type { ExperimentConfig } from './experiments/schema';
export type { PaperTable } from './experiments/table';
