// Differential test: our two networks' forward passes (logits of both heads, eval and train
// mode, and the BN running averages after one updating train-mode forward) against the PyTorch
// transcription in test/reference/biamat_reference.py, from the same weights and images.
import * as tf from '@tensorflow/tfjs';
import { createModel, type ModelSpec } from '../src/models';
import { Rng } from '../src/util/rng';
import {
  describeWithTorch,
  relErr,
  runReference,
  TOLERANCE,
  variableErrors,
  worst,
} from './differential-fixture';

const SPECS: [string, ModelSpec][] = [
  [
    'the released AT network (at-wrn-10-2)',
    { arch: 'at-wrn', depth: 10, widen: 2, numClasses: 10, numAuxClasses: 5, seed: 4 },
  ],
  [
    'the TRADES WRN (wrn-10-2)',
    { arch: 'wrn', depth: 10, widen: 2, numClasses: 10, numAuxClasses: 5, seed: 4 },
  ],
];

describeWithTorch('differential: network forward vs PyTorch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each(SPECS)('%s: logits in eval and train mode, BN averages after an update', async (_name, spec) => {
    const model = createModel(spec);
    // Move the running averages off their initial values so eval mode is a real test.
    const warm = tf.tensor4d(new Rng(9).uniformArray(6 * 8 * 8 * 3), [6, 8, 8, 3]);
    const warmed = model.forward(warm, { training: true, updateStats: true });
    tf.dispose([warmed.primary, warmed.aux!]);
    const x = tf.tensor4d(new Rng(1).uniformArray(4 * 8 * 8 * 3), [4, 8, 8, 3]);
    const ref = await runReference('forward', model, spec, { x });
    const errors: Record<string, number> = {};
    for (const mode of ['eval', 'train'] as const) {
      const out = model.forward(x, { training: mode === 'train', updateStats: true });
      errors[`${mode}-primary`] = relErr(await out.primary.data(), ref[`${mode}-primary`].data);
      errors[`${mode}-aux`] = relErr(await out.aux!.data(), ref[`${mode}-aux`].data);
      tf.dispose([out.primary, out.aux!]);
    }
    Object.assign(errors, await variableErrors(model, ref));
    const w = worst(errors);
    expect({ worst: w.name, within: w.error <= TOLERANCE }).toEqual({ worst: w.name, within: true });
    tf.dispose([x, warm]);
    model.dispose();
  });
});
