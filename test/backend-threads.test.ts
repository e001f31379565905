import { maxRelativeError } from '../src/backend/kernel-check';
import type { ThreadsReport } from '../bench/threads-check';
import { runScript } from './child-script';

// The wasm backend on 1 and on 2 threads (tfjs-wasm's threaded build, src/backend/wasm/threaded.ts)
// gives the same numbers. Each count runs in a process of its own (bench/threads-check.ts): the
// thread count is fixed when the wasm module starts, and a process must end by itself once its
// work is done, with no pool worker keeping it alive — a hang fails on the timeout.

const runAt = (threads: number) =>
  runScript<ThreadsReport>(
    'bench/threads-check.ts',
    { BIAMAT_BACKEND: '', BIAMAT_THREADS: String(threads) },
    100_000,
  );

let one: ThreadsReport;
let two: ThreadsReport;

beforeAll(() => {
  // One after the other, so that the two pools do not compete for the cores.
  one = runAt(1);
  two = runAt(2);
}, 220_000);

test('the backend line says how many threads run', () => {
  expect(one.threads).toBe(1);
  expect(one.line).toMatch(/^backend: wasm \[XNNPACK SIMD, 1 thread on /);
  expect(two.threads).toBe(2);
  expect(two.line).toMatch(/^backend: wasm \[XNNPACK SIMD, 2 threads on /);
});

test.each([
  ['a conv+BN training step', 'cleanStep'],
  ['a PGD-10 AT step', 'atStep'],
  ['a PGD-10 attack', 'pgd'],
] as const)('%s gives the same numbers at 1 and 2 threads', (_what, key) => {
  expect(two[key].length).toBe(one[key].length);
  expect(one[key].length).toBeGreaterThan(1000);
  expect(maxRelativeError(Float32Array.from(two[key]), Float32Array.from(one[key]))).toBeLessThanOrEqual(
    1e-5,
  );
});
