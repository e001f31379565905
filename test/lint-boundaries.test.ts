// The layering README promises (util ← backend ← data ← models ← attacks ← train ← theory ←
// experiments ← report ← notebooks / repro) is an ESLint rule: a wrong-way import fails lint.
import * as path from 'path';
import { Linter } from 'eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require('../eslint.config.js') as Linter.Config[];
const linter = new Linter({ configType: 'flat', cwd: path.join(__dirname, '..') });

/** The boundary errors ESLint reports for `code` placed at `file`. */
function boundaryErrors(file: string, code: string): string[] {
  return linter
    .verify(code, config, { filename: path.join(__dirname, '..', file) })
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

test.each([
  [
    'src/models/card.ts',
    "import { epsFraction } from '../attacks/common';",
    /src\/models sits below .*attacks/,
  ],
  ['src/train/cli.ts', "import { runExperiment } from '../experiments/runner';", /src\/train sits below/],
  ['src/data/x.ts', "import { createModel } from '../models';", /src\/data sits below/],
  ['src/backend/webgpu/conv.ts', "import { UserError } from '../../data';", /src\/backend sits below/],
  [
    'src/experiments/tables/t.ts',
    "import { recordResult } from '../../report/records';",
    /src\/experiments sits below/,
  ],
  ['src/report/x.ts', "import { loadRecords } from '../../repro/results';", /never imports repro/],
  ['src/util/x.ts', "export * from '../../test/train-fixtures';", /never imports/],
  ['bench/x.ts', "import { runProfile } from '../repro/harness';", /not the harness/],
])('a wrong-way import fails lint: %s', (file, code, message) => {
  const errors = boundaryErrors(file, code);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(message);
});

test.each([
  ['src/models/card.ts', "import { epsFraction } from '../util/fraction';"],
  ['src/report/x.ts', "import { runExperiment } from '../experiments/runner';"],
  ['src/report/x.ts', "import { runTheory } from '../theory';"],
  ['src/theory/checks/lemma2.ts', "import { formatResult } from '../report';"], // src/theory/report.ts, not src/report
  ['src/experiments/tables/t.ts', "import { atRow } from '../base';"],
  ['src/backend/webgpu/conv.ts', "import { UserError } from '../../util/errors';"],
  ['repro/harness.ts', "import { loadRecords } from '../src/report/records';"],
  ['bench/x.ts', "import { createModel } from '../src/models';"],
])('an import down the layers passes: %s', (file, code) => {
  expect(boundaryErrors(file, code)).toEqual([]);
});
