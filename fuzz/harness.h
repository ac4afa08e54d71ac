/* The libFuzzer entry points every harness defines, and what they share.
 * Built two ways (fuzz/CMakeLists.txt): with clang's -fsanitize=fuzzer for
 * fuzzing (scripts/fuzz.sh), and with replay.c's main() in every build, so
 * ctest replays the seed corpora and the regressions found by fuzzing. */
#ifndef SOCRED_FUZZ_HARNESS_H
#define SOCRED_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

struct sc_rulebook;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The default rulebook, compiled once (aborts when it does not compile). */
const struct sc_rulebook *fuzz_default_rulebook(void);

#endif
