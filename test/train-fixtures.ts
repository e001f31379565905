/** Shared fixtures of the training tests (not a test file itself): the tiny problem of bench/tiny-training.ts and per-file run folders. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { TwoHeadModel } from '../src/models/types';
import type { StepRecord, TrainConfig, TrainData } from '../src/train/trainer';
import { runPaths } from '../src/train/run-cache';
import { trainRecords } from '../bench/tiny-training';

export * from '../bench/tiny-training';

/**
 * Per test file: the cpu backend, a temp folder for runs (removed afterwards), fresh run paths,
 * and `collect`, which trains and returns every step record.
 */
export function useTrainRuns() {
  let tmp = '';
  let runNo = 0;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'biamat-train-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const paths = () => runPaths(tmp, `run${runNo++}`, { n: runNo });
  const collect = (m: TwoHeadModel, cfg: TrainConfig, data: TrainData): Promise<StepRecord[]> =>
    trainRecords(m, cfg, data, paths());
  return { paths, collect, tmp: () => tmp };
}
