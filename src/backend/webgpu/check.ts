import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../batchnorm';
import { CONV_CASES, maxRelativeError, onBackend, type ConvCase } from '../kernel-check';
import { Rng } from '../../util/rng';

/**
 * Checks of our webgpu kernels against the cpu backend: every conv case of the wasm checks plus
 * multi-tile, ragged and multi-split shapes (forward, dx, dW), Sum/Mean on leading, trailing and
 * mixed axes, the gradients of a conv + training-mode batch norm net, and a leak check. Run by
 * `bench/webgpu-check.ts` (which adds model- and trainer-level checks) once the webgpu backend is
 * up; it uses tfjs's cpu backend as the reference.
 */

/** One check: a name and a function computing the same tensor on whichever backend is set. */
export type Check = [name: string, run: () => tf.Tensor];

export interface CheckResult {
  name: string;
  maxRelativeError: number;
  length: number;
  expectedLength: number;
  /** Allowed max relative error (default in the test: 1e-5). */
  tolerance?: number;
}

export interface WebGpuReport {
  available: boolean;
  reason?: string;
  device?: string;
  oursRegistered?: string[];
  results?: CheckResult[];
  leak?: { tensorsBefore: number; tensorsAfter: number; dataIdsBefore: number; dataIdsAfter: number };
}

/** Bigger than the shared cases: several 64-wide tiles, ragged edges, several M-splits. */
export const WEBGPU_CASES: ConvCase[] = [
  ...CONV_CASES,
  { x: [4, 32, 32, 16], filter: [3, 3, 16, 64], strides: 1, pad: 1 },
  { x: [5, 13, 13, 70], filter: [3, 3, 70, 66], strides: 1, pad: 'same' },
  { x: [4, 9, 9, 70], filter: [3, 3, 70, 130], strides: 2, pad: 1 },
  { x: [3, 8, 8, 96], filter: [1, 1, 96, 80], strides: 2, pad: 'valid' },
];

/** Runs `f` on cpu and on webgpu and compares the values. */
export async function compareWithCpu(name: string, f: () => tf.Tensor): Promise<CheckResult> {
  const expected = await onBackend('cpu', f);
  const actual = await onBackend('webgpu', f);
  return {
    name,
    maxRelativeError: maxRelativeError(actual, expected),
    length: actual.length,
    expectedLength: expected.length,
  };
}

/** Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter of one case, in that order. */
export function convChecks(c: ConvCase, rng: Rng): Check[] {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const xValues = rng.normalArray(size(c.x));
  const wValues = rng.normalArray(size(c.filter));
  const yShape = tf.tidy(
    () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape,
  );
  const dyValues = rng.normalArray(size(yShape));
  const label = `x=${c.x} filter=${c.filter} strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
  const x = () => tf.tensor4d(xValues, c.x);
  const w = () => tf.tensor4d(wValues, c.filter);
  const dy = () => tf.tensor(dyValues, yShape);
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  const run = (kernel: string, inputs: tf.NamedTensorMap, extra: object) =>
    tf.engine().runKernel(kernel, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
  return [
    [`Conv2D ${label}`, () => tf.tidy(() => tf.conv2d(x(), w(), c.strides, c.pad))],
    [
      `Conv2DBackpropInput ${label}`,
      () => tf.tidy(() => run('Conv2DBackpropInput', { dy: dy(), filter: w() }, { inputShape: c.x })),
    ],
    [
      `Conv2DBackpropFilter ${label}`,
      () => tf.tidy(() => run('Conv2DBackpropFilter', { x: x(), dy: dy() }, { filterShape: c.filter })),
    ],
  ];
}

function reductionChecks(rng: Rng): Check[] {
  const cases: Array<[number[], number | number[] | undefined, boolean]> = [
    [[8, 16, 16, 64], [0, 1, 2], false], // batch norm's per-channel statistics
    [[4, 5, 6, 7], [0, 1, 2], true],
    [[3, 3, 130], [0, 1], false], // more than one 64-channel block
    [[70000], undefined, false], // everything to one value
    [[3, 50000], 1, true],
    [[2, 3, 9000], [1, 2], false],
    [[5, 7], 0, false],
    [[2, 3, 4], [0, 2], false], // neither leading nor trailing: tfjs's own kernel
  ];
  const out: Check[] = [];
  for (const [shape, axis, keepDims] of cases) {
    const values = rng.normalArray(shape.reduce((a, b) => a * b, 1)).map((v) => v + 0.5);
    const label = `shape=${shape} axis=${JSON.stringify(axis ?? null)} keepDims=${keepDims}`;
    out.push([`Sum ${label}`, () => tf.tidy(() => tf.sum(tf.tensor(values, shape), axis, keepDims))]);
    out.push([`Mean ${label}`, () => tf.tidy(() => tf.mean(tf.tensor(values, shape), axis, keepDims))]);
  }
  return out;
}

/** Gradients of a conv + training-mode batch norm + ReLU + linear net's cross-entropy. */
export function trainingGradientCheck(rng: Rng): Check {
  const xValues = rng.uniformArray(8 * 16 * 16 * 3);
  const w1 = rng.normalArray(3 * 3 * 3 * 16).map((v) => v * 0.3);
  const w2 = rng.normalArray(3 * 3 * 16 * 32).map((v) => v * 0.1);
  const wl = rng.normalArray(32 * 10).map((v) => v * 0.1);
  const labels = Array.from({ length: 8 }, (_, i) => i % 10);
  return [
    'gradients of a conv+BN+ReLU net (training-mode batch norm, cross-entropy)',
    () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xValues, [8, 16, 16, 3]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
        const params = [
          tf.tensor4d(w1, [3, 3, 3, 16]),
          tf.ones([16]),
          tf.zeros([16]),
          tf.tensor4d(w2, [3, 3, 16, 32]),
          tf.tensor2d(wl, [32, 10]),
        ];
        const loss = (...p: tf.Tensor[]) => {
          const h1 = tf.conv2d(x, p[0] as tf.Tensor4D, 1, 1);
          const bn = batchNormTraining(h1, p[1], p[2]);
          tf.dispose([bn.mean, bn.variance]);
          const h2 = tf.relu(tf.conv2d(tf.relu(bn.y), p[3] as tf.Tensor4D, 2, 1));
          const logits = tf.matMul(tf.mean(h2, [1, 2]), p[4] as tf.Tensor2D);
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        };
        const grads = tf.grads(loss)(params);
        return tf.concat(grads.map((g) => g.flatten()));
      }),
  ];
}

/** The kernel-level checks, in a fixed order (so `rng` gives every run the same inputs). */
export function webGpuKernelChecks(rng: Rng): Check[] {
  return [
    ...WEBGPU_CASES.flatMap((c) => convChecks(c, rng)),
    ...reductionChecks(rng),
    trainingGradientCheck(rng),
  ];
}

/** Repeated backward passes on webgpu leave no tensors or GPU buffers behind (splits, reshapes). */
export async function webGpuLeakCheck(): Promise<NonNullable<WebGpuReport['leak']>> {
  await tf.setBackend('webgpu');
  const [, step] = trainingGradientCheck(new Rng(3));
  (await step().data()) as Float32Array;
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) {
    const g = step();
    await g.data();
    g.dispose();
  }
  return {
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    dataIdsBefore,
    dataIdsAfter: tf.backend().numDataIds(),
  };
}
