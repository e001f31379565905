import { UserError } from '../../util/errors';

export const WEBGPU_REPLACED_KERNELS = [
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'Sum',
  'Mean',
] as const;
export type WebGpuReplacedKernel = (typeof WEBGPU_REPLACED_KERNELS)[number];

/**
 * Used unless BIAMAT_WEBGPU_KERNELS says otherwise: the replacements that remove a pathology
 * (dW's one thread per weight, reductions' one workgroup per output). Our Conv2D and dx GEMMs
 * are correct but not yet shown faster than tfjs's on a GPU (tfjs's use vec4 loads; on a
 * software adapter they are about even), so they are opt-in until a GPU session times them.
 */
export const WEBGPU_DEFAULT_KERNELS: readonly WebGpuReplacedKernel[] = [
  'Conv2DBackpropFilter',
  'Sum',
  'Mean',
];

/**
 * Which of our webgpu kernels to register, from BIAMAT_WEBGPU_KERNELS: unset/'' = the default
 * set; 'all'; 'none' (tfjs's own only, the "before" of a benchmark); or a comma-separated list
 * of kernel names (to time each replacement on a GPU).
 */
export function webGpuKernelSelection(value: string | undefined): WebGpuReplacedKernel[] {
  const v = (value ?? '').trim();
  if (v === '') return [...WEBGPU_DEFAULT_KERNELS];
  if (v === 'all') return [...WEBGPU_REPLACED_KERNELS];
  if (v === 'none') return [];
  const names = v.split(',').map((n) => n.trim());
  for (const name of names)
    if (!(WEBGPU_REPLACED_KERNELS as readonly string[]).includes(name))
      throw new UserError(
        `BIAMAT_WEBGPU_KERNELS names an unknown kernel "${name}"`,
        `use all, none, or a comma-separated subset of ${WEBGPU_REPLACED_KERNELS.join(',')}`,
      );
  return WEBGPU_REPLACED_KERNELS.filter((k) => names.includes(k));
}
