#!/usr/bin/env bash
# Valgrind's memcheck over the release build: every unit test, every golden
# case, the fuzz corpora and the end-to-end tests of the command and the
# server (each socred they start runs under memcheck: see SOCRED_VALGRIND in
# tests/e2e/lib.bash). Any invalid access, use of uninitialised memory or
# definite leak fails it. Only the portal test (Chromium) is left out.
# The runs are independent and each is one process under memcheck, which
# uses one core: they run SOCRED_VALGRIND_JOBS at a time (default: the
# cores), the longest first. The unit tests that take longest (test_audit,
# test_bysubject) run one process per test of theirs; each of those must
# report exactly one test passed, so a test name that matches nothing fails.
# Every run's output is in build/valgrind/NAME.log; how long each took is
# kept in build/valgrind/times, and the next run starts with the longest.
# Usage: scripts/valgrind.sh [E2E_TEST...]   (default: every tests/e2e/*.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
OUT=build/valgrind

# One run: scripts/valgrind.sh --one NAME KIND ARGS...
#   unit BINARY [TEST]   a unit test (TEST: only that one of its tests)
#   cmd PROGRAM ARGS...  any other program (golden cases, fuzz corpora)
#   e2e NAME             an end-to-end test, every socred under memcheck
if [ "${1:-}" = --one ]; then
	name=$2 kind=$3
	shift 3
	log=$OUT/$name.log
	start=$SECONDS
	rc=0
	case $kind in
	unit)
		"${VG[@]}" "$@" > "$log" 2>&1 || rc=$?
		if [ $rc = 0 ] && [ $# -gt 1 ] && ! grep -q '^\[  PASSED  \] 1 test(s)\.$' "$log"; then
			echo "memcheck: $name ran no test (is '$2' among its tests?)" >> "$log"
			rc=1
		fi
		;;
	cmd) "${VG[@]}" "$@" > "$log" 2>&1 || rc=$? ;;
	e2e) SOCRED_VALGRIND=1 bash "tests/e2e/$1.sh" "$PWD/build/socred" "$PWD" > "$log" 2>&1 || rc=$? ;;
	esac
	echo "$((SECONDS - start)) $name" >> "$OUT/times.new"
	if [ $rc = 0 ]; then
		if [ "$kind" = e2e ]; then
			echo "memcheck ok: $name ($(tail -1 "$log"), $((SECONDS - start)) s)"
		else
			echo "memcheck ok: $name ($((SECONDS - start)) s)"
		fi
	else
		echo "memcheck FAILED: $name ($log)" >&2
		if [ "$kind" = e2e ]; then
			grep -E 'FAIL|valgrind' "$log" | head -20 >&2
		else
			tail -30 "$log" >&2
		fi
		echo "$name" >> "$OUT/failed"
	fi
	exit 0
fi

export SOCRED_SETUP_TESTS=1 SOCRED_SETUP_VALGRIND=1
scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCRED_WERROR=ON
JOBS=${SOCRED_VALGRIND_JOBS:-$(nproc 2> /dev/null || echo 2)}
mkdir -p "$OUT"
rm -f "$OUT/failed" "$OUT/times.new" "$OUT"/golden.??

# the runs, one a line: NAME KIND ARGS... (no spaces within an argument)
runs() {
	local t name tests c f e
	for t in build/tests/test_*; do
		name=${t##*/}
		case $name in
		test_audit | test_bysubject)
			tests=$(grep -o 'cmocka_unit_test([a-z_0-9]*)' "tests/unit/$name.c" |
				sed 's/.*(\(.*\))/\1/')
			[ -n "$tests" ] || { echo "memcheck: no tests found in tests/unit/$name.c" >&2; return 1; }
			for c in $tests; do echo "unit_${name#test_}.$c unit $t $c"; done
			;;
		*) echo "unit_${name#test_} unit $t" ;;
		esac
	done
	# the golden cases, a few runs of 16
	ls tests/golden/cases/*.case | split -l 16 - "$OUT/golden."
	for f in "$OUT"/golden.??; do
		# shellcheck disable=SC2046 # one file name a line, no spaces
		echo "golden_${f##*.} cmd build/tests/run_golden" $(cat "$f")
		rm "$f"
	done
	for f in fuzz/corpus/*; do echo "fuzz_${f##*/} cmd build/fuzz/replay_${f##*/} $f"; done
	all=$(ls tests/e2e/*.sh | xargs -n1 basename | sed 's/\.sh$//')
	for e in ${E2E:-$all}; do echo "e2e_$e e2e $e"; done
}

# the longest first: by the last run's times; without them (a fresh
# build), the ones known to be long (FIRST, in that order), then the other
# end-to-end tests (each starts socred under memcheck many times), then the rest
FIRST="unit_audit.handles e2e_load e2e_crash unit_audit_tree e2e_whatif e2e_audit_busy
       e2e_crash_server unit_audit.migrated unit_audit.segments unit_audit.flipped
       unit_bysubject.runs_apart e2e_http e2e_abuse e2e_snapshot"
order() {
	if [ -s "$OUT/times" ]; then
		awk 'NR == FNR {t[$2] = $1; next} {print (($1 in t) ? t[$1] : 0) "\t" $0}' "$OUT/times" - |
			sort -t "$(printf '\t')" -k1,1nr -s | cut -f2-
	else
		awk -v first="$FIRST" 'BEGIN {n = split(first, f, /[ \n\t]+/); for (i = 1; i <= n; i++) r[f[i]] = i}
			{ print (($1 in r) ? r[$1] : $2 == "e2e" ? 100 : 200) "\t" $0 }' |
			sort -t "$(printf '\t')" -k1,1n -s | cut -f2-
	fi
}

E2E=${*:-}
runs > "$OUT/runs.all"
order < "$OUT/runs.all" > "$OUT/runs"
echo "memcheck: $(wc -l < "$OUT/runs") runs, $JOBS at a time" >&2
xargs -P "$JOBS" -L 1 bash "$0" --one < "$OUT/runs"
# the times of this run, and the last run's of what did not run now
touch "$OUT/times"
awk 'NR == FNR {print; seen[$2] = 1; next} !($2 in seen)' "$OUT/times.new" "$OUT/times" |
	sort -k1,1nr > "$OUT/times.merged"
mv "$OUT/times.merged" "$OUT/times"
if [ -s "$OUT/failed" ]; then
	echo "memcheck FAILED: $(tr '\n' ' ' < "$OUT/failed")" >&2
	exit 1
fi
echo "memcheck: all $(wc -l < "$OUT/runs") runs ok" >&2
