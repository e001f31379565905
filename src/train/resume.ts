/**
 * Training-state checkpoints: everything a killed run needs to continue to the SAME result.
 *   weights.bin   every model variable (trainable, then BN running stats), float32, in
 *                 model.variableNames() order
 *   momentum.bin  the SGD momentum buffers (empty before the first step)
 *   state.json    next epoch, global step, τ, JSONL log length, best-checkpoint bookkeeping,
 *                 the config hash and the variable names/shapes (checked on load)
 * Randomness needs no saved state: every epoch draws from `Rng(seed).fork('epoch-e')`, so the
 * epoch counter is the RNG state. Written with replaceDirAtomic: a kill leaves the old or the
 * new checkpoint, never a mix.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../models/types';
import { replaceDirAtomic, writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';

export interface TrainState {
  /** The next epoch to run (0-based); equals the number of finished epochs. */
  epoch: number;
  /** Global optimisation steps done. */
  step: number;
  /** BiaMAT threshold, null until computed (once, at the first post-warm-up step). */
  tau: number | null;
  /** Bytes of log.jsonl that belong to finished epochs (the rest is truncated on resume). */
  logBytes: number;
  bestEpoch: number | null;
  bestMetric: number | null;
  /** Hendrycks et al.: the best pre-training epoch so far (1-based) and its metric. */
  pretrainBestEpoch: number | null;
  pretrainBestMetric: number | null;
  /** Hendrycks et al.: pre-training is over and fine-tuning on the primary data has started. */
  finetuning: boolean;
  configHash: string;
}

interface Manifest extends TrainState {
  variables: { name: string; shape: number[] }[];
}

function allVariables(model: TwoHeadModel): tf.Variable[] {
  return [...model.trainableVariables, ...model.stateVariables];
}

function describe(model: TwoHeadModel): { name: string; shape: number[] }[] {
  const names = model.variableNames();
  return allVariables(model).map((v, i) => ({ name: names[i], shape: v.shape }));
}

function concatFloat32(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return new Uint8Array(out.buffer);
}

/** All model variables as one float32 blob (copies the exact bits). */
export async function weightsBlob(model: TwoHeadModel): Promise<Uint8Array> {
  return concatFloat32(
    await Promise.all(allVariables(model).map(async (v) => (await v.data()) as Float32Array)),
  );
}

function readFloat32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Assigns a blob written by weightsBlob back to the model's variables. */
export function loadWeightsBlob(model: TwoHeadModel, data: Float32Array, source: string): void {
  const vars = allVariables(model);
  const need = vars.reduce((s, v) => s + v.size, 0);
  if (data.length !== need)
    throw new UserError(
      `checkpoint ${source} holds ${data.length} weights, the model has ${need}`,
      'the checkpoint belongs to another model: delete the run folder or fix the model spec',
    );
  let o = 0;
  for (const v of vars) {
    tf.tidy(() => v.assign(tf.tensor(data.subarray(o, o + v.size), v.shape, 'float32')));
    o += v.size;
  }
}

export async function saveCheckpoint(
  dir: string,
  model: TwoHeadModel,
  momentum: Float32Array[],
  state: TrainState,
): Promise<void> {
  const weights = await weightsBlob(model);
  const manifest: Manifest = { ...state, variables: describe(model) };
  replaceDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'weights.bin'), weights);
    fs.writeFileSync(path.join(tmp, 'momentum.bin'), concatFloat32(momentum));
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(manifest, null, 2) + '\n');
  });
}

/** Loads a checkpoint into `model`; returns the state and the momentum buffers, or null if none. */
export function loadCheckpoint(
  dir: string,
  model: TwoHeadModel,
  configHash: string,
): { state: TrainState; momentum: Float32Array[] } | null {
  const stateFile = path.join(dir, 'state.json');
  if (!fs.existsSync(stateFile)) return null;
  const manifest = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Manifest;
  if (manifest.configHash !== configHash)
    throw new UserError(
      `checkpoint ${dir} was written by another config (hash ${manifest.configHash}, now ${configHash})`,
      'use a fresh results folder, or delete that run folder to retrain',
    );
  const want = JSON.stringify(describe(model));
  if (JSON.stringify(manifest.variables) !== want)
    throw new UserError(
      `checkpoint ${dir} does not match the model's variables`,
      'delete the run folder to retrain',
    );
  loadWeightsBlob(model, readFloat32(path.join(dir, 'weights.bin')), dir);
  const flat = readFloat32(path.join(dir, 'momentum.bin'));
  const momentum: Float32Array[] = [];
  if (flat.length > 0) {
    let o = 0;
    for (const v of model.trainableVariables) {
      momentum.push(flat.slice(o, o + v.size));
      o += v.size;
    }
  }
  const { variables: _v, ...state } = manifest;
  return { state, momentum };
}

/** Saves only the weights (the best-PGD checkpoint), atomically. */
export async function saveWeights(file: string, model: TwoHeadModel): Promise<void> {
  writeFileAtomic(file, await weightsBlob(model));
}

export function loadWeights(file: string, model: TwoHeadModel): void {
  loadWeightsBlob(model, readFloat32(file), file);
}
