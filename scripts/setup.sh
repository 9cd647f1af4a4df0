#!/usr/bin/env bash
# Sets up whatever is missing, and nothing else:
#   - Debian's graphviz (for `dot`), chromium and chromium-driver (the report's browser test),
#     qemu-user on x86_64 (tests/test_isa.py: other CPUs' instruction sets) and python3-venv,
#     via apt-get, when absent;
#   - a project virtual environment .venv/ with torch==2.13.0 (CPU build) pinned
#     and argmap installed in it with its pinned dependencies.
# Running it again is quick: the install step is skipped while setup.cfg is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
# headless Chromium and its driver: the report's browser test (tests/test_browser.py) and debate PDFs
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# qemu-user: tests/test_isa.py runs the models on emulated CPUs of other instruction sets
if [ "$(uname -m)" = x86_64 ]; then command -v qemu-x86_64 >/dev/null 2>&1 || missing+=(qemu-user); fi
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment $VENV" >&2
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.argmap-setup"
want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-32)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python dependencies into $VENV (torch==2.13.0 CPU build first)" >&2
  # torch first and pinned: an unpinned torch would pull several GB of CUDA packages.
  "$VENV/bin/pip" install -q --disable-pip-version-check "torch==2.13.0"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[test]"
  echo "$want" > "$stamp"
fi
