/**
 * npm run lab [-- [notebook] [--port n] [--dir folder] [--ip address] [--no-browser]]
 *
 * Starts a Jupyter front end on the notebooks with this checkout's tslab kernel: JupyterLab
 * where `jupyter lab` is installed, else the classic notebook (Debian's `jupyter-notebook`,
 * which .ci/setup-jupyter.sh installs). Before it starts, the library is rebuilt if src/
 * changed, and a tslab kernel spec for this checkout is written to .cache/jupyter (put first
 * on JUPYTER_PATH for the server, so no system-wide registration is touched); that kernel also
 * rebuilds dist/ whenever it (re)starts after an edit to src/. The server listens on a free
 * local port (the requested one, else the next free one), with a fresh token, and the URL is
 * printed once it answers. Ctrl-C (SIGINT) or SIGTERM stops the server, which shuts its kernels
 * down; any kernel left behind is killed, so no process outlives the command.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { ensureBuilt } from '../packages/biamat/build';
import { writeFileAtomic, writeJsonAtomic } from '../src/util/atomic';
import { runMain, UserError } from '../src/util/errors';
import { discoverNotebooks, matchOnly } from './plan';

const ROOT = path.resolve(__dirname, '..');
/** The kernel this checkout registers: tslab behind a dist/ freshness check. */
export const KERNEL_BINARY = path.join(ROOT, 'packages', 'biamat', 'tslab-kernel');
/** A Jupyter data dir (JUPYTER_PATH entry) holding only that kernel spec. */
export const JUPYTER_DATA = path.join(ROOT, '.cache', 'jupyter');

export interface Frontend {
  /** The jupyter executable. */
  jupyter: string;
  /** Subcommand: 'lab', 'notebook' or 'nbclassic'. */
  app: string;
  /** `jupyter <app> --version`. */
  version: string;
}

/** The first Jupyter front end that answers --version: JupyterLab, then the classic notebook. */
export function findFrontend(
  jupyters = ['jupyter', '/usr/bin/jupyter', '/usr/local/bin/jupyter'],
): Frontend | null {
  for (const app of ['lab', 'notebook', 'nbclassic']) {
    for (const jupyter of jupyters) {
      const probe = spawnSync(jupyter, [app, '--version'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
      });
      if (!probe.error && probe.status === 0) return { jupyter, app, version: probe.stdout.trim() };
    }
  }
  return null;
}

export const INSTALL_HELP = [
  'npm run lab: no JupyterLab (or classic notebook) found.',
  'Install one, then run npm run lab again:',
  "  bash .ci/setup-jupyter.sh                     (Debian's classic notebook, jupyter-notebook, and the headless tools)",
  '  pipx install jupyterlab                      (JupyterLab, isolated; puts `jupyter` on PATH)',
  '  python3 -m venv ~/jlab && ~/jlab/bin/pip install jupyterlab && export PATH=~/jlab/bin:$PATH',
  'Headless runs need no front end: npm run repro -- --jupyter',
].join('\n');

/**
 * The Jupyter data dir the server gets first on JUPYTER_PATH: this checkout's tslab kernel spec
 * (the notebooks' kernel name) and, for the classic notebook, an empty stand-in for the widgets
 * extension it always requests (the notebooks use no widgets; without it every page load logs
 * a 404). Returns the kernel spec's path.
 */
