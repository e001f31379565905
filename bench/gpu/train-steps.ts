/**
 * A few hundred training steps of one paper row at a profile (e.g. table2/c10-at at `small`:
 * small-cnn width 32, batch 128, PGD-5 AT) on an exported data subset (bench/gpu/data-subset.ts),
 * through the real trainer, timed per step; then the clean test accuracy of the weights it
 * reached. It checks that training runs on a backend and what a step costs there, not the row's
 * numbers: the subset is smaller than the profile's and the run stops after `steps` steps (the
 * epoch count is raised so the learning-rate schedule spans them). The JSON is rewritten every
 * 10 steps, so a run stopped by its deadline keeps what it measured.
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/backend';
import { stepsPerEpoch } from '../../src/data';
import { cleanAccuracy } from '../../src/experiments/evaluate';
import { PROFILES, type Profile } from '../../src/experiments/profiles';
import { scaleConfig } from '../../src/experiments/scale';
import { findExperiment } from '../../src/experiments/tables';
import { modelSpec, trainConfig, trainData } from '../../src/experiments/training';
import { createModel } from '../../src/models';
import { train } from '../../src/train/trainer';
import { runPaths } from '../../src/train/run-cache';
import { writeJsonAtomic } from '../../src/util/atomic';
import { UserError } from '../../src/util/errors';
import { readSubset } from './data-subset';

export interface TrainStepsReport {
  row: string;
  profile: Profile;
  backend: string;
  subset: string;
  trainImages: number;
  batch: number;
  attackSteps: number;
  model: string;
  stepsWanted: number;
  /** Per step: loss and wall seconds (the trainer's own timing). */
  steps: Array<{ globalStep: number; epoch: number; loss: number; seconds: number }>;
  /** Median seconds per step after the first (which compiles the shaders). */
  medianStepSeconds: number | null;
  imagesPerSec: number | null;
  /** Clean accuracy (%) of the final weights on the subset's test split; null when stopped first. */
  cleanTestAccuracy: number | null;
  stoppedBy: 'steps' | 'deadline';
  date: string;
  /** True in the copies written while training (and the accuracy after it) still run. */
  partial: boolean;
}

class StopTraining extends Error {}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function runTrainSteps(opts: {
  row: string;
  profile: string;
  subset: string;
  steps: number;
  deadline: number;
  backend?: string;
  /** Folder for the JSON and the run folder (the trainer's checkpoint and log). */
  out: string;
  log?: (line: string) => void;
}): Promise<TrainStepsReport> {
  const log = opts.log ?? console.log;
  if (!(PROFILES as readonly string[]).includes(opts.profile))
    throw new UserError(`unknown profile '${opts.profile}'`, `use one of ${PROFILES.join(', ')}`);
  const profile = opts.profile as Profile;
  const c = scaleConfig(findExperiment(opts.row), profile, () => true).config;
  if (c.aux.length > 0 || c.method.rst)
    throw new UserError(
      `${opts.row} trains with auxiliary data, which the subset does not carry`,
      'use a row without aux data, e.g. table2/c10-at',
    );
  const info = await initBackend({ backend: opts.backend ?? 'webgpu', log });
  const primary = readSubset(opts.subset, 'train');
  const test = readSubset(opts.subset, 'test');
  const perEpoch = stepsPerEpoch(primary.n, c.train.batchSize);
  const cfg = { ...trainConfig(c, 0), epochs: Math.ceil(opts.steps / perEpoch) };
  const model = createModel(modelSpec(c, primary.classNames.length, 0, 0));
  fs.mkdirSync(opts.out, { recursive: true });
  const json = path.join(opts.out, 'train.json');
  const report: TrainStepsReport = {
    row: opts.row,
    profile,
    backend: info.device,
    subset: primary.name,
    trainImages: primary.n,
    batch: c.train.batchSize,
    attackSteps: c.train.attack.steps,
    model: JSON.stringify(c.model),
    stepsWanted: opts.steps,
    steps: [],
    medianStepSeconds: null,
    imagesPerSec: null,
    cleanTestAccuracy: null,
    stoppedBy: 'steps',
    date: new Date().toISOString(),
    partial: true,
  };
  const summarize = () => {
    report.medianStepSeconds = median(report.steps.slice(1).map((s) => s.seconds));
    report.imagesPerSec = report.medianStepSeconds ? c.train.batchSize / report.medianStepSeconds : null;
    writeJsonAtomic(json, report);
  };
  log(
    `${opts.row} at ${profile}: ${c.train.batchSize}-image batches, PGD-${c.train.attack.steps}, ${primary.n} images, ${opts.steps} steps`,
  );
  try {
    await train(model, cfg, trainData(primary, undefined, c, 0, false), {
      // A run folder of its own under the output folder: nothing reaches the experiments' run cache.
      paths: runPaths(path.join(opts.out, 'runs'), `${opts.row}-${primary.name}`, {
        cfg,
        subset: primary.name,
      }),
      checkpointRule: 'last',
      onStep: (r) => {
        report.steps.push({ globalStep: r.globalStep, epoch: r.epoch, loss: r.loss, seconds: r.seconds });
        if (report.steps.length % 10 === 0) {
          summarize();
          log(`step ${report.steps.length}: loss ${r.loss.toFixed(3)}, ${r.seconds.toFixed(3)} s`);
        }
        if (report.steps.length >= opts.steps) throw new StopTraining('steps');
        if (Date.now() >= opts.deadline) throw new StopTraining('deadline');
      },
    });
  } catch (err) {
    if (!(err instanceof StopTraining)) throw err;
    report.stoppedBy = err.message as TrainStepsReport['stoppedBy'];
  }
  summarize();
  if (Date.now() < opts.deadline)
    report.cleanTestAccuracy = await cleanAccuracy(model, test, { batchSize: c.train.batchSize });
  report.partial = false;
  summarize();
  model.dispose();
  log(
    `trained ${report.steps.length} steps (stopped by ${report.stoppedBy}): median ${report.medianStepSeconds?.toFixed(3)} s/step, ` +
      `${report.imagesPerSec?.toFixed(1)} img/s, clean test accuracy ${report.cleanTestAccuracy?.toFixed(1) ?? 'not measured'}%`,
  );
  return report;
}
