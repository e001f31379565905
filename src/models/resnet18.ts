import * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './types';
import { BatchNorm, Conv2d, globalAvgPool, type ParamRegistry } from './layers';
import type { Trunk } from './two-head';

/**
 * ResNet-18, CIFAR variant (He et al. 2016 as in the widely used kuangliu/pytorch-cifar code
 * the paper's Table 5 follows): conv3×3(64) → BN → ReLU (no max-pool), four stages of two
 * post-activation basic blocks with widths 64, 128, 256, 512 (strides 1, 2, 2, 2), global
 * average pool. Block: conv3×3 → BN → ReLU → conv3×3 → BN, plus the shortcut (1×1 conv + BN
 * when the shape changes), then ReLU.
 */
export class ResNet18Trunk implements Trunk {
  readonly featureDim: number;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm;
  private readonly blocks: BasicBlock[] = [];

  constructor(reg: ParamRegistry, inputChannels: number, width = 64) {
    this.conv1 = new Conv2d(reg, 'conv1', inputChannels, width, 3, 1, 1);
    this.bn1 = new BatchNorm(reg, 'bn1', width);
    for (const [name, inCh, outCh, stride] of ResNet18Trunk.plan(width))
      this.blocks.push(new BasicBlock(reg, name, inCh, outCh, stride));
    this.featureDim = 8 * width;
  }

  private static plan(width: number): [string, number, number, number][] {
    const out: [string, number, number, number][] = [];
    let inCh = width;
    for (let s = 0; s < 4; s++) {
      const outCh = width * 2 ** s;
      for (let i = 0; i < 2; i++) {
        out.push([`layer${s + 1}.${i}`, inCh, outCh, i === 0 && s > 0 ? 2 : 1]);
        inCh = outCh;
      }
    }
    return out;
  }

  static shapes(inputChannels: number, width = 64): { name: string; shape: number[] }[] {
    return [
      ...Conv2d.shapes('conv1', inputChannels, width, 3),
      ...BatchNorm.shapes('bn1', width),
      ...ResNet18Trunk.plan(width).flatMap(([name, inCh, outCh, stride]) =>
        BasicBlock.shapes(name, inCh, outCh, stride),
      ),
    ];
  }

  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    let h = tf.relu(this.bn1.apply(this.conv1.apply(x), mode));
    for (const b of this.blocks) h = b.apply(h, mode);
    return globalAvgPool(h);
  }
}

class BasicBlock {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly shortcut: { conv: Conv2d; bn: BatchNorm } | null;

  constructor(reg: ParamRegistry, name: string, inCh: number, outCh: number, stride: number) {
    this.conv1 = new Conv2d(reg, `${name}.conv1`, inCh, outCh, 3, stride, 1);
    this.bn1 = new BatchNorm(reg, `${name}.bn1`, outCh);
    this.conv2 = new Conv2d(reg, `${name}.conv2`, outCh, outCh, 3, 1, 1);
    this.bn2 = new BatchNorm(reg, `${name}.bn2`, outCh);
    this.shortcut =
      stride !== 1 || inCh !== outCh
        ? {
            conv: new Conv2d(reg, `${name}.shortcut.0`, inCh, outCh, 1, stride, 0),
            bn: new BatchNorm(reg, `${name}.shortcut.1`, outCh),
          }
        : null;
  }

  static shapes(
    name: string,
    inCh: number,
    outCh: number,
    stride: number,
  ): { name: string; shape: number[] }[] {
    return [
      ...Conv2d.shapes(`${name}.conv1`, inCh, outCh, 3),
      ...BatchNorm.shapes(`${name}.bn1`, outCh),
      ...Conv2d.shapes(`${name}.conv2`, outCh, outCh, 3),
      ...BatchNorm.shapes(`${name}.bn2`, outCh),
      ...(stride !== 1 || inCh !== outCh
        ? [
            ...Conv2d.shapes(`${name}.shortcut.0`, inCh, outCh, 1),
            ...BatchNorm.shapes(`${name}.shortcut.1`, outCh),
          ]
        : []),
    ];
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const out = this.bn2.apply(this.conv2.apply(tf.relu(this.bn1.apply(this.conv1.apply(x), mode))), mode);
    const short = this.shortcut ? this.shortcut.bn.apply(this.shortcut.conv.apply(x), mode) : x;
    return tf.relu(tf.add(out, short) as tf.Tensor4D);
  }
}
