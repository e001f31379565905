import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ALL_EXPERIMENTS, TABLES } from '../src/experiments/tables';
import { parseExperiment, withOverrides, overridesFromFlags } from '../src/experiments/schema';
import { fracValue } from '../src/util/fraction';
import { scaleConfig, scaleStep, evalStep } from '../src/experiments/scale';
import { UserError } from '../src/util/errors';
import { cachedResult, configHash, runPaths, writeResult } from '../src/train/run-cache';
import { train } from '../src/train/trainer';
import { config, dataSource, model } from './train-fixtures';

const none = () => false;
const all = () => true;
const byId = (id: string) => ALL_EXPERIMENTS.find((c) => c.id === id)!;

describe('paper tables as typed configs', () => {
  test('every row validates, ids are unique, and each row carries the paper’s numbers', () => {
    const ids = new Set<string>();
    for (const c of ALL_EXPERIMENTS) {
      expect(() => parseExperiment(c)).not.toThrow();
      expect(ids.has(c.id)).toBe(false);
      ids.add(c.id);
      expect(Object.keys(c.paper).length).toBeGreaterThan(0);
    }
    const own = (t: string) => TABLES[t].rows.filter((c) => c.table === t);
    expect(own('table1')).toHaveLength(8);
    expect(TABLES.table1.rows.map((c) => c.id)).toContain('table2/c10-at'); // its baseline, Table 2's row
    expect(own('table2')).toHaveLength(22);
    expect(own('table5')).toHaveLength(20);
    expect(own('table13')).toHaveLength(12);
    expect(ALL_EXPERIMENTS).toHaveLength(Object.values(TABLES).reduce((n, t) => n + own(t.id).length, 0));
  });

  test('Table 12 settings and docs/method.md §2 settings', () => {
    const at = byId('table2/c10-at-biamat-imagenet32');
    expect([at.method.alpha, at.method.gamma]).toEqual([1, 0.55]);
    expect(at.train.attack).toEqual({
      eps: { num: 8, den: 255 },
      stepSize: { num: 2, den: 255 },
      steps: 10,
      bn: 'train',
      bnUpdatesStats: false, // only the training step moves the BN averages (released AT code)
      objective: 'sum',
    });
    expect(at.model).toEqual({ arch: 'at-wrn', depth: 28, widen: 10 });
    expect(at.train.weightDecayOn).toBe('kernels');
    expect(at.eval).toMatchObject({
      eps: { num: 8, den: 255 },
      stepSize: { num: 2, den: 255 },
      randomStart: true,
      selectionEvery: 2,
      selectionFromEpoch: 62,
      selectionImages: null,
    });
    const tr = byId('table2/c10-trades-biamat-imagenet32');
    expect([tr.method.alpha, tr.method.gamma, tr.method.beta]).toEqual([0.5, 0.5, 6]);
    expect([tr.train.epochs, tr.train.weightDecay, tr.train.schedule]).toEqual([110, 5e-4, 'trades']);
    expect(tr.train.attack.bn).toBe('eval');
    expect(tr.model).toEqual({ arch: 'wrn', depth: 34, widen: 10 });
    expect(tr.train.weightDecayOn).toBe('all');
    expect(tr.eval).toMatchObject({
      eps: { num: 31, den: 1000 },
      stepSize: { num: 3, den: 1000 },
      pgdSteps: 100,
      randomStart: false,
      selectionEvery: 1,
      selectionFromEpoch: 99,
    });
    expect(byId('table1/uniform-svhn').train.warmupEpochs).toBe(0);
    expect(byId('table1/true-labels-svhn').train.warmupEpochs).toBe(5);
    const hendrycks = byId('table3/hendrycks-imagenet32');
    expect([hendrycks.train.epochs, hendrycks.method.pretrainEpochs, hendrycks.train.schedule]).toEqual([
      110,
      100,
      'trades',
    ]);
    expect(byId('table2/c100-trades-biamat-imagenet32').method.highLoss).toBe('adv-ce');
    expect(byId('table2/c10-at').paper).toEqual({ clean: 87.37, pgd: 50.87, cw: 50.93, aa: 48.53 });
    expect(byId('table1/uniform-svhn').method.auxMode).toBe('uniform');
    expect(byId('table1/true-labels-svhn').method.auxMode).toBe('naive');
  });
});

