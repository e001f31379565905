#!/usr/bin/env bash
# Installs Debian's Jupyter (packages, not pip): the headless tools the notebook tests and
# `npm run repro -- --jupyter` use, and the classic notebook front end (`jupyter-notebook`) that
# `npm run lab` and its browser test (test/lab-browser.test.ts) serve. Registers the tslab
# TypeScript kernel through packages/biamat/tslab-kernel, which rebuilds dist/ first when src/
# changed (run after npm ci).
# Idempotent: skips apt when the tools are already there, re-registers the kernel every time
# (cheap, and it follows the checkout's path).
# Always /usr/bin/python3 and /usr/bin/jupyter: the python3 on PATH may be another (pyenv) Python.
set -euo pipefail
# (quiets debugpy's "frozen modules" warnings from Debian's Python)
export PYDEVD_DISABLE_FILE_VALIDATION=1
cd "$(dirname "$0")/.."

packages=(jupyter-nbconvert jupyter-client python3-nbclient python3-nbformat python3-ipython python3-ipykernel jupyter-notebook)
if ! { [ -x /usr/bin/jupyter ] && /usr/bin/python3 -c 'import nbconvert, nbclient, nbformat, ipykernel, notebook' 2>/dev/null; }; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

tslab_bin="$(pwd)/node_modules/.bin/tslab"
kernel_bin="$(pwd)/packages/biamat/tslab-kernel"
if [ ! -x "$tslab_bin" ]; then
  echo "setup-jupyter: $tslab_bin missing; run 'npm ci' first" >&2
  exit 1
fi
"$tslab_bin" install --python=/usr/bin/python3 --binary="$kernel_bin" >/dev/null
# (the list is read whole first: `| grep -q` would close the pipe early and fail the pipeline)
kernels="$(/usr/bin/jupyter kernelspec list)"
grep -q '^ *tslab ' <<<"$kernels" || { echo "setup-jupyter: tslab kernel not registered" >&2; exit 1; }
echo "setup-jupyter: jupyter nbconvert $(/usr/bin/jupyter nbconvert --version), notebook $(/usr/bin/jupyter notebook --version) with the tslab kernel are ready"
