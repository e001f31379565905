import { writeJsonAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { epsFraction } from '../util/fraction';
import { archId, type ModelSpec } from './index';

/**
 * A RobustBench-style model card (model_info/<dataset>/<threat>/<Id>.json), written beside the
 * weights. Accuracies are numbers in percent (RobustBench stores strings; we do not), ε is the
 * exact fraction string only ('8/255'), and the card also records what RobustBench leaves out
 * but results depend on (seed, attack settings, batch size: auto-attack#54, TRADES#3).
 */
export interface ModelCard {
  /** AuthorYearWord[_variant], e.g. 'Lee2023BiaMAT_AT_WRN28'. Names card, registry entry and weights. */
  id: string;
  link: string;
  name: string;
  authors: string;
  venue: string;
  architecture: string;
  dataset: string;
  threat_model: 'Linf';
  eps: string;
  clean_acc: number;
  /** The paper's AutoAttack number, if any. */
  reported: number | null;
  autoattack_acc: number | null;
  external: number | null;
  additional_data: boolean;
  number_forward_passes: number;
  footnote: string | null;
  unreliable: boolean;
  /** Our additions: how the numbers were produced. */
  evaluation: { n: number; seed: number; batchSize: number; attack: string };
}

export function modelCard(fields: {
  id: string;
  spec: ModelSpec;
  dataset: string;
  eps: number;
  cleanAcc: number;
  autoattackAcc: number | null;
  evaluation: ModelCard['evaluation'];
  additionalData: boolean;
  link?: string;
  name?: string;
  authors?: string;
  venue?: string;
  reported?: number | null;
  footnote?: string | null;
}): ModelCard {
  if (!/^[A-Za-z]+\d{4}[A-Za-z0-9]+(_[A-Za-z0-9]+)*$/.test(fields.id))
    throw new UserError(
      `model card id ${JSON.stringify(fields.id)} is not AuthorYearWord[_variant]`,
      "e.g. 'Lee2023BiaMAT_AT'",
    );
  for (const [k, v] of [
    ['cleanAcc', fields.cleanAcc],
    ['autoattackAcc', fields.autoattackAcc],
  ] as const)
    if (v !== null && !(v >= 0 && v <= 100))
      throw new UserError(`model card ${k} must be a percentage in [0, 100], got ${v}`);
  return {
    id: fields.id,
    link: fields.link ?? 'https://arxiv.org/abs/2209.14053',
    name: fields.name ?? 'Inducing Data Amplification Using Auxiliary Datasets in Adversarial Training',
    authors: fields.authors ?? 'Saehyung Lee, Hyungyu Lee',
    venue: fields.venue ?? 'WACV 2023',
    architecture: archId(fields.spec),
    dataset: fields.dataset,
    threat_model: 'Linf',
    eps: epsFraction(fields.eps),
    clean_acc: round2(fields.cleanAcc),
    reported: fields.reported ?? null,
    autoattack_acc: fields.autoattackAcc === null ? null : round2(fields.autoattackAcc),
    external: null,
    additional_data: fields.additionalData,
    number_forward_passes: 1,
    footnote: fields.footnote ?? null,
    unreliable: false,
    evaluation: fields.evaluation,
  };
}

/** Writes `<base>.card.json` atomically (next to `<base>.json` / `<base>.bin`). */
export function writeModelCard(base: string, card: ModelCard): void {
  writeJsonAtomic(`${base}.card.json`, card);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
