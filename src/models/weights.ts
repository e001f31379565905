/**
 * Model weights on disk: the plain, framework-neutral export of a trained model.
 *
 *   <name>.json  manifest: format tag and version, the ModelSpec that rebuilds the network,
 *                its arch id, the weights file name, its byte length and sha256, and every
 *                variable's name, shape, dtype ('float32'), byte offset, byte length and
 *                whether it is trainable; plus free-form JSON `meta` (training config, seed,
 *                versions, accuracies) that is stored but never executed.
 *   <name>.bin   the variables back to back, raw little-endian float32, in manifest order
 *                (trainable variables, then BN running mean/var), no header, no padding.
 *
 * Layouts (tfjs): conv kernels [kh, kw, in, out] (PyTorch: [out, in, kh, kw]), linear kernels
 * [in, out] (PyTorch: [out, in]); names follow the PyTorch WRN/ResNet modules
 * ('block1.layer.0.conv1.weight', 'bn1.running_var', 'fc.weight', 'fc_aux.bias').
 *
 * Reading it in numpy:
 *
 *   import json, numpy as np
 *   m = json.load(open('model.json'))
 *   raw = open('model.bin', 'rb').read()
 *   w = {v['name']: np.frombuffer(raw, '<f4', count=v['byteLength'] // 4,
 *                                 offset=v['byteOffset']).reshape(v['shape'])
 *        for v in m['variables']}
 *   # to PyTorch layout: conv w[k].transpose(3, 2, 0, 1); linear w[k].T
 *
 * Loading treats both files as untrusted: sizes are capped, the JSON is validated field by
 * field, names/shapes/offsets must equal what the spec's architecture allocates, the byte
 * length and sha256 must match, and values must be finite. Writes are atomic: the .bin first,
 * then the manifest that names its hash, so a kill never leaves a manifest over other bytes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ARCHS, archId, createModel, modelVariableShapes, type ModelSpec } from './index';
import type { TwoHeadModel } from './types';
import { writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';

export const WEIGHTS_FORMAT = 'biamat-weights';
export const WEIGHTS_VERSION = 1;
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_WEIGHTS_BYTES = 4 * 1024 * 1024 * 1024;

const specSchema = z
  .object({
    arch: z.enum(ARCHS),
    depth: z.number().int().positive().optional(),
    widen: z.number().int().positive().optional(),
    width: z.number().int().positive().optional(),
    numClasses: z.number().int().positive(),
    numAuxClasses: z.number().int().nonnegative(),
    normalization: z
      .object({ mean: z.array(z.number()), std: z.array(z.number()) })
      .strict()
      .nullable()
      .optional(),
    inputChannels: z.number().int().positive().optional(),
    seed: z.number().int(),
  })
  .strict();

const manifestSchema = z
  .object({
    format: z.literal(WEIGHTS_FORMAT),
    version: z.literal(WEIGHTS_VERSION),
    arch: z.string(),
    spec: specSchema,
    weightsFile: z.string().regex(/^[A-Za-z0-9._-]+\.bin$/),
    byteLength: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    byteOrder: z.literal('little-endian'),
    variables: z.array(
      z
        .object({
          name: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          dtype: z.literal('float32'),
          byteOffset: z.number().int().nonnegative(),
          byteLength: z.number().int().nonnegative(),
          trainable: z.boolean(),
        })
        .strict(),
    ),
    meta: z.unknown().optional(),
  })
  .strict();

export type WeightsManifest = z.infer<typeof manifestSchema>;

/** '<dir>/best' or '<dir>/best.json' → the two file paths. */
function paths(base: string): { json: string; bin: string } {
  const stem = base.endsWith('.json') ? base.slice(0, -5) : base.endsWith('.bin') ? base.slice(0, -4) : base;
  return { json: `${stem}.json`, bin: `${stem}.bin` };
}

function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Writes `<base>.bin` and `<base>.json` for a model built by createModel(spec). `meta` is any
 * JSON value stored with it (e.g. {config, seed, epoch, cleanAcc}).
 */
export async function saveModel(
  base: string,
  model: TwoHeadModel,
  spec: ModelSpec,
  meta?: unknown,
): Promise<void> {
  const declared = modelVariableShapes(spec);
  const names = model.variableNames();
  const vars = [...model.trainableVariables, ...model.stateVariables];
  if (names.length !== declared.length || declared.some((d, i) => d.name !== names[i]))
    throw new UserError(`saveModel: model ${model.arch} was not built from spec ${archId(spec)}`);
  const total = vars.reduce((s, v) => s + v.size, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const variables: WeightsManifest['variables'] = [];
  let offset = 0;
  for (let i = 0; i < vars.length; i++) {
    const data = await vars[i].data();
    for (let j = 0; j < data.length; j++) view.setFloat32(offset + 4 * j, data[j], true);
    variables.push({
      name: names[i],
      shape: vars[i].shape,
      dtype: 'float32',
      byteOffset: offset,
      byteLength: data.length * 4,
      trainable: declared[i].trainable,
    });
    offset += data.length * 4;
  }
  const p = paths(base);
  const manifest: WeightsManifest = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    arch: archId(spec),
    spec: specSchema.parse(JSON.parse(JSON.stringify(spec))) as ModelSpec,
    weightsFile: path.basename(p.bin),
    byteLength: bytes.length,
    sha256: sha256(bytes),
    byteOrder: 'little-endian',
    variables,
    ...(meta === undefined ? {} : { meta }),
  };
  writeFileAtomic(p.bin, bytes);
  writeFileAtomic(p.json, JSON.stringify(manifest, null, 2) + '\n');
}

