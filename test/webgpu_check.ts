/**
 * Checks our webgpu kernels against the cpu backend and prints one JSON report on stdout.
 * Run by test/webgpu_kernels.test.ts in a child process: the `webgpu` (Dawn) package is ESM
 * and jest's CommonJS sandbox cannot import() it. Where no WebGPU adapter exists it reports
 * { available: false, reason } and exits 0; the test decides whether that is acceptable.
 *
 *   npx tsx test/webgpu_check.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, initBackend, webGpuKernelsRegistered } from '../src/backend';
import { createModel } from '../src/models';
import { weightsBlob } from '../src/train/resume';
import { runPaths } from '../src/train/run-cache';
import { config, dataSource, model as tinyModel, trainRecords } from './train-fixtures';
import { Rng } from '../src/util/rng';
import { CONV_CASES, ConvCase, maxRelativeError, onBackend } from './conv_cases';

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
const WEBGPU_CASES: ConvCase[] = [
  ...CONV_CASES,
  { x: [4, 32, 32, 16], filter: [3, 3, 16, 64], strides: 1, pad: 1 },
  { x: [5, 13, 13, 70], filter: [3, 3, 70, 66], strides: 1, pad: 'same' },
  { x: [4, 9, 9, 70], filter: [3, 3, 70, 130], strides: 2, pad: 1 },
  { x: [3, 8, 8, 96], filter: [1, 1, 96, 80], strides: 2, pad: 'valid' },
];

async function compare(name: string, f: () => tf.Tensor): Promise<CheckResult> {
  const expected = await onBackend('cpu', f);
  const actual = await onBackend('webgpu', f);
  return {
    name,
    maxRelativeError: maxRelativeError(actual, expected),
    length: actual.length,
    expectedLength: expected.length,
  };
}

function convChecks(c: ConvCase, rng: Rng): Array<[string, () => tf.Tensor]> {
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

function reductionChecks(rng: Rng): Array<[string, () => tf.Tensor]> {
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
  const out: Array<[string, () => tf.Tensor]> = [];
  for (const [shape, axis, keepDims] of cases) {
    const values = rng.normalArray(shape.reduce((a, b) => a * b, 1)).map((v) => v + 0.5);
    const label = `shape=${shape} axis=${JSON.stringify(axis ?? null)} keepDims=${keepDims}`;
    out.push([`Sum ${label}`, () => tf.tidy(() => tf.sum(tf.tensor(values, shape), axis, keepDims))]);
    out.push([`Mean ${label}`, () => tf.tidy(() => tf.mean(tf.tensor(values, shape), axis, keepDims))]);
  }
  return out;
}

/** Gradients of a conv + training-mode batch norm + ReLU + linear net's cross-entropy. */
function trainingGradientCheck(rng: Rng): [string, () => tf.Tensor] {
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

/**
 * Gradients of the workbench's own WRN (depth 10, widen 1: residual blocks, strided convs,
 * 1×1 shortcuts, training-mode batch norm, both heads) for the summed cross-entropy of both
 * heads: the model is built on each backend from the same seed, so the weights are equal.
 */
function wrnGradientCheck(rng: Rng): [string, () => tf.Tensor] {
  const xValues = rng.uniformArray(4 * 16 * 16 * 3);
  const labels = [3, 1, 4, 1];
  return [
    'gradients of the workbench WRN-10-1 (both heads, training-mode batch norm)',
    () => {
      const model = createModel({
        arch: 'wrn',
        depth: 10,
        widen: 1,
        numClasses: 10,
        numAuxClasses: 5,
        seed: 7,
      });
      try {
        return tf.tidy(() => {
          const x = tf.tensor4d(xValues, [4, 16, 16, 3]);
          const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
          const yAux = tf.oneHot(
            tf.tensor1d(
              labels.map((l) => l % 5),
              'int32',
            ),
            5,
          );
          const { grads } = tf.variableGrads(() => {
            const out = model.forward(x, { training: true, updateStats: false });
            return tf.add(
              tf.losses.softmaxCrossEntropy(y, out.primary),
              tf.losses.softmaxCrossEntropy(yAux, out.aux!),
            ) as tf.Scalar;
          }, model.trainableVariables);
          return tf.concat(model.trainableVariables.map((v) => grads[v.name].flatten()));
        });
      } finally {
        model.dispose();
      }
    },
  ];
}

/**
 * The real training loop on webgpu against cpu: 4 steps of BiaMAT AT (warm-up, one-shot τ from
 * the primary head's confidences, selection, PGD, SGD) from the same weights and batches. Fails
 * with an exception if anything on the training path reads tensors synchronously (tfjs's webgpu
 * backend cannot in Node). Four SGD steps amplify rounding, hence a looser tolerance (seen: 1.2e-7).
 */
async function trainingRunChecks(): Promise<CheckResult[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'biamat-webgpu-train-'));
  try {
    const runOn = async (backend: string) => {
      await tf.setBackend(backend);
      const m = tinyModel();
      const records = await trainRecords(
        m,
        config({ auxMode: 'biamat', warmupEpochs: 0.5 }),
        dataSource(4, true),
        runPaths(tmp, `run-${backend}`, { backend }),
      );
      const weights = new Float32Array((await weightsBlob(m)).buffer);
      m.dispose();
      return { weights, losses: Float32Array.from(records, (r) => r.loss) };
    };
    const cpu = await runOn('cpu');
    const gpu = await runOn('webgpu');
    const result = (name: string, actual: Float32Array, expected: Float32Array): CheckResult => ({
      name,
      maxRelativeError: maxRelativeError(actual, expected),
      length: actual.length,
      expectedLength: expected.length,
      tolerance: 1e-4,
    });
    return [
      result('trainer: step losses of 4 BiaMAT AT steps', gpu.losses, cpu.losses),
      result('trainer: weights after 4 BiaMAT AT steps', gpu.weights, cpu.weights),
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let report: WebGpuReport;
  try {
    const info = await initBackend({ backend: 'webgpu', log: false });
    report = { available: true, device: info.device, oursRegistered: webGpuKernelsRegistered(), results: [] };
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ available: false, reason: (err as Error).message })}\n`);
    return;
  }
  const rng = new Rng(11);
  const checks = [
    ...WEBGPU_CASES.flatMap((c) => convChecks(c, rng)),
    ...reductionChecks(rng),
    trainingGradientCheck(rng),
    wrnGradientCheck(rng),
  ];
  for (const [name, f] of checks) report.results!.push(await compare(name, f));
  report.results!.push(...(await trainingRunChecks()));

  // Repeated backward passes leave no tensors or GPU buffers behind (splits, reshapes).
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
  report.leak = {
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    dataIdsBefore,
    dataIdsAfter: tf.backend().numDataIds(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  tf.env().set('PROD', true);
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
