/**
 * SGD with momentum and weight decay exactly as PyTorch's `torch.optim.SGD` (dampening 0,
 * no Nesterov):
 *   g = ∇w + wd·w;   buf = g (first step) or momentum·buf + g;   w ← w − lr·buf
 * TensorFlow's MomentumOptimizer on a loss with wd·½‖w‖² (the released AT code) is the same
 * update. Which variables decay differs: the released TRADES code decays every trainable
 * variable, the released AT code only convolution and dense kernels (`decayMask`).
 * Its momentum buffers are part of the checkpoint, so a resumed run continues exactly.
 */
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../models/types';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  /** Parallel to the variables: which ones weight decay applies to (default: all). */
  decayMask?: boolean[];
}

export class SgdMomentum {
  private buffers: tf.Variable[] | null = null;

  constructor(
    readonly variables: tf.Variable[],
    readonly opts: SgdOptions,
  ) {
    if (opts.decayMask && opts.decayMask.length !== variables.length)
      throw new RangeError(
        `SgdMomentum: decayMask has ${opts.decayMask.length} entries for ${variables.length} variables`,
      );
  }

  /**
   * One update with learning rate `lr`; `grads` parallel to `variables`. A variable without a
   * gradient (undefined: it did not take part in the loss, e.g. the aux head when every aux
   * sample is low) is skipped entirely, no weight decay or momentum, as PyTorch skips
   * parameters whose .grad is None. Does not dispose grads.
   */
  step(grads: (tf.Tensor | undefined)[], lr: number): void {
    if (grads.length !== this.variables.length)
      throw new RangeError(`SgdMomentum.step: ${grads.length} grads for ${this.variables.length} variables`);
    const first = this.buffers === null;
    if (first) this.buffers = this.variables.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    const buffers = this.buffers as tf.Variable[];
    tf.tidy(() => {
      this.variables.forEach((w, i) => {
        const grad = grads[i];
        if (grad === undefined) return;
        const decays = this.opts.weightDecay !== 0 && (this.opts.decayMask?.[i] ?? true);
        const g = decays ? tf.add(grad, tf.mul(w, this.opts.weightDecay)) : grad;
        const buf = first ? g : tf.add(tf.mul(buffers[i], this.opts.momentum), g);
        buffers[i].assign(buf);
        w.assign(tf.sub(w, tf.mul(buf, lr)));
      });
    });
  }

  /** Momentum buffers as plain arrays (empty before the first step), for checkpoints. */
  async getState(): Promise<Float32Array[]> {
    if (!this.buffers) return [];
    return Promise.all(this.buffers.map(async (b) => (await b.data()) as Float32Array));
  }

  setState(state: Float32Array[]): void {
    this.disposeBuffers();
    if (state.length === 0) return;
    if (state.length !== this.variables.length)
      throw new RangeError(
        `SgdMomentum.setState: ${state.length} buffers for ${this.variables.length} variables`,
      );
    this.buffers = this.variables.map((v, i) =>
      tf.tidy(() => tf.variable(tf.tensor(state[i], v.shape), false)),
    );
  }

  dispose(): void {
    this.disposeBuffers();
  }

  private disposeBuffers(): void {
    this.buffers?.forEach((b) => b.dispose());
    this.buffers = null;
  }
}

/** SGD over a model's trainable variables, decaying 'all' of them or conv/dense 'kernels' only. */
export function sgdFor(
  model: TwoHeadModel,
  opts: { momentum: number; weightDecay: number; weightDecayOn: 'all' | 'kernels' },
): SgdMomentum {
  return new SgdMomentum(model.trainableVariables, {
    momentum: opts.momentum,
    weightDecay: opts.weightDecay,
    decayMask: model.trainableKinds.map((k) => opts.weightDecayOn === 'all' || k === 'kernel'),
  });
}
