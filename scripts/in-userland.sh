#!/usr/bin/env bash
# Runs a command where TorchSharp's native library can load.
#
# TorchSharp 0.107 (LibTorch 2.10) needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+). Where the host has it
# (Ubuntu 24.04, Debian 13, the Docker image) the command runs directly. Where it does not (Debian 12),
# the command runs inside a Debian 13 (trixie) userland that this script creates once with debootstrap
# and caches, with the .NET SDK, ~/.nuget, the repository's parent folder (so ../shared resolves),
# NADA_PARITY_DIR, /proc, /dev and /sys bind-mounted in a private mount namespace: nothing stays
# mounted when the command ends.
#
# Usage: scripts/in-userland.sh COMMAND [ARG...]      (runs in the current directory)
# Environment:
#   NADA_USERLAND_KIND   run (default: what the app and the CLI need) | test (also Chromium for the browser tests,
#                        and PostgreSQL and Redis for the several-boxes tests)
#   NADA_USERLAND        where the userland lives (default ~/.cache/nada/userland-trixie-<kind>-v<version>)
#   NADA_USERLAND_FORCE  1 = use the userland even when the host's libstdc++ is new enough
set -euo pipefail

required=GLIBCXX_3.4.32
kind="${NADA_USERLAND_KIND:-run}"
case "$kind" in run|test) ;; *) echo "error: NADA_USERLAND_KIND is '$kind'; use run or test" >&2; exit 1 ;; esac
# Bump when the package lists change: a new userland is built beside the old one.
userland_version=3
userland="${NADA_USERLAND:-$HOME/.cache/nada/userland-trixie-$kind-v$userland_version}"
userland_packages="libicu76,libssl3t64,ca-certificates"
# Installed with apt inside the userland after debootstrap (debootstrap cannot configure chromium's dependencies
# itself). The test userland adds Debian's Chromium (Playwright browser tests) and a font, and PostgreSQL and Redis
# (started by the several-boxes tests on free ports, never as services).
userland_apt_packages=""
[ "$kind" = test ] && userland_apt_packages="chromium fonts-dejavu-core postgresql redis-server"
lock="$HOME/.cache/nada/userland-$kind.lock"

log() { printf '[userland] %s\n' "$*" >&2; }

host_has_new_libstdcxx() {
  local lib
  for lib in $(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF}') \
             /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    [ -r "$lib" ] && grep -qa "$required" "$lib" && return 0
  done
  return 1
}

if [ "${NADA_USERLAND_FORCE:-0}" != 1 ] && host_has_new_libstdcxx; then
  exec "$@"
fi

if [ "$(id -u)" != 0 ]; then
  echo "error: this host's libstdc++ lacks $required (TorchSharp needs GCC 13+), and building the Debian 13" >&2
  echo "       userland that works around it needs root (debootstrap, mount, chroot). Run as root, or use" >&2
  echo "       Ubuntu 24.04 / Debian 13 / the Docker image." >&2
  exit 1
fi

userland_ready() { [ -f "$userland/.nada-userland" ] && [ "$(cat "$userland/.nada-userland")" = "$userland_version" ]; }

ensure_userland() {
  userland_ready && return
  # One builder at a time: a second first run (test.sh beside run.sh) waits for the first instead of replacing the
  # userland under it; a userland that is ready is never removed.
  mkdir -p "$(dirname "$lock")"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another run is creating the $kind userland; waiting for it"
    flock 9
  fi
  if userland_ready; then
    flock -u 9
    return
  fi
  build_userland
  flock -u 9
}

build_userland() {
  local started=$SECONDS
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap) >&2
  fi
  local tmp="$userland.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$userland")"
  log "host libstdc++ lacks $required: creating a Debian 13 userland ($kind) at $userland, once (about 1 min for run, 3 min for test, on Debian's mirror)"
  if ! debootstrap --variant=minbase --include="$userland_packages" trixie "$tmp" >"$tmp.log" 2>&1; then
    tail -20 "$tmp.log" >&2
    echo "error: debootstrap of Debian 13 into $tmp failed (log: $tmp.log); it needs Debian's package mirror." >&2
    exit 1
  fi
  rm -f "$tmp.log"
  cp -L /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  if [ -n "$userland_apt_packages" ]; then
    log "installing $userland_apt_packages into the userland"
    # No service may start inside the chroot while packages install.
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod +x "$tmp/usr/sbin/policy-rc.d"
    if ! unshare --mount --propagation private bash -c '
        set -e; u="$1"; shift
        mount -t proc proc "$u/proc"; mount --rbind /dev "$u/dev"
        chroot "$u" /bin/bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $*"
      ' apt "$tmp" $userland_apt_packages >"$tmp.apt.log" 2>&1; then
      tail -20 "$tmp.apt.log" >&2
      echo "error: installing $userland_apt_packages into $tmp failed (log: $tmp.apt.log)." >&2
      exit 1
    fi
    rm -f "$tmp.apt.log"
  fi
  echo "$userland_version" >"$tmp/.nada-userland"
  # Only an unfinished or outdated copy is ever in the way here (a ready one returned above).
  rm -rf "$userland"
  mv "$tmp" "$userland"
  log "userland ready in $((SECONDS - started)) s"
}

ensure_userland

dotnet_bin="$(command -v dotnet || true)"
[ -n "$dotnet_bin" ] || { echo "error: dotnet is not on PATH; install the .NET 10 SDK" >&2; exit 1; }
dotnet_root="$(dirname "$(readlink -f "$dotnet_bin")")"
cwd="$(pwd -P)"
repo="$(git -C "$cwd" rev-parse --show-toplevel 2>/dev/null || echo "$cwd")"
repo_parent="$(dirname "$repo")"

# Folders to bind at the same path inside the userland.
binds=("$dotnet_root" "$repo_parent" "$HOME/.nuget" /tmp)
[ -d /opt/nuget ] && binds+=(/opt/nuget)
if [ -n "${NADA_PARITY_DIR:-}" ] && [ -d "$NADA_PARITY_DIR" ]; then
  binds+=("$(readlink -f "$NADA_PARITY_DIR")")
fi
for extra in ${NADA_USERLAND_BINDS:-}; do binds+=("$extra"); done
mkdir -p "$HOME/.nuget"
cp -L /etc/resolv.conf "$userland/etc/resolv.conf" 2>/dev/null || true
cp -L /etc/hosts "$userland/etc/hosts" 2>/dev/null || true
# The host's trusted certificates (a site CA or an egress proxy's CA may be among them), so NuGet restores
# and downloads inside the userland trust what the host trusts.
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$userland/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$userland/etc/ssl/certs/ca-certificates.crt"
  export SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
fi

# The mount script runs in a private mount namespace; its mounts vanish with it.
inner=$(cat <<'INNER'
set -euo pipefail
u="$1"; shift; cwd="$1"; shift; dotnet_root="$1"; shift
nbinds="$1"; shift
for ((i = 0; i < nbinds; i++)); do
  src="$1"; shift
  mkdir -p "$u$src"
  mount --rbind "$src" "$u$src"
done
mount -t proc proc "$u/proc"
mount --rbind /dev "$u/dev"
mount --rbind /sys "$u/sys"
export PATH="$dotnet_root:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export DOTNET_ROOT="$dotnet_root"
exec chroot "$u" /bin/bash -c 'cd "$0" && exec "$@"' "$cwd" "$@"
INNER
)
exec unshare --mount --propagation private bash -c "$inner" inner "$userland" "$cwd" "$dotnet_root" \
  "${#binds[@]}" "${binds[@]}" "$@"
