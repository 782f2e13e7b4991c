#!/usr/bin/env bash
# Runs the `nada` command-line tool (building it first when needed), in the Debian 13 userland where the
# host's libstdc++ is too old for TorchSharp (see in-userland.sh). Paths given to it must lie under the
# repository's parent folder, /tmp, or a folder named in NADA_USERLAND_BINDS (space-separated).
#   scripts/nada.sh sample --generator model.pkl --seeds 0-7 --out samples
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dll="$root/src/Nada.Cli/bin/Release/net10.0/nada.dll"
if [ ! -f "$dll" ] || [ -n "$(find "$root/src/Nada.Cli" "$root/src/Nada.Core" -newer "$dll" -name '*.cs' -print -quit)" ]; then
  dotnet build "$root/src/Nada.Cli" -c Release -v quiet -nologo >&2
fi
exec "$root/scripts/in-userland.sh" dotnet "$dll" "$@"
