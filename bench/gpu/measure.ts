/**
 * One call on a lent GPU machine measures what a GPU session is for (bench/gpu/measure.sh runs
 * it there from the bundle; `npx tsx bench/gpu/measure.ts run …` runs it from a checkout):
 *
 *   a. `npm run bench`'s workloads on webgpu for small-cnn and WRN-16-4 with the kernel profile,
 *      at BIAMAT_WEBGPU_KERNELS none / default / all, and bench/torch_bench.py on CUDA in fp32
 *      and TF32 (on cpu, fp32 only, where there is no CUDA), for the tfjs/PyTorch ratio;
 *   b. the conv GEMM variants on WRN-16-4's shapes (gemm-sweep.ts);
 *   c. a few hundred training steps of a small-profile row on a data subset (train-steps.ts).
 *
 * Every run is a child process with a time limit (its share of what is left: measure-plan.ts);
 * the children write their JSON as they go, a child past its limit is stopped (SIGTERM, then
 * SIGKILL), and the summary is built from whatever JSON the output folder then holds.
 *
 * Subcommands (for the children, and by hand): run, sweep, train, export-subset.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import {
  DEFAULT_CONV_GEMM,
  convGemmVariantName,
  parseConvGemmVariant,
} from '../../src/backend/webgpu/conv-gemm-variant';
import { writeJsonAtomic } from '../../src/util/atomic';
import { runMain } from '../../src/util/errors';
import { findTorchPython } from '../torch_runner';
import { exportSubset, subsetName } from './data-subset';
import { SWEEP_VARIANTS, runSweep } from './gemm-sweep';
import {
  PART_TITLES,
  SWEEP_JSON,
  TRAIN_DIR,
  benchJsonName,
  measureSizes,
  parseMeasureArgs,
  partBudgetMs,
  runBudgetMs,
  summarize,
  torchJsonName,
  type MeasureArgs,
  type Part,
  type RunStatus,
} from './measure-plan';
import { runTrainSteps } from './train-steps';

/** What training part c reads: exported next to the bundle by bundle.sh (or by export-subset). */
export const TRAIN_SUBSET = { dataset: 'cifar10', train: 2000, test: 500 };
/** Grace between SIGTERM and SIGKILL, and the time kept back for the summary. */
const KILL_GRACE_MS = 5_000;
const RESERVE_MS = 3_000;
/** How long a child may live on after its JSON is complete. */
const LINGER_MS = 10_000;

/** Where the programs the runs start live: beside the bundle (measure.cjs), or in this checkout (tsx). */
function programs() {
  const self = path.resolve(process.argv[1]);
  const appDir = path.dirname(self);
  const bundled = fs.existsSync(path.join(appDir, 'bench.cjs')) && self.endsWith('.cjs');
  const node = (script: string, args: string[]) => ({
    command: process.execPath,
    args: [...(bundled ? [] : process.execArgv), script, ...args],
  });
  return {
    cwd: bundled ? appDir : path.resolve(__dirname, '../..'),
    bench: (args: string[]) =>
      node(bundled ? path.join(appDir, 'bench.cjs') : path.resolve(__dirname, '../cli.ts'), args),
    self: (args: string[]) => node(self, args),
    torchScript: bundled ? path.join(appDir, 'torch_bench.py') : path.resolve(__dirname, '../torch_bench.py'),
    subsetDir: path.join(
      bundled ? path.join(appDir, '..', 'data') : path.resolve(__dirname, '../../.gpu/data'),
      subsetName(TRAIN_SUBSET),
    ),
  };
}

/**
 * Runs a child with a time limit, its stdout and stderr into `log`. Resolves with how it ended;
 * stdout is also returned (PyTorch's JSON lines).
 */
