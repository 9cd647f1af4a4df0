#!/usr/bin/env bash
# Reproduce docs/quality.md: the dev table (argmap's trained pair model beside plain cosine).
# Usage: scripts/eval_quality.sh [DATA_DIR] [SPLIT]
set -euo pipefail
DATA=${1:-/work/shared/data}
SPLIT=${2:-dev}
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
time "$PY" -c "from argmap.cli_eval import eval_command; eval_command()" "$DATA" --split "$SPLIT"