export function writeJupyterData(dataDir = JUPYTER_DATA): string {
  const spec = path.join(dataDir, 'kernels', 'tslab', 'kernel.json');
  writeJsonAtomic(spec, {
    argv: [KERNEL_BINARY, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  });
  writeFileAtomic(
    path.join(dataDir, 'nbextensions', 'widgets', 'notebook', 'js', 'extension.js'),
    '// Written by npm run lab: the notebooks use no widgets; this stands in for the extension the classic notebook requests.\n' +
      'define([], function () {\n  return { load_ipython_extension: function () {} };\n});\n',
  );
  return spec;
}

/**
 * Front-end settings beyond the port: the classic notebook's MathJax 2 renders with its SVG
 * output, because its default HTML-CSS output declares a font at about:blank, which Chromium
 * refuses with a console error on every page that shows math.
 */
export function frontendArgs(frontend: Frontend): string[] {
  const classic =
    frontend.app === 'nbclassic' || (frontend.app === 'notebook' && /^[4-6]\./.test(frontend.version));
  return classic ? ['--NotebookApp.mathjax_config=TeX-AMS-MML_SVG-full,Safe'] : [];
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `wanted` if nothing listens there, else the next free port above it. */
export async function freePort(wanted: number, host = '127.0.0.1', tries = 100): Promise<number> {
  for (let port = wanted; port < wanted + tries && port <= 65535; port++)
    if (await portFree(port, host)) return port;
  throw new UserError(`no free port in ${wanted}–${wanted + tries - 1} on ${host}`, 'pass another --port');
}

/** The page that opens `notebook` (or the file list) in each front end. */
export function frontendUrl(app: string, base: string, token: string, notebook?: string): string {
  const file = notebook ? encodeURIComponent(`${notebook}.ipynb`) : '';
  const page =
    app === 'lab'
      ? `lab/tree/${file}`
      : app === 'nbclassic'
        ? notebook
          ? `nbclassic/notebooks/${file}`
          : 'nbclassic/tree'
        : notebook
          ? `notebooks/${file}`
          : 'tree';
  return `${base}/${page}?token=${token}`;
}

async function waitForServer(url: string, child: ChildProcess, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new UserError(
        `Jupyter exited (${child.exitCode ?? child.signalCode}) before it answered on ${url}`,
        'see its messages above',
      );
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new UserError(`Jupyter did not answer on ${url} within ${timeoutS} s`, 'see its messages above');
}

/** Pids of live processes whose environment has `name=value` (Linux /proc; [] elsewhere). */
export function processesWithEnv(name: string, value: string): number[] {
  if (!fs.existsSync('/proc')) return [];
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface LabOptions {
  port: number;
  ip: string;
  dir: string;
  browser: boolean;
  startTimeout: number;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port number between 1 and 65535');
  return n;
}

async function lab(notebook: string | undefined, o: LabOptions): Promise<number> {
  const dir = path.resolve(o.dir);
  if (!fs.existsSync(dir))
    throw new UserError(`--dir ${o.dir}: no such folder`, 'pass the folder of the notebooks');
  const found = discoverNotebooks(dir);
  const open = notebook
    ? path.basename(found.get(matchOnly([notebook], [...found.keys()], 'npm run lab')[0])!, '.ipynb')
    : undefined;
  try {
    ensureBuilt({ log: (l) => console.log(`lab: ${l}`) });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const spec = writeJupyterData();
  const frontend = findFrontend();
  if (!frontend) {
    console.error(INSTALL_HELP);
    return 2;
  }
  const port = await freePort(o.port, o.ip);
  if (port !== o.port) console.log(`lab: port ${o.port} is in use; using ${port}`);
  const token = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    JUPYTER_TOKEN: token,
    JUPYTER_PATH: [JUPYTER_DATA, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  const args = [
    frontend.app,
    `--ip=${o.ip}`,
    `--port=${port}`,
    '--port-retries=0',
    `--notebook-dir=${dir}`,
    ...(o.browser ? [] : ['--no-browser']),
    ...frontendArgs(frontend),
    // Containers and CI run as root; Jupyter refuses that unless told.
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
  console.log(`lab: ${frontend.jupyter} ${args.join(' ')}`);
  console.log(`lab: kernel tslab → ${KERNEL_BINARY} (spec ${path.relative(ROOT, spec)})`);
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop Jupyter with one
  // SIGTERM (a second signal would interrupt its kernel shutdown).
  const child = spawn(frontend.jupyter, args, {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('lab: stopping Jupyter (its kernels shut down with it)');
    child.kill('SIGTERM');
    setTimeout(() => child.pid && killGroup(child.pid), 30_000).unref();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  try {
    const base = `http://${o.ip.includes(':') ? `[${o.ip}]` : o.ip}:${port}`;
    await waitForServer(`${base}/api/status?token=${token}`, child, o.startTimeout);
    console.log(
      `lab: ${frontend.app === 'lab' ? 'JupyterLab' : 'Jupyter Notebook'} ${frontend.version} on ${dir}`,
    );
    console.log(`lab: open ${frontendUrl(frontend.app, base, token, open)}`);
    console.log('lab: Ctrl-C stops the server and its kernels');
  } catch (e) {
    stop();
    await exited;
    throw e;
  }
  const code = await exited;
  // Kernels run in sessions of their own: kill any the server left behind.
  const left = child.pid ? processesWithEnv('JPY_PARENT_PID', String(child.pid)) : [];
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (left.length > 0) console.log(`lab: killed ${left.length} kernel process(es) the server left behind`);
  return stopping ? 0 : code;
}

async function main(): Promise<number> {
  let code = 0;
  const program = new Command('lab')
    .description('Jupyter on the notebooks with the tslab kernel (JupyterLab, else the classic notebook)')
    .argument('[notebook]', 'open this notebook (catalog id, file name or two-digit prefix)')
    .option('--port <n>', 'port to listen on; the next free one when it is taken', parsePort, 8888)
    .option('--ip <address>', 'address to listen on', '127.0.0.1')
    .option('--dir <folder>', 'folder of the notebooks', path.join(ROOT, 'notebooks'))
    .option('--no-browser', 'do not open a browser')
    .option('--start-timeout <s>', 'seconds to wait for the server to answer', Number, 120)
    .action(async (notebook: string | undefined, o: LabOptions) => {
      code = await lab(notebook, o);
    });
  await program.parseAsync(process.argv);
  return code;
}

if (require.main === module) runMain(main);
