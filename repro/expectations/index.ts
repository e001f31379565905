import { THEORY } from './theory';
import { TABLE1 } from './table1';
import { TABLE2 } from './table2';
import { TABLE3 } from './table3';
import { TABLE13 } from './table13';
import { TABLE6 } from './table6';
import { TABLE14 } from './table14';
import { TABLE4, TABLE5 } from './table45';
import type { TableExpectation } from './types';

export * from './types';
export { THEORY, TABLE1, TABLE2, TABLE3, TABLE4, TABLE5, TABLE6, TABLE13, TABLE14 };

/** Every table, in report order. */
export const EXPECTATIONS: TableExpectation[] = [
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

export function expectationFor(table: string): TableExpectation | undefined {
  return EXPECTATIONS.find((e) => e.table === table);
}
