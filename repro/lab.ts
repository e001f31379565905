/**
 * npm run lab [-- <extra jupyter args>]
 *
 * Registers the tslab TypeScript kernel (this checkout's tslab, for /usr/bin/python3's
 * Jupyter) and starts Jupyter on notebooks/: JupyterLab if `jupyter lab` exists, else the
 * classic notebook. Without either it says how to install JupyterLab and exits 2.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runMain, UserError } from '../src/util/errors';
import { jupyterPython } from './kernel';

const ROOT = path.resolve(__dirname, '..');

export interface Frontend {
  /** The jupyter executable. */
  jupyter: string;
  /** Subcommand: 'lab', 'notebook' or 'nbclassic'. */
  app: string;
}

/** The first Jupyter front end that answers --version: JupyterLab, then the classic notebook. */
export function findFrontend(
  jupyters = ['jupyter', '/usr/bin/jupyter', '/usr/local/bin/jupyter'],
): Frontend | null {
  for (const app of ['lab', 'notebook', 'nbclassic']) {
    for (const jupyter of jupyters) {
      const probe = spawnSync(jupyter, [app, '--version'], { encoding: 'utf8', timeout: 60_000 });
      if (!probe.error && probe.status === 0) return { jupyter, app };
    }
  }
  return null;
}

export const INSTALL_HELP = [
  'npm run lab: no JupyterLab (or classic notebook) found.',
  'Install JupyterLab, then run npm run lab again, e.g. one of:',
  '  pipx install jupyterlab                      (isolated; puts `jupyter` on PATH)',
  '  python3 -m venv ~/jlab && ~/jlab/bin/pip install jupyterlab && export PATH=~/jlab/bin:$PATH',
  "  apt-get install -y jupyter-notebook           (Debian's classic notebook, no JupyterLab)",
  'The tslab kernel is registered system-wide, so any of these finds it.',
  'Headless runs need no front end: npm run repro -- --jupyter',
].join('\n');

function registerKernel(): void {
  const tslab = path.join(ROOT, 'node_modules', '.bin', 'tslab');
  if (!fs.existsSync(tslab)) throw new UserError(`${tslab} is missing`, 'run npm ci first');
  const py = jupyterPython();
  const r = spawnSync(tslab, ['install', `--python=${py}`, `--binary=${tslab}`], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new UserError(
      `could not register the tslab kernel with ${py}: ${(r.stderr || r.stdout || String(r.error)).trim()}`,
      "install Jupyter's client for that Python: bash .ci/setup-jupyter.sh (Debian packages)",
    );
  }
  console.log(`lab: registered the tslab kernel (${tslab}) for ${py}`);
}

async function main(): Promise<number> {
  registerKernel();
  const frontend = findFrontend();
  if (!frontend) {
    console.error(INSTALL_HELP);
    return 2;
  }
  const args = [frontend.app, `--notebook-dir=${path.join(ROOT, 'notebooks')}`, ...process.argv.slice(2)];
  console.log(`lab: ${frontend.jupyter} ${args.join(' ')}`);
  const child = spawn(frontend.jupyter, args, { stdio: 'inherit', cwd: path.join(ROOT, 'notebooks') });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (require.main === module) runMain(main);
