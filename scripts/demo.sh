#!/usr/bin/env bash
# The demo on a fresh clone: install what is missing, build, then one inference end to end on the embedded
# default (Temporal dev server + embedded PostgreSQL + the GPU-host simulator as a local host).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -d node_modules/@temporalio/worker ]] || npm ci --no-audit --no-fund
bash scripts/setup.sh >/dev/null
npx tsc -p tsconfig.json
exec node dist/src/demo.js
