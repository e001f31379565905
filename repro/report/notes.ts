/** The notes under each table of the report: datasets and stand-ins, what has no offline copy, the table's own notes, and which ε, step and start each column used. */
import type { Profile } from '../../src/experiments/profiles';
import { evalDescription } from '../../src/experiments/evaluate';
import { scaleConfig } from '../../src/experiments/scale';
import { describeData, unavailableNote } from '../../src/experiments/standins';
import type { ExperimentConfig } from '../../src/experiments/schema';
import type { PaperTable } from '../../src/experiments/table';
import type { ResultRecord } from '../../src/report/records';

const BASE_LABEL: Record<ExperimentConfig['method']['base'], string> = {
  at: 'AT',
  trades: 'TRADES',
  standard: 'standard-training',
};

/**
 * Which ε, step and start each column used (at this profile's scale), per group of rows
 * evaluated alike: named by base method ("AT rows") where that names the group exactly.
 */
function evaluationNotes(t: PaperTable, profile: Profile): string[] {
  if (t.transpose) return [];
  const groups = new Map<string, ExperimentConfig[]>();
  for (const c of t.rows) {
    const d = evalDescription(scaleConfig(c, profile).config);
    groups.set(d, [...(groups.get(d) ?? []), c]);
  }
  if (groups.size === 1) return [`evaluation, every row: ${[...groups.keys()][0]}`];
  return [...groups].map(([d, rows]) => {
    const bases = [...new Set(rows.map((c) => c.method.base))];
    const exact = bases.length === 1 && t.rows.every((c) => c.method.base !== bases[0] || rows.includes(c));
    const who = exact ? `${BASE_LABEL[bases[0]]} rows` : rows.map((c) => c.row).join(' · ');
    return `evaluation, ${who}: ${d}`;
  });
}

/** Stand-in and copy sentences for the datasets a table's rows use here, what has no copy, and the records' own notes. */
export function tableNotes(t: PaperTable | undefined, profile: Profile, records: ResultRecord[]): string[] {
  const notes: string[] = [];
  if (t) {
    const scaled = t.rows.map((c) => scaleConfig(c, profile));
    notes.push(...describeData(scaled.flatMap((s) => [s.data.primary, ...s.data.aux])).notes);
    const missing = t.rows.flatMap((c, i) =>
      [c.primary, ...c.aux].filter(
        (_, k) => (k === 0 ? scaled[i].data.primary : scaled[i].data.aux[k - 1]) === null,
      ),
    );
    const unavailable = unavailableNote(missing);
    if (unavailable) notes.push(unavailable);
    notes.push(...t.notes, ...evaluationNotes(t, profile));
  }
  for (const r of records) notes.push(`data: ${r.meta.data}`, ...r.meta.dataNotes);
  return [...new Set(notes)];
}
