#!/usr/bin/env bash
# The whole test suite, twice: a release build, then a build with
# AddressSanitizer and UndefinedBehaviorSanitizer (which also replays every
# fuzz corpus); then each libFuzzer harness for a bounded time (clang), one
# per core at a time; then valgrind's memcheck over the unit tests, golden
# cases, fuzz corpora and the end-to-end tests, one run per core at a time.
# Warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
export SOCRED_SETUP_TESTS=1

scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCRED_WERROR=ON
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== again under AddressSanitizer and UndefinedBehaviorSanitizer"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
scripts/setup.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSOCRED_SANITIZE=ON -DSOCRED_WERROR=ON
ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzzing: every harness for ${SOCRED_FUZZ_SECONDS:-20} s under the sanitizers (scripts/fuzz.sh)"
scripts/fuzz.sh "${SOCRED_FUZZ_SECONDS:-20}"

echo "== valgrind memcheck (scripts/valgrind.sh)"
scripts/valgrind.sh
