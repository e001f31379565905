/**
 * Checks our webgpu kernels against the cpu backend and prints one JSON report (a
 * `WebGpuReport`) on stdout: the kernel checks of src/backend/webgpu/check.ts plus the
 * gradients of the workbench's WRN and four steps of the real trainer. Run by
 * test/webgpu-kernels.test.ts in a child process: the `webgpu` (Dawn) package is ESM and jest's
 * CommonJS sandbox cannot import() it. Where no WebGPU adapter exists it reports
 * { available: false, reason } and exits 0; the test decides whether that is acceptable.
 *
 *   BIAMAT_WEBGPU_KERNELS=all npx tsx bench/webgpu-check.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, webGpuKernelsRegistered } from '../src/backend';
import { maxRelativeError } from '../src/backend/kernel-check';
import {
  compareWithCpu,
  webGpuKernelChecks,
  webGpuLeakCheck,
  type Check,
  type CheckResult,
  type WebGpuReport,
} from '../src/backend/webgpu/check';
import { createModel } from '../src/models';
import { weightsBlob } from '../src/train/resume';
import { runPaths } from '../src/train/run-cache';
import { Rng } from '../src/util/rng';
import { config, dataSource, model as tinyModel, trainRecords } from './tiny-training';

/**
 * Gradients of the workbench's own WRN (depth 10, widen 1: residual blocks, strided convs,
 * 1×1 shortcuts, training-mode batch norm, both heads) for the summed cross-entropy of both
 * heads: the model is built on each backend from the same seed, so the weights are equal.
 */
function wrnGradientCheck(rng: Rng): Check {
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
  const checks = [...webGpuKernelChecks(rng), wrnGradientCheck(rng)];
  for (const [name, f] of checks) report.results!.push(await compareWithCpu(name, f));
  report.results!.push(...(await trainingRunChecks()));
  report.leak = await webGpuLeakCheck();
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
