import * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './types';
import { batchNormTraining } from '../backend/batchnorm';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';

/**
 * The building blocks every architecture in this folder shares: a parameter registry that
 * names variables for checkpoints, conv / linear / batch-norm layers written from plain tf
 * ops, and the input normalisation layer. Layouts follow tfjs (NHWC activations, conv
 * kernels [kh, kw, in, out], linear kernels [in, out]); checkpoint.ts documents how they map
 * to PyTorch's.
 */

/**
 * What a trainable variable is, for rules that treat them differently: the released AT code
 * decays only convolution and dense kernels (not biases, not batch-norm scale and offset).
 */
export type ParamKind = 'kernel' | 'bias' | 'bn';

/** Collects a model's variables with dotted, PyTorch-like names ('block1.0.conv1.weight'). */
export class ParamRegistry {
  readonly trainable: tf.Variable[] = [];
  readonly state: tf.Variable[] = [];
  readonly trainableNames: string[] = [];
  readonly stateNames: string[] = [];
  /** Parallel to `trainable`. */
  readonly trainableKinds: ParamKind[] = [];

  constructor(readonly rng: Rng) {}

  add(name: string, value: tf.Tensor, trainable: boolean, kind: ParamKind = 'kernel'): tf.Variable {
    if (this.trainableNames.includes(name) || this.stateNames.includes(name))
      throw new Error(`duplicate variable name ${name}`);
    // Variables get unique tfjs names so two models can coexist; our names live here.
    const v = tf.variable(value, trainable, undefined, 'float32');
    value.dispose();
    if (trainable) {
      this.trainable.push(v);
      this.trainableNames.push(name);
      this.trainableKinds.push(kind);
    } else {
      this.state.push(v);
      this.stateNames.push(name);
    }
    return v;
  }

  names(): string[] {
    return [...this.trainableNames, ...this.stateNames];
  }

  dispose(): void {
    for (const v of [...this.trainable, ...this.state]) v.dispose();
  }
}

/** Counts float32 parameters of a spec without allocating (see each architecture's `shapes`). */
export function countParams(shapes: { name: string; shape: number[] }[]): number {
  return shapes.reduce((s, v) => s + v.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * 2-D convolution without bias. Kaiming-normal initialisation with fan-out, as both the PyTorch
 * WRN code and Madry's TensorFlow code do: N(0, 2 / (k·k·out)). A numeric `pad` is symmetric like
 * PyTorch's `padding=`; 'same' is TensorFlow's SAME, which at stride 2 pads only bottom and right
 * (the released AT network is TensorFlow code).
 */
export class Conv2d {
  readonly weight: tf.Variable;
  constructor(
    reg: ParamRegistry,
    name: string,
    readonly inCh: number,
    readonly outCh: number,
    readonly kernel: number,
    readonly stride: number,
    readonly pad: number | 'same',
  ) {
    const std = Math.sqrt(2 / (kernel * kernel * outCh));
    const n = kernel * kernel * inCh * outCh;
    this.weight = reg.add(
      `${name}.weight`,
      tf.tensor4d(reg.rng.normalArray(n, 0, std), [kernel, kernel, inCh, outCh]),
      true,
    );
  }

  static shapes(name: string, inCh: number, outCh: number, kernel: number) {
    return [{ name: `${name}.weight`, shape: [kernel, kernel, inCh, outCh] }];
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, this.pad === 0 ? 'valid' : this.pad);
  }
}

/**
 * Fully connected layer, bias zero as the WRN codes set it. Weight init 'pytorch': U(±1/√fan_in),
 * nn.Linear's default; 'unit-scaling': U(±√(3/fan_in)), TensorFlow's uniform unit scaling with
 * factor 1.0 (the released AT network).
 */
export type LinearInit = 'pytorch' | 'unit-scaling';

export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    reg: ParamRegistry,
    name: string,
    readonly inF: number,
    readonly outF: number,
    init: LinearInit = 'pytorch',
  ) {
    const bound = init === 'pytorch' ? 1 / Math.sqrt(inF) : Math.sqrt(3 / inF);
    this.weight = reg.add(
      `${name}.weight`,
      tf.tensor2d(reg.rng.uniformArray(inF * outF, -bound, bound), [inF, outF]),
      true,
    );
    this.bias = reg.add(`${name}.bias`, tf.zeros([outF]), true, 'bias');
  }

  static shapes(name: string, inF: number, outF: number) {
    return [
      { name: `${name}.weight`, shape: [inF, outF] },
      { name: `${name}.bias`, shape: [outF] },
    ];
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias);
  }
}

