/**
 * Shared machinery of the differential tests (test/differential-*.test.ts): run one case through
 * the independent PyTorch transcription (test/reference/biamat_reference.py) with the same
 * weights, batch and start noise as our code, and compare numbers. Tensors travel as raw
 * little-endian files listed in JSON; weights in the project's own weight format.
 *
 * Where torch cannot be imported the suites skip with the reason, except under CI=true, where
 * they fail (.ci/run installs Debian's python3-torch).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../src/models';
import type { ModelSpec } from '../src/models';
import { saveModel } from '../src/models/weights';

const PYTHON = process.env.BIAMAT_TORCH_PYTHON ?? '/usr/bin/python3';
const REFERENCE = path.join(__dirname, 'reference', 'biamat_reference.py');

/** Why torch is not usable here, or null. */
export function torchProblem(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (${r.stderr.trim().split('\n').pop()})`;
  return null;
}

/** `describe` when torch is there; else a skip that says why (a failure under CI=true). */
export function describeWithTorch(name: string, body: () => void): void {
  const problem = torchProblem();
  if (problem === null) return describe(name, body);
  if (process.env.CI === 'true')
    return describe(name, () =>
      test('PyTorch is available for the differential tests', () => {
        throw new Error(`${problem}: install Debian's python3-torch (.ci/run does)`);
      }),
    );
  console.warn(`${name}: skipped — ${problem} (apt-get install python3-torch to run it)`);
  describe.skip(name, body);
}

export interface RefTensor {
  data: Float32Array | Int32Array;
  shape: number[];
}

type TensorIn = tf.Tensor | RefTensor;

async function writeTensor(dir: string, name: string, t: TensorIn) {
  const isTensor = t instanceof tf.Tensor;
  const data = isTensor ? await (t as tf.Tensor).data() : (t as RefTensor).data;
  const shape = isTensor ? (t as tf.Tensor).shape : (t as RefTensor).shape;
  const dtype = data instanceof Int32Array ? 'int32' : 'float32';
  const file = `in-${name}.bin`;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path.join(dir, file), bytes);
  return { file, shape, dtype };
}

/**
 * Runs `task` of the reference on `model`'s current weights and `tensors`; returns every tensor
 * it wrote (xAdv, losses, param-<name> in our layout, state-<name> BN running averages, …).
 */
export async function runReference(
  task: string,
  model: TwoHeadModel,
  spec: ModelSpec,
  tensors: Record<string, TensorIn>,
  settings: Record<string, unknown> = {},
): Promise<Record<string, RefTensor>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `biamat-diff-${task}-`));
  try {
    await saveModel(path.join(dir, 'model'), model, spec);
    const index: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(tensors)) index[name] = await writeTensor(dir, name, t);
    fs.writeFileSync(
      path.join(dir, 'request.json'),
      JSON.stringify({ task, model: 'model', tensors: index, ...settings }),
    );
    const r = spawnSync(PYTHON, [REFERENCE, dir], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`reference ${task} failed (${r.status}): ${r.stderr || r.error}`);
    const response = JSON.parse(fs.readFileSync(path.join(dir, 'response.json'), 'utf8')) as {
      tensors: Record<string, { file: string; shape: number[]; dtype: string }>;
    };
    const out: Record<string, RefTensor> = {};
    for (const [name, spec] of Object.entries(response.tensors)) {
      const buf = fs.readFileSync(path.join(dir, spec.file));
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      out[name] = {
        data: spec.dtype === 'int32' ? new Int32Array(ab) : new Float32Array(ab),
        shape: spec.shape,
      };
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** max |ours − ref| / max |ref| (norm-wise relative error; 0 when both are 0). */
export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-30);
}

/** Every variable of `model` (trainable as param-<name>, BN state as state-<name>) against the reference's. */
export async function variableErrors(
  model: TwoHeadModel,
  ref: Record<string, RefTensor>,
): Promise<Record<string, number>> {
  const names = model.variableNames();
  const vars = [...model.trainableVariables, ...model.stateVariables];
  const out: Record<string, number> = {};
  for (let i = 0; i < vars.length; i++) {
    const key = (i < model.trainableVariables.length ? 'param-' : 'state-') + names[i];
    if (!ref[key]) throw new Error(`the reference did not return ${key}`);
    out[key] = relErr(await vars[i].data(), ref[key].data);
  }
  return out;
}

/** The largest of a set of errors, with its name (for messages). */
export function worst(errors: Record<string, number>): { name: string; error: number } {
  return Object.entries(errors).reduce((a, [name, error]) => (error > a.error ? { name, error } : a), {
    name: '',
    error: 0,
  });
}

export const TOLERANCE = 1e-4;
