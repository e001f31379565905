import * as tf from '@tensorflow/tfjs';
import { initBackend, missingTrainingKernels } from '../src/backend';
import { Rng } from '../src/util/rng';
import { CONV_CASES as CASES, maxRelativeError, onBackend } from '../src/backend/kernel-check';

// Each custom wasm kernel against the cpu backend (the reference implementation), on two
// threads: our kernels run XNNPACK convolutions, which split their work across the pool.

beforeAll(async () => {
  const { threads } = await initBackend({ backend: 'wasm', threads: 2, log: false });
  expect(threads).toBe(2);
});

test('wasm has every training kernel once ours are registered', () => {
  expect(missingTrainingKernels('wasm')).toEqual([]);
  expect(missingTrainingKernels('cpu')).toEqual([]);
});

describe.each(CASES)('conv x=$x filter=$filter strides=$strides pad=$pad', (c) => {
  const rng = new Rng(7);
  const xValues = rng.normalArray(c.x.reduce((a, b) => a * b));
  const filterValues = rng.normalArray(c.filter.reduce((a, b) => a * b));
  let dyShape: number[] = [];
  let dyValues: Float32Array = new Float32Array(0);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    dyShape = tf.tidy(
      () => tf.conv2d(tf.tensor4d(xValues, c.x), tf.tensor4d(filterValues, c.filter), c.strides, c.pad).shape,
    );
    dyValues = rng.normalArray(dyShape.reduce((a, b) => a * b));
  });

  test('Conv2DBackpropFilter matches cpu', async () => {
    const run = () =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor4d(xValues, c.x), dy: tf.tensor(dyValues, dyShape) },
              {
                strides: c.strides,
                pad: c.pad,
                dataFormat: 'NHWC',
                filterShape: c.filter,
              } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor,
      );
    const expected = await onBackend('cpu', run);
    const actual = await onBackend('wasm', run);
    expect(actual.length).toBe(c.filter.reduce((a, b) => a * b));
    expect(maxRelativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
  });

  test('Conv2DBackpropInput matches cpu', async () => {
    const run = () =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dyValues, dyShape), filter: tf.tensor4d(filterValues, c.filter) },
              {
                strides: c.strides,
                pad: c.pad,
                dataFormat: 'NHWC',
                inputShape: c.x,
              } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor,
      );
    const expected = await onBackend('cpu', run);
    const actual = await onBackend('wasm', run);
    expect(actual.length).toBe(c.x.reduce((a, b) => a * b));
    expect(maxRelativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
  });

  test('gradients of conv2d wrt input and filter match cpu', async () => {
    const run = () =>
      tf.tidy(() => {
        const dy = tf.tensor(dyValues, dyShape);
        const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), dy)),
        )([tf.tensor4d(xValues, c.x), tf.tensor4d(filterValues, c.filter)]);
        return tf.concat([dx.flatten(), dw.flatten()]);
      });
    const expected = await onBackend('cpu', run);
    const actual = await onBackend('wasm', run);
    expect(maxRelativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
  });
});

test('the custom kernels free their intermediates', async () => {
  await tf.setBackend('wasm');
  const x = tf.ones([2, 8, 8, 3]);
  const dy = tf.ones([2, 4, 4, 4]);
  const dataIdsBefore = tf.backend().numDataIds();
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: 2,
      pad: 'same',
      dataFormat: 'NHWC',
      filterShape: [3, 3, 3, 4],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dw.shape).toEqual([3, 3, 3, 4]);
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: dw }, {
      strides: 2,
      pad: 'same',
      dataFormat: 'NHWC',
      inputShape: [2, 8, 8, 3],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dx.shape).toEqual([2, 8, 8, 3]);
    tf.dispose([dw, dx]);
  }
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
  tf.dispose([x, dy]);
});

test('Identity on wasm shares memory instead of copying, and values survive disposing the source', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor([1, 2, 3, 4], [2, 2]);
  const dataIds = tf.backend().numDataIds();
  const y = tf.engine().runKernel('Identity', { x }, {}) as tf.Tensor;
  expect(tf.backend().numDataIds()).toBe(dataIds);
  x.dispose();
  expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
  y.dispose();
  expect(tf.backend().numDataIds()).toBe(dataIds - 1);
  // Gradients that save inputs (which the engine clones through Identity) still agree with cpu.
  const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.exp(a), tf.sqrt(tf.add(tf.square(a), 1))));
  const onWasm = await tf
    .grad(f)(tf.tensor([0.5, -1, 2]))
    .data();
  await tf.setBackend('cpu');
  const onCpu = await tf
    .grad(f)(tf.tensor([0.5, -1, 2]))
    .data();
  expect(maxRelativeError(onWasm as Float32Array, onCpu as Float32Array)).toBeLessThanOrEqual(1e-5);
  await tf.setBackend('wasm');
});

const REDUCTIONS: Array<[number[], number | number[], boolean]> = [
  [[8, 16, 16, 32], [0, 1, 2], false],
  [[3, 5, 7, 4], [0, 1, 2], true],
  [[4, 1, 1, 6], [0, 1, 2], false], // nothing to pool: tfjs's own kernel
  [[2, 3, 4, 5], [1, 2], false], // other axes: tfjs's own kernel
  [[6, 10], 0, false],
];

test.each(REDUCTIONS)(
  'Sum and Mean of shape %j over %j (keepDims %s) match cpu',
  async (shape, axis, keepDims) => {
    const values = new Rng(9).normalArray(shape.reduce((a, b) => a * b, 1)).map((v) => v + 0.5);
    for (const op of [tf.sum, tf.mean]) {
      const run = () => tf.tidy(() => op(tf.tensor(values, shape), axis, keepDims));
      const expected = await onBackend('cpu', run);
      const before = tf.memory().numTensors;
      await tf.setBackend('wasm');
      const dataIds = tf.backend().numDataIds();
      const actual = await onBackend('wasm', run);
      expect(tf.backend().numDataIds()).toBe(dataIds);
      expect(tf.memory().numTensors).toBe(before);
      expect(actual.length).toBe(expected.length);
      expect(maxRelativeError(actual, expected)).toBeLessThanOrEqual(1e-5);
    }
  },
);
