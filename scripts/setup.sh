#!/usr/bin/env bash
# Installs what socred needs from Debian's packages (only the missing ones),
# then configures and builds. Usage: scripts/setup.sh [BUILD_DIR [cmake args...]]
# With SOCRED_SETUP_TESTS=1 (scripts/test.sh sets it) it also installs what
# the tests need: sqlite3, curl, wrk, PostgreSQL 15, Chromium, Node.js and
# playwright-core; with SOCRED_SETUP_FUZZ=1 (scripts/fuzz.sh), clang and
# libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(gcc libc6-dev cmake ninja-build pkg-config libsqlite3-dev libyaml-dev
      libjansson-dev libcmocka-dev libmicrohttpd-dev libsodium-dev libssl-dev
      libunistring-dev zlib1g-dev libpq-dev)
TESTS=${SOCRED_SETUP_TESTS:-0}
if [ "$TESTS" = 1 ]; then
	# postgresql-15: the binaries tests/pg/pg.bash runs its own clusters with
	# (the system cluster the package may create is never used)
	PKGS+=(sqlite3 curl chromium wrk postgresql-15)
	command -v node > /dev/null && command -v npm > /dev/null || PKGS+=(nodejs npm)
fi
# memcheck (scripts/valgrind.sh)
if [ "${SOCRED_SETUP_VALGRIND:-0}" = 1 ]; then
	PKGS+=(valgrind)
fi
# the fuzzers (scripts/fuzz.sh): clang with libFuzzer and its sanitizers
if [ "${SOCRED_SETUP_FUZZ:-0}" = 1 ]; then
	PKGS+=(clang libclang-rt-14-dev)
fi
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

# the portal tests: playwright-core (drives Debian's chromium; no browser download)
if [ "$TESTS" = 1 ] && [ ! -d tests/portal/node_modules/playwright-core ]; then
	echo "setup: npm ci in tests/portal" >&2
	(cd tests/portal && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

BUILD=${1:-build}
shift || true
cmake -S . -B "$BUILD" -G Ninja "$@" > "$BUILD.cmake.log" 2>&1 || { cat "$BUILD.cmake.log" >&2; exit 1; }
rm -f "$BUILD.cmake.log"
ninja -C "$BUILD" >&2
