#!/usr/bin/env bash
# The README's main command: set up whatever is missing, then run argmap's main job on
# corpus/: ingest the articles (claims, embeddings, issues, relations) and regenerate the
# argument maps in maps/. Running it again is quick: unchanged files are not re-read,
# unchanged claims are not re-embedded, an unchanged analysis is not recomputed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ARGMAP_DB="${ARGMAP_DB:-argmap.db}"
.venv/bin/argmap ingest corpus/
.venv/bin/argmap map --out maps --format svg
.venv/bin/argmap map --out maps/png --format png >/dev/null
.venv/bin/argmap report --out maps/report.html
.venv/bin/argmap issues | head -n 20 || true  # the first issues; `argmap issues` lists all
echo
echo "Maps: maps/overview.svg and maps/issue-*.svg (PNG copies in maps/png/)."
echo "Report: open maps/report.html in a browser (one file, works offline). Try:"
echo "  .venv/bin/argmap search \"China is back at center stage\""
