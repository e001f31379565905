/**
 * npm run experiments -- <command>
 *   list [table]                              experiment ids (a table's rows)
 *   show <id|table> [--profile p] [k=v ...]   the resolved config at a profile, as JSON
 *   run <id|table> [--profile p] [k=v ...]    train and evaluate (cached by config hash; resumable)
 *   train-check [--profile smoke] [k=v ...]   one epoch each of AT, AT+BiaMAT and TRADES+BiaMAT (npm run train)
 * Overrides are dotted keys validated by the schema (e.g. method.gamma=0.5 train.epochs=3), applied
 * after the profile's scaling so they hold at every profile. A killed run resumes from its last epoch.
 */
import { Command } from 'commander';
import { runMain, UserError } from '../util/errors';
import { formatResult } from './format';
import { PROFILES, parseProfile } from './profiles';
import { runExperiment, type RunOptions } from './runner';
import { scaleConfig } from './scale';
import { overridesFromFlags, withOverrides, type ExperimentConfig } from './schema';
import { ALL_EXPERIMENTS, TABLES } from './tables';

/** The smoke check of training: AT, AT+BiaMAT and TRADES+BiaMAT on CIFAR-10 with the ImageNet stand-in. */
const TRAIN_CHECK_IDS = [
  'table2/c10-at',
  'table2/c10-at-biamat-imagenet32',
  'table2/c10-trades-biamat-imagenet32',
];

function select(what: string): ExperimentConfig[] {
  const list =
    TABLES[what]?.rows ?? ALL_EXPERIMENTS.filter((e) => e.id === what || e.id.startsWith(what + '/'));
  if (list.length === 0)
    throw new UserError(
      `no table or experiment '${what}'`,
      `tables: ${Object.keys(TABLES).join(', ')}; ids: npm run experiments -- list`,
    );
  return list;
}

async function runAll(configs: ExperimentConfig[], opts: RunOptions): Promise<void> {
  const t0 = Date.now();
  for (const c of configs) console.log(formatResult(await runExperiment(c, opts)));
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

type RunFlags = {
  profile: string;
  results: string;
  backend?: string;
  dataDir?: string;
  epochsPerCall?: string;
};

function runOptions(o: RunFlags, overrides: string[]): RunOptions {
  return {
    profile: parseProfile(o.profile),
    resultsDir: o.results,
    backend: o.backend,
    dataDir: o.dataDir,
    progress: process.stderr.isTTY,
    overrides: overridesFromFlags(overrides),
    stopAfterEpochs: o.epochsPerCall ? Number(o.epochsPerCall) : undefined,
  };
}

function withRunFlags(cmd: Command, defaultProfile: string, defaultResults: string): Command {
  return cmd
    .option('--profile <p>', PROFILES.join(' | '), defaultProfile)
    .option('--results <dir>', 'results folder (run cache)', defaultResults)
    .option('--backend <name>', 'tfjs backend (default: auto)')
    .option('--data-dir <dir>', 'dataset cache folder')
    .option('--epochs-per-call <n>', 'stop after n epochs (rerun to continue)');
}

async function main(): Promise<void> {
  const program = new Command('experiments').description('the BiaMAT paper tables as typed configs');
  program
    .command('list [table]')
    .description('list experiment ids')
    .action((table?: string) => {
      for (const c of table ? select(table) : ALL_EXPERIMENTS) console.log(`${c.id.padEnd(44)} ${c.row}`);
    });
  program
    .command('show <id> [overrides...]')
    .description('print the resolved config of an experiment (or a table) at a profile')
    .option('--profile <p>', PROFILES.join(' | '), 'paper')
    .action((id: string, overrides: string[], o: { profile: string }) => {
      for (const c of select(id)) {
        const scaled = scaleConfig(c, parseProfile(o.profile));
        scaled.config = withOverrides(scaled.config, overridesFromFlags(overrides));
        console.log(JSON.stringify(scaled, null, 2));
      }
    });
  withRunFlags(program.command('run <what> [overrides...]'), 'small', 'results')
    .description('train and evaluate an experiment or every row of a table')
    .action((what: string, overrides: string[], o: RunFlags) =>
      runAll(select(what), runOptions(o, overrides)),
    );
  withRunFlags(program.command('train-check [overrides...]'), 'smoke', 'results/smoke')
    .description('one epoch each of AT, AT+BiaMAT and TRADES+BiaMAT (CIFAR-10 subset, ImageNet stand-in)')
    .action((overrides: string[], o: RunFlags) =>
      runAll(
        TRAIN_CHECK_IDS.map((id) => select(id)[0]),
        runOptions(o, overrides),
      ),
    );
  await program.parseAsync(process.argv);
}

if (require.main === module) runMain(main);
