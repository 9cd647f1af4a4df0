#!/usr/bin/env bash
# The README's test command: set up whatever is missing, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Argdown's own parser (npm @argdown/cli) checks argmap's Argdown export; installed once into .tools/
# when npm is available (the test is skipped, saying so, where it is not).
if command -v npm >/dev/null 2>&1 && [ ! -x .tools/node_modules/.bin/argdown ]; then
  npm install --prefix .tools --no-audit --no-fund --silent @argdown/cli@1.7.5 >/dev/null 2>&1 \
    || echo "test: could not install @argdown/cli; the Argdown parser check will be skipped" >&2
fi
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
exec .venv/bin/python -m pytest -q "$@"
