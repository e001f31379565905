import * as tf from '@tensorflow/tfjs';
import type { Classifier, ForwardMode, TwoHeadModel } from './types';
import { countParams, type Normalization } from './layers';
import { TwoHeadNet } from './two-head';
import { SmallCnnTrunk } from './small-cnn';
import { WideResNetTrunk } from './wrn';
import { AtWideResNetTrunk } from './at-wrn';
import { ResNet18Trunk } from './resnet18';
import { Linear } from './layers';
import { UserError } from '../util/errors';

export type { Classifier, ForwardMode, TwoHeadModel } from './types';
export type { Normalization } from './layers';

/** 'wrn': the TRADES WRN (PyTorch); 'at-wrn': the released AT network (Madry's TensorFlow ResNet). */
export const ARCHS = ['small-cnn', 'wrn', 'at-wrn', 'resnet18'] as const;
export type Arch = (typeof ARCHS)[number];

/**
 * Everything needed to rebuild a model bit-for-bit: architecture, sizes, head class counts,
 * input normalisation and the initialisation seed. Stored in checkpoints.
 */
export interface ModelSpec {
  arch: Arch;
  /** WRN / AT-WRN depth (6n+4). Default 28. */
  depth?: number;
  /** WRN / AT-WRN widen factor k. Default 10. */
  widen?: number;
  /** Base width: small-cnn (default 16) and resnet18 (default 64, the paper's). */
  width?: number;
  numClasses: number;
  /** Auxiliary head class count; 0 = no auxiliary head. */
  numAuxClasses: number;
  /** Per-channel input normalisation inside the model; null/absent = identity ([0,1] input). */
  normalization?: Normalization | null;
  /** Input channels. Default 3. */
  inputChannels?: number;
  /** Initialisation seed. */
  seed: number;
}

/** RobustBench-style architecture id, e.g. 'wrn-28-10', 'resnet18', 'small-cnn-16'. */
export function archId(spec: ModelSpec): string {
  switch (spec.arch) {
    case 'wrn':
      return `wrn-${spec.depth ?? 28}-${spec.widen ?? 10}`;
    case 'at-wrn':
      return `at-wrn-${spec.depth ?? 28}-${spec.widen ?? 10}`;
    case 'resnet18':
      return spec.width && spec.width !== 64 ? `resnet18-w${spec.width}` : 'resnet18';
    case 'small-cnn':
      return `small-cnn-${spec.width ?? 16}`;
  }
}

function checkSpec(spec: ModelSpec): void {
  if (!spec || !(ARCHS as readonly string[]).includes(spec.arch))
    throw new UserError(`unknown model arch ${JSON.stringify(spec?.arch)}`, `use one of ${ARCHS.join(', ')}`);
  for (const k of ['depth', 'widen', 'width', 'inputChannels'] as const) {
    const v = spec[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new UserError(
        `model spec ${k} must be a positive integer, got ${v}`,
        `fix ${k} in the model spec`,
      );
  }
  if (!Number.isInteger(spec.seed))
    throw new UserError(`model spec seed must be an integer, got ${spec.seed}`, 'set seed, e.g. 0');
}

/** Builds a freshly initialised two-head model (deterministic in spec.seed). */
export function createModel(spec: ModelSpec): TwoHeadModel {
  checkSpec(spec);
  const inputChannels = spec.inputChannels ?? 3;
  const opts = {
    arch: archId(spec),
    numClasses: spec.numClasses,
    numAuxClasses: spec.numAuxClasses,
    normalization: spec.normalization ?? null,
    inputChannels,
    seed: spec.seed,
  };
  switch (spec.arch) {
    case 'small-cnn':
      return new TwoHeadNet(opts, (reg) => new SmallCnnTrunk(reg, inputChannels, spec.width ?? 16));
    case 'wrn':
      return new TwoHeadNet(
        opts,
        (reg) => new WideResNetTrunk(reg, inputChannels, spec.depth ?? 28, spec.widen ?? 10),
      );
    case 'at-wrn':
      return new TwoHeadNet(
        opts,
        (reg) => new AtWideResNetTrunk(reg, inputChannels, spec.depth ?? 28, spec.widen ?? 10),
      );
    case 'resnet18':
      return new TwoHeadNet(opts, (reg) => new ResNet18Trunk(reg, inputChannels, spec.width ?? 64));
  }
}

/**
 * Names and shapes of every variable createModel(spec) would allocate, in the same order as
 * model.variableNames(), without allocating (for parameter counts of big models and for
 * validating checkpoints). `trainable` marks trainableVariables vs stateVariables.
 */
export function modelVariableShapes(
  spec: ModelSpec,
): { name: string; shape: number[]; trainable: boolean }[] {
  checkSpec(spec);
  const c = spec.inputChannels ?? 3;
  const [trunk, featureDim] = ((): [{ name: string; shape: number[] }[], number] => {
    switch (spec.arch) {
      case 'small-cnn':
        return [SmallCnnTrunk.shapes(c, spec.width ?? 16), 4 * (spec.width ?? 16)];
      case 'wrn':
        return [WideResNetTrunk.shapes(c, spec.depth ?? 28, spec.widen ?? 10), 64 * (spec.widen ?? 10)];
      case 'at-wrn':
        return [AtWideResNetTrunk.shapes(c, spec.depth ?? 28, spec.widen ?? 10), 64 * (spec.widen ?? 10)];
      case 'resnet18':
        return [ResNet18Trunk.shapes(c, spec.width ?? 64), 8 * (spec.width ?? 64)];
    }
  })();
  const heads = [
    ...Linear.shapes('fc', featureDim, spec.numClasses),
    ...(spec.numAuxClasses > 0 ? Linear.shapes('fc_aux', featureDim, spec.numAuxClasses) : []),
  ];
  const all = [...trunk, ...heads];
  const isState = (n: string) => n.endsWith('.running_mean') || n.endsWith('.running_var');
  return [
    ...all.filter((v) => !isState(v.name)).map((v) => ({ ...v, trainable: true })),
    ...all.filter((v) => isState(v.name)).map((v) => ({ ...v, trainable: false })),
  ];
}

/** Number of trainable parameters (BN running stats excluded, as PyTorch's parameters() count). */
export function countTrainableParams(spec: ModelSpec): number {
  return countParams(modelVariableShapes(spec).filter((v) => v.trainable));
}

export type ClassifierMode = ForwardMode | 'eval' | 'train';

/**
 * The single-head view attacks and evaluators use. `mode` defaults to eval (running BN stats),
 * the standard for evaluation attacks; training-time attacks pass e.g.
 * `{training: true, updateStats: true}` to match PyTorch's model.train() during PGD.
 */
export function asClassifier(
  model: TwoHeadModel,
  head: 'primary' | 'aux' = 'primary',
  mode: ClassifierMode = 'eval',
): Classifier & { readonly numClasses: number } {
  if (head === 'aux' && model.numAuxClasses === 0)
    throw new UserError(`model ${model.arch} has no auxiliary head`, 'create it with numAuxClasses > 0');
  const fm: ForwardMode =
    mode === 'eval' ? { training: false } : mode === 'train' ? { training: true, updateStats: true } : mode;
  return {
    numClasses: head === 'primary' ? model.numClasses : model.numAuxClasses,
    logits(x: tf.Tensor4D): tf.Tensor2D {
      const out = model.forward(x, fm);
      if (head === 'primary') {
        out.aux?.dispose();
        return out.primary;
      }
      out.primary.dispose();
      return out.aux as tf.Tensor2D;
    },
  };
}
