#!/usr/bin/env bash
# Starts the NadaWeb web app on embedded defaults: SQLite database and in-memory Hangfire under ./data,
# an admin seeded from NADA_ADMIN_EMAIL / NADA_ADMIN_PASSWORD (defaults below), listening on
# http://127.0.0.1:5000 (override with NADA_URLS). Runs through scripts/in-userland.sh because the real
# engine loads TorchSharp. Environment (all optional):
#   NADA_URLS             listen address(es), default http://127.0.0.1:5000
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
export Admin__Email="${NADA_ADMIN_EMAIL:-${Admin__Email:-admin@nada.local}}"
export Admin__Password="${NADA_ADMIN_PASSWORD:-${Admin__Password:-Admin-pass-1}}"
mkdir -p "$Nada__DataDir" "$Nada__ModelsDir/generators" "$Nada__ModelsDir/clip"
parity="$(readlink -f "${NADA_PARITY_DIR:-../shared/parity}" 2>/dev/null || true)"
if [ -z "$(ls -A "$Nada__ModelsDir/generators")" ] && [ -f "$parity/stylegan2_rosinality.pt" ]; then
  echo "NadaWeb: empty models folder; adding the tiny parity networks from $parity as demo models"
  cp "$parity/stylegan2_rosinality.pt" "$Nada__ModelsDir/generators/tiny-parity-stylegan2-64px.pt"
  cp "$parity/clip_openai_tiny_vit.pt" "$Nada__ModelsDir/clip/tiny-parity-clip-vit.pt"
  export NADA_PARITY_DIR="$parity"
fi
dotnet build src/Nada.Web -c Release -v quiet -nologo -clp:ErrorsOnly >&2
echo "NadaWeb: starting (data: $Nada__DataDir, admin: $Admin__Email)"
started=$SECONDS
scripts/in-userland.sh dotnet src/Nada.Web/bin/Release/net10.0/Nada.Web.dll --contentRoot "$root/src/Nada.Web" &
app=$!
# Ctrl-C reaches the app through the terminal; a TERM sent to this script (a service manager) is passed on.
trap 'kill -TERM "$app" 2>/dev/null; wait "$app"; exit $?' TERM

# "listening" only once the app answers: probe the first URL's /health/live (any-address hosts through the loopback).
first="${urls%%;*}"
scheme="${first%%://*}"
hostport="${first#*://}"; hostport="${hostport%%/*}"
port="${hostport##*:}"; host="${hostport%:*}"
case "$host" in 0.0.0.0|'*'|+|'[::]'|'') host=127.0.0.1 ;; esac
host="${host#[}"; host="${host%]}"
answers() {
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
  if [ "$scheme" = https ]; then exec 3>&-; return 0; fi
  printf 'GET /health/live HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
  local status=""
  read -r -t 5 status <&3 || true
  exec 3>&-
  [[ "$status" == *" 200"* ]]
}
until answers; do
  if ! kill -0 "$app" 2>/dev/null; then
    rc=0; wait "$app" || rc=$?
    echo "NadaWeb: the app stopped before it answered (exit $rc); see the log lines above." >&2
    exit "$rc"
  fi
  sleep 0.5
done
echo "NadaWeb: listening on $urls (answered after $((SECONDS - started)) s; data: $Nada__DataDir, admin: $Admin__Email)"
wait "$app"
