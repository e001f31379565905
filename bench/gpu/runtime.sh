# Sourced by run.sh and measure.sh (from the project root): makes the bundle's programs runnable
# on the GPU machine, which has no Node.js and no Vulkan loader. Sets $node. Changes nothing on a
# machine that has both (here: Debian's node, Mesa's lavapipe), so the same scripts rehearse here.
[ -d .gpu/app ] || { echo "$0: .gpu/app missing: run bench/gpu/bundle.sh first (and carry .gpu)" >&2; exit 1; }
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
