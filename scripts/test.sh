#!/usr/bin/env bash
# Sets up what is missing and runs every test of NadaWeb. Extra arguments go to `dotnet test`
# (e.g. --filter FullyQualifiedName~Parity). Parity vectors: NADA_PARITY_DIR (default ../shared/parity).
set -euo pipefail
cd "$(dirname "$0")/.."
export NADA_PARITY_DIR="$(readlink -f "${NADA_PARITY_DIR:-../shared/parity}")"
# Restore on the host (NuGet needs no native TorchSharp); build and test where TorchSharp loads.
dotnet restore NadaWeb.sln
export NADA_USERLAND_KIND=test
exec scripts/in-userland.sh scripts/_test-inner.sh --no-restore "$@"
