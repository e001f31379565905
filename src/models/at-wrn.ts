import * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './types';
import { BatchNorm, Conv2d, globalAvgPool, type ParamRegistry } from './layers';
import type { Trunk } from './two-head';
import { blocksPerGroup } from './wrn';
import { UserError } from '../util/errors';

/**
 * The released AT network (`AT/model_biamat.py`, Madry et al.'s CIFAR-10 challenge ResNet with
 * `--n 4`: WRN-28-10), which is NOT the TRADES WRN of wrn.ts:
 * - per-image standardisation of the input: (x − mean(x)) / max(std(x), 1/√(H·W·C)), over each
 *   image's pixels and channels (TensorFlow's per_image_standardization), no dataset mean/std;
 * - conv3×3(16), then three stages of n pre-activation units, widths 16k / 32k / 64k (160 / 320 /
 *   640), strides 1 / 2 / 2; every activation a leaky ReLU with slope 0.1;
 * - the first unit of the first stage activates before the residual split (its shortcut carries
 *   the activated input); every other unit's shortcut carries the raw input;
 * - where the width changes the shortcut is average pooling (kernel = stride, 'valid') followed
 *   by zero channels padded evenly on both sides — no 1×1 convolution, no parameters;
 * - the end is BN → leaky ReLU 0.1 → global average pool; TensorFlow SAME padding throughout;
 * - heads initialised by uniform unit scaling (factor 1), convs N(0, 2/(k·k·out)).
 * Batch norm keeps PyTorch's parametrisation (momentum 0.1 = TensorFlow's decay 0.9, ε 1e-5).
 */
export class AtWideResNetTrunk implements Trunk {
  readonly featureDim: number;
  readonly headInit = 'unit-scaling' as const;
  private readonly conv: Conv2d;
  private readonly units: AtUnit[] = [];
  private readonly bn: BatchNorm;

  constructor(reg: ParamRegistry, inputChannels: number, depth: number, widen: number) {
    this.conv = new Conv2d(reg, 'init_conv', inputChannels, 16, 3, 1, 'same');
    for (const u of unitLayout(depth, widen))
      this.units.push(new AtUnit(reg, u.name, u.inCh, u.outCh, u.stride, u.activateBeforeResidual));
    this.bn = new BatchNorm(reg, 'final_bn', 64 * widen);
    this.featureDim = 64 * widen;
  }

  static shapes(inputChannels: number, depth: number, widen: number): { name: string; shape: number[] }[] {
    return [
      ...Conv2d.shapes('init_conv', inputChannels, 16, 3),
      ...unitLayout(depth, widen).flatMap((u) => AtUnit.shapes(u.name, u.inCh, u.outCh)),
      ...BatchNorm.shapes('final_bn', 64 * widen),
    ];
  }

  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    // As in the released code, the pooled shortcut and the SAME-padded stride-2 conv only agree
    // in size when the stage inputs have even height and width.
    if (x.shape[1] % 4 !== 0 || x.shape[2] % 4 !== 0)
      throw new UserError(
        `at-wrn: image size ${x.shape[1]}×${x.shape[2]} is not divisible by 4`,
        'use 32×32 images (or any multiple of 4) with the AT network',
      );
    let h = this.conv.apply(perImageStandardization(x));
    for (const u of this.units) h = u.apply(h, mode);
    return globalAvgPool(leakyRelu(this.bn.apply(h, mode)));
  }
}

const leakyRelu = (x: tf.Tensor4D): tf.Tensor4D => tf.leakyRelu(x, 0.1);

/** (x − mean) / max(std, 1/√N) per image, N = H·W·C: TensorFlow's per_image_standardization. */
export function perImageStandardization(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  const { mean, variance } = tf.moments(x, [1, 2, 3], true);
  const adjustedStd = tf.maximum(tf.sqrt(variance), 1 / Math.sqrt(h * w * c));
  return tf.div(tf.sub(x, mean), adjustedStd);
}

function unitLayout(depth: number, widen: number) {
  const n = blocksPerGroup(depth);
  const widths = [16, 16 * widen, 32 * widen, 64 * widen];
  const strides = [1, 2, 2];
  return [0, 1, 2].flatMap((s) =>
    Array.from({ length: n }, (_, i) => ({
      name: `unit_${s + 1}_${i}`,
      inCh: i === 0 ? widths[s] : widths[s + 1],
      outCh: widths[s + 1],
      stride: i === 0 ? strides[s] : 1,
      activateBeforeResidual: s === 0 && i === 0,
    })),
  );
}

class AtUnit {
  private readonly bn1: BatchNorm;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly conv2: Conv2d;

  constructor(
    reg: ParamRegistry,
    name: string,
    private readonly inCh: number,
    private readonly outCh: number,
    private readonly stride: number,
    private readonly activateBeforeResidual: boolean,
  ) {
    this.bn1 = new BatchNorm(reg, `${name}.bn1`, inCh);
    this.conv1 = new Conv2d(reg, `${name}.conv1`, inCh, outCh, 3, stride, 'same');
    this.bn2 = new BatchNorm(reg, `${name}.bn2`, outCh);
    this.conv2 = new Conv2d(reg, `${name}.conv2`, outCh, outCh, 3, 1, 'same');
  }

  static shapes(name: string, inCh: number, outCh: number): { name: string; shape: number[] }[] {
    return [
      ...BatchNorm.shapes(`${name}.bn1`, inCh),
      ...Conv2d.shapes(`${name}.conv1`, inCh, outCh, 3),
      ...BatchNorm.shapes(`${name}.bn2`, outCh),
      ...Conv2d.shapes(`${name}.conv2`, outCh, outCh, 3),
    ];
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const act = leakyRelu(this.bn1.apply(x, mode));
    const out = this.conv2.apply(leakyRelu(this.bn2.apply(this.conv1.apply(act), mode)));
    return tf.add(this.shortcut(this.activateBeforeResidual ? act : x), out);
  }

  /** Average pooling (kernel = stride) and zero channels on both sides where the width changes. */
  private shortcut(x: tf.Tensor4D): tf.Tensor4D {
    if (this.inCh === this.outCh) return x;
    let h = x;
    if (this.stride > 1) {
      // A k×k average with stride k as reshape + mean: exact, and differentiable on every backend.
      const [n, hh, ww, c] = x.shape;
      const s = this.stride;
      h = tf.mean(tf.reshape(x, [n, hh / s, s, ww / s, s, c]), [2, 4]) as tf.Tensor4D;
    }
    const pad = (this.outCh - this.inCh) / 2;
    return tf.pad(h, [
      [0, 0],
      [0, 0],
      [0, 0],
      [pad, pad],
    ]);
  }
}
