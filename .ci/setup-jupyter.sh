#!/usr/bin/env bash
# Installs a headless Jupyter (Debian's packages, not pip) and registers the tslab TypeScript
# kernel, so notebooks/01-theory.ipynb can be executed by test/notebook-theory.test.ts.
# Idempotent: skips apt when the tools are already there, re-registers the kernel every time
# (cheap, and it follows the checkout's path).
# Always /usr/bin/python3 and /usr/bin/jupyter: the python3 on PATH may be another (pyenv) Python.
set -euo pipefail
# (quiets debugpy's "frozen modules" warnings from Debian's Python)
export PYDEVD_DISABLE_FILE_VALIDATION=1
cd "$(dirname "$0")/.."

packages=(jupyter-nbconvert jupyter-client python3-nbclient python3-nbformat python3-ipython python3-ipykernel)
if ! { [ -x /usr/bin/jupyter ] && /usr/bin/python3 -c 'import nbconvert, nbclient, nbformat, ipykernel' 2>/dev/null; }; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

tslab_bin="$(pwd)/node_modules/.bin/tslab"
if [ ! -x "$tslab_bin" ]; then
  echo "setup-jupyter: $tslab_bin missing; run 'npm ci' first" >&2
  exit 1
fi
"$tslab_bin" install --python=/usr/bin/python3 --binary="$tslab_bin" >/dev/null
/usr/bin/jupyter kernelspec list | grep -q '^ *tslab ' || { echo "setup-jupyter: tslab kernel not registered" >&2; exit 1; }
echo "setup-jupyter: jupyter $(/usr/bin/jupyter nbconvert --version) with the tslab kernel is ready"
