#!/usr/bin/env bash
# Runs the bundled benchmark (bench/gpu/bundle.sh) on the GPU machine, WebGPU over NVIDIA's
# Vulkan driver, passing its arguments to `npm run bench` (e.g. --model wrn-16-4 --torch
# --torch-device cuda --json $OUT/bench.json). Works on any Linux machine with a Vulkan driver:
# it only unpacks the Vulkan loader and picks NVIDIA's driver where they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/gpu/runtime.sh
# Dawn is imported relative to the bundle: run from its folder.
cd .gpu/app
exec "$node" bench.cjs --backend webgpu "$@"
