import * as tf from '@tensorflow/tfjs';
import type { ForwardMode, TwoHeadModel } from './types';
import {
  InputNormalization,
  Linear,
  ParamRegistry,
  type LinearInit,
  type Normalization,
  type ParamKind,
} from './layers';
import { Rng } from '../util/rng';
import { UserError } from '../util/errors';

/** A trunk g: normalised [N,H,W,C] input → [N, featureDim] features. */
export interface Trunk {
  readonly featureDim: number;
  /** How the heads on top are initialised (default: PyTorch's nn.Linear). */
  readonly headInit?: LinearInit;
  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D;
}

export interface TwoHeadOptions {
  arch: string;
  numClasses: number;
  numAuxClasses: number;
  normalization?: Normalization | null;
  inputChannels: number;
  seed: number;
}

/**
 * Shared trunk + primary head `fc` (K classes) + auxiliary head `fc_aux` (K~ classes, absent
 * when K~ = 0): the network BiaMAT trains (docs/method.md §1). The trunk is built by the architecture
 * file through `buildTrunk`, with the same seeded registry, so initialisation is reproducible
 * from `seed` alone.
 */
export class TwoHeadNet implements TwoHeadModel {
  readonly arch: string;
  readonly numClasses: number;
  readonly numAuxClasses: number;
  private readonly reg: ParamRegistry;
  private readonly norm: InputNormalization;
  private readonly trunk: Trunk;
  private readonly head: Linear;
  private readonly auxHead: Linear | null;

  constructor(opts: TwoHeadOptions, buildTrunk: (reg: ParamRegistry) => Trunk) {
    checkClassCount('numClasses', opts.numClasses, 1);
    checkClassCount('numAuxClasses', opts.numAuxClasses, 0);
    this.arch = opts.arch;
    this.numClasses = opts.numClasses;
    this.numAuxClasses = opts.numAuxClasses;
    this.reg = new ParamRegistry(new Rng(opts.seed).fork('init'));
    this.norm = new InputNormalization(opts.normalization, opts.inputChannels);
    this.trunk = buildTrunk(this.reg);
    const init = this.trunk.headInit ?? 'pytorch';
    this.head = new Linear(this.reg, 'fc', this.trunk.featureDim, opts.numClasses, init);
    this.auxHead =
      opts.numAuxClasses > 0
        ? new Linear(this.reg, 'fc_aux', this.trunk.featureDim, opts.numAuxClasses, init)
        : null;
  }

  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    return tf.tidy(() => this.trunk.features(this.norm.apply(x), mode));
  }

  forward(x: tf.Tensor4D, mode: ForwardMode): { primary: tf.Tensor2D; aux: tf.Tensor2D | null } {
    const feats = this.features(x, mode);
    const primary = this.head.apply(feats);
    const aux = this.auxHead ? this.auxHead.apply(feats) : null;
    feats.dispose();
    return { primary, aux };
  }

  get trainableVariables(): tf.Variable[] {
    return this.reg.trainable;
  }

  get stateVariables(): tf.Variable[] {
    return this.reg.state;
  }

  get trainableKinds(): ParamKind[] {
    return this.reg.trainableKinds;
  }

  variableNames(): string[] {
    return this.reg.names();
  }

  dispose(): void {
    this.reg.dispose();
    this.norm.dispose();
  }
}

function checkClassCount(name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min)
    throw new UserError(`${name} must be an integer ≥ ${min}, got ${n}`, `set ${name} in the model spec`);
}