function bad(file: string, what: string): UserError {
  return new UserError(
    `model weights ${file}: ${what}`,
    'the files are damaged or not written by saveModel; re-export them or point to the right file',
  );
}

/** Reads and validates a manifest and its weights; returns the spec, meta and per-variable data. */
export function readModelFiles(base: string): {
  manifest: WeightsManifest;
  spec: ModelSpec;
  values: Float32Array[];
} {
  const p = paths(base);
  if (!fs.existsSync(p.json))
    throw new UserError(
      `model weights manifest ${p.json} not found`,
      'check the path (give <name> or <name>.json)',
    );
  const size = fs.statSync(p.json).size;
  if (size > MAX_MANIFEST_BYTES)
    throw bad(p.json, `manifest is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} limit`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(p.json, 'utf8'));
  } catch (e) {
    throw bad(p.json, `not valid JSON (${(e as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(p.json, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = parsed.data;
  const spec = manifest.spec as ModelSpec;
  let declared: ReturnType<typeof modelVariableShapes>;
  try {
    declared = modelVariableShapes(spec);
  } catch (e) {
    throw bad(p.json, `invalid model spec (${(e as Error).message})`);
  }
  if (manifest.arch !== archId(spec))
    throw bad(p.json, `arch ${manifest.arch} does not match its spec (${archId(spec)})`);
  if (manifest.variables.length !== declared.length)
    throw bad(
      p.json,
      `${manifest.variables.length} variables listed, ${archId(spec)} has ${declared.length}`,
    );
  let offset = 0;
  manifest.variables.forEach((v, i) => {
    const d = declared[i];
    if (v.name !== d.name) throw bad(p.json, `variable ${i} is '${v.name}', expected '${d.name}'`);
    if (JSON.stringify(v.shape) !== JSON.stringify(d.shape))
      throw bad(p.json, `variable ${v.name} has shape [${v.shape}], expected [${d.shape}]`);
    if (v.trainable !== d.trainable) throw bad(p.json, `variable ${v.name} trainable flag is wrong`);
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (v.byteOffset !== offset || v.byteLength !== 4 * n)
      throw bad(
        p.json,
        `variable ${v.name} has offset/length ${v.byteOffset}/${v.byteLength}, expected ${offset}/${4 * n}`,
      );
    offset += 4 * n;
  });
  if (manifest.byteLength !== offset)
    throw bad(p.json, `byteLength ${manifest.byteLength}, variables need ${offset}`);
  const bin = path.join(path.dirname(p.json), manifest.weightsFile);
  if (!fs.existsSync(bin))
    throw new UserError(`model weights file ${bin} not found`, 'copy the .bin next to its .json');
  const binSize = fs.statSync(bin).size;
  if (binSize !== manifest.byteLength || binSize > MAX_WEIGHTS_BYTES)
    throw bad(bin, `file is ${binSize} bytes, the manifest says ${manifest.byteLength}`);
  const bytes = fs.readFileSync(bin);
  if (sha256(bytes) !== manifest.sha256) throw bad(bin, 'sha256 does not match the manifest');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = manifest.variables.map((v) => {
    const a = new Float32Array(v.byteLength / 4);
    for (let j = 0; j < a.length; j++) a[j] = view.getFloat32(v.byteOffset + 4 * j, true);
    return a;
  });
  values.forEach((a, i) => {
    for (let j = 0; j < a.length; j++)
      if (!Number.isFinite(a[j]))
        throw bad(bin, `variable ${manifest.variables[i].name} holds a non-finite value`);
  });
  return { manifest, spec, values };
}

/** Copies validated values into a model built from the same spec. */
export function assignModelValues(model: TwoHeadModel, values: Float32Array[]): void {
  const vars = [...model.trainableVariables, ...model.stateVariables];
  if (vars.length !== values.length || vars.some((v, i) => v.size !== values[i].length))
    throw new UserError(
      `the weights do not fit model ${model.arch}`,
      'load them into a model built from their spec',
    );
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i], v.shape, 'float32'))));
}

/** Loads `<base>.json` + `.bin` into a freshly built model; the caller disposes it. */
export function loadModel(base: string): { model: TwoHeadModel; spec: ModelSpec; meta: unknown } {
  const { manifest, spec, values } = readModelFiles(base);
  const model = createModel(spec);
  assignModelValues(model, values);
  return { model, spec, meta: manifest.meta };
}
