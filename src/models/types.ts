import type * as tf from '@tensorflow/tfjs';
import type { ParamKind } from './layers';

/**
 * A network with a shared trunk g, a primary head f (K classes) and an auxiliary head f~
 * (K~ classes), as BiaMAT needs (docs/method.md §1). Input: float32 NHWC in [0,1]; normalisation is
 * an explicit layer inside the model (AutoAttack/RobustBench convention).
 */
export interface TwoHeadModel {
  /** RobustBench-style id of the architecture, e.g. 'wrn-28-10', 'small-cnn'. */
  readonly arch: string;
  readonly numClasses: number;
  /** 0 when the model has no auxiliary head. */
  readonly numAuxClasses: number;
  /**
   * Logits of both heads for every input. `training` selects batch-norm batch statistics
   * (and, with `updateStats`, updates the running averages as PyTorch's train mode does);
   * `training: false` uses the running averages (eval mode).
   */
  forward(x: tf.Tensor4D, mode: ForwardMode): { primary: tf.Tensor2D; aux: tf.Tensor2D | null };
  /** The shared trunk's output g(x) (penultimate layer), e.g. for Ilyas et al.'s robust datasets. */
  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D;
  /** Variables the optimiser updates (conv/linear weights, BN scale and offset). */
  readonly trainableVariables: tf.Variable[];
  /** Non-trainable state saved with the weights (BN running mean/variance). */
  readonly stateVariables: tf.Variable[];
  /** Parallel to trainableVariables: convolution/dense kernel, bias, or batch-norm scale/offset. */
  readonly trainableKinds: ParamKind[];
  /** Names parallel to trainableVariables then stateVariables, for checkpoints and exports. */
  variableNames(): string[];
  dispose(): void;
}

export interface ForwardMode {
  training: boolean;
  /** Only meaningful with training: true. Default true. */
  updateStats?: boolean;
}

/** The single-head view attacks use: logits of one head. */
export interface Classifier {
  logits(x: tf.Tensor4D): tf.Tensor2D;
}
