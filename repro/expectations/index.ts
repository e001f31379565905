import { TABLE1 } from './table1';
import { TABLE2 } from './table2';
import { TABLE3 } from './table3';
import { TABLE4, TABLE5 } from './table45';
import { TABLE6 } from './table6';
import { TABLE13 } from './table13';
import { TABLE14 } from './table14';
import { THEORY } from './theory';
import type { TableClaims } from './types';

export * from './types';

/** The claims of every table, by table id. */
export const CLAIMS: TableClaims[] = [
  THEORY,
  TABLE1,
  TABLE2,
  TABLE3,
  TABLE13,
  TABLE6,
  TABLE14,
  TABLE4,
  TABLE5,
];

export function claimsFor(table: string): TableClaims | undefined {
  return CLAIMS.find((c) => c.table === table);
}
