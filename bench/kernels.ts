/**
 * Kernel micro-benchmark on wasm: tfjs-wasm's own Conv2DBackpropInput against ours (XNNPACK
 * stride phases), with the forward Conv2D and our Conv2DBackpropFilter for scale, at the conv
 * shapes of WRN-16-4 and small-cnn. CPU time (process.cpuUsage), median of --reps.
 *
 *   npx tsx bench/kernels.ts --batch 32 --reps 3
 */
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { batchNormElementwise, batchNormTraining, registerWasmTrainingKernels } from '../src/backend';
import { runMain } from '../src/util/errors';

interface ConvShape {
  name: string;
  hw: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
}

/** WRN-16-4's distinct conv shapes (pad 1 for 3×3, 0 for the 1×1 shortcuts) and small-cnn's first conv. */
const SHAPES: ConvShape[] = [
  { name: 'stem 3→16', hw: 32, cin: 3, cout: 16, k: 3, stride: 1 },
  { name: 'g1 64→64', hw: 32, cin: 64, cout: 64, k: 3, stride: 1 },
  { name: 'g2 64→128 s2', hw: 32, cin: 64, cout: 128, k: 3, stride: 2 },
  { name: 'g2 shortcut 1×1 s2', hw: 32, cin: 64, cout: 128, k: 1, stride: 2 },
  { name: 'g2 128→128', hw: 16, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'g3 256→256', hw: 8, cin: 256, cout: 256, k: 3, stride: 1 },
];

function cpuMs(f: () => tf.Tensor, reps: number): number {
  tf.dispose(f()); // warm-up: XNNPACK operator creation, heap growth
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = process.cpuUsage();
    const out = f();
    out.dataSync();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
    out.dispose();
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const opts = new Command('bench-kernels')
    .option('--batch <n>', 'batch size', (v) => Number(v), 32)
    .option('--reps <n>', 'repetitions (median)', (v) => Number(v), 3)
    .parse(process.argv)
    .opts<{ batch: number; reps: number }>();
  // Capture tfjs-wasm's own kernel before ours replaces it, then switch between the two.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const builtin = { ...tf.getKernel('Conv2DBackpropInput', 'wasm')! };
  registerWasmTrainingKernels();
  const ours = { ...tf.getKernel('Conv2DBackpropInput', 'wasm')! };
  const use = (k: tf.KernelConfig) => {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(k);
  };
  console.log(`wasm kernels, batch ${opts.batch}, CPU ms (median of ${opts.reps})`);
  console.log('| layer | Conv2D fwd | dx tfjs-wasm | dx ours | speed-up | dW ours |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const s of SHAPES) {
    const pad = s.k === 3 ? 1 : 0;
    const xShape: [number, number, number, number] = [opts.batch, s.hw, s.hw, s.cin];
    const x = tf.randomNormal(xShape) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.cin, s.cout]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s.stride, pad);
    const dy = tf.randomNormal(y.shape);
    const attrs = { strides: s.stride, pad, dataFormat: 'NHWC' };
    const dx = () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
        ...attrs,
        inputShape: xShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const fwd = cpuMs(() => tf.conv2d(x, w, s.stride, pad), opts.reps);
    use(builtin);
    const dxBuiltin = cpuMs(dx, opts.reps);
    use(ours);
    const dxOurs = cpuMs(dx, opts.reps);
    const dw = cpuMs(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          ...attrs,
          filterShape: w.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      opts.reps,
    );
    console.log(
      `| ${s.name} (${s.hw}×${s.hw}) | ${fwd.toFixed(0)} | ${dxBuiltin.toFixed(0)} | ${dxOurs.toFixed(0)} | ` +
        `${(dxBuiltin / dxOurs).toFixed(1)}× | ${dw.toFixed(0)} |`,
    );
    tf.dispose([x, w, y, dy]);
  }

  // Training-mode batch norm, forward + backward (the gradient with respect to x, γ and β).
  console.log('\n| batch norm fwd+bwd | autodiff (moments + elementwise) | batchNormTraining | speed-up |');
  console.log('|---|---:|---:|---:|');
  for (const [hw, c] of [
    [32, 64],
    [16, 128],
    [8, 256],
  ]) {
    const x = tf.randomNormal([opts.batch, hw, hw, c]) as tf.Tensor4D;
    const gamma = tf.ones([c]);
    const beta = tf.zeros([c]);
    const dy = tf.randomNormal(x.shape);
    const gradsOf = (f: (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () =>
      tf.tidy(() => {
        const grads = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(xx, g, b), dy)),
        )([x, gamma, beta]);
        return tf.concat(grads.map((g) => g.flatten()));
      });
    const autodiff = cpuMs(
      gradsOf((xx, g, b) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return batchNormElementwise(xx, mean, variance, b, g);
      }),
      opts.reps,
    );
    const fused = cpuMs(
      gradsOf((xx, g, b) => {
        const { y, mean, variance } = batchNormTraining(xx as tf.Tensor4D, g, b);
        tf.dispose([mean, variance]);
        return y;
      }),
      opts.reps,
    );
    console.log(
      `| ${hw}×${hw}×${c} | ${autodiff.toFixed(0)} | ${fused.toFixed(0)} | ${(autodiff / fused).toFixed(1)}× |`,
    );
    tf.dispose([x, gamma, beta, dy]);
  }
}

runMain(main);
