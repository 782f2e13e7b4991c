#!/usr/bin/env bash
# Speed-and-memory issue, item 1, measured as a user meets it: a fresh web app (real engine, tiny parity networks)
# runs a job of NADA_STEPS (60) steps through the API; then one sampling request; then the same job again in the same
# app. With BUSY busy-loop processes per CPU running beside it (first argument; 0 = idle).
#   scripts/experiments/web-contention.sh 0     # idle
#   scripts/experiments/web-contention.sh 2     # 2 busy loops per core
# Prints the two job times and their ratio. Needs the built app (it builds src/Nada.Web first) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
busy="${1:-0}"
steps="${NADA_STEPS:-60}"
port="${NADA_PORT:-5077}"
parity="$(readlink -f "${NADA_PARITY_DIR:-../shared/parity}")"
data="$(mktemp -d /tmp/nada-contention-XXXXXX)"
mkdir -p "$data/models/generators" "$data/models/clip"
cp "$parity/stylegan2_rosinality.pt" "$data/models/generators/tiny.pt"
cp "$parity/clip_openai_tiny_vit.pt" "$data/models/clip/tiny-clip.pt"
dotnet build src/Nada.Web -c Release -v quiet -nologo -clp:ErrorsOnly >&2

pids=()
app=""
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "$app" ] && kill "$app" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
for ((i = 0; i < busy * $(nproc); i++)); do (while :; do :; done) & pids+=($!); done

base="http://127.0.0.1:$port"
ASPNETCORE_URLS="$base" Nada__DataDir="$data" Nada__ModelsDir="$data/models" Admin__Email=admin@contention.test \
  Admin__Password='Admin-pass-1' scripts/in-userland.sh dotnet src/Nada.Web/bin/Release/net10.0/Nada.Web.dll \
  --contentRoot "$root/src/Nada.Web" > "$data/app.log" 2>&1 &
app=$!
until curl -sf "$base/health/live" > /dev/null; do sleep 0.5; done
jar="$data/cookies"
json() { curl -sf -b "$jar" -c "$jar" -H 'Content-Type: application/json' "$@"; }
json -X POST "$base/api/auth/register" -d '{"email":"load@contention.test","password":"Contention-pass-7"}' > /dev/null
json -X POST "$base/api/auth/login" -d '{"email":"load@contention.test","password":"Contention-pass-7"}' > /dev/null
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

job() {   # prints "seconds domainId"
  local t0 id st
  t0=$(date +%s.%N)
  id=$(json -X POST "$base/api/jobs" -d "{\"generator\":\"tiny.pt\",\"clipModels\":[\"tiny-clip.pt\"],\"sourceText\":\"photo\",\"targetText\":\"sketch\",\"iterations\":$steps}" | field "['id']")
  while :; do
    st=$(json "$base/api/jobs/$id")
    case "$(echo "$st" | field "['status']")" in
      Succeeded|succeeded|2) break ;;
      Failed|failed|Cancelled|cancelled) echo "job failed: $st" >&2; exit 1 ;;
    esac
    sleep 0.2
  done
  echo "$(echo "$(date +%s.%N) - $t0" | bc) $(echo "$st" | field "['domainId']")"
}
read -r fresh domain < <(job)
t0=$(date +%s.%N); curl -sf -b "$jar" "$base/files/domains/$domain/samples/1" > /dev/null; sample=$(echo "$(date +%s.%N) - $t0" | bc)
read -r warm _ < <(job)
printf 'busy loops per CPU: %s; %s-step job: fresh app %.1f s, after one sampling request (%.1f s) %.1f s; ratio %.2f\n' \
  "$busy" "$steps" "$fresh" "$sample" "$warm" "$(echo "$fresh / $warm" | bc -l)"
