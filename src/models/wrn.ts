import * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './types';
import { BatchNorm, Conv2d, globalAvgPool, type ParamRegistry } from './layers';
import type { Trunk } from './two-head';
import { UserError } from '../util/errors';

/**
 * Wide ResNet WRN-d-k (Zagoruyko & Komodakis 2016) as the Madry/TRADES/BiaMAT code builds it:
 * conv3×3(16), then three groups of n = (d−4)/6 pre-activation basic blocks with widths 16k,
 * 32k, 64k (strides 1, 2, 2), then BN → ReLU → global average pool. Block: BN → ReLU → conv3×3
 * (stride s) → BN → ReLU → conv3×3; when the shape changes the shortcut is a 1×1 conv of the
 * pre-activated input, otherwise the identity of the raw input. No dropout (dropRate 0 in the
 * released code). Deviation: TRADES' WRN-34-10 also allocates an unused `sub_block1`; we do
 * not, so our parameter count omits it (forward pass identical).
 */
export class WideResNetTrunk implements Trunk {
  readonly featureDim: number;
  private readonly conv1: Conv2d;
  private readonly blocks: PreActBlock[] = [];
  private readonly bn: BatchNorm;

  constructor(reg: ParamRegistry, inputChannels: number, depth: number, widen: number) {
    const n = blocksPerGroup(depth);
    const widths = [16, 16 * widen, 32 * widen, 64 * widen];
    this.conv1 = new Conv2d(reg, 'conv1', inputChannels, 16, 3, 1, 1);
    for (let g = 0; g < 3; g++)
      for (let i = 0; i < n; i++) {
        const inCh = i === 0 ? widths[g] : widths[g + 1];
        const stride = i === 0 && g > 0 ? 2 : 1;
        this.blocks.push(new PreActBlock(reg, `block${g + 1}.layer.${i}`, inCh, widths[g + 1], stride));
      }
    this.bn = new BatchNorm(reg, 'bn1', widths[3]);
    this.featureDim = widths[3];
  }

  static shapes(inputChannels: number, depth: number, widen: number): { name: string; shape: number[] }[] {
    const n = blocksPerGroup(depth);
    const widths = [16, 16 * widen, 32 * widen, 64 * widen];
    const out = [...Conv2d.shapes('conv1', inputChannels, 16, 3)];
    for (let g = 0; g < 3; g++)
      for (let i = 0; i < n; i++)
        out.push(
          ...PreActBlock.shapes(
            `block${g + 1}.layer.${i}`,
            i === 0 ? widths[g] : widths[g + 1],
            widths[g + 1],
          ),
        );
    out.push(...BatchNorm.shapes('bn1', widths[3]));
    return out;
  }

  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    let h = this.conv1.apply(x);
    for (const b of this.blocks) h = b.apply(h, mode);
    return globalAvgPool(tf.relu(this.bn.apply(h, mode)));
  }
}

export function blocksPerGroup(depth: number): number {
  if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0)
    throw new UserError(
      `WRN depth must be 6n+4 with n ≥ 1 (10, 16, 22, 28, 34, …), got ${depth}`,
      'set depth to e.g. 28 (AT) or 34 (TRADES)',
    );
  return (depth - 4) / 6;
}

class PreActBlock {
  private readonly bn1: BatchNorm;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly shortcut: Conv2d | null;

  constructor(reg: ParamRegistry, name: string, inCh: number, outCh: number, stride: number) {
    this.bn1 = new BatchNorm(reg, `${name}.bn1`, inCh);
    this.conv1 = new Conv2d(reg, `${name}.conv1`, inCh, outCh, 3, stride, 1);
    this.bn2 = new BatchNorm(reg, `${name}.bn2`, outCh);
    this.conv2 = new Conv2d(reg, `${name}.conv2`, outCh, outCh, 3, 1, 1);
    this.shortcut =
      inCh === outCh ? null : new Conv2d(reg, `${name}.convShortcut`, inCh, outCh, 1, stride, 0);
  }

  static shapes(name: string, inCh: number, outCh: number): { name: string; shape: number[] }[] {
    return [
      ...BatchNorm.shapes(`${name}.bn1`, inCh),
      ...Conv2d.shapes(`${name}.conv1`, inCh, outCh, 3),
      ...BatchNorm.shapes(`${name}.bn2`, outCh),
      ...Conv2d.shapes(`${name}.conv2`, outCh, outCh, 3),
      ...(inCh === outCh ? [] : Conv2d.shapes(`${name}.convShortcut`, inCh, outCh, 1)),
    ];
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const act = tf.relu(this.bn1.apply(x, mode));
    const out = this.conv2.apply(tf.relu(this.bn2.apply(this.conv1.apply(act), mode)));
    return tf.add(this.shortcut ? this.shortcut.apply(act) : x, out);
  }
}
