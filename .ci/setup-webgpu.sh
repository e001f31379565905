#!/usr/bin/env bash
# Gives Dawn (the `webgpu` package) a Vulkan adapter on a machine without a GPU: the Vulkan
# loader plus Mesa's software driver lavapipe, so test/webgpu-kernels.test.ts can check our
# WGSL kernels against the cpu backend. Debian 12's own Mesa (22.3) lacks a Vulkan feature
# Dawn requires ("shaderUniform*ArrayDynamicIndexing"), so Mesa comes from bookworm-backports
# (25.x). Idempotent: does nothing when a new-enough lavapipe is installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

installed=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if dpkg -s libvulkan1 >/dev/null 2>&1 && [ -n "$installed" ] && dpkg --compare-versions "$installed" ge 24; then
  echo "setup-webgpu: lavapipe (mesa-vulkan-drivers $installed) is ready"
  exit 0
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$list"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null
  apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  # Newer Debian/Ubuntu ship a Mesa that is recent enough.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null
fi
echo "setup-webgpu: lavapipe (mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)) is ready"
