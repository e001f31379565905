/**
 * AutoAttack speed: `npm run bench:aa` times each attack of AutoAttack 'standard' (APGD-CE,
 * APGD-T, FAB-T, Square; ε = 8/255, seed 0) as the ensemble runs it — each on the points still
 * robust — on a class-balanced seeded subset of the CIFAR-10 test set, and prints wall and CPU seconds per attack, seconds per 1,000 images, the robust
 * accuracy after each attack and the total, plus digests of the robust flags and x_adv so two
 * runs (before/after a change) can be checked for identical results (`--check <json>`).
 *
 *   npm run bench:aa                                   # small-cnn (AT), 500 CIFAR-10 test images, batch 250
 *   npm run bench:aa -- --model wrn-16-4 --batch 128   # WRN-16-4, random weights, predicted labels
 *   npm run bench:aa -- --n 100 --json before.json     # fewer images; write the numbers
 *   npm run bench:aa -- --check before.json            # also compare flags and x_adv with an earlier run
 *   npm run bench:aa -- --n 40 --attacks FAB-T --eps 16/255  # one attack alone, at a radius where it succeeds
 *   npm run bench:aa -- --n 40 --attacks APGD-CE --profile 15  # under tf.profile: slowest kernels
 *
 * --profile is for short runs (one attack, few images): tfjs's profiler keeps every kernel call
 * and overflows the stack past about 10^5 of them; its kernel times are wall time.
 *
 * The small-cnn is an AT-trained `small-cnn` (width 16) from the library's own experiment
 * runner: Table 2's CIFAR-10 AT row at the small profile (5,000 training images, PGD-5 AT,
 * 10 epochs), trained once on first use (about 8 minutes on one core) and cached under
 * `--results` (default results/bench) by the run cache; the same as
 *
 *   npm run experiments -- run table2/c10-at --profile small --results results/bench --backend wasm model.width=16 eval.autoattack=false
 */
import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError } from 'commander';
import { initBackend } from '../src/backend';
import { ensureDataset, loadDataset, subsetByCount } from '../src/data';
import { createModel, asClassifier, type TwoHeadModel } from '../src/models';
import { loadModel } from '../src/models/weights';
import { AutoAttack, autoAttackList, epsFraction, type AutoAttackResult } from '../src/attacks';
import { runExperiment } from '../src/experiments/runner';
import { scaleConfig } from '../src/experiments/scale';
import { withOverrides } from '../src/experiments/schema';
import { findExperiment } from '../src/experiments/tables';
import { runPaths } from '../src/train/run-cache';
import { UserError, runMain } from '../src/util/errors';
import { writeJsonAtomic } from '../src/util/atomic';
import * as fs from 'fs';

const CIFAR_NORMALIZATION = { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] };
/** The bench model's training run: Table 2's CIFAR-10 AT row, small profile, these overrides. */
const TRAIN_ID = 'table2/c10-at';
// The bench times AutoAttack itself: the training run skips its own AutoAttack evaluation.
const TRAIN_OVERRIDES = { model: { width: 16 }, eval: { autoattack: false } };

export interface AaBenchOptions {
  model: 'small-cnn' | 'wrn-16-4';
  backend?: string;
  n: number;
  batch?: number;
  seed: number;
  /** 'true': dataset labels; 'predicted': the model's clean predictions (every point attacked). */
  labels?: 'true' | 'predicted';
  attacks?: string;
  weights?: string;
  results: string;
  dataDir?: string;
  json?: string;
  check?: string;
  profile: number;
  /** ε as a fraction or decimal (default 8/255). */
  eps?: string;
}

export interface AaBenchReport {
  model: string;
  weights: string;
  backend: string;
  n: number;
  batch: number;
  seed: number;
  labels: 'true' | 'predicted';
  eps: string;
  cleanAccuracy: number;
  stages: (AutoAttackResult['stages'][number] & {
    secondsPer1000: number;
    cpuSecondsPer1000: number | null;
  })[];
  robustAccuracy: number;
  seconds: number;
  cpuSeconds: number;
  flagsSha256: string;
  xAdvSha256: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  kernels?: { name: string; calls: number; ms: number }[];
  date: string;
}

