#!/usr/bin/env bash
# Sets up what is missing and runs every test of NadaWeb. Extra arguments go to `dotnet test`
# (e.g. --filter FullyQualifiedName~Parity). Parity vectors: NADA_PARITY_DIR (default ../shared/parity).
set -euo pipefail
cd "$(dirname "$0")/.."
export NADA_PARITY_DIR="$(readlink -f "${NADA_PARITY_DIR:-../shared/parity}")"
exec scripts/in-userland.sh scripts/_test-inner.sh "$@"
