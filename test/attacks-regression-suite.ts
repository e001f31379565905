/**
 * Regression fixture for AutoAttack standard: what each attack of the ensemble (APGD-CE, APGD-T,
 * FAB-T, Square) and the ensemble itself (as a custom list of the same four) compute on a fixed, seeded problem, recorded by the
 * code before any speed work and compared bit for bit. A faster attack must return the same
 * adversarial examples (sha256 of their float32 bytes) and the same robust flags.
 *
 * Run on two backends, each against its own fixture: cpu (attacks-regression.test.ts,
 * attacks-regression.json) and wasm with tfjs's stock kernels (attacks-regression-wasm.test.ts,
 * attacks-regression-wasm.json; the model is trained on cpu, then moved). The fixtures hold
 * x_adv itself (base64 float32), so a mismatch reports how far apart the two are. Re-record only
 * when an attack is meant to change what it computes, and say so in the commit:
 *
 *   UPDATE_ATTACK_REGRESSION=1 npx jest test/attacks-regression
 *   npx prettier --write test/attacks-regression*.json
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { TwoHeadModel } from '../src/models';
import type { Classifier } from '../src/models/types';
import { APGD, APGDT, AutoAttack, FABT, Square, type Attack } from '../src/attacks';
import { writeJsonAtomic } from '../src/util/atomic';
import { syntheticData, trainedModel } from './attacks-fixture';

const UPDATE = process.env.UPDATE_ATTACK_REGRESSION === '1';
// Small enough that APGD-CE leaves most points robust, so every later attack has work to do.
const EPS = 0.008;
const N = 16;

interface Record_ {
  name: string;
  robustFlags: number[];
  robustAccuracy: number;
  sha256: string;
  /** Σ|x_adv − x| over all entries (float64) and max |x_adv − x|: readable summaries. */
  l1: number;
  linf: number;
  xAdv: string;
  /** AutoAttack only: accuracy after each stage. */
  robustAccuracyAfter?: Record<string, number>;
}

/** Defines the regression tests on one backend ('cpu' or 'wasm'). */
export function attackRegressionSuite(backend: 'cpu' | 'wasm'): void {
  let model: TwoHeadModel;
  let clf: Classifier;
  let x: tf.Tensor4D;
  let y: tf.Tensor1D;
  const recorded: Record<string, Record_> = {};
  const FIXTURE = path.join(
    __dirname,
    backend === 'cpu' ? 'attacks-regression.json' : `attacks-regression-${backend}.json`,
  );

  beforeAll(async () => {
    await tf.setBackend('cpu');
    ({ model, clf } = trainedModel(10, 80));
    ({ x, y } = syntheticData(N, 10, 7));
    await tf.setBackend(backend);
  });
  afterAll(() => {
    if (UPDATE)
      writeJsonAtomic(FIXTURE, {
        note: `recorded by test/attacks-regression-suite.ts (${backend} backend); see its header`,
        eps: EPS,
        n: N,
        records: recorded,
      });
    tf.dispose([x, y]);
    model.dispose();
  });

  async function record(name: string, xAdv: tf.Tensor4D): Promise<Record_> {
    const flagsT = tf.tidy(() => tf.cast(tf.equal(tf.argMax(clf.logits(xAdv), 1), y), 'int32'));
    const flags = Array.from(await flagsT.data());
    flagsT.dispose();
    const adv = (await xAdv.data()) as Float32Array;
    const clean = (await x.data()) as Float32Array;
    let l1 = 0,
      linf = 0;
    for (let k = 0; k < adv.length; k++) {
      const d = Math.abs(adv[k] - clean[k]);
      l1 += d;
      linf = Math.max(linf, d);
    }
    const bytes = Buffer.from(adv.buffer, adv.byteOffset, adv.byteLength);
    return {
      name,
      robustFlags: flags,
      robustAccuracy: flags.reduce((a, b) => a + b, 0) / flags.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      l1,
      linf,
      xAdv: bytes.toString('base64'),
    };
  }

  function expected(name: string): Record_ {
    const all = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { records: Record<string, Record_> };
    const r = all.records[name];
    if (!r) throw new Error(`no record ${name} in ${FIXTURE}: re-record (see the file header)`);
    return r;
  }

  async function check(name: string, xAdv: tf.Tensor4D, extra: Partial<Record_> = {}): Promise<void> {
    const got = { ...(await record(name, xAdv)), ...extra };
    if (UPDATE) {
      recorded[name] = got;
      return;
    }
    const want = expected(name);
    expect([name, got.robustFlags]).toEqual([name, want.robustFlags]);
    if (want.robustAccuracyAfter) expect(got.robustAccuracyAfter).toEqual(want.robustAccuracyAfter);
    if (got.sha256 !== want.sha256) {
      // Say how far apart they are before failing.
      const a = new Float32Array(Buffer.from(got.xAdv, 'base64').buffer.slice(0));
      const b = new Float32Array(new Uint8Array(Buffer.from(want.xAdv, 'base64')).buffer);
      let maxDiff = 0,
        differing = 0;
      for (let k = 0; k < a.length; k++) {
        const d = Math.abs(a[k] - b[k]);
        if (d > 0) differing++;
        maxDiff = Math.max(maxDiff, d);
      }
      throw new Error(
        `${name}: x_adv differs from the recorded one in ${differing} entries, max |Δ| ${maxDiff}`,
      );
    }
    expect(got.l1).toBe(want.l1);
    expect(got.linf).toBe(want.linf);
  }

  async function runAndCheck(attack: Attack): Promise<void> {
    const before = tf.memory().numTensors;
    const adv = await attack.perturb(clf, x, y);
    await check(attack.name, adv);
    adv.dispose();
    expect([attack.name, tf.memory().numTensors]).toEqual([attack.name, before]);
  }

  // The attacks with the standard ensemble's parameters except shorter budgets (per-iteration code
  // is the same at any budget; APGD's checkpoints and Square's p schedule still change several
  // times), so the file runs in about a minute on the cpu backend under jest.
  const ensemble = (): Attack[] => [
    new APGD({ eps: EPS, seed: 0, loss: 'ce', iterations: 50, restarts: 1 }),
    new APGDT({ eps: EPS, seed: 0, iterations: 50, targetClasses: 9 }),
    new FABT({ eps: EPS, seed: 0, iterations: 25, targetClasses: 9 }),
    new Square({ eps: EPS, seed: 0, queries: 500 }),
  ];

  describe(`AutoAttack standard computes what it computed before (recorded fixture, ${backend})`, () => {
    for (const attack of ensemble()) it(`${attack.name} on its own`, () => runAndCheck(attack), 300_000);

    it('the ensemble (AutoAttack, these four in order): per-stage accuracy (its log), flags, x_adv', async () => {
      const lines: string[] = [];
      const aa = new AutoAttack({
        eps: EPS,
        version: 'custom',
        attacks: ensemble(),
        log: (l) => lines.push(l),
      });
      const adv = await aa.perturb(clf, x, y);
      const after = Object.fromEntries(
        lines.flatMap((l) => {
          const m = /^robust accuracy after (\S+): ([\d.]+)%/.exec(l);
          return m ? [[m[1], Number(m[2])]] : [];
        }),
      );
      expect(Object.keys(after)).toEqual(['APGD-CE', 'APGD-T', 'FAB-T', 'Square']);
      await check('AutoAttack', adv, { robustAccuracyAfter: after });
      adv.dispose();
    }, 300_000);
  });
}
