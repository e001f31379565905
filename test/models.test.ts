import * as tf from '@tensorflow/tfjs';
import {
  asClassifier,
  countTrainableParams,
  createModel,
  modelVariableShapes,
  type ModelSpec,
} from '../src/models';
import { Rng } from '../src/util/rng';

function randomImages(n: number, h: number, c = 3, seed = 1): tf.Tensor4D {
  return tf.tensor4d(new Rng(seed).uniformArray(n * h * h * c), [n, h, h, c]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createModel shapes', () => {
  const cases: [string, ModelSpec, number][] = [
    ['small-cnn', { arch: 'small-cnn', width: 4, numClasses: 10, numAuxClasses: 7, seed: 0 }, 8],
    ['wrn-10-1', { arch: 'wrn', depth: 10, widen: 1, numClasses: 10, numAuxClasses: 5, seed: 0 }, 8],
    ['wrn-16-2', { arch: 'wrn', depth: 16, widen: 2, numClasses: 3, numAuxClasses: 0, seed: 0 }, 8],
    ['at-wrn-10-2', { arch: 'at-wrn', depth: 10, widen: 2, numClasses: 10, numAuxClasses: 6, seed: 0 }, 8],
    ['at-wrn-16-1', { arch: 'at-wrn', depth: 16, widen: 1, numClasses: 4, numAuxClasses: 0, seed: 0 }, 12],
    ['resnet18-w4', { arch: 'resnet18', width: 4, numClasses: 10, numAuxClasses: 200, seed: 0 }, 16],
  ];
  it.each(cases)('%s gives [N,K] and [N,K~] logits and matches modelVariableShapes', (_id, spec, size) => {
    const model = createModel(spec);
    const x = randomImages(2, size);
    for (const training of [false, true]) {
      const { primary, aux } = model.forward(x, { training });
      expect(primary.shape).toEqual([2, spec.numClasses]);
      expect(aux?.shape ?? null).toEqual(spec.numAuxClasses ? [2, spec.numAuxClasses] : null);
      tf.dispose([primary, aux ?? []]);
    }
    const declared = modelVariableShapes(spec);
    const vars = [...model.trainableVariables, ...model.stateVariables];
    expect(model.variableNames()).toEqual(declared.map((d) => d.name));
    expect(vars.map((v) => v.shape)).toEqual(declared.map((d) => d.shape));
    expect(model.trainableVariables.length).toBe(declared.filter((d) => d.trainable).length);
    x.dispose();
    model.dispose();
  });

  it('features() is the trunk output both heads read', async () => {
    const model = createModel({ arch: 'small-cnn', width: 4, numClasses: 3, numAuxClasses: 2, seed: 3 });
    const x = randomImages(2, 8);
    const feats = model.features(x, { training: false });
    const { primary, aux } = model.forward(x, { training: false });
    const names = model.variableNames();
    const v = (n: string) => model.trainableVariables[names.indexOf(n)];
    const expectedPrimary = tf.add(tf.matMul(feats, v('fc.weight')), v('fc.bias'));
    const expectedAux = tf.add(tf.matMul(feats, v('fc_aux.weight')), v('fc_aux.bias'));
    expect(feats.shape[0]).toBe(2);
    expect(feats.shape[1]).toBe(v('fc.weight').shape[0]);
    const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
    expect(await maxDiff(primary, expectedPrimary)).toBeLessThan(1e-5);
    expect(await maxDiff(aux!, expectedAux)).toBeLessThan(1e-5);
    tf.dispose([x, feats, primary, aux!, expectedPrimary, expectedAux]);
    model.dispose();
  });

  it('param counts match the PyTorch reference models (computed without allocating)', () => {
    // WRN-28-10 for CIFAR-10: 36,479,194 parameters (TRADES/Madry code).
    expect(
      countTrainableParams({ arch: 'wrn', depth: 28, widen: 10, numClasses: 10, numAuxClasses: 0, seed: 0 }),
    ).toBe(36479194);
    // ResNet-18 (kuangliu CIFAR variant): 11,173,962 parameters.
    expect(countTrainableParams({ arch: 'resnet18', numClasses: 10, numAuxClasses: 0, seed: 0 })).toBe(
      11173962,
    );
    // An aux head adds 640·(K~+1) to WRN-28-10.
    expect(
      countTrainableParams({
        arch: 'wrn',
        depth: 28,
        widen: 10,
        numClasses: 10,
        numAuxClasses: 1000,
        seed: 0,
      }),
    ).toBe(36479194 + 641 * 1000);
  });

  it('is deterministic in the seed', async () => {
    const spec: ModelSpec = { arch: 'small-cnn', width: 4, numClasses: 3, numAuxClasses: 0, seed: 5 };
    const a = createModel(spec),
      b = createModel(spec),
      c = createModel({ ...spec, seed: 6 });
    const wa = await a.trainableVariables[0].data();
    expect(Array.from(await b.trainableVariables[0].data())).toEqual(Array.from(wa));
    expect(Array.from(await c.trainableVariables[0].data())).not.toEqual(Array.from(wa));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects bad specs with a UserError', () => {
    expect(() => createModel({ arch: 'wrn', depth: 27, numClasses: 10, numAuxClasses: 0, seed: 0 })).toThrow(
      /6n\+4/,
    );
    expect(() => createModel({ arch: 'vgg' as never, numClasses: 10, numAuxClasses: 0, seed: 0 })).toThrow(
      /unknown/,
    );
    expect(() =>
      createModel({
        arch: 'small-cnn',
        numClasses: 10,
        numAuxClasses: 0,
        seed: 0,
        normalization: { mean: [0], std: [1] },
      }),
    ).toThrow(/3 entries/);
    const m = createModel({ arch: 'small-cnn', width: 2, numClasses: 2, numAuxClasses: 0, seed: 0 });
    expect(() => asClassifier(m, 'aux')).toThrow(/no auxiliary head/);
    m.dispose();
  });
});

