/** Every paper table as typed configs, by table name. */
import type { ExperimentConfig } from '../schema';
import { TABLE1 } from './table1';
import { TABLE2 } from './table2';
import { TABLE3 } from './table3';
import { TABLE4 } from './table4';
import { TABLE5 } from './table5';
import { TABLE6 } from './table6';
import { TABLE13 } from './table13';
import { TABLE14 } from './table14';

export const TABLES: Record<string, ExperimentConfig[]> = {
  table1: TABLE1,
  table2: TABLE2,
  table3: TABLE3,
  table4: TABLE4,
  table5: TABLE5,
  table6: TABLE6,
  table13: TABLE13,
  table14: TABLE14,
};

export const ALL_EXPERIMENTS: ExperimentConfig[] = Object.values(TABLES).flat();
