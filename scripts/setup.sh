#!/usr/bin/env bash
# Installs what socred needs from Debian's packages (only the missing ones),
# then configures and builds. Usage: scripts/setup.sh [BUILD_DIR [cmake args...]]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(gcc libc6-dev cmake ninja-build pkg-config libsqlite3-dev sqlite3 libyaml-dev
      libjansson-dev libcmocka-dev libmicrohttpd-dev libsodium-dev curl)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD=${1:-build}
shift || true
cmake -S . -B "$BUILD" -G Ninja "$@" > "$BUILD.cmake.log" 2>&1 || { cat "$BUILD.cmake.log" >&2; exit 1; }
rm -f "$BUILD.cmake.log"
ninja -C "$BUILD" >&2