describe('scaleConfig', () => {
  test('paper profile is the identity', () => {
    const c = byId('table2/c10-at-biamat-imagenet32');
    const s = scaleConfig(c, 'paper', none);
    expect(s.config).toBe(c);
    expect(s.data).toEqual({ primary: 'cifar10', aux: ['imagenet32'] });
  });

  test('smoke profile: tiny data, small CNN, 1 epoch, exact scaled step sizes, stand-in datasets', () => {
    const s = scaleConfig(byId('table2/c10-at-biamat-imagenet32'), 'smoke', none);
    expect(s.unavailable).toBeNull();
    expect(s.data).toEqual({ primary: 'cifar10', aux: ['tin32'] });
    expect(s.config.model.arch).toBe('small-cnn');
    expect(s.config.train.epochs).toBe(1);
    expect(s.config.train.warmupEpochs).toBe(0.25);
    expect(s.config.train.attack.steps).toBe(2);
    expect(s.config.train.attack.stepSize).toEqual({ num: 10, den: 255 }); // 2/255 × 10/2
    expect(s.config.train.attack.eps).toEqual({ num: 8, den: 255 });
    expect(s.config.eval.stepSize).toEqual({ num: 4, den: 255 }); // 2.5 · 8/255 / 5
    expect(s.config.eval.autoattack).toBe(true);
    expect(s.config.eval.autoattackImages).toBe(64); // AutoAttack on the first 64 of the 256 test images
    expect(s.config.subset).toEqual({ primaryTrain: 1024, primaryTest: 256, aux: 1024 });
    expect(() => parseExperiment(s.config)).not.toThrow();
  });

  test('step-size helpers', () => {
    expect(scaleStep({ num: 7, den: 1000 }, 10, 3)).toEqual({ num: 7, den: 300 });
    expect(fracValue(scaleStep({ num: 7, den: 1000 }, 10, 3))).toBeCloseTo((0.007 * 10) / 3, 12);
    expect(evalStep({ num: 2, den: 255 }, { num: 8, den: 255 }, 20)).toEqual({ num: 2, den: 255 });
  });

  test('CIFAR-100 / Places365 rows are unavailable offline unless imported; SVHN maps to mnist32', () => {
    const c100 = byId('table2/c10-at-biamat-cifar100');
    expect(scaleConfig(c100, 'small', none).unavailable).toMatch(/unavailable offline: cifar100/);
    expect(scaleConfig(c100, 'small', all).unavailable).toBeNull();
    expect(scaleConfig(byId('table2/c10-at-biamat-svhn'), 'small', none).data.aux).toEqual(['mnist32']);
    expect(scaleConfig(byId('table2/in100-at-biamat-imgnet900'), 'small', none).data).toEqual({
      primary: 'tin32#0-99',
      aux: ['tin32#100-199'],
    });
  });

  test('pre-training keeps a pre-training epoch and a fine-tuning epoch at smoke scale', () => {
    const s = scaleConfig(byId('table3/hendrycks-imagenet32'), 'smoke', none);
    expect(s.config.method.pretrainEpochs).toBe(1);
    expect(s.config.train.epochs).toBe(2);
  });
});

describe('overrides', () => {
  test('dotted key=value flags are merged and validated', () => {
    const c = withOverrides(
      byId('table2/c10-at'),
      overridesFromFlags(['train.epochs=3', 'method.gamma=0.4']),
    );
    expect(c.train.epochs).toBe(3);
    expect(c.method.gamma).toBe(0.4);
  });

  test('unknown keys and bad values are one clear UserError', () => {
    expect(() => withOverrides(byId('table2/c10-at'), overridesFromFlags(['train.epochz=3']))).toThrow(
      UserError,
    );
    expect(() => withOverrides(byId('table2/c10-at'), overridesFromFlags(['train.epochs=-1']))).toThrow(
      /train.epochs/,
    );
  });
});

describe('run cache', () => {
  let tmp: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'biamat-cache-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the hash covers the full config and ignores key order', () => {
    expect(configHash({ a: 1, b: { c: 2, d: 3 } })).toBe(configHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(configHash({ a: 1, b: { c: 2, d: 3 } })).not.toBe(configHash({ a: 1, b: { c: 2, d: 4 } }));
    expect(runPaths(tmp, 'x', { a: 1 }).dir).not.toBe(runPaths(tmp, 'x', { a: 2 }).dir);
  });

  test('a finished run is a cache hit: its result is returned and training does no step', async () => {
    const cfg = config({ epochs: 1 });
    const p = runPaths(tmp, 'cached', cfg);
    const m = model();
    await train(m, cfg, dataSource(2, false), { paths: p, checkpointRule: 'last' });
    writeResult(p, { clean: 12.5 });
    expect(cachedResult<{ clean: number }>(p)).toEqual({ clean: 12.5 });
    let steps = 0;
    const again = await train(m, cfg, dataSource(2, false), {
      paths: p,
      checkpointRule: 'last',
      onStep: () => steps++,
    });
    m.dispose();
    expect(again.finished).toBe(true);
    expect(steps).toBe(0);
    expect(cachedResult(runPaths(tmp, 'cached', config({ epochs: 2 })))).toBeNull();
  });
});
