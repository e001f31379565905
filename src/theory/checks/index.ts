/**
 * The paper's theoretical statements as data: one typed definition per checked statement, with
 * its closed form, its Monte Carlo estimator and (where it applies) an in-vivo training run, in
 * one file per theorem group. The CLI, the notebook and the tests all iterate buildChecks() and
 * judge each statement with runCheck().
 */
import { checkContext, type CheckOptions, type StatementCheck } from './core';
import { randomLabelChecks } from './random-labels';
import { rhoOneChecks } from './rho-one';
import { uniformTargetChecks } from './uniform-target';
import { weakCorrelationChecks } from './weak-correlation';

export * from './core';

/** Every checked statement, in the paper's order. */
export function buildChecks(options: CheckOptions = {}): StatementCheck[] {
  const ctx = checkContext(options);
  return [
    ...rhoOneChecks(ctx),
    ...randomLabelChecks(ctx),
    ...uniformTargetChecks(ctx),
    ...weakCorrelationChecks(ctx),
  ];
}
