#!/usr/bin/env bash
# Packs `nada` for a GPU machine that has PyTorch (with CUDA) but no .NET and no NuGet.
#
# Publishes src/Nada.Cli framework-dependent with the CPU TorchSharp backend (the managed TorchSharp.dll is the
# same assembly as the CUDA build's), drops LibTorch (the GPU machine supplies PyTorch's CUDA LibTorch at run
# time through LD_LIBRARY_PATH, see run-bench.sh), keeps TorchSharp's libLibTorchSharp.so, and adds the .NET
# runtime (host `dotnet` + shared/Microsoft.NETCore.App/<version>) and a libstdc++ new enough for
# libLibTorchSharp.so (GLIBCXX_3.4.32; used there only when the system's is older). Result: one .tar.xz.
#
# Usage: scripts/gpu/pack.sh [OUT_DIR]        (default artifacts/gpu; artifacts/ is git-ignored)
# Environment: DOTNET_ROOT (default: the folder of the `dotnet` on PATH), NADA_USERLAND (where to take
#              libstdc++ from when the host's is too old; default ~/.cache/nada/userland-trixie-v2).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mkdir -p "${1:-$root/artifacts/gpu}" && cd "${1:-$root/artifacts/gpu}" && pwd)"
dotnet_root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
log() { printf '[pack] %s\n' "$*" >&2; }

stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/app" "$stage/dotnet/shared/Microsoft.NETCore.App" "$stage/compat"

log "publishing src/Nada.Cli (Release, TorchBackend=cpu, framework-dependent, linux-x64)"
dotnet publish "$root/src/Nada.Cli" -c Release -p:TorchBackend=cpu -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=false -o "$stage/app" -v quiet -nologo >&2

# LibTorch comes from PyTorch on the GPU machine: keep only TorchSharp's own native shim (and SkiaSharp's).
find "$stage/app" -name '*.so*' ! -name 'libLibTorchSharp.so' ! -name 'libSkiaSharp.so' -delete
find "$stage/app" -name '*.pdb' -delete
[ -f "$stage/app/libLibTorchSharp.so" ] || { log "libLibTorchSharp.so missing from the publish output"; exit 1; }

runtime_version="$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)"
[ -n "$runtime_version" ] || { log "no .NET runtime under $dotnet_root/shared/Microsoft.NETCore.App"; exit 1; }
log ".NET runtime $runtime_version from $dotnet_root"
cp "$dotnet_root/dotnet" "$stage/dotnet/"
cp -r "$dotnet_root/host" "$stage/dotnet/"
cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "$stage/dotnet/shared/Microsoft.NETCore.App/"

# A libstdc++ with GLIBCXX_3.4.32 (GCC 13+) for libLibTorchSharp.so, from the host or the Debian 13 userland.
need=GLIBCXX_3.4.32
libstdcxx=""
for cand in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 \
            "${NADA_USERLAND:-$HOME/.cache/nada/userland-trixie-v2}/usr/lib/x86_64-linux-gnu/libstdc++.so.6"; do
  if [ -r "$cand" ] && grep -qa "$need" "$(readlink -f "$cand")"; then libstdcxx="$cand"; break; fi
done
if [ -n "$libstdcxx" ]; then
  cp "$(readlink -f "$libstdcxx")" "$stage/compat/libstdc++.so.6"
  cp "$(readlink -f "$(dirname "$libstdcxx")/libgcc_s.so.1")" "$stage/compat/libgcc_s.so.1"
  log "bundled $libstdcxx (needs glibc $(objdump -T "$stage/compat/libstdc++.so.6" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || echo '?'))"
else
  log "warning: no libstdc++ with $need found; the GPU machine's own must have it"
fi

cp "$root/scripts/gpu/run-bench.sh" "$stage/"
git -C "$root" rev-parse HEAD > "$stage/COMMIT" 2>/dev/null || echo unknown > "$stage/COMMIT"
echo "$runtime_version" > "$stage/DOTNET_VERSION"

bundle="$out/nada-gpu-bench.tar.xz"
log "packing $bundle"
tar -C "$stage" -cf - . | xz -T0 -9 > "$bundle.tmp"
mv "$bundle.tmp" "$bundle"
rm -rf "$stage"
log "done: $bundle ($(du -h "$bundle" | cut -f1))"
echo "$bundle"
