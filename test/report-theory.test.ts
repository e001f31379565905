import { runTheory } from '../src/theory';
import { theoryRecordArgs, theoryView } from '../src/report/theory';
import { resultRecordSchema } from '../src/report/records';

describe('notebook 01 records and views', () => {
  const report = runTheory({ filter: 'lemma2', inVivo: false, checkOptions: { samples: 300 } });

  it('records one valid row per checked statement, passed and holds as 0/1', () => {
    const records = theoryRecordArgs(report, 1.5, 'smoke');
    expect(records.map((r) => r.row)).toEqual(report.results.map((r) => r.id));
    for (const r of records) {
      expect(r.table).toBe('theory');
      expect(r.metrics.passed).toEqual([1]);
      expect(r.metrics.holds).toEqual([1]);
      expect(r.metrics.mcHalfWidth[0]).toBeGreaterThan(0);
      expect(r.meta.extra).toMatchObject({ ref: 'Lemma 2', verdict: 'pass' });
      expect(String(r.meta.extra!.parameters)).toMatch(/^d=\d+, η=/);
      const parsed = resultRecordSchema.safeParse({ ...r, recordedAt: 'now' });
      expect(parsed.success).toBe(true);
    }
  });

  it('a failed check records passed = 0, a finding records passed = 1 and holds = 0', () => {
    const [first, second] = report.results;
    const doctored = {
      ...report,
      results: [
        { ...first, verdict: 'fail' as const, holds: false },
        { ...second, verdict: 'finding' as const, holds: false },
      ],
    };
    const [failed, finding] = theoryRecordArgs(doctored, 0, 'smoke');
    expect(failed.metrics).toMatchObject({ passed: [0], holds: [0] });
    expect(finding.metrics).toMatchObject({ passed: [1], holds: [0] });
  });

  it('views only the statements asked for', () => {
    const v = theoryView(report, ['Lemma 2']);
    expect(v.text.split('\n')).toHaveLength(report.results.length);
    expect(v.html.match(/<tr>/g)).toHaveLength(report.results.length + 1);
    expect(theoryView(report, ['Theorem 9']).text).toBe('');
  });
});
