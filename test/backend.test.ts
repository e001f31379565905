import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  BACKEND_NAMES,
  backendFromArgv,
  initBackend,
  machineThreads,
  MAX_WASM_THREADS,
  missingTrainingKernels,
  resolveThreads,
  threadsOption,
  vulkanLoaderFound,
  gpuDeviceNodeFound,
} from '../src/backend';
import { UserError } from '../src/util/errors';

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

test('auto-selection prints one line naming the backend and why faster ones were skipped', async () => {
  const lines: string[] = [];
  const info = await initBackend({ env: {}, log: (line) => lines.push(line) });
  expect(lines).toEqual([info.line]);
  expect(BACKEND_NAMES).toContain(info.name);
  expect(info.source).toBe('auto');
  expect(tf.getBackend()).toBe(info.tfBackend);
  expect(info.line).toMatch(new RegExp(`^backend: ${info.name} \\[`));
  // Every faster backend appears with a reason; the chosen one has every training kernel.
  const faster = BACKEND_NAMES.slice(0, BACKEND_NAMES.indexOf(info.name));
  expect(info.skipped.map((s) => s.backend)).toEqual(faster);
  for (const skip of info.skipped) {
    expect(skip.reason.length).toBeGreaterThan(0);
    expect(info.line).toContain(`${skip.backend}: ${skip.reason}`);
  }
  expect(missingTrainingKernels(info.tfBackend)).toEqual([]);
});

test('BIAMAT_BACKEND picks the backend; an explicit option wins over it', async () => {
  const fromEnv = await initBackend({ env: { BIAMAT_BACKEND: 'cpu' }, log: false });
  expect(fromEnv).toMatchObject({ name: 'cpu', source: 'env', skipped: [] });
  expect(fromEnv.line).toContain('BIAMAT_BACKEND=cpu');
  expect(tf.getBackend()).toBe('cpu');
  const fromOption = await initBackend({ backend: 'wasm', env: { BIAMAT_BACKEND: 'cpu' }, log: false });
  // wasm runs on every core by default (up to the 8 threads tfjs-wasm's pool allows).
  const threads = Math.min(machineThreads(), MAX_WASM_THREADS);
  expect(fromOption).toMatchObject({ name: 'wasm', source: 'option', threads });
  expect(tf.getBackend()).toBe('wasm');
  await tf.setBackend('cpu');
});

test('an unknown backend name is a UserError listing the valid ones', async () => {
  await expect(initBackend({ backend: 'cuda', log: false })).rejects.toThrow(UserError);
  await expect(initBackend({ env: { BIAMAT_BACKEND: 'gpu' }, log: false })).rejects.toThrow(
    /unknown BIAMAT_BACKEND "gpu"[\s\S]*tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu/,
  );
});

const missingNodePackage = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].find(
  (p) => !isInstalled(p),
);

(missingNodePackage ? test : test.skip)(
  'an explicitly requested backend that is unavailable is an error, not a fallback',
  async () => {
    const name = missingNodePackage!.replace('@tensorflow/', '') as 'tfjs-node' | 'tfjs-node-gpu';
    const before = tf.getBackend();
    const attempt = initBackend({ backend: name, log: false });
    await expect(attempt).rejects.toThrow(UserError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`backend ${name} is not available: not installed[\\s\\S]*install @tensorflow/${name}`),
    );
    expect(tf.getBackend()).toBe(before);
  },
);

test('the wasm thread count: option, else BIAMAT_THREADS, else every core; bad counts are UserErrors', async () => {
  expect(resolveThreads(3, { BIAMAT_THREADS: '2' })).toEqual({ threads: 3, source: 'option' });
  expect(resolveThreads(undefined, { BIAMAT_THREADS: '2' })).toEqual({ threads: 2, source: 'env' });
  expect(resolveThreads(undefined, { BIAMAT_THREADS: '' })).toEqual({
    threads: machineThreads(),
    source: 'default',
  });
  expect(() => resolveThreads(undefined, { BIAMAT_THREADS: '0' })).toThrow(UserError);
  expect(() => resolveThreads(undefined, { BIAMAT_THREADS: 'all' })).toThrow(
    /BIAMAT_THREADS must be a positive integer, got "all"/,
  );
  await expect(initBackend({ backend: 'wasm', threads: 1.5, log: false })).rejects.toThrow(
    /--threads must be a positive integer/,
  );
  const before = process.env.BIAMAT_THREADS;
  try {
    expect(threadsOption('2')).toBe(2);
    expect(process.env.BIAMAT_THREADS).toBe('2');
    expect(() => threadsOption('two')).toThrow(UserError);
  } finally {
    if (before === undefined) delete process.env.BIAMAT_THREADS;
    else process.env.BIAMAT_THREADS = before;
  }
});

test('backendFromArgv reads --backend <name> and --backend=<name>', () => {
  expect(backendFromArgv(['node', 'cli.ts', '--backend', 'wasm'])).toBe('wasm');
  expect(backendFromArgv(['node', 'cli.ts', '--model', 'x', '--backend=cpu'])).toBe('cpu');
  expect(backendFromArgv(['node', 'cli.ts', '--backend', 'auto'])).toBeUndefined();
  expect(backendFromArgv(['node', 'cli.ts'])).toBeUndefined();
  expect(() => backendFromArgv(['node', 'cli.ts', '--backend'])).toThrow(UserError);
  expect(() => backendFromArgv(['node', 'cli.ts', '--backend', 'metal'])).toThrow(
    /unknown --backend "metal"/,
  );
});

describe('Vulkan loader probe', () => {
  it('finds libvulkan.so.1 through LD_LIBRARY_PATH and reports its absence', () => {
    if (process.platform !== 'linux') return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-'));
    const systemHasIt = vulkanLoaderFound({});
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: dir })).toBe(systemHasIt);
    fs.writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: `/nonexistent:${dir}` })).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('GPU device probe', () => {
  it('finds NVIDIA and DRM render nodes, and reports their absence', () => {
    if (process.platform !== 'linux') return;
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-'));
    expect(gpuDeviceNodeFound(dev)).toBe(false);
    fs.writeFileSync(path.join(dev, 'nvidiactl'), '');
    expect(gpuDeviceNodeFound(dev)).toBe(false);
    fs.writeFileSync(path.join(dev, 'nvidia0'), '');
    expect(gpuDeviceNodeFound(dev)).toBe(true);
    fs.rmSync(path.join(dev, 'nvidia0'));
    fs.mkdirSync(path.join(dev, 'dri'));
    fs.writeFileSync(path.join(dev, 'dri', 'card0'), '');
    expect(gpuDeviceNodeFound(dev)).toBe(false);
    fs.writeFileSync(path.join(dev, 'dri', 'renderD128'), '');
    expect(gpuDeviceNodeFound(dev)).toBe(true);
    fs.rmSync(dev, { recursive: true, force: true });
  });
});
