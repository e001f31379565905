/** The attacks, one per file; see each file's doc comment for paper, defaults and example. */
export type { Attack } from './types';
export { FGSM } from './fgsm';
export { PGD, pgdMaximize, type PgdOptions, type PgdMaximizeOptions } from './pgd';
export { CW } from './cw';
export { APGD, type ApgdOptions } from './apgd';
export { APGDT, type ApgdTargetedOptions } from './apgd-t';
export { FABT, type FabOptions } from './fab';
export { Square, type SquareOptions } from './square';
export {
  AutoAttack,
  autoAttackList,
  type AutoAttackOptions,
  type AutoAttackResult,
  type AutoAttackStage,
  type AutoAttackVersion,
} from './autoattack';
export { robustAccuracy, type RobustAccuracyResult } from './evaluate';
export { correctFlags, epsFraction, type LinfOptions } from './common';
