#!/usr/bin/env bash
# Runs the bundled benchmark (bench/gpu/bundle.sh) on the GPU machine, WebGPU over NVIDIA's
# Vulkan driver, passing its arguments to `npm run bench` (e.g. --model wrn-16-4 --torch
# --torch-device cuda --json $OUT/bench.json). Works on any Linux machine with a Vulkan driver:
# it only unpacks the Vulkan loader and picks NVIDIA's driver where they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d .gpu/app ] || { echo "run.sh: .gpu/app missing: run bench/gpu/bundle.sh first (and carry .gpu)" >&2; exit 1; }
node=$(command -v node || true)
if [ -z "$node" ]; then
  xz -dc .gpu/node.xz >/tmp/node && chmod +x /tmp/node
  node=/tmp/node
fi
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
if ! "$ldconfig" -p | grep -q 'libvulkan.so.1'; then
  for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done
  "$ldconfig"
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# Dawn is imported relative to the bundle: run from its folder.
cd .gpu/app
exec "$node" bench.cjs --backend webgpu "$@"
