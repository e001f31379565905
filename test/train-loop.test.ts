import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../src/util/errors';
import { train, type AuxMode, type StepRecord } from '../src/train/trainer';
import { runPaths } from '../src/train/run-cache';
import { loadWeights, weightsBlob } from '../src/train/resume';
import { learningRate } from '../src/train/schedule';
import { atSteps, config, dataSource, model, tradesSteps, useTrainRuns } from './train-fixtures';

const runs = useTrainRuns();
const { paths, collect } = runs;

describe('BiaMAT specifics', () => {
  test('τ is computed once, at the first post-warm-up step, and never changes', async () => {
    const recs = await collect(
      model(),
      config({ auxMode: 'biamat', warmupEpochs: 0.5, epochs: 2 }),
      dataSource(4, true),
    );
    expect(recs.slice(0, 2).every((r) => r.tau === null && r.alpha === 0)).toBe(true);
    const tau = recs[2].tau;
    expect(tau).not.toBeNull();
    expect(tau as number).toBeGreaterThan(0);
    expect(recs.slice(2).every((r) => r.tau === tau && r.alpha === 1)).toBe(true);
    // Figure 3 ratio logged every step.
    expect(recs.every((r) => r.ratioHigh !== null && r.nLow + r.nHigh === r.nAux)).toBe(true);
  });

  test('warm-up: α = 0 leaves the aux head untouched, but the aux batch still shapes BN and the trunk', async () => {
    const warm = config({ auxMode: 'biamat', warmupEpochs: 1 });
    const run = async (auxShift: number) => {
      const m = model();
      await collect(m, warm, dataSource(1, true, 1, auxShift));
      const after = new Float32Array((await weightsBlob(m)).buffer);
      const names = m.variableNames();
      let o = 0;
      const byName: Record<string, Float32Array> = {};
      [...m.trainableVariables, ...m.stateVariables].forEach((v, i) => {
        byName[names[i]] = after.slice(o, o + v.size);
        o += v.size;
      });
      m.dispose();
      return { byName };
    };
    const a = await run(0);
    const b = await run(0.5);
    // Aux head: zero weight, no weight decay → unchanged.
    const auxNames = Object.keys(a.byName).filter((n) => n.startsWith('fc_aux'));
    expect(auxNames.length).toBeGreaterThan(0);
    const init = model();
    const initBlob = new Float32Array((await weightsBlob(init)).buffer);
    const names = init.variableNames();
    let o = 0;
    const initByName: Record<string, Float32Array> = {};
    [...init.trainableVariables, ...init.stateVariables].forEach((v, i) => {
      initByName[names[i]] = initBlob.slice(o, o + v.size);
      o += v.size;
    });
    init.dispose();
    for (const n of auxNames) expect(Array.from(a.byName[n])).toEqual(Array.from(initByName[n]));
    // Different aux inputs → different BN running stats and different trunk weights.
    expect(Array.from(a.byName['bn1.running_mean'])).not.toEqual(Array.from(b.byName['bn1.running_mean']));
    expect(Array.from(a.byName['conv1.weight'])).not.toEqual(Array.from(b.byName['conv1.weight']));
  });

  test('routing: all-low never trains the aux head, all-high does', async () => {
    const auxHeadAfter = async (mode: AuxMode) => {
      const m = model();
      const idx = m.variableNames().indexOf('fc_aux.weight');
      const start = Array.from(await m.trainableVariables[idx].data());
      await collect(m, config({ auxMode: mode }), dataSource(2, true));
      const end = Array.from(await m.trainableVariables[idx].data());
      m.dispose();
      return { start, end };
    };
    const low = await auxHeadAfter('uniform');
    expect(low.end).toEqual(low.start);
    const high = await auxHeadAfter('naive');
    expect(high.end).not.toEqual(high.start);
  });
});

