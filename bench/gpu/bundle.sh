#!/usr/bin/env bash
# Packs what one run on the GPU machine needs into .gpu/ (git-ignored), within the 64 MiB a run
# may carry: Node.js and the Vulkan loader (../shared/gpu/prepare.sh), one esbuild bundle of the
# benchmark with tfjs inside, the Dawn binding (`webgpu`: index.js, package.json and only the
# linux-x64 dawn.node) and the PyTorch companion script. Then, from the project root:
#
#   run tool: command "bash bench/gpu/run.sh --model wrn-16-4 --torch --torch-device cuda",
#             carry [".gpu"]
#
# See docs/bench.md ("On the GPU machine").
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
shared=${BIAMAT_SHARED:-$root/../shared}

bash "$shared/gpu/prepare.sh" >/dev/null

app=.gpu/app
rm -rf "$app"
mkdir -p "$app/node_modules/webgpu/dist/linux-x64"
# tfjs-node(-gpu) stay out: optional, absent there, and their require() is caught.
node_modules/.bin/esbuild bench/cli.ts --bundle --platform=node --target=node20 --format=cjs \
  --minify --log-level=warning --outfile="$app/bench.cjs" \
  --external:@tensorflow/tfjs-node-gpu --external:@tensorflow/tfjs-node --external:webgpu
cp bench/torch_bench.py "$app/"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$app/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$app/node_modules/webgpu/dist/linux-x64/"

total=$(du -sb .gpu | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "bundle: .gpu $((total / 1048576)) MiB + working tree $((tree / 1048576)) MiB (limit 64 MiB per run)"
if [ $((total + tree)) -gt $((64 * 1048576)) ]; then
  echo "bundle: too big for one run" >&2
  exit 1
fi