/**
 * Batch normalisation over N, H, W, written from tf.moments and elementwise ops because
 * tf.batchNorm's gradient throws on the webgpu backend. PyTorch semantics: training mode
 * normalises with the biased batch variance and, with updateStats, moves the running averages
 * by momentum 0.1 toward the batch mean and the UNBIASED batch variance; eval mode uses the
 * running averages.
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  constructor(
    reg: ParamRegistry,
    name: string,
    readonly channels: number,
    readonly momentum = 0.1,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = reg.add(`${name}.weight`, tf.ones([channels]), true, 'bn');
    this.beta = reg.add(`${name}.bias`, tf.zeros([channels]), true, 'bn');
    this.runningMean = reg.add(`${name}.running_mean`, tf.zeros([channels]), false);
    this.runningVar = reg.add(`${name}.running_var`, tf.ones([channels]), false);
  }

  static shapes(name: string, channels: number) {
    return ['weight', 'bias', 'running_mean', 'running_var'].map((k) => ({
      name: `${name}.${k}`,
      shape: [channels],
    }));
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    if (mode.training) {
      // Batch statistics with a hand-written gradient (src/backend/batchnorm.ts): autodiff
      // through tf.moments builds about twice as many full-size temporaries, and batch norm was
      // the largest kernel cost of an AT step on wasm (docs/bench.md).
      const { y, mean, variance } = batchNormTraining(x, this.gamma, this.beta, this.epsilon);
      if (mode.updateStats !== false) {
        const n = x.shape[0] * x.shape[1] * x.shape[2];
        const unbiased = n > 1 ? n / (n - 1) : 1;
        // tf.tidy keeps nothing of this; assign() holds the new data. The update is not on any
        // path to a loss, so an enclosing gradient tape ignores it.
        tf.tidy(() => {
          this.runningMean.assign(
            tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(mean, this.momentum)),
          );
          this.runningVar.assign(
            tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(variance, this.momentum * unbiased)),
          );
        });
      }
      mean.dispose();
      variance.dispose();
      return y;
    }
    const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(this.runningVar, this.epsilon)));
    const shift = tf.sub(this.beta, tf.mul(this.runningMean, scale));
    return tf.add(tf.mul(x, scale), shift);
  }
}

/** Per-channel (x − mean) / std inside the model, so attacks and data stay in [0,1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

export class InputNormalization {
  private readonly mean: tf.Tensor1D | null;
  private readonly invStd: tf.Tensor1D | null;
  constructor(norm: Normalization | null | undefined, channels: number) {
    if (!norm) {
      this.mean = this.invStd = null;
      return;
    }
    if (norm.mean.length !== channels || norm.std.length !== channels)
      throw new UserError(
        `normalization mean/std must have ${channels} entries, got ${norm.mean.length}/${norm.std.length}`,
        'give one mean and one std per input channel, or omit normalization for [0,1] input',
      );
    if (norm.std.some((s) => !(s > 0)) || norm.mean.some((m) => !Number.isFinite(m)))
      throw new UserError(
        `normalization std must be positive and mean finite, got mean=${norm.mean} std=${norm.std}`,
        'use e.g. CIFAR-10 mean [0.4914, 0.4822, 0.4465] and std [0.2471, 0.2435, 0.2616]',
      );
    this.mean = tf.keep(tf.tensor1d(norm.mean));
    this.invStd = tf.keep(tf.tensor1d(norm.std.map((s) => 1 / s)));
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    if (!this.mean || !this.invStd) return x;
    return tf.mul(tf.sub(x, this.mean), this.invStd);
  }

  dispose(): void {
    this.mean?.dispose();
    this.invStd?.dispose();
  }
}

/** Global average pooling NHWC → [N, C]. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