describe('long-run machinery', () => {
  test('resume after a kill gives bit-for-bit the same weights', async () => {
    const cfg = config({ auxMode: 'biamat', warmupEpochs: 0.5, epochs: 2 });
    const straight = model();
    const p1 = runPaths(runs.tmp(), 'straight', cfg);
    await train(straight, cfg, dataSource(3, true), { paths: p1, checkpointRule: 'last' });
    const want = await weightsBlob(straight);
    straight.dispose();

    const p2 = runPaths(path.join(runs.tmp(), 'killed'), 'run', cfg);
    const first = model();
    // Epoch 1 finishes (checkpoint), then the process "dies" in the middle of epoch 2.
    await expect(
      train(first, cfg, dataSource(3, true), {
        paths: p2,
        checkpointRule: 'last',
        onStep: (r) => {
          if (r.globalStep === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    first.dispose();
    const logLinesAtKill = fs.readFileSync(p2.log, 'utf8').trim().split('\n').length;
    expect(logLinesAtKill).toBe(5);
    const resumed = model(); // a fresh process: new model from the same spec
    const out = await train(resumed, cfg, dataSource(3, true), { paths: p2, checkpointRule: 'last' });
    expect(out.finished).toBe(true);
    const got = await weightsBlob(resumed);
    resumed.dispose();
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    // The partial epoch's log lines were replaced, not duplicated.
    expect(fs.readFileSync(p2.log, 'utf8').trim().split('\n').length).toBe(6);
    const noTime = (f: string) => fs.readFileSync(f, 'utf8').replace(/"seconds":[0-9.e+-]+/g, '"seconds":0');
    expect(noTime(p2.log)).toBe(noTime(p1.log));
  });

  test('NaN stops with a clear UserError naming the step', async () => {
    const m = model();
    const err = await train(m, config({ lr: 1e30 }), dataSource(4, false), {
      paths: paths(),
      checkpointRule: 'last',
    }).catch((e: unknown) => e);
    m.dispose();
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/training diverged at epoch 1, step \d+/);
    expect((err as Error).message).toMatch(/lower the learning rate/);
  });

  test.each([
    ['AT+BiaMAT', atSteps],
    ['TRADES+BiaMAT', tradesSteps],
  ])('numTensors stays flat over many steps (%s)', async (_name, steps) => {
    const m = model();
    const counts: number[] = [];
    await train(m, config({ auxMode: 'biamat', steps, warmupEpochs: 0.25 }), dataSource(5, true), {
      paths: paths(),
      checkpointRule: 'last',
      onStep: () => counts.push(tf.memory().numTensors),
    });
    m.dispose();
    // After the first step (momentum buffers created) the count must not grow.
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  test('best-checkpoint rule keeps the best-evaluated weights', async () => {
    const m = model();
    const p = paths();
    const metrics = [0.3, 0.5, 0.4];
    const out = await train(m, config({ epochs: 3 }), dataSource(1, false), {
      paths: p,
      checkpointRule: 'best',
      evaluate: async (_m, epoch) => metrics[epoch - 1],
    });
    m.dispose();
    expect(out.state.bestEpoch).toBe(2);
    expect(out.state.bestMetric).toBe(0.5);
    expect(fs.existsSync(p.best)).toBe(true);
  });

  test('checkpoint candidates: from a given epoch on, every k epochs (released AT: every 2 after the first decay)', async () => {
    const m = model();
    const seen: number[] = [];
    await train(m, config({ epochs: 7 }), dataSource(1, false), {
      paths: paths(),
      checkpointRule: 'best',
      evaluate: async (_m, epoch) => (seen.push(epoch), epoch),
      evaluateEpochs: { every: 2, fromEpoch: 4 },
    });
    m.dispose();
    expect(seen).toEqual([4, 6]);
  });

  test('Hendrycks et al.: fine-tuning starts from the best pre-training epoch, at that point of one global schedule', async () => {
    const m = model();
    const p = paths();
    const pretrainMetrics = [0.2, 0.6, 0.4];
    const weightsAfter: Record<number, Float32Array> = {};
    const recs: StepRecord[] = [];
    const snapshot = async (epoch: number) => {
      weightsAfter[epoch] = Float32Array.from(await m.trainableVariables[0].data());
      return pretrainMetrics[epoch - 1];
    };
    await train(
      m,
      config({ auxMode: 'pretrain', pretrainEpochs: 3, epochs: 5, schedule: 'at' }),
      dataSource(2, true),
      {
        paths: p,
        checkpointRule: 'last',
        evaluatePretrain: (_m, epoch) => snapshot(epoch),
        onStep: (r) => recs.push(r),
        log: () => undefined,
      },
    );
    // Pre-training epochs 1–3, then fine-tuning epochs 3–5 (from the best, epoch 2).
    expect(recs.map((r) => r.epoch)).toEqual([1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5]);
    // One global schedule: every step runs at the rate of its epoch (AT milestones 3 and 5 of 5).
    expect(recs.map((r) => r.lr)).toEqual(recs.map((r) => learningRate('at', 0.05, r.epoch - 1, 5)));
    expect(recs.slice(6).map((r) => r.lr)).toEqual(
      [0.05, 0.05, 0.005, 0.005, 0.005, 0.005].map((x) => expect.closeTo(x, 10)),
    );
    // What fine-tuning started from: the weights kept after pre-training epoch 2.
    const kept = model();
    loadWeights(p.pretrainBest, kept);
    expect(Array.from(await kept.trainableVariables[0].data())).toEqual(Array.from(weightsAfter[2]));
    expect(Array.from(weightsAfter[2])).not.toEqual(Array.from(weightsAfter[3]));
    kept.dispose();
    m.dispose();
  });
});