export function runChild(
  cmd: { command: string; args: string[] },
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    log: string;
    /**
     * True once the child's work is written (its JSON complete). A child still alive 10 s after
     * that (e.g. a GPU driver's threads keeping node's event loop open) is stopped, so that it
     * does not sit out its whole share of the time.
     */
    finished?: () => boolean;
  },
): Promise<{ code: number | null; timedOut: boolean; lingered: boolean; seconds: number; stdout: string }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const log = fs.openSync(opts.log, 'w');
    fs.writeSync(log, `$ ${cmd.command} ${cmd.args.join(' ')}\n`);
    const child = spawn(cmd.command, cmd.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let timedOut = false;
    let lingered = false;
    let finishedSince: number | null = null;
    const watch = setInterval(() => {
      if (!opts.finished?.()) return;
      finishedSince ??= Date.now();
      if (Date.now() - finishedSince >= LINGER_MS) {
        lingered = true;
        child.kill('SIGKILL');
      }
    }, 1000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      fs.writeSync(log, d);
    });
    child.stderr.on('data', (d: Buffer) => fs.writeSync(log, d));
    const term = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, opts.timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs + KILL_GRACE_MS);
    const finish = (code: number | null) => {
      clearTimeout(term);
      clearTimeout(kill);
      clearInterval(watch);
      fs.closeSync(log);
      resolve({
        code: lingered ? 0 : code,
        timedOut,
        lingered,
        seconds: (Date.now() - start) / 1000,
        stdout,
      });
    };
    child.on('error', (err) => {
      fs.writeSync(log, `${err.message}\n`);
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

/** A JSON file a run left, marked partial, or absent. */
function jsonState(file: string): 'done' | 'partial' | 'none' {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { partial?: boolean }).partial ? 'partial' : 'done';
  } catch {
    return 'none';
  }
}

interface PlannedRun {
  name: string;
  /** Starts the child with this time limit; returns the status (what its JSON says). */
  start: (timeoutMs: number) => Promise<Omit<RunStatus, 'part' | 'name' | 'budgetSeconds'>>;
}

