import * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './types';
import { BatchNorm, Conv2d, globalAvgPool, type ParamRegistry } from './layers';
import type { Trunk } from './two-head';

/**
 * A three-conv network for smoke runs and tests (not in the paper): conv3×3(w) → BN → ReLU →
 * conv3×3(2w, stride 2) → BN → ReLU → conv3×3(4w, stride 2) → BN → ReLU → global average pool.
 * Feature dimension 4w. Works on any input size ≥ 4 (8×8 test images, 32×32 CIFAR).
 */
export class SmallCnnTrunk implements Trunk {
  readonly featureDim: number;
  private readonly layers: { conv: Conv2d; bn: BatchNorm }[];

  constructor(reg: ParamRegistry, inputChannels: number, width: number) {
    const chans = [inputChannels, width, 2 * width, 4 * width];
    this.layers = [0, 1, 2].map((i) => ({
      conv: new Conv2d(reg, `conv${i + 1}`, chans[i], chans[i + 1], 3, i === 0 ? 1 : 2, 1),
      bn: new BatchNorm(reg, `bn${i + 1}`, chans[i + 1]),
    }));
    this.featureDim = 4 * width;
  }

  static shapes(inputChannels: number, width: number): { name: string; shape: number[] }[] {
    const chans = [inputChannels, width, 2 * width, 4 * width];
    return [0, 1, 2].flatMap((i) => [
      ...Conv2d.shapes(`conv${i + 1}`, chans[i], chans[i + 1], 3),
      ...BatchNorm.shapes(`bn${i + 1}`, chans[i + 1]),
    ]);
  }

  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    let h = x;
    for (const { conv, bn } of this.layers) h = tf.relu(bn.apply(conv.apply(h), mode));
    return globalAvgPool(h);
  }
}
