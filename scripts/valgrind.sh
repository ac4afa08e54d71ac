#!/usr/bin/env bash
# Valgrind's memcheck over the release build: every unit test, every golden
# case, the fuzz corpora and the end-to-end tests of the command and the
# server (each socred they start runs under memcheck: see SOCRED_VALGRIND in
# tests/e2e/lib.bash). Any invalid access, use of uninitialised memory or
# definite leak fails it. Only the portal test (Chromium) is left out.
# Usage: scripts/valgrind.sh [E2E_TEST...]   (default: every tests/e2e/*.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export SOCRED_SETUP_TESTS=1 SOCRED_SETUP_VALGRIND=1
scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCRED_WERROR=ON
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
status=0
run() { if "$@" > /dev/null; then echo "memcheck ok: ${*: -1}"; else echo "memcheck FAILED: $*" >&2; status=1; fi; }
for t in build/tests/test_*; do run "${VG[@]}" "$t"; done
run "${VG[@]}" build/tests/run_golden tests/golden/cases/*.case
for f in fuzz/corpus/*; do run "${VG[@]}" "build/fuzz/replay_$(basename "$f")" "$f"; done
all=$(ls tests/e2e/*.sh | xargs -n1 basename | sed 's/\.sh$//')
for e in ${*:-$all}; do
	if SOCRED_VALGRIND=1 bash "tests/e2e/$e.sh" "$PWD/build/socred" "$PWD" > "build/valgrind_$e.log" 2>&1; then
		echo "memcheck ok: e2e $e ($(tail -1 "build/valgrind_$e.log"))"
	else
		echo "memcheck FAILED: e2e $e (build/valgrind_$e.log)" >&2
		grep -E 'FAIL|valgrind' "build/valgrind_$e.log" | head -20 >&2
		status=1
	fi
done
exit $status
