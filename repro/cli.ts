/**
 * npm run repro -- [--profile smoke|small|paper] [--only <notebook>...] [--jupyter] [--shard i/n] [--out <dir>]
 *                  [-p name=value ...] [--backend name] [--plan | --dry-run] [--yes]
 *                  [--no-render] [--cell-timeout s] [--start-timeout s]
 * npm run repro -- merge <dirs...> [--out <dir>] [--no-render]
 * npm run repro -- report [--out <dir> | --profile p] [--no-render]
 *
 * Executes the notebooks in notebooks/ headless (in-process with tslab's executor by default,
 * or through Jupyter with --jupyter), saves each executed notebook under
 * results/<profile>/notebooks/, and writes results/<profile>/report.{md,html,png}.
 * Exits 1 when a notebook failed, an integrity check failed or a claim was not reproduced.
 * --plan prints every run with an estimated time and runs nothing; without --yes a run outside
 * CI estimated over an hour prints its plan and stops (exit 2).
 */
import * as path from 'path';
import { Command, Option } from 'commander';
import { runMain, UserError } from '../src/util/errors';
import { PROFILES, parseProfile } from '../src/experiments/profiles';
import { parseBackendName } from '../src/backend';
import { buildReport, buildLibrary, defaultOutDir, mergeShards, runProfile } from './harness';
import type { JsonValue } from './notebook';
import { parseShard } from './plan';
import { PROJECT_ROOT } from './runner';
import { estimatePlan, formatDuration, formatPlan, LONG_RUN_S, type PlanOptions } from './run-plan';

/** -p name=value: the value is JSON when it parses as JSON (3, true, [1,2], "x"), else a plain string. */
function collectParam(text: string, acc: Record<string, JsonValue>): Record<string, JsonValue> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`-p ${text}: expected name=value`, "e.g. -p epochs=3 or -p 'seeds=[0,1]'");
  const name = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  let value: JsonValue;
  try {
    value = JSON.parse(raw) as JsonValue;
  } catch {
    value = raw;
  }
  return { ...acc, [name]: value };
}

function seconds(flag: string) {
  return (text: string): number => {
    const s = Number(text);
    if (!(s > 0)) throw new UserError(`${flag} ${text}: expected a positive number of seconds`);
    return s;
  };
}

async function main(): Promise<number> {
  let exitCode = 0;
  const program = new Command('repro').description(
    'Run the BiaMAT notebooks headless and report what reproduces',
  );

  program
    .command('run', { isDefault: true })
    .description('execute the notebooks of a profile and build the report (the default command)')
    .addOption(new Option('--profile <name>', PROFILES.join(' | ')).default('smoke'))
    .option('--only <notebook...>', 'run only these notebooks (catalog id, file name, or two-digit prefix)')
    .option('--jupyter', 'run through a real Jupyter kernel (nbclient + tslab) instead of in-process')
    .option('--shard <i/n>', 'run only shard i of n of the profile (deterministic split)')
    .option('--out <dir>', 'results dir (default results/<profile>, or results/<profile>-shard-i-of-n)')
    .option('--notebooks <dir>', 'where the notebooks are (default notebooks/)')
    .option('-p, --param <name=value>', 'set a notebook parameter (JSON value); repeatable', collectParam, {})
    .option('--backend <name>', "tfjs backend for the notebooks' `backend` parameter and the plan's timing")
    .option('--plan', 'print every run with its seeds and an estimated time on the backend; run nothing')
    .option('--dry-run', 'the same as --plan')
    .option('--yes', 'start even when the plan is estimated at over an hour')
    .option('--no-render', 'skip the headless-Chromium check and PNG export')
    .option(
      '--cell-timeout <s>',
      'per-cell timeout in seconds (default per profile)',
      seconds('--cell-timeout'),
    )
    .option(
      '--start-timeout <s>',
      'kernel start timeout in seconds (default per profile)',
      seconds('--start-timeout'),
    )
    .action(async (o) => {
      const profile = parseProfile(o.profile);
      const shard = o.shard ? parseShard(o.shard) : undefined;
      const backend = parseBackendName(o.backend, '--backend') ?? o.backend;
      const planOpts: PlanOptions = {
        profile,
        notebooksDir: o.notebooks ?? path.join(PROJECT_ROOT, 'notebooks'),
        outDir: path.resolve(o.out ?? defaultOutDir(profile, shard)),
        only: o.only,
        shard,
        params: o.param,
        backend,
      };
      if (o.plan || o.dryRun) {
        buildLibrary(console.log);
        for (const line of formatPlan(await estimatePlan(planOpts, console.log))) console.log(line);
        return;
      }
      if (!o.yes && process.env.CI !== 'true') {
        const plan = await estimatePlan(planOpts, console.log);
        if (plan.seconds > LONG_RUN_S) {
          for (const line of formatPlan(plan)) console.log(line);
          console.log(
            `stopping: this run is estimated at ≈ ${formatDuration(plan.seconds)}, over ${formatDuration(LONG_RUN_S)}; rerun with --yes to start it`,
          );
          exitCode = 2;
          return;
        }
        console.log(
          `plan: ${plan.notebooks.length} notebook run(s), ≈ ${formatDuration(plan.seconds)} on ${plan.backend} (--plan lists them)`,
        );
      }
      const r = await runProfile({
        profile,
        notebooksDir: o.notebooks,
        only: o.only,
        jupyter: !!o.jupyter,
        shard,
        out: o.out,
        params: o.param,
        backend,
        render: o.render,
        cellTimeoutS: o.cellTimeout,
        startTimeoutS: o.startTimeout,
        prepareData: true,
      });
      exitCode = r.exitCode;
    });

  program
    .command('merge <dirs...>')
    .description('merge shard results dirs into one report')
    .option('--out <dir>', 'merged results dir (default results/<profile>)')
    .option('--no-render', 'skip the headless-Chromium check and PNG export')
    .action(async (dirs: string[], o) => {
      exitCode = (await mergeShards(dirs, { out: o.out, render: o.render })).exitCode;
    });

  program
    .command('report')
    .description('rebuild the report of an existing results dir without running anything')
    .option('--profile <name>', PROFILES.join(' | '), 'smoke')
    .option('--out <dir>', 'results dir (default results/<profile>)')
    .option('--no-render', 'skip the headless-Chromium check and PNG export')
    .action(async (o) => {
      exitCode = (await buildReport(o.out ?? defaultOutDir(parseProfile(o.profile)), { render: o.render }))
        .exitCode;
    });

  await program.parseAsync(process.argv);
  return exitCode;
}

runMain(main);
