// Runs a TypeScript script of this repository in a child process (tsx) and returns the JSON its
// last stdout line holds. For checks that cannot run inside jest's sandbox (ESM-only packages,
// process-wide state such as the wasm thread count) or that must show a process ends by itself:
// a child that does not exit within the timeout fails the caller.
import { execFileSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

export function runScript<T>(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): T {
  const out = execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, script)],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}
