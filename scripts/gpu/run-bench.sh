#!/usr/bin/env bash
# Runs `nada bench` on a GPU machine from the bundle that scripts/gpu/pack.sh made: no .NET or NuGet needed
# there, LibTorch comes from the installed PyTorch (its torch/lib, CUDA build).
#
# Usage: scripts/gpu/run-bench.sh [BUNDLE.tar.xz | UNPACKED_DIR]
#   default bundle: artifacts/gpu/nada-gpu-bench.tar.xz beside this repository, or this script's own folder
#   when it runs from inside an unpacked bundle.
# Environment (all optional):
#   OUT                where results go (default ./bench-out): bench-<shapes>-w<N>-<precision>.json/.txt per process,
#                      table.md (every result in one Markdown table), env.txt
#   NADA_BENCH_DEVICE  cuda (default) or cpu
#   NADA_BENCH_ARGS    extra arguments for every run
#   SHAPES             shapes to run, e.g. "full r256" (default "full"; "small" for a quick check)
#   PRECISIONS         precisions, e.g. "fp32 bf16 fp16" (the default); "default" = the device's default plan
#   WORKLOADS          workloads, one process each, in this order (default "5 1 2 3 4": first step first;
#                      7 compact-domain training, 8 StyleGAN3 training, 9 StyleGAN3 sampling on request)
#   REPEATS / WARMUP   timed / untimed steps per workload (default 10 / 3)
#   RUN_TIMEOUT        seconds per workload process (default 240)
#   SMOKE              1 (default): first a tiny --small run on the device, to fail fast
#   NADA_LIBTORCH_DIR  folder with libtorch*.so (default: PyTorch's, from python3 -c 'import torch')
#   NADA_BUNDLE_DIR    where to unpack (default ${TMPDIR:-/tmp}/nada-gpu-bench)
#   NADA_LIBSTDCXX_DIR folder with a GCC 13+ libstdc++.so.6, when the system's is older (default: the bundled
#                      one, which needs glibc >= 2.38)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[run-bench] %s\n' "$*" >&2; }

# --- the bundle -------------------------------------------------------------------------------------------
src="${1:-}"
if [ -z "$src" ]; then
  if [ -f "$here/app/nada.dll" ]; then src="$here"
  else src="$(cd "$here/../.." && pwd)/artifacts/gpu/nada-gpu-bench.tar.xz"; fi
fi
if [ -d "$src" ]; then
  b="$(cd "$src" && pwd)"
else
  [ -f "$src" ] || { log "bundle $src not found: run scripts/gpu/pack.sh on the build machine and bring artifacts/gpu/nada-gpu-bench.tar.xz along"; exit 2; }
  b="${NADA_BUNDLE_DIR:-${TMPDIR:-/tmp}/nada-gpu-bench}"
  rm -rf "$b"; mkdir -p "$b"
  log "unpacking $src to $b"
  if command -v xz >/dev/null; then xz -dc "$src" | tar -C "$b" -xf -
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$src" "$b"; fi
fi
[ -x "$b/dotnet/dotnet" ] && [ -f "$b/app/nada.dll" ] || { log "$b is not a nada bundle (no dotnet/dotnet or app/nada.dll)"; exit 2; }

# --- LibTorch from PyTorch ---------------------------------------------------------------------------------
out="${OUT:-$PWD/bench-out}"
mkdir -p "$out"
torchlib="${NADA_LIBTORCH_DIR:-}"
if [ -z "$torchlib" ]; then
  torchdir="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')" \
    || { log "python3 cannot import torch; set NADA_LIBTORCH_DIR to a folder with libtorch.so"; exit 2; }
  torchlib="$torchdir/lib"
  python3 -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "available", torch.cuda.is_available())' \
    > "$out/env.txt" 2>&1 || true
