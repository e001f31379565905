import { PGD, type PgdOptions } from './pgd';

/**
 * CW-k, L∞: PGD on the Carlini–Wagner margin max_{j≠y} z_j − z_y (capped at κ = 50), as in
 * the paper's CW-100 evaluation (Carlini & Wagner 2017, arXiv 1608.04644, loss; Madry-style
 * PGD optimiser). Defaults: step 2/255, 100 steps, uniform random start.
 *
 *   const xAdv = await new CW({ eps: 8/255 }).perturb(asClassifier(model), x, y);
 */
export class CW extends PGD {
  constructor(opts: Omit<PgdOptions, 'loss'>) {
    super({ steps: 100, ...opts, loss: 'cw' });
  }
}
