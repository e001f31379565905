/**
 * Training smoke run (issue 4's done-criterion): one epoch each of AT, AT+BiaMAT and
 * TRADES+BiaMAT on a 1024-image CIFAR-10 subset with Tiny-ImageNet-32 as the auxiliary set, on
 * the small CNN (the 'smoke' profile of the Table 2 configs), printing clean / PGD / CW accuracy
 * and BiaMAT's threshold and selection ratio. Runs are cached by config hash: killing it and
 * rerunning resumes at the last finished epoch and skips finished runs.
 *
 *   npx tsx src/train/cli.ts [--profile smoke] [--results results/smoke] [--backend cpu] [--data-dir .data]
 *                            [key=value overrides, e.g. train.epochs=2]
 */
import { Command } from 'commander';
import { runMain } from '../util/errors';
import { runExperiment } from '../experiments/runner';
import { formatResult } from '../experiments/cli';
import { TABLE2 } from '../experiments/tables/table2';
import type { Profile } from '../experiments/scale';
import { overridesFromFlags } from '../experiments/schema';

const SMOKE_IDS = ['table2/c10-at', 'table2/c10-at-biamat-imagenet32', 'table2/c10-trades-biamat-imagenet32'];

async function main(): Promise<void> {
  const cmd = new Command('train')
    .description(
      '1-epoch smoke run of AT, AT+BiaMAT and TRADES+BiaMAT (CIFAR-10 subset, tin32 aux, small CNN)',
    )
    .option('--profile <p>', 'smoke | small', 'smoke')
    .option('--results <dir>', 'results folder (run cache)', 'results/smoke')
    .option('--backend <name>', 'tfjs backend (default: auto)')
    .option('--data-dir <dir>', 'dataset cache folder')
    .argument('[overrides...]', 'config overrides after scaling, e.g. train.epochs=2')
    .parse(process.argv);
  const o = cmd.opts<{ profile: Profile; results: string; backend?: string; dataDir?: string }>();
  const overrides = overridesFromFlags(cmd.args);
  const t0 = Date.now();
  for (const id of SMOKE_IDS) {
    const config = TABLE2.find((c) => c.id === id)!;
    const r = await runExperiment(config, {
      profile: o.profile,
      resultsDir: o.results,
      backend: o.backend,
      dataDir: o.dataDir,
      progress: process.stderr.isTTY,
      overrides,
    });
    console.log(formatResult(r));
  }
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

runMain(main);