fi
[ -f "$torchlib/libtorch.so" ] || { log "no libtorch.so in $torchlib"; exit 2; }
{
  echo "libtorch dir: $torchlib"
  echo "bundle commit: $(cat "$b/COMMIT" 2>/dev/null || echo unknown), .NET $(cat "$b/DOTNET_VERSION" 2>/dev/null || echo unknown)"
  if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv 2>&1
  else echo "nvidia-smi unavailable"; fi
  echo "cpus: $(nproc)"
} >> "$out/env.txt"

# --- libstdc++: libLibTorchSharp.so needs GLIBCXX_3.4.32 -----------------------------------------------------
ld_extra="${NADA_LIBSTDCXX_DIR:-}"
system_ok=0
for lib in $(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF}') /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
  if [ -r "$lib" ] && grep -qa GLIBCXX_3.4.32 "$(readlink -f "$lib")"; then system_ok=1; break; fi
done
if [ "$system_ok" = 0 ] && [ -z "$ld_extra" ]; then
  glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
  if [ -f "$b/compat/libstdc++.so.6" ] && [ "$(printf '%s\n2.38\n' "${glibc:-0}" | sort -V | head -1)" = 2.38 ]; then
    log "system libstdc++ lacks GLIBCXX_3.4.32: using the bundled one"
    ld_extra="$b/compat"
  else
    log "system libstdc++ lacks GLIBCXX_3.4.32 (needed by libLibTorchSharp.so) and the bundled one needs glibc >= 2.38 (this is ${glibc:-unknown});"
    log "point NADA_LIBSTDCXX_DIR at a folder with a GCC 13+ libstdc++.so.6 built for this glibc (e.g. a conda env's lib)"
    exit 2
  fi
fi
echo "libstdc++: ${ld_extra:-system}" >> "$out/env.txt"

export DOTNET_ROOT="$b/dotnet" DOTNET_MULTILEVEL_LOOKUP=0 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
       DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export LD_LIBRARY_PATH="$torchlib${ld_extra:+:$ld_extra}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

device="${NADA_BENCH_DEVICE:-cuda}"
timeout_s="${RUN_TIMEOUT:-240}"
if [ "${SMOKE:-1}" = 1 ]; then
  log "smoke: --small --workloads 3 in every precision on $device"
  set +e
  timeout "$timeout_s" "$b/dotnet/dotnet" "$b/app/nada.dll" bench --device "$device" --small --workloads 3 --precision all --repeats 1 --warmup 1 \
    --json "$out/smoke.json" 2>&1 | tee "$out/smoke.txt"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || { log "smoke run failed with exit code $rc (see $out/smoke.txt)"; exit 1; }
fi

status=0
for s in ${SHAPES:-full}; do
  for p in ${PRECISIONS:-fp32 bf16 fp16}; do
    for w in ${WORKLOADS:-5 1 2 3 4}; do
      name="bench-$s-w$w-$p"
      log "shapes $s, workload $w, precision $p on $device (own process)"
      prec=(--precision "$p"); [ "$p" = default ] && prec=()
      set +e
      # shellcheck disable=SC2086
      timeout "$timeout_s" "$b/dotnet/dotnet" "$b/app/nada.dll" bench --device "$device" --shapes "$s" --workloads "$w" "${prec[@]}" \
        --repeats "${REPEATS:-10}" --warmup "${WARMUP:-3}" ${NADA_BENCH_ARGS:-} --json "$out/$name.json" 2>&1 | tee "$out/$name.txt"
      rc=${PIPESTATUS[0]}
      set -e
      [ "$rc" = 0 ] || { log "$name failed with exit code $rc"; status=1; }
    done
  done
done
shopt -s nullglob
results=("$out"/bench-*.json)
if [ ${#results[@]} -gt 0 ]; then
  "$b/dotnet/dotnet" "$b/app/nada.dll" bench --summarize "${results[@]}" > "$out/table.md" || status=1
  log "table: $out/table.md"
fi
log "results in $out"
exit $status
