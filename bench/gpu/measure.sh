#!/usr/bin/env bash
# The GPU session's measurements in one call (bench/gpu/measure.ts): training-step workloads on
# webgpu (kernels none / default / all) against PyTorch CUDA fp32 and TF32, the conv GEMM
# variant sweep, and training steps on the bundled CIFAR-10 subset, within <timeout-seconds>
# (this script's own start-up included), JSON + logs + summary.md into <out-dir>.
#
#   bash bench/gpu/measure.sh <out-dir> <timeout-seconds> [--only a,b,c] [--tiny]
#
# Needs the bundle (bench/gpu/bundle.sh; carry .gpu). Runs here too (Debian's node, lavapipe).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <out-dir> <timeout-seconds> [--only a,b,c] [--tiny]" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
timeout_s=$2
shift 2
cd "$(dirname "$0")/../.."
source bench/gpu/runtime.sh
# The data subset travels compressed; unpacked beside the app, where measure.cjs looks for it.
if [ -f .gpu/data.tar.xz ] && [ ! -d .gpu/data ]; then tar -xJf .gpu/data.tar.xz -C .gpu; fi
left=$((timeout_s - SECONDS))
exec "$node" .gpu/app/measure.cjs run "$out" "$left" "$@"
