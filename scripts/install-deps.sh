#!/usr/bin/env bash
# Installs the Debian 12 packages that dnspush needs to build, test, fuzz and benchmark.
# Idempotent: packages already installed are skipped, and apt is not touched at all when
# nothing is missing. Safe in containers: the DNS daemons that bind9 and knot would start
# on installation (and that would hold port 53) are kept from starting, and stopped if
# they started anyway.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config g++ clang-14 libclang-rt-14-dev clang-format
  # libraries
  libasio-dev libssl-dev libknot-dev liblmdb-dev liburing-dev libcli11-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libexpected-dev libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev
  # test peers and tools
  bind9 bind9-dnsutils knot knot-dnsutils dnsperf tshark python3-dnspython openssl
  # packaging checks: dpkg-shlibdeps (cpack), systemd-analyze verify, man --warnings
  dpkg-dev systemd man-db
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root (no sudo either)" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Which daemons run already? We only stop what this script started.
# (pgrep is in procps, which a minimal image may lack: read /proc directly.)
pids_of() {
  local f
  for f in /proc/[0-9]*/comm; do
    if [[ -r $f && "$(cat "$f" 2>/dev/null)" == "$1" ]]; then
      f=${f#/proc/}
      echo "${f%/comm}"
    fi
  done
}
running_before() { [[ -n "$(pids_of "$1")" ]]; }
named_before=0
knotd_before=0
running_before named && named_before=1
running_before knotd && knotd_before=1

# Keep maintainer scripts from starting services (invoke-rc.d honours policy-rc.d; exit
# code 101 means "action forbidden"). Only install our own if none exists, and remove it
# afterwards.
POLICY=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  own_policy=1
fi
cleanup() {
  if [[ $own_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi
}
trap cleanup EXIT

apt_install() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# Update the package lists first only if some package has no installation candidate.
need_update=0
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [[ -z "$cand" || "$cand" == "(none)" ]]; then
    need_update=1
    break
  fi
done
if [[ $need_update -eq 1 ]]; then
  "${SUDO[@]}" apt-get update
fi
if ! apt_install "${missing[@]}"; then
  # Stale lists (a package version gone from the mirror): refresh once and retry.
  "${SUDO[@]}" apt-get update
  apt_install "${missing[@]}"
fi

# tshark: let non-root users capture only if the admin says so; we never change that here.

# Stop daemons that the installation started despite the policy (e.g. a policy-rc.d that
# was already present and allows starting).
for d in named knotd; do
  before_var="${d}_before"
  if [[ ${!before_var} -eq 0 ]] && running_before "$d"; then
    echo "install-deps: stopping $d started by the installation"
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      unit=$([[ $d == named ]] && echo named || echo knot)
      "${SUDO[@]}" systemctl stop "$unit" || true
      "${SUDO[@]}" systemctl disable "$unit" >/dev/null 2>&1 || true
    fi
    for pid in $(pids_of "$d"); do
      "${SUDO[@]}" kill "$pid" 2>/dev/null || true
    done
  fi
done

still=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || still+=("$p")
done
if [[ ${#still[@]} -ne 0 ]]; then
  echo "install-deps: still missing: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: done"
