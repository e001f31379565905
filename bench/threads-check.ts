/**
 * One conv+BN training step (SGD-momentum, train-mode batch norm), one PGD-10 AT step and a
 * PGD-10 attack (eval-mode batch norm) of the small CNN on the wasm backend, from fixed seeds;
 * prints one JSON line (a `ThreadsReport`) with the numbers they produce: the weights after
 * each step and the adversarial images. test/backend-threads.test.ts runs it at 1 and at 2
 * threads, each in a process of its own (the thread count is fixed when the wasm module starts),
 * compares the numbers and checks that the process ends by itself, with no worker left keeping
 * it alive.
 *
 *   BIAMAT_THREADS=2 npx tsx bench/threads-check.ts
 */
import * as tf from '@tensorflow/tfjs';
import { PGD } from '../src/attacks';
import { initBackend } from '../src/backend';
import { asClassifier } from '../src/models';
import { setupBench, stepFunction } from './workloads';

export interface ThreadsReport {
  /** The backend line initBackend printed. */
  line: string;
  threads: number;
  /** Trainable weights after one clean training step, then after one PGD-10 AT step. */
  cleanStep: number[];
  atStep: number[];
  /** PGD-10 adversarial examples (ε = 8/255) against the trained model in eval mode. */
  pgd: number[];
}

async function weights(setup: ReturnType<typeof setupBench>): Promise<number[]> {
  const flat = tf.tidy(() => tf.concat(setup.model.trainableVariables.map((v) => v.flatten())));
  const values = Array.from(await flat.data());
  flat.dispose();
  return values;
}

async function step(run: () => tf.Scalar): Promise<void> {
  const loss = run();
  await loss.data();
  loss.dispose();
}

async function main(): Promise<void> {
  const backend = await initBackend({ backend: 'wasm', log: false });
  // Batch 16 of 32×32 images: enough rows for XNNPACK to split every conv across threads.
  const setup = setupBench('small-cnn', 16, 32, 5);
  await step(stepFunction('clean', setup));
  const cleanStep = await weights(setup);
  await step(stepFunction('at', setup));
  const atStep = await weights(setup);
  const y = tf.argMax(setup.y, 1) as tf.Tensor1D;
  const xAdv = await new PGD({ eps: 8 / 255, seed: 3 }).perturb(
    asClassifier(setup.model, 'primary', 'eval'),
    setup.x,
    y,
  );
  const pgd = Array.from(await xAdv.data());
  tf.dispose([xAdv, y]);
  const report: ThreadsReport = {
    line: backend.line,
    threads: backend.threads,
    cleanStep,
    atStep,
    pgd,
  };
  setup.dispose();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// No process.exit: the caller checks that the process ends on its own once the work is done.
if (require.main === module) {
  tf.env().set('PROD', true);
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
