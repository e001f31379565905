import * as tf from '@tensorflow/tfjs';
import { batchNormElementwise, initBackend } from '../src/backend';
import { Rng } from '../src/util/rng';

// A small conv net with batch norm, defined here so this test depends on src/backend only:
// conv(3→8) BN ReLU, conv(8→16, stride 2) BN ReLU, global average pool, linear → 4 classes.

const SIZE = 8;
const CLASSES = 4;
const BATCH = 8;

function makeNet(rng: Rng, bn: 'fused' | 'elementwise') {
  const he = <R extends tf.Rank>(shape: number[], fanIn: number): tf.Variable<R> => {
    const init: tf.Tensor = tf.tensor(
      rng.normalArray(
        shape.reduce((a, b) => a * b),
        0,
        Math.sqrt(2 / fanIn),
      ),
      shape,
    );
    return tf.variable(init as tf.Tensor<R>);
  };
  const w1 = he<tf.Rank.R4>([3, 3, 3, 8], 27);
  const w2 = he<tf.Rank.R4>([3, 3, 8, 16], 72);
  const g1 = tf.variable(tf.ones([8]));
  const b1 = tf.variable(tf.zeros([8]));
  const g2 = tf.variable(tf.ones([16]));
  const b2 = tf.variable(tf.zeros([16]));
  const fc = he<tf.Rank.R2>([16, CLASSES], 16);
  const fcb = tf.variable(tf.zeros([CLASSES]));
  const norm = (h: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor): tf.Tensor4D => {
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    return bn === 'fused'
      ? (tf.batchNorm(h, mean, variance, b, g, 1e-5) as tf.Tensor4D)
      : batchNormElementwise(h, mean, variance, b, g, 1e-5);
  };
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h: tf.Tensor4D = tf.relu(norm(tf.conv2d(x, w1, 1, 'same'), g1, b1));
    h = tf.relu(norm(tf.conv2d(h, w2, 2, 'same'), g2, b2));
    return tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, fc), fcb);
  };
  return { forward, variables: [w1, w2, g1, b1, g2, b2, fc, fcb] };
}

/** Class c = a bright c-th quadrant plus noise: learnable, fixed by the seed. */
function syntheticBatch(rng: Rng): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const pixels = rng.uniformArray(BATCH * SIZE * SIZE * 3, 0, 0.5);
  const labels = new Int32Array(BATCH);
  for (let n = 0; n < BATCH; n++) {
    const c = n % CLASSES;
    labels[n] = c;
    const [r0, c0] = [Math.floor(c / 2) * (SIZE / 2), (c % 2) * (SIZE / 2)];
    for (let i = r0; i < r0 + SIZE / 2; i++)
      for (let j = c0; j < c0 + SIZE / 2; j++)
        for (let k = 0; k < 3; k++) pixels[((n * SIZE + i) * SIZE + j) * 3 + k] += 0.5;
  }
  return {
    x: tf.tensor4d(pixels, [BATCH, SIZE, SIZE, 3]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES) as tf.Tensor2D,
  };
}

async function train(bn: 'fused' | 'elementwise'): Promise<{ losses: number[]; tensorCounts: number[] }> {
  const rng = new Rng(3);
  const net = makeNet(rng.fork('init'), bn);
  const { x, y } = syntheticBatch(rng.fork('data'));
  const optimizer = tf.train.momentum(0.05, 0.9);
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 0; step < 20; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar,
      true,
      net.variables,
    ) as tf.Scalar;
    losses.push((await loss.data())[0]);
    loss.dispose();
    tensorCounts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  tf.dispose([x, y, ...net.variables]);
  return { losses, tensorCounts };
}

// The cpu backend's Conv2DBackpropFilter is slow, so cpu runs one batch-norm variant.
const RUNS: ['wasm' | 'cpu', 'fused' | 'elementwise'][] = [
  ['wasm', 'fused'],
  ['wasm', 'elementwise'],
  ['cpu', 'fused'],
];

test.each(RUNS)(
  'on %s with %s batch norm: loss falls over 20 steps, tensor count stable',
  async (backend, bn) => {
    await initBackend({ backend, log: false });
    const { losses, tensorCounts } = await train(bn);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]).toBeLessThan(0.5 * losses[0]);
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
  },
);

test('the whole net’s gradients agree between wasm and cpu', async () => {
  const gradientsOn = async (backend: 'wasm' | 'cpu') => {
    await initBackend({ backend, log: false });
    const rng = new Rng(11);
    const net = makeNet(rng.fork('init'), 'fused');
    const { x, y } = syntheticBatch(rng.fork('data'));
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar,
      net.variables,
    );
    const values = await Promise.all(net.variables.map((v) => grads[v.name].data()));
    tf.dispose([x, y, ...net.variables, ...Object.values(grads)]);
    return values;
  };
  const onCpu = await gradientsOn('cpu');
  const onWasm = await gradientsOn('wasm');
  onCpu.forEach((expected, i) => {
    let maxDiff = 0;
    let maxRef = 0;
    expected.forEach((e, j) => {
      maxDiff = Math.max(maxDiff, Math.abs(onWasm[i][j] - e));
      maxRef = Math.max(maxRef, Math.abs(e));
    });
    expect(maxDiff / maxRef).toBeLessThan(1e-3);
  });
});
