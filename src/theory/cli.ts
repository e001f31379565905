/**
 * `npm run theory`: checks every statement of the paper's theory section (Lemma 2, Theorems 1–6,
 * Eq. 26–30) by closed form, seeded Monte Carlo and in-vivo training; one line per statement.
 * Exits non-zero if any check fails. `--json <file>` writes the full report (seeds included),
 * `--figures <dir>` the plotly figure specs (+ a standalone HTML page).
 */
import * as path from 'path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { UserError, runMain } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { DEFAULT_SEED, formatResult, formatSummary, runTheory } from './report';
import { DEFAULT_CHECK_OPTIONS } from './checks';
import { buildFigures } from './figures';
import { figuresHtml } from '../util/figure';
import { runSweep, formatSweepRow } from './sweep';

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new UserError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run theory --')
    .description("Checks the Gaussian model's theorems (closed form, Monte Carlo, in vivo)")
    .option('--json <file>', 'write the report as JSON')
    .option('--seed <n>', 'Monte Carlo / in-vivo seed', positiveInt('seed'), DEFAULT_SEED)
    .option(
      '--samples <n>',
      'Monte Carlo samples per check at d = 400',
      positiveInt('samples'),
      DEFAULT_CHECK_OPTIONS.samples,
    )
    .option('--only <text>', 'run only the checks whose id contains text')
    .option('--no-in-vivo', 'skip the tfjs training runs')
    .option('--figures <dir>', 'write the plotly figure specs (figures.json) and figures.html')
    .option('--sweep', 'also sweep d, η, p (closed form vs Monte Carlo)')
    .showHelpAfterError();
  program.parse(process.argv);
  const opts = program.opts<{
    json?: string;
    seed: number;
    samples: number;
    only?: string;
    inVivo: boolean;
    figures?: string;
    sweep?: boolean;
  }>();

  // PROD silences tfjs's one-time "install the node backend" banner: the output is one line per statement.
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const report = runTheory({
    seed: opts.seed,
    checkOptions: { samples: opts.samples },
    inVivo: opts.inVivo,
    filter: opts.only,
    onResult: (r) => console.log(formatResult(r)),
  });
  if (report.results.length === 0)
    throw new UserError(`no check id contains '${opts.only}'`, 'run without --only to list every check');
  console.log(formatSummary(report));

  let sweep;
  if (opts.sweep) {
    sweep = runSweep({ seed: opts.seed });
    for (const row of sweep) console.log(formatSweepRow(row));
    const bad = sweep.filter((r) => !r.agree).length;
    console.log(
      `sweep: ${sweep.length} points, ${bad} where the closed form is outside the Monte Carlo interval`,
    );
    if (bad > 0) report.summary.fail += bad;
  }
  if (opts.json) {
    writeJsonAtomic(opts.json, { ...report, sweep });
    console.log(`wrote ${opts.json}`);
  }
  if (opts.figures) {
    const figures = buildFigures({ seed: opts.seed });
    writeJsonAtomic(path.join(opts.figures, 'figures.json'), figures);
    writeFileAtomic(path.join(opts.figures, 'figures.html'), figuresHtml('BiaMAT theory figures', figures));
    console.log(`wrote ${path.join(opts.figures, 'figures.json')} and figures.html`);
  }
  return report.summary.fail > 0 ? 1 : 0;
}

runMain(main);
