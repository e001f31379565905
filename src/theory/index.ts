/** The executable theory of the Gaussian model (Sec. 2.2, App. A): see checks.ts for the statements. */
export * from './math';
export * from './model';
export * as closedForm from './closed-form';
export * from './monte-carlo';
export * from './in-vivo';
export * from './checks';
export * from './report';
export * from './figures';
export * from './sweep';
