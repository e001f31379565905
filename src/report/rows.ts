/**
 * Which row of the harness's expectations (repro/expectations/<table>.ts) an experiment config
 * fills. The experiment ids (src/experiments/tables) name runs; the expectation row ids name
 * what the report compares: `table2/c10-at-biamat-imagenet32` → table2 row
 * `cifar10/at+biamat/imagenet`. Derived from the config's fields, not its id, where possible.
 */
import type { ExperimentConfig, PaperDataset } from '../experiments/schema';
import { UserError } from '../util/errors';

/** The expectation files' short names for the paper's datasets. */
const DATASET_KEY: Record<PaperDataset, string> = {
  cifar10: 'cifar10',
  cifar100: 'cifar100',
  svhn: 'svhn',
  places365: 'places365',
  imagenet32: 'imagenet',
  imagenet500k: 'imagenet-500k',
  imagenet100k: 'imagenet-100k',
  imgnet100: 'imgnet100',
  imgnet900: 'imgnet900',
};

/**
 * The paper labels ImgNet100 TRADES+BiaMAT's aux set "ImageNet" (the 900 other classes); the
 * config says imgnet900, the expectation row says imagenet.
 */
const EXCEPTIONS: Record<string, string> = {
  'table2/in100-trades-biamat-imgnet900': 'imgnet100/trades+biamat/imagenet',
};

/** The expectation row id for a config (tables 1–6 and 13; Table 14's rows are superclasses). */
export function expectationRow(c: ExperimentConfig): string {
  if (EXCEPTIONS[c.id]) return EXCEPTIONS[c.id];
  const aux = c.aux.map((a) => DATASET_KEY[a]);
  const base = c.method.base;
  switch (c.table) {
    case 'table1':
      return `${c.method.auxMode === 'uniform' ? 'uniform' : 'true'}/${aux[0]}`;
    case 'table2':
      return `${DATASET_KEY[c.primary]}/${base}${aux.length > 0 ? `+biamat/${aux[0]}` : ''}`;
    case 'table3': {
      const method =
        c.method.auxMode === 'pretrain'
          ? 'hendrycks'
          : c.method.auxMode === 'rst'
            ? 'rst'
            : c.method.auxMode === 'biamat'
              ? 'trades+biamat'
              : 'trades';
      return aux.length > 0 ? `${method}/${aux[0]}` : method;
    }
    case 'table4':
      return aux.join('+');
    case 'table5':
      return `batch-${c.train.batchSize}/${(c.splitParts?.parts ?? ['A']).join('+')}`;
    case 'table6':
      return c.robustDataset?.sourceId.includes('biamat') ? 'from-at+biamat' : 'from-at';
    case 'table13':
      return `${base}+biamat/gamma-${c.method.gamma.toFixed(2)}`;
    default:
      throw new UserError(
        `no expectation row mapping for ${c.id} (table ${c.table})`,
        'add the table to src/report/rows.ts',
      );
  }
}
