import * as os from 'os';
import { UserError } from '../src/util/errors';
import {
  WEBGPU_DEFAULT_KERNELS,
  WEBGPU_REPLACED_KERNELS,
  convGemmVariantName,
  parseConvGemmVariant,
  webGpuKernelSelection,
} from '../src/backend';
import { DEFAULT_CONV_GEMM } from '../src/backend/webgpu';
import { SWEEP_VARIANTS } from '../bench/gpu/gemm-sweep';
import type { WebGpuReport } from '../src/backend/webgpu/check';
import { runScript } from './child-script';

// Our webgpu kernels (src/backend/webgpu/) against the cpu backend. The checks run
// in a child process (bench/webgpu-check.ts): the Dawn package is ESM, which jest's CommonJS
// sandbox cannot import. Without a GPU, Mesa's software Vulkan driver (lavapipe) gives Dawn an
// adapter: slow, but the same WGSL and the same validation. CI installs it
// (.ci/setup-webgpu.sh) and then requires it; elsewhere a machine without any adapter skips.

const onCi = process.env.CI === 'true';

const report = runScript<WebGpuReport>(
  'bench/webgpu-check.ts',
  {
    BIAMAT_BACKEND: '',
    // Check every replacement, not only the default set.
    BIAMAT_WEBGPU_KERNELS: 'all',
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir(),
  },
  300_000,
);
if (!report.available && onCi) {
  throw new Error(
    `CI=true but WebGPU is not usable here (${report.reason}); run .ci/setup-webgpu.sh ` +
      '(libvulkan1 + mesa-vulkan-drivers from bookworm-backports)',
  );
}
if (!report.available)
  console.log(`skipping the webgpu kernel checks: ${report.reason} (run 'bash .ci/setup-webgpu.sh')`);
const describeIfWebGpu = report.available ? describe : describe.skip;

describeIfWebGpu(`webgpu kernels on ${report.device ?? 'no adapter'}`, () => {
  test('all our kernels are registered (BIAMAT_WEBGPU_KERNELS=all)', () => {
    expect(report.oursRegistered).toEqual([...WEBGPU_REPLACED_KERNELS]);
  });

  test('every conv, reduction and training-gradient check ran', () => {
    const names = (report.results ?? []).map((r) => r.name);
    for (const kernel of ['Conv2D ', 'Conv2DBackpropInput ', 'Conv2DBackpropFilter ', 'Sum ', 'Mean ']) {
      expect(names.filter((n) => n.startsWith(kernel)).length).toBeGreaterThanOrEqual(8);
    }
    expect(names.some((n) => n.startsWith('gradients of a conv+BN+ReLU net'))).toBe(true);
    expect(names.some((n) => n.startsWith('gradients of the workbench WRN-10-1'))).toBe(true);
    expect(names.filter((n) => n.startsWith('trainer: ')).length).toBe(2);
  });

  test.each((report.results ?? []).map((r) => [r.name, r] as const))('%s matches cpu', (_name, r) => {
    expect(r.length).toBe(r.expectedLength);
    expect(r.maxRelativeError).toBeLessThanOrEqual(r.tolerance ?? 1e-5);
  });

  test('repeated backward passes leave no tensors or GPU buffers behind', () => {
    expect(report.leak).toBeDefined();
    expect(report.leak!.tensorsAfter).toBe(report.leak!.tensorsBefore);
    expect(report.leak!.dataIdsAfter).toBe(report.leak!.dataIdsBefore);
  });
});

test("BIAMAT_WEBGPU_KERNELS picks which of our webgpu kernels replace tfjs's", () => {
  expect(webGpuKernelSelection(undefined)).toEqual([...WEBGPU_DEFAULT_KERNELS]);
  expect(webGpuKernelSelection('')).toEqual(['Conv2DBackpropFilter', 'Sum', 'Mean']);
  expect(webGpuKernelSelection('all')).toEqual([...WEBGPU_REPLACED_KERNELS]);
  expect(webGpuKernelSelection('none')).toEqual([]);
  expect(webGpuKernelSelection('Sum, Conv2D')).toEqual(['Conv2D', 'Sum']);
  expect(() => webGpuKernelSelection('Conv3D')).toThrow(UserError);
  expect(() => webGpuKernelSelection('Conv3D')).toThrow(/unknown kernel "Conv3D"/);
});

test('BIAMAT_WEBGPU_GEMM picks the conv GEMM variant; unrunnable ones are refused with the reason', () => {
  expect(parseConvGemmVariant(undefined)).toEqual(DEFAULT_CONV_GEMM);
  expect(convGemmVariantName(DEFAULT_CONV_GEMM)).toBe('tile=64x64,k=16,wg=16x16');
  expect(parseConvGemmVariant('tile=128x64, wg=16x16')).toEqual({
    tileM: 128,
    tileN: 64,
    tileK: 16,
    threadsX: 16,
    threadsY: 16,
    vec4: false,
  });
  expect(parseConvGemmVariant('k=8')).toMatchObject({ tileK: 8, tileM: 64 });
  for (const v of SWEEP_VARIANTS) expect(convGemmVariantName(parseConvGemmVariant(v))).toBe(v);
  expect(() => parseConvGemmVariant('tile=64')).toThrow(/not <n>x<n>/);
  expect(() => parseConvGemmVariant('vec=4')).toThrow(UserError);
  expect(() => parseConvGemmVariant('wg=32x32')).toThrow(/1024 threads/);
  expect(() => parseConvGemmVariant('tile=256x256,k=8')).toThrow(/outputs per thread/);
  expect(() => parseConvGemmVariant('tile=60x64')).toThrow(/divide/);
  expect(parseConvGemmVariant('vec4=1')).toMatchObject({ vec4: true, tileM: 64 });
  expect(convGemmVariantName(parseConvGemmVariant('vec4=1'))).toBe('tile=64x64,k=16,wg=16x16,vec4=1');
  expect(() => parseConvGemmVariant('vec4=2')).toThrow(UserError);
  expect(() => parseConvGemmVariant('k=2,wg=2x2,tile=4x4,vec4=1')).toThrow(/vec4 needs/);
});