function planPart(part: Part, a: MeasureArgs, log: (line: string) => void): PlannedRun[] {
  const sizes = measureSizes(a.tiny);
  const prog = programs();
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
  const outcome = (r: { code: number | null; timedOut: boolean; seconds: number }, json: string) => {
    const state = jsonState(json);
    const status: RunStatus['status'] = r.timedOut
      ? 'stopped at its time limit'
      : r.code !== 0
        ? 'failed'
        : state === 'done'
          ? 'done'
          : 'partial';
    const detail =
      r.code !== 0 && !r.timedOut
        ? `exit ${r.code}, see the log`
        : state === 'none'
          ? 'no JSON'
          : r.timedOut && state === 'partial'
            ? 'what it finished is kept'
            : undefined;
    return { status, seconds: r.seconds, ...(detail ? { detail } : {}) };
  };
  /** A run of a node program; `command(ms)` builds its command line for a time share of ms. */
  const child = (
    name: string,
    command: (ms: number) => { command: string; args: string[] },
    json: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ): PlannedRun => ({
    name,
    start: async (timeoutMs: number) => {
      const r = await runChild(command(timeoutMs), {
        cwd: prog.cwd,
        env: { ...env, ...extraEnv },
        timeoutMs,
        log: path.join(a.outDir, `${name}.log`),
        finished: () => jsonState(json) === 'done',
      });
      return outcome(r, json);
    },
  });
  // The sweep and the training run stop themselves a little before their share ends, so that
  // they write their JSON unhurried.
  const seconds = (ms: number) => String(Math.max(1, (ms - KILL_GRACE_MS) / 1000));
  /** The same model, batch and image size for tfjs's bench and PyTorch's. */
  const workloadArgs = (model: string) => [
    '--model',
    model,
    '--batch',
    String(sizes.batch),
    '--image-size',
    String(sizes.imageSize),
  ];
  if (part === 'a') {
    const runs: PlannedRun[] = [];
    const python = findTorchPython();
    const cuda =
      python &&
      spawnSync(python, ['-c', 'import torch; print(torch.cuda.is_available())'], {
        encoding: 'utf8',
      }).stdout.trim() === 'True';
    for (const model of sizes.models)
      for (const precision of cuda ? (['fp32', 'tf32'] as const) : (['fp32'] as const)) {
        const name = `a-${model}-torch-${precision}`;
        const json = path.join(a.outDir, torchJsonName(model, precision));
        if (!python) {
          runs.push({
            name,
            start: async () => ({ status: 'skipped', seconds: 0, detail: 'no Python with PyTorch' }),
          });
          continue;
        }
        const args = [prog.torchScript, ...workloadArgs(model)];
        args.push('--reps', String(sizes.torchReps), '--warmup', '2', '--device', cuda ? 'cuda' : 'cpu');
        if (precision === 'tf32') args.push('--tf32');
        runs.push({
          name,
          start: async (timeoutMs) => {
            const r = await runChild(
              { command: python, args },
              { cwd: prog.cwd, env, timeoutMs, log: path.join(a.outDir, `${name}.log`) },
            );
            // The last complete JSON line is the run so far (cumulative after every workload).
            const last = r.stdout
              .trim()
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .pop();
            if (last) fs.writeFileSync(json, `${last}\n`);
            return outcome(r, json);
          },
        });
      }
    for (const model of sizes.models)
      // tfjs's own kernels last: the slowest, and the before of a before/after pair.
      for (const kernels of ['default', 'all', 'none'] as const) {
        const json = path.join(a.outDir, benchJsonName(model, kernels));
        fs.rmSync(json, { force: true });
        const args = ['--backend', 'webgpu', ...workloadArgs(model)];
        args.push(
          '--reps',
          String(sizes.reps),
          '--warmup',
          String(sizes.warmup),
          '--profile',
          '10',
          '--json',
          json,
        );
        args.push('--workloads', sizes.workloadsFor[kernels].join(','));
        runs.push(
          child(`a-${model}-webgpu-${kernels}`, () => prog.bench(args), json, {
            BIAMAT_WEBGPU_KERNELS: kernels === 'default' ? '' : kernels,
          }),
        );
      }
    return runs;
  }
  if (part === 'b') {
    const json = path.join(a.outDir, SWEEP_JSON);
    fs.rmSync(json, { force: true });
    const variants = SWEEP_VARIANTS.slice(0, sizes.sweep.variants);
    const args = [
      'sweep',
      '--batch',
      String(sizes.sweep.batch),
      '--image-size',
      String(sizes.sweep.imageSize),
    ];
    args.push('--reps', String(sizes.sweep.reps), '--variants', variants.join(';'), '--json', json);
    return [child('b-gemm-sweep', (ms) => prog.self([...args, '--seconds', seconds(ms)]), json)];
  }
  const out = path.join(a.outDir, TRAIN_DIR);
  fs.rmSync(path.join(out, 'train.json'), { force: true });
  if (!fs.existsSync(path.join(prog.subsetDir, 'meta.json'))) {
    log(`part c: no data subset at ${prog.subsetDir} (bundle.sh exports it)`);
    return [
      {
        name: 'c-train',
        start: async () => ({ status: 'skipped', seconds: 0, detail: `no data subset at ${prog.subsetDir}` }),
      },
    ];
  }
  const t = sizes.train;
  const args = [
    'train',
    '--row',
    t.row,
    '--profile',
    t.profile,
    '--steps',
    String(t.steps),
    '--subset',
    prog.subsetDir,
    '--out',
    out,
  ];
  return [
    child('c-train', (ms) => prog.self([...args, '--seconds', seconds(ms)]), path.join(out, 'train.json')),
  ];
}

