/**
 * USES THE REAL CIFAR-10 (the only data test that does): prepares it with ensureDataset —
 * a one-off import of ../shared/data/cifar10-jpeg.tar.gz into <project>/.data (about 30 s on
 * 2 cores; instant once cached, e.g. after `npm run data -- import cifar10` in CI) — then
 * checks the split sizes and the per-channel train means against the official ones.
 * Skipped, saying so, only when neither the cache nor the shared archive exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  ensureDataset,
  loadDataset,
  pairedBatchArrays,
  readCacheMeta,
  resolveSharedDir,
  channelStats,
} from '../src/data';

const available =
  readCacheMeta('cifar10') !== undefined ||
  fs.existsSync(path.join(resolveSharedDir(), 'cifar10-jpeg.tar.gz'));
if (!available)
  console.warn('data-cifar10-real: no .data/cifar10 and no ../shared/data/cifar10-jpeg.tar.gz: skipped');
const maybe = available ? describe : describe.skip;

maybe('real CIFAR-10 (prepared via ensureDataset)', () => {
  it('has 50,000/10,000 images, 10 balanced classes and the official per-channel means', async () => {
    const meta = await ensureDataset('cifar10', { progress: 'lines' });
    expect(meta.splits.train!.n).toBe(50000);
    expect(meta.splits.test!.n).toBe(10000);
    expect(meta.splits.train!.classCounts).toEqual(new Array(10).fill(5000));
    const t0 = Date.now();
    const train = loadDataset('cifar10', 'train');
    console.log(`cifar10 train loaded in ${Date.now() - t0} ms`);
    const { mean } = channelStats(train.images, 3);
    [0.4914, 0.4822, 0.4465].forEach((m, c) => expect(Math.abs(mean[c] - m)).toBeLessThanOrEqual(0.01));
    const first = pairedBatchArrays({ primary: train, seed: 0, epoch: 0 }).next().value!;
    expect(first.x.length).toBe(128 * 3072);
  }, 900_000);
});