describe('gradients', () => {
  it('weight gradients through the trunk (train-mode BN) match finite differences', async () => {
    const model = createModel({ arch: 'wrn', depth: 10, widen: 1, numClasses: 3, numAuxClasses: 2, seed: 2 });
    // 8×8 so the last group's batch statistics span more than 3 values (smooth enough for FD).
    const x = randomImages(3, 8, 3, 4);
    const r = tf.tensor2d(new Rng(6).normalArray(9), [3, 3]);
    const objective = () =>
      tf.tidy(
        () =>
          tf.sum(tf.mul(model.forward(x, { training: true, updateStats: false }).primary, r)) as tf.Scalar,
      );
    const names = model.variableNames();
    const { grads } = tf.variableGrads(objective, model.trainableVariables);
    for (const name of ['conv1.weight', 'block1.layer.0.bn1.weight', 'block2.layer.0.convShortcut.weight']) {
      const v = model.trainableVariables[names.indexOf(name)];
      const g = await grads[v.name].data();
      const base = await v.data();
      const k = 1; // one coordinate, central difference in float32
      const h = 1e-3;
      const at = async (delta: number) => {
        const moved = Float32Array.from(base);
        moved[k] += delta;
        v.assign(tf.tensor(moved, v.shape));
        const o = objective();
        const val = (await o.data())[0];
        o.dispose();
        return val;
      };
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      expect([name, Math.abs(fd - g[k]) <= 0.03 * Math.abs(g[k]) + 1e-3]).toEqual([name, true]);
      expect(Math.abs(g[k])).toBeGreaterThan(0);
    }
    tf.dispose([x, r, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('batch norm', () => {
  it('train mode uses batch stats and updates running stats like PyTorch; eval uses running stats', async () => {
    const model = createModel({ arch: 'small-cnn', width: 2, numClasses: 2, numAuxClasses: 0, seed: 0 });
    const x = randomImages(4, 4, 3, 9);
    const names = model.variableNames().slice(model.trainableVariables.length);
    const rm = model.stateVariables[names.indexOf('bn1.running_mean')];
    const rv = model.stateVariables[names.indexOf('bn1.running_var')];
    const conv1 = model.trainableVariables[model.variableNames().indexOf('conv1.weight')];
    // Expected: conv1 output's per-channel mean and unbiased variance.
    const { mean, uvar } = tf.tidy(() => {
      const h = tf.conv2d(x, conv1 as tf.Tensor4D, 1, 1);
      const m = tf.moments(h, [0, 1, 2]);
      const n = 4 * 4 * 4;
      return { mean: m.mean, uvar: tf.mul(m.variance, n / (n - 1)) };
    });
    const evalBefore = tf.tidy(() => model.forward(x, { training: false }).primary);
    // updateStats: false leaves running stats alone.
    tf.tidy(() => {
      model.forward(x, { training: true, updateStats: false });
    });
    expect(Array.from(await rm.data())).toEqual([0, 0]);
    tf.tidy(() => {
      model.forward(x, { training: true });
    });
    const expM = (await mean.data()).map((v) => 0.1 * v);
    const expV = (await uvar.data()).map((v) => 0.9 + 0.1 * v);
    const gotM = await rm.data(),
      gotV = await rv.data();
    for (let i = 0; i < 2; i++) {
      expect(gotM[i]).toBeCloseTo(expM[i], 5);
      expect(gotV[i]).toBeCloseTo(expV[i], 5);
    }
    // Eval output changed because running stats changed; train output does not depend on them.
    const evalAfter = tf.tidy(() => model.forward(x, { training: false }).primary);
    expect(Array.from(await evalAfter.data())).not.toEqual(Array.from(await evalBefore.data()));
    const t1 = tf.tidy(() => model.forward(x, { training: true, updateStats: false }).primary);
    tf.tidy(() => {
      model.forward(x, { training: true });
    });
    const t2 = tf.tidy(() => model.forward(x, { training: true, updateStats: false }).primary);
    expect(Array.from(await t2.data())).toEqual(Array.from(await t1.data()));
    // Eval mode is per-sample: a sample's logits do not depend on its batch mates.
    const full = tf.tidy(() => model.forward(x, { training: false }).primary);
    const single = tf.tidy(() => model.forward(x.slice(0, 2), { training: false }).primary);
    expect(Array.from(await single.data())).toEqual(Array.from((await full.data()).slice(0, 4)));
    full.dispose();
    tf.dispose([mean, uvar, evalBefore, evalAfter, t1, t2, single, x]);
    model.dispose();
  });

  it('numTensors is stable over repeated forward/backward with stat updates', () => {
    const x = randomImages(4, 8);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    // Weight gradients (optimizer step) on the small CNN; input gradients (the attack's
    // pattern) through a WRN. Both in train mode with running-stat updates.
    const cnn = createModel({ arch: 'small-cnn', width: 4, numClasses: 3, numAuxClasses: 2, seed: 1 });
    const wrn = createModel({ arch: 'wrn', depth: 10, widen: 1, numClasses: 3, numAuxClasses: 2, seed: 1 });
    const opt = tf.train.sgd(0.01);
    const step = () =>
      tf.tidy(() => {
        opt.minimize(
          () => {
            const { primary, aux } = cnn.forward(x, { training: true, updateStats: true });
            return tf.add(
              tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), primary),
              tf.mean(aux as tf.Tensor2D),
            ) as tf.Scalar;
          },
          false,
          cnn.trainableVariables,
        );
        tf.grad((xx: tf.Tensor) => {
          const { primary, aux } = wrn.forward(xx as tf.Tensor4D, { training: true, updateStats: true });
          return tf.add(tf.sum(primary), tf.sum(aux as tf.Tensor2D));
        })(x);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    opt.dispose();
    cnn.dispose();
    wrn.dispose();
  });
});

describe('the released AT network (at-wrn)', () => {
  /**
   * The trainable variables of the released AT model (`AT/model_biamat.py`, `--n 4`, 10 classes)
   * listed from its layer shapes: init_conv; per unit a first BN (γ, β), conv1, a second BN and
   * conv2 (no shortcut weights: pooling + zero padding); final BN; the logit layer (DW + biases).
   */
  function releasedTrainableCount(n: number, widen: number, classes: number): number {
    const w = [16, 16 * widen, 32 * widen, 64 * widen];
    let count = 3 * 3 * 3 * 16; // init_conv
    for (let stage = 0; stage < 3; stage++)
      for (let unit = 0; unit < n; unit++) {
        const inCh = unit === 0 ? w[stage] : w[stage + 1];
        const outCh = w[stage + 1];
        count += 2 * inCh + 3 * 3 * inCh * outCh + 2 * outCh + 3 * 3 * outCh * outCh;
      }
    return count + 2 * w[3] + w[3] * classes + classes;
  }

  it('has the released WRN-28-10 parameter count (36,220,634 with a 10-class head), no 1×1 shortcut convs', () => {
    const spec: ModelSpec = {
      arch: 'at-wrn',
      depth: 28,
      widen: 10,
      numClasses: 10,
      numAuxClasses: 0,
      seed: 0,
    };
    expect(releasedTrainableCount(4, 10, 10)).toBe(36_220_634);
    expect(countTrainableParams(spec)).toBe(releasedTrainableCount(4, 10, 10));
    expect(modelVariableShapes(spec).some((v) => /shortcut/i.test(v.name))).toBe(false);
    // the TRADES WRN-28-10 of the same size is a different network
    expect(countTrainableParams({ ...spec, arch: 'wrn' })).not.toBe(countTrainableParams(spec));
  });

  it('standardises each image, uses leaky ReLU 0.1, and marks kernels for weight decay', async () => {
    const spec: ModelSpec = { arch: 'at-wrn', depth: 10, widen: 1, numClasses: 3, numAuxClasses: 2, seed: 1 };
    const model = createModel(spec);
    const x = randomImages(2, 8);
    // per-image standardisation makes the network invariant to a per-image affine change of the input
    const shifted = tf.add(tf.mul(x, 0.5), 0.2) as tf.Tensor4D;
    const a = model.forward(x, { training: false }).primary;
    const b = model.forward(shifted, { training: false }).primary;
    expect((await tf.max(tf.abs(tf.sub(a, b))).data())[0]).toBeLessThan(1e-4);
    const kinds = model.trainableKinds;
    const names = model.variableNames();
    expect(kinds.filter((k) => k === 'kernel').length).toBe(
      names.filter((n) => /conv\d?\.weight$|^fc(_aux)?\.weight$/.test(n)).length,
    );
    expect(kinds[names.indexOf('fc.bias')]).toBe('bias');
    expect(kinds[names.indexOf('final_bn.weight')]).toBe('bn');
    tf.dispose([x, shifted, a, b]);
    model.dispose();
  });
});
