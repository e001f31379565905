/**
 * Experiments CLI:
 *   npx tsx src/experiments/cli.ts list [table]
 *   npx tsx src/experiments/cli.ts show <id> [--profile smoke|small|paper] [key=value ...]
 *   npx tsx src/experiments/cli.ts run <table|id> [--profile small] [--results results] [--backend cpu]
 *                                      [--data-dir .data] [--epochs-per-call N] [key=value ...]
 * Overrides are dotted keys validated by the schema (e.g. method.gamma=0.5 train.epochs=3), applied
 * after the profile's scaling so they hold at every profile.
 * Finished runs are cached by config hash; a killed run resumes from its last epoch.
 */
import { Command } from 'commander';
import { runMain, UserError } from '../util/errors';
import { ALL_EXPERIMENTS, TABLES } from './tables';
import { overridesFromFlags, withOverrides, type ExperimentConfig } from './schema';
import { PROFILES, scaleConfig, type Profile } from './scale';
import { runExperiment, type ExperimentResult } from './runner';

function select(what: string): ExperimentConfig[] {
  const list = TABLES[what] ?? ALL_EXPERIMENTS.filter((e) => e.id === what || e.id.startsWith(what + '/'));
  if (list.length === 0)
    throw new UserError(
      `no table or experiment '${what}'`,
      `tables: ${Object.keys(TABLES).join(', ')}; ids: see 'list'`,
    );
  return list;
}

function profileOf(v: string): Profile {
  if (!(PROFILES as string[]).includes(v))
    throw new UserError(`unknown profile '${v}'`, `use ${PROFILES.join(', ')}`);
  return v as Profile;
}

export function formatResult(r: ExperimentResult): string {
  if (r.status === 'unavailable') return `${r.id}: ${r.reason}`;
  const f = (k: string) =>
    r.mean[k] === undefined
      ? ''
      : ` ${k} ${r.mean[k].toFixed(2)}${r.seeds.length > 1 ? `±${r.std[k].toFixed(2)}` : ''}`;
  const p = r.paper;
  const paper = ['clean', 'pgd', 'cw', 'aa', 'fgsm', 'error']
    .filter((k) => (p as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${k} ${(p as Record<string, number>)[k]}`)
    .join(' ');
  if (r.perClassHighRatio) {
    const { all, ...perClass } = r.perClassHighRatio;
    const top = Object.entries(perClass)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ');
    return `${r.id} [${r.profile}]: higher-than-threshold ratio all ${all.toFixed(3)} over ${Object.keys(perClass).length} aux classes (top: ${top}) | paper: all ${p.perClass?.all}`;
  }
  const s = r.seeds[0];
  const sel =
    s && s.tau !== null ? ` | τ ${s.tau.toFixed(3)} r(n_high/n_aux) ${s.ratioHigh?.toFixed(2) ?? '-'}` : '';
  return `${r.id} [${r.profile}${r.status === 'partial' ? ', partial' : ''}]:${f('clean')}${f('pgd')}${f('cw')}${f('aa')}${f('fgsm')}${f('error')}${sel} | paper: ${paper}`;
}

async function main(): Promise<void> {
  const program = new Command('experiments').description('BiaMAT paper tables as typed configs');
  program
    .command('list [table]')
    .description('list experiment ids')
    .action((table?: string) => {
      const list = table ? (TABLES[table] ?? []) : ALL_EXPERIMENTS;
      for (const c of list) console.log(`${c.id.padEnd(44)} ${c.row}`);
    });
  program
    .command('show <id> [overrides...]')
    .option('--profile <p>', 'smoke | small | paper', 'paper')
    .action((id: string, overrides: string[], o: { profile: string }) => {
      for (const c of select(id)) {
        const scaled = scaleConfig(c, profileOf(o.profile));
        scaled.config = withOverrides(scaled.config, overridesFromFlags(overrides));
        console.log(JSON.stringify(scaled, null, 2));
      }
    });
  program
    .command('run <what> [overrides...]')
    .option('--profile <p>', 'smoke | small | paper', 'small')
    .option('--results <dir>', 'results folder (run cache)', 'results')
    .option('--backend <name>', 'tfjs backend (default: auto)')
    .option('--data-dir <dir>', 'dataset cache folder')
    .option('--epochs-per-call <n>', 'stop after n epochs (rerun to continue)')
    .action(async (what: string, overrides: string[], o: Record<string, string | undefined>) => {
      const parsed = overridesFromFlags(overrides);
      for (const c of select(what)) {
        const r = await runExperiment(c, {
          overrides: parsed,
          profile: profileOf(o.profile ?? 'small'),
          resultsDir: o.results ?? 'results',
          backend: o.backend,
          dataDir: o.dataDir,
          progress: process.stderr.isTTY,
          stopAfterEpochs: o.epochsPerCall ? Number(o.epochsPerCall) : undefined,
        });
        console.log(formatResult(r));
      }
    });
  await program.parseAsync(process.argv);
}

if (require.main === module) runMain(main);
