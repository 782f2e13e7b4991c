#!/usr/bin/env bash
# Starts the NadaWeb web app on embedded defaults: SQLite database and in-memory Hangfire under ./data,
# an admin seeded from NADA_ADMIN_EMAIL / NADA_ADMIN_PASSWORD (defaults below), listening on
# http://127.0.0.1:5000 (override with NADA_URLS). Runs through scripts/in-userland.sh because the real
# engine loads TorchSharp. Environment (all optional):
#   NADA_URLS             listen address(es), default http://127.0.0.1:5000
#   NADA_ENGINE           torch (default: the real engine) | fake (a stand-in that draws cartoons, for UI work)
#   NADA_PARITY_DIR       where the tiny parity networks are (default ../shared/parity); with an empty models
#                         folder they are copied in as demo models, so the whole flow runs on a CPU
#   Nada__DataDir, Nada__ModelsDir, Jobs__Storage, Jobs__GpuCount, Limits__*   see src/Nada.Web/appsettings.json
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
urls="${NADA_URLS:-http://127.0.0.1:5000}"
export ASPNETCORE_URLS="$urls"
export Nada__DataDir="${Nada__DataDir:-$root/data}"
export Nada__ModelsDir="${Nada__ModelsDir:-$root/data/models}"
export Engine__Kind="${NADA_ENGINE:-${Engine__Kind:-torch}}"
export Admin__Email="${NADA_ADMIN_EMAIL:-${Admin__Email:-admin@nada.local}}"
export Admin__Password="${NADA_ADMIN_PASSWORD:-${Admin__Password:-Admin-pass-1}}"
mkdir -p "$Nada__DataDir" "$Nada__ModelsDir/generators" "$Nada__ModelsDir/clip"
parity="$(readlink -f "${NADA_PARITY_DIR:-../shared/parity}" 2>/dev/null || true)"
if [ "$Engine__Kind" = torch ] && [ -z "$(ls -A "$Nada__ModelsDir/generators")" ] && [ -f "$parity/stylegan2_rosinality.pt" ]; then
  echo "NadaWeb: empty models folder; adding the tiny parity networks from $parity as demo models"
  cp "$parity/stylegan2_rosinality.pt" "$Nada__ModelsDir/generators/tiny-parity-stylegan2-64px.pt"
  cp "$parity/clip_openai_tiny_vit.pt" "$Nada__ModelsDir/clip/tiny-parity-clip-vit.pt"
  export NADA_PARITY_DIR="$parity"
fi
dotnet build src/Nada.Web -c Release -v quiet -nologo -clp:ErrorsOnly >&2
echo "NadaWeb: listening on $urls (data: $Nada__DataDir, engine: $Engine__Kind, admin: $Admin__Email)"
exec scripts/in-userland.sh dotnet src/Nada.Web/bin/Release/net10.0/Nada.Web.dll --contentRoot "$root/src/Nada.Web"