function parseEps(v: string): number {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const eps = m ? Number(m[1]) / Number(m[2]) : Number(v);
  if (!(Number.isFinite(eps) && eps > 0 && eps <= 1))
    throw new UserError(`--eps must be a fraction like 8/255 or a number in (0, 1], got ${v}`);
  return eps;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Base path of the cached AT-trained small-cnn; trains it first if it is not there. */
async function benchSmallCnn(o: AaBenchOptions, log: (l: string) => void): Promise<string> {
  const config = findExperiment(TRAIN_ID);
  const scaled = withOverrides(
    scaleConfig(withOverrides(config, TRAIN_OVERRIDES), 'small').config,
    TRAIN_OVERRIDES,
  );
  const paths = runPaths(o.results, `${scaled.id}/small/seed0`, { config: scaled, seed: 0 });
  const base = path.join(paths.dir, 'model');
  if (!fs.existsSync(`${base}.json`)) {
    log(`no cached bench model in ${paths.dir}: training it (Table 2 CIFAR-10 AT, small profile, width 16)`);
    const r = await runExperiment(config, {
      profile: 'small',
      resultsDir: o.results,
      backend: o.backend,
      dataDir: o.dataDir,
      overrides: TRAIN_OVERRIDES,
      log,
    });
    if (r.status !== 'done' || !fs.existsSync(`${base}.json`))
      throw new UserError(`training the bench model did not finish (${r.status})`);
  }
  return base;
}

async function data(
  clfLogits: (x: tf.Tensor4D) => tf.Tensor2D,
  o: AaBenchOptions,
  labels: 'true' | 'predicted',
): Promise<{ x: tf.Tensor4D; y: tf.Tensor1D }> {
  await ensureDataset('cifar10', { dataDir: o.dataDir });
  const all = loadDataset('cifar10', 'test', { dataDir: o.dataDir });
  if (o.n > all.n) throw new UserError(`--n ${o.n} is more than the ${all.n} CIFAR-10 test images`);
  // The offline copy's test split is sorted by class (its first 500 images are all airplanes),
  // unlike the official test_batch: take a class-balanced seeded subset instead (the runner's).
  const test = subsetByCount(all, o.n, { seed: 0, classBalanced: true });
  const pixels = test.height * test.width * test.channels;
  const xs = Float32Array.from(test.images.subarray(0, o.n * pixels), (v) => v / 255);
  const x = tf.tensor4d(xs, [o.n, test.height, test.width, test.channels]);
  if (labels === 'true') return { x, y: tf.tensor1d(test.labels.subarray(0, o.n), 'int32') };
  const y = tf.tidy(() => tf.cast(tf.argMax(clfLogits(x), 1), 'int32') as tf.Tensor1D);
  return { x, y };
}

function sha256(
  a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number },
): string {
  return createHash('sha256')
    .update(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

export async function runAaBench(
  o: AaBenchOptions,
  log: (l: string) => void = console.log,
): Promise<AaBenchReport> {
  const backend = await initBackend({ backend: o.backend, log });
  const batch = o.batch ?? (o.model === 'small-cnn' ? 250 : 128);
  const labels = o.labels ?? (o.model === 'small-cnn' ? 'true' : 'predicted');
  let model: TwoHeadModel;
  let weights: string;
  if (o.weights || o.model === 'small-cnn') {
    weights = o.weights ?? (await benchSmallCnn(o, log));
    model = loadModel(weights).model;
  } else {
    weights = 'random (createModel seed 0)';
    model = createModel({
      arch: 'wrn',
      depth: 16,
      widen: 4,
      numClasses: 10,
      numAuxClasses: 0,
      normalization: CIFAR_NORMALIZATION,
      seed: 0,
    });
  }
  const clf = asClassifier(model, 'primary', 'eval');
  const { x, y } = await data((t) => clf.logits(t), o, labels);
  const EPS = parseEps(o.eps ?? '8/255');
  const standard = autoAttackList('standard', EPS, o.seed);
  const picked = o.attacks ? o.attacks.split(',').map((s) => s.trim()) : null;
  if (picked)
    for (const p of picked)
      if (!standard.some((a) => a.name === p))
        throw new UserError(
          `unknown attack ${p}`,
          `use a comma-separated subset of ${standard.map((a) => a.name).join(',')}`,
        );
  const aa = picked
    ? new AutoAttack({
        eps: EPS,
        version: 'custom',
        seed: o.seed,
        attacks: standard.filter((a) => picked.includes(a.name)),
        log,
      })
    : new AutoAttack({ eps: EPS, version: 'standard', seed: o.seed, log });
  log(
    `AutoAttack bench: ${o.model} (${weights}), ${o.n} CIFAR-10 test images (class-balanced, seed 0; ${labels} labels), batch ${batch}, ` +
      `eps ${epsFraction(EPS)}, seed ${o.seed}, ${backend.name}; load average ${os
        .loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
  );
  const loadAverageStart = os.loadavg();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let kernels: AaBenchReport['kernels'];
  let out!: { result: AutoAttackResult; xAdv: tf.Tensor4D };
  if (o.profile > 0) {
    const info = await tf.profile(async () => {
      out = await aa.runWithAdversarial(clf, x, y, batch);
    });
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byName.set(k.name, e);
    }
    kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
  } else out = await aa.runWithAdversarial(clf, x, y, batch);
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { result, xAdv } = out;
  const report: AaBenchReport = {
    model: o.model,
    weights,
    backend: backend.line,
    n: o.n,
    batch,
    seed: o.seed,
    labels,
    eps: result.eps,
    cleanAccuracy: result.cleanAccuracy,
    stages: result.stages.map((s) => ({
      ...s,
      secondsPer1000: (s.seconds * 1000) / o.n,
      cpuSecondsPer1000: s.cpuSeconds === null ? null : (s.cpuSeconds * 1000) / o.n,
    })),
    robustAccuracy: result.robustAccuracy,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    flagsSha256: sha256(Uint8Array.from(result.robustFlags)),
    xAdvSha256: sha256((await xAdv.data()) as Float32Array),
    loadAverageStart,
    loadAverageEnd: os.loadavg(),
    kernels,
    date: new Date().toISOString(),
  };
  tf.dispose([x, y, xAdv]);
  model.dispose();
  printReport(report, o.profile, log);
  if (o.json) writeJsonAtomic(o.json, report);
  if (o.check) compare(report, JSON.parse(fs.readFileSync(o.check, 'utf8')) as AaBenchReport, o.check, log);
  return report;
}

function printReport(r: AaBenchReport, profile: number, log: (l: string) => void): void {
  const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
  log('');
  log(`clean accuracy ${(100 * r.cleanAccuracy).toFixed(1)}% on ${r.n} images`);
  log('attack    attacked  broken  robust acc   wall s    CPU s   wall s/1k   CPU s/1k');
  for (const s of r.stages)
    log(
      `${s.attack.padEnd(9)} ${String(s.attacked).padStart(8)} ${String(s.broken).padStart(7)} ` +
        `${(100 * s.robustAccuracy).toFixed(1).padStart(9)}% ${f(s.seconds).padStart(8)} ${f(s.cpuSeconds).padStart(8)} ` +
        `${f(s.secondsPer1000).padStart(11)} ${f(s.cpuSecondsPer1000).padStart(10)}`,
    );
  log(
    `total: ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU; robust accuracy ` +
      `${(100 * r.robustAccuracy).toFixed(1)}%; load average ${r.loadAverageStart.map((v) => v.toFixed(2)).join(' ')} ` +
      `→ ${r.loadAverageEnd.map((v) => v.toFixed(2)).join(' ')}`,
  );
  log(`robust flags sha256 ${r.flagsSha256.slice(0, 16)}…, x_adv sha256 ${r.xAdvSha256.slice(0, 16)}…`);
  if (r.kernels && profile > 0) {
    const total = r.kernels.reduce((s, k) => s + k.ms, 0);
    log(`kernels (tf.profile; ${total.toFixed(0)} ms of kernel time in ${r.seconds.toFixed(1)} s wall):`);
    for (const k of r.kernels.slice(0, profile))
      log(`  ${k.name.padEnd(28)} ${String(k.calls).padStart(8)} calls ${k.ms.toFixed(0).padStart(9)} ms`);
  }
}

function compare(r: AaBenchReport, ref: AaBenchReport, file: string, log: (l: string) => void): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const setting = ['model', 'weights', 'n', 'seed', 'labels', 'eps'] as const;
  const differs = setting.filter((k) => !same(r[k], ref[k]));
  if (differs.length > 0) {
    log(`--check ${file}: a different setting (${differs.join(', ')}): not compared`);
    return;
  }
  const perStage = r.stages.map((s) => [s.attack, s.robustAccuracy]);
  const checks: [string, boolean][] = [
    [
      'accuracy after each attack',
      same(
        perStage,
        ref.stages.map((s) => [s.attack, s.robustAccuracy]),
      ),
    ],
    ['robust flags', r.flagsSha256 === ref.flagsSha256],
    ['x_adv', r.xAdvSha256 === ref.xAdvSha256],
  ];
  log(`--check ${file}: ${checks.map(([k, ok]) => `${k} ${ok ? 'identical' : 'DIFFERENT'}`).join(', ')}`);
  for (const s of r.stages) {
    const b = ref.stages.find((t) => t.attack === s.attack);
    if (b && b.cpuSeconds && s.cpuSeconds)
      log(
        `  ${s.attack}: ${b.cpuSeconds.toFixed(1)} → ${s.cpuSeconds.toFixed(1)} CPU s (${(b.cpuSeconds / s.cpuSeconds).toFixed(2)}×)`,
      );
  }
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

export function aaBenchCommand(): Command {
  return new Command('bench:aa')
    .description("times each attack of AutoAttack 'standard' on CIFAR-10 test images")
    .option('--model <name>', 'small-cnn (AT-trained, cached) | wrn-16-4 (random weights)', 'small-cnn')
    .option('--backend <name>', 'tfjs backend (default: auto)')
    .option('--n <n>', 'n CIFAR-10 test images (class-balanced, seed 0)', positiveInt, 500)
    .option('--batch <n>', 'AutoAttack batch size (default 250 small-cnn, 128 wrn-16-4)', positiveInt)
    .option('--seed <n>', 'AutoAttack seed', (v) => Number(v), 0)
    .option(
      '--eps <e>',
      'L∞ radius, e.g. 16/255 (a larger ε makes FAB-T and Square succeed, so --check sees their outputs)',
      '8/255',
    )
    .option(
      '--labels <which>',
      "'true' or 'predicted' (default: true for small-cnn, predicted for random weights)",
    )
    .option('--attacks <list>', 'run only these attacks of the standard list, e.g. FAB-T (custom ensemble)')
    .option('--weights <base>', 'a saved model (<base>.json/.bin) instead of the cached bench model')
    .option('--results <dir>', 'where the bench model is trained and cached', 'results/bench')
    .option('--data-dir <dir>', 'dataset cache folder')
    .option('--json <file>', 'write the numbers as JSON')
    .option('--check <json>', 'compare accuracy, flags and x_adv with an earlier --json of the same setting')
    .option(
      '--profile <k>',
      'run under tf.profile and print the k slowest kernels (slows the run)',
      (v) => Number(v),
      0,
    );
}

if (require.main === module) {
  runMain(async () => {
    const o = aaBenchCommand().parse(process.argv).opts<AaBenchOptions>();
    if (o.model !== 'small-cnn' && o.model !== 'wrn-16-4')
      throw new UserError(`unknown model ${o.model}`, 'use small-cnn or wrn-16-4');
    if (o.labels !== undefined && o.labels !== 'true' && o.labels !== 'predicted')
      throw new UserError(`--labels must be 'true' or 'predicted', got ${o.labels}`);
    await runAaBench(o);
  });
}
