/**
 * SGD with momentum and weight decay exactly as PyTorch's `torch.optim.SGD` (dampening 0,
 * no Nesterov), which the released code uses on ALL trainable variables (BN scale and
 * offset included):
 *   g = ∇w + wd·w;   buf = g (first step) or momentum·buf + g;   w ← w − lr·buf
 * Its momentum buffers are part of the checkpoint, so a resumed run continues exactly.
 */
import * as tf from '@tensorflow/tfjs';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class SgdMomentum {
  private buffers: tf.Variable[] | null = null;

  constructor(
    readonly variables: tf.Variable[],
    readonly opts: SgdOptions,
  ) {}

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
        const g = this.opts.weightDecay !== 0 ? tf.add(grad, tf.mul(w, this.opts.weightDecay)) : grad;
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
