#!/usr/bin/env bash
# Fuzzes every harness (fuzz/*.c) with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer, SECONDS each, starting from the seed corpora in
# fuzz/corpus/ (left untouched: new inputs go to build-fuzz/corpus/). A crash,
# a leak, a hang or a broken invariant stops with the input saved under
# build-fuzz/artifacts/; copy it into fuzz/corpus/NAME/ so every build's
# ctest replays it from then on. The harnesses run side by side, as many as
# there are cores (SOCRED_FUZZ_JOBS), each on a core of its own for SECONDS.
# Usage: scripts/fuzz.sh [SECONDS [NAME...]]   (default 60; csv jsonl rulebook id http audit_head)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=${*:-csv jsonl rulebook id http audit_head}
export SOCRED_SETUP_FUZZ=1
CC=clang scripts/setup.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCRED_FUZZ=ON -DSOCRED_WERROR=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
JOBS=${SOCRED_FUZZ_JOBS:-$(nproc 2> /dev/null || echo 2)}
rm -f build-fuzz/fuzz_*.failed
# fuzz_one NAME: one harness for SECS; a failure leaves build-fuzz/fuzz_NAME.failed
fuzz_one() {
	local t=$1 log=build-fuzz/fuzz_$1.log runs cov
	mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
	echo "== fuzz $t for ${SECS}s" >&2
	if ./build-fuzz/fuzz/fuzz_"$t" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t/" \
		"build-fuzz/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz $t: $runs runs in ${SECS}s, $cov, no crash" >&2
	else
		touch "build-fuzz/fuzz_$t.failed"
		{
			echo "fuzz $t: FAILED (input in build-fuzz/artifacts/$t/)"
			grep -E 'ERROR|SUMMARY|fuzz http|fuzz:|Test unit written' "$log" | head -20
		} >&2
	fi
}
# each harness is one process on one core: JOBS of them (default: the
# cores) at a time, each for the full SECS
for t in $TARGETS; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	fuzz_one "$t" &
done
wait
status=0
for t in $TARGETS; do [ ! -e "build-fuzz/fuzz_$t.failed" ] || status=1; done
exit $status
