import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as crypto from 'crypto';
import * as tf from '@tensorflow/tfjs';
import { createModel, type ModelSpec } from '../src/models';
import { loadModel, readModelFiles, saveModel } from '../src/models/weights';
import { modelCard, writeModelCard } from '../src/models/card';
import { UserError } from '../src/util/errors';

const spec: ModelSpec = {
  arch: 'wrn',
  depth: 10,
  widen: 1,
  numClasses: 3,
  numAuxClasses: 2,
  normalization: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] },
  seed: 11,
};
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biamat-ckpt-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function allValues(vars: tf.Variable[]): Promise<number[][]> {
  return Promise.all(vars.map(async (v) => Array.from(await v.data())));
}

describe('model checkpoint', () => {
  it('save → load round-trips every variable bit-exactly and the outputs agree', async () => {
    const model = createModel(spec);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i % 17) / 17),
      [2, 8, 8, 3],
    );
    // Move the BN running stats off their initial values so they are tested too.
    tf.tidy(() => {
      model.forward(x, { training: true });
    });
    const base = path.join(dir, 'm');
    await saveModel(base, model, spec, { epoch: 3, note: 'test' });
    const { model: loaded, spec: spec2, meta } = loadModel(`${base}.json`);
    expect(spec2).toEqual(spec);
    expect(meta).toEqual({ epoch: 3, note: 'test' });
    expect(loaded.variableNames()).toEqual(model.variableNames());
    expect(await allValues([...loaded.trainableVariables, ...loaded.stateVariables])).toEqual(
      await allValues([...model.trainableVariables, ...model.stateVariables]),
    );
    const a = tf.tidy(() => model.forward(x, { training: false }).primary);
    const b = tf.tidy(() => loaded.forward(x, { training: false }).primary);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    // The bin is plain little-endian float32 at the listed offsets (what numpy reads).
    const manifest = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
    const raw = fs.readFileSync(`${base}.bin`);
    const v = manifest.variables[5];
    expect(raw.readFloatLE(v.byteOffset)).toBe((await model.trainableVariables[5].data())[0]);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('rejects damaged or mismatched files with a clear UserError', async () => {
    const model = createModel(spec);
    const base = path.join(dir, 'v');
    await saveModel(base, model, spec);
    model.dispose();
    const good = fs.readFileSync(`${base}.json`, 'utf8');
    const goodBin = fs.readFileSync(`${base}.bin`);
    const expectBad = (mutate: () => void, msg: RegExp) => {
      fs.writeFileSync(`${base}.json`, good);
      fs.writeFileSync(`${base}.bin`, goodBin);
      mutate();
      let err: unknown;
      try {
        readModelFiles(base);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(msg);
    };
    const editJson =
      (f: (m: Record<string, unknown> & { variables: Record<string, unknown>[] }) => void) => () => {
        const m = JSON.parse(good);
        f(m);
        fs.writeFileSync(`${base}.json`, JSON.stringify(m));
      };
    expectBad(() => fs.writeFileSync(`${base}.json`, '{not json'), /not valid JSON/);
    expectBad(
      editJson((m) => (m.variables[0].name = 'evil')),
      /variable 0 is 'evil'/,
    );
    expectBad(
      editJson((m) => (m.variables[1].shape = [1, 2])),
      /shape/,
    );
    expectBad(
      editJson((m) => (m.spec = { ...(m.spec as object), depth: 16 })),
      /variables listed|arch/,
    );
    expectBad(
      editJson((m) => (m.weightsFile = '../../etc/passwd.bin')),
      /weightsFile/,
    );
    expectBad(
      editJson((m) => (m.extra = 1)),
      /Unrecognized key|extra/,
    );
    expectBad(() => fs.writeFileSync(`${base}.bin`, goodBin.subarray(0, goodBin.length - 4)), /bytes/);
    expectBad(() => {
      const b = Buffer.from(goodBin);
      b[10] ^= 1;
      fs.writeFileSync(`${base}.bin`, b);
    }, /sha256/);
    expectBad(() => {
      const b = Buffer.from(goodBin);
      b.writeFloatLE(NaN, 0);
      fs.writeFileSync(`${base}.bin`, b);
      const m = JSON.parse(good);
      m.sha256 = crypto.createHash('sha256').update(b).digest('hex');
      fs.writeFileSync(`${base}.json`, JSON.stringify(m));
    }, /non-finite/);
    expect(() => readModelFiles(path.join(dir, 'missing'))).toThrow(/not found/);
  });
});

describe('model card', () => {
  it('fills RobustBench fields with numbers, exact eps and our evaluation settings', () => {
    const card = modelCard({
      id: 'Lee2023BiaMAT_AT',
      spec: { arch: 'wrn', depth: 28, widen: 10, numClasses: 10, numAuxClasses: 1000, seed: 0 },
      dataset: 'cifar10',
      eps: 8 / 255,
      cleanAcc: 86.123,
      autoattackAcc: 56.5,
      evaluation: { n: 10000, seed: 0, batchSize: 500, attack: 'AutoAttack-standard' },
      additionalData: true,
    });
    expect(card).toMatchObject({
      architecture: 'wrn-28-10',
      eps: '8/255',
      clean_acc: 86.12,
      autoattack_acc: 56.5,
    });
    const file = path.join(dir, 'c');
    writeModelCard(file, card);
    expect(JSON.parse(fs.readFileSync(`${file}.card.json`, 'utf8'))).toEqual(card);
    expect(() =>
      modelCard({
        ...card,
        spec: { arch: 'small-cnn', numClasses: 2, numAuxClasses: 0, seed: 0 },
        id: 'bad id',
        cleanAcc: 1,
        autoattackAcc: null,
        eps: 0.1,
        dataset: 'x',
        evaluation: card.evaluation,
        additionalData: false,
      }),
    ).toThrow(/AuthorYearWord/);
  });
});
