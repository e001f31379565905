/** The one registry of the paper's tables: each a PaperTable whose rows are typed configs. */
import { UserError } from '../../util/errors';
import type { ExperimentConfig } from '../schema';
import type { PaperTable } from '../table';
import { TABLE1 } from './table1';
import { TABLE2 } from './table2';
import { TABLE3 } from './table3';
import { TABLE4 } from './table4';
import { TABLE5 } from './table5';
import { TABLE6 } from './table6';
import { TABLE13 } from './table13';
import { TABLE14 } from './table14';

/** Every table, in the report's order. */
export const TABLES: Record<string, PaperTable> = {
  table1: TABLE1,
  table2: TABLE2,
  table3: TABLE3,
  table13: TABLE13,
  table6: TABLE6,
  table14: TABLE14,
  table4: TABLE4,
  table5: TABLE5,
};

/** Every experiment once, under its own table (a row shown in another table is not repeated). */
export const ALL_EXPERIMENTS: ExperimentConfig[] = Object.values(TABLES).flatMap((t) =>
  t.rows.filter((c) => c.table === t.id),
);

/** A paper table by id; an unknown id is a UserError listing the known ones. */
export function paperTable(id: string): PaperTable {
  const t = TABLES[id];
  if (!t) throw new UserError(`no paper table '${id}'`, `choose one of ${Object.keys(TABLES).join(', ')}`);
  return t;
}

/** An experiment by id; an unknown id is a UserError saying how to list them. */
export function findExperiment(id: string): ExperimentConfig {
  const c = ALL_EXPERIMENTS.find((e) => e.id === id);
  if (!c) throw new UserError(`no experiment with id '${id}'`, 'list them with: npm run experiments -- list');
  return c;
}