/** The driver: the parts in order, each within its share of the time, then the summary. */
export async function measure(a: MeasureArgs, log: (line: string) => void = console.log): Promise<string> {
  const deadline = Date.now() + a.timeoutS * 1000 - RESERVE_MS;
  fs.mkdirSync(a.outDir, { recursive: true });
  const statusFile = path.join(a.outDir, 'measure.json');
  // A rerun of some parts keeps the other parts' statuses (their JSON stays in the folder too).
  const previous = (
    fs.existsSync(statusFile) ? (JSON.parse(fs.readFileSync(statusFile, 'utf8')).runs as RunStatus[]) : []
  ).filter((s) => !a.parts.includes(s.part));
  const statuses: RunStatus[] = [];
  const save = () =>
    writeJsonAtomic(statusFile, {
      args: a,
      runs: [...previous, ...statuses],
      date: new Date().toISOString(),
    });
  log(
    `measure: parts ${a.parts.join(',')}${a.tiny ? ' (tiny sizes)' : ''}, ${a.timeoutS} s, into ${a.outDir}`,
  );
  for (const [i, part] of a.parts.entries()) {
    const partEnd = Date.now() + partBudgetMs(part, deadline - Date.now(), a.parts.slice(i));
    log(`part ${part}: ${PART_TITLES[part]} (${((partEnd - Date.now()) / 1000).toFixed(0)} s)`);
    const runs = planPart(part, a, log);
    for (const [j, run] of runs.entries()) {
      const budget = runBudgetMs(partEnd - Date.now(), runs.length - j);
      if (budget < 1000) {
        statuses.push({
          part,
          name: run.name,
          status: 'skipped',
          seconds: 0,
          budgetSeconds: budget / 1000,
          detail: 'no time left',
        });
        continue;
      }
      const s = { part, name: run.name, budgetSeconds: budget / 1000, ...(await run.start(budget)) };
      statuses.push(s);
      log(
        `  ${s.name}: ${s.status}${s.detail ? ` (${s.detail})` : ''} in ${s.seconds.toFixed(1)} s of ${s.budgetSeconds.toFixed(0)}`,
      );
      save();
    }
    save();
  }
  const summary = summarize(a.outDir, [...previous, ...statuses]);
  fs.writeFileSync(path.join(a.outDir, 'summary.md'), summary);
  log(summary);
  return summary;
}

export function measureProgram(): Command {
  const program = new Command('measure').description('GPU measurements in one call (bench/gpu/measure.sh)');
  program
    .command('run')
    .description('the driver: <out-dir> <timeout-seconds> [--only a,b,c] [--tiny]')
    .allowUnknownOption()
    .argument('[args...]')
    .action(async (args: string[]) => void (await measure(parseMeasureArgs(args))));
  program
    .command('sweep')
    .option('--batch <n>', 'batch size of the WRN-16-4 shapes', Number, 128)
    .option('--image-size <n>', 'input height and width', Number, 32)
    .option('--reps <n>', 'timed calls per shape and kernel', Number, 10)
    .option('--variants <list>', 'variants separated by ";"', SWEEP_VARIANTS.join(';'))
    .option('--seconds <n>', 'stop after this many seconds (the JSON keeps what was measured)', Number, 600)
    .option('--json <file>', 'write the report here (rewritten after every variant)')
    .action(
      async (o: {
        batch: number;
        imageSize: number;
        reps: number;
        variants: string;
        seconds: number;
        json?: string;
      }) => {
        const variants = o.variants.split(';').map((v) => parseConvGemmVariant(v));
        if (!variants.some((v) => convGemmVariantName(v) === convGemmVariantName(DEFAULT_CONV_GEMM)))
          variants.unshift(DEFAULT_CONV_GEMM);
        await runSweep({ ...o, variants, deadline: Date.now() + o.seconds * 1000 });
      },
    );
  program
    .command('train')
    .requiredOption('--subset <dir>', 'an exported subset folder (export-subset)')
    .requiredOption('--out <dir>', 'folder for train.json and the run folder')
    .option('--row <id>', 'paper row', 'table2/c10-at')
    .option('--profile <name>', 'smoke | small', 'small')
    .option('--steps <n>', 'training steps', Number, 300)
    .option('--backend <name>', 'tfjs backend', 'webgpu')
    .option('--seconds <n>', 'stop training after this many seconds', Number, 600)
    .action(
      async (o: {
        subset: string;
        out: string;
        row: string;
        profile: string;
        steps: number;
        backend: string;
        seconds: number;
      }) => {
        await runTrainSteps({ ...o, deadline: Date.now() + o.seconds * 1000 });
      },
    );
  program
    .command('export-subset')
    .description('a class-balanced subset of a prepared dataset, in a folder of its own (for the GPU bundle)')
    .option('--dataset <name>', 'prepared dataset', TRAIN_SUBSET.dataset)
    .option('--train <n>', 'training images', Number, TRAIN_SUBSET.train)
    .option('--test <n>', 'test images', Number, TRAIN_SUBSET.test)
    .requiredOption('--out <dir>', 'folder to write <dataset>-subset-<train>-<test>/ into')
    .action((o: { dataset: string; train: number; test: number; out: string }) =>
      console.log(`wrote ${exportSubset(o)}`),
    );
  return program;
}

if (require.main === module) runMain(async () => void (await measureProgram().parseAsync(process.argv)));
