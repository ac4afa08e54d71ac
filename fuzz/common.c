/* Shared by the harnesses: the default rulebook, compiled once. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "socred/rulebook.h"

extern const unsigned char sc_default_rulebook[];
extern const unsigned long sc_default_rulebook_len;

const struct sc_rulebook *fuzz_default_rulebook(void)
{
	static struct sc_rulebook *rb;
	struct sc_diag d;

	if (!rb && sc_rulebook_compile((const char *)sc_default_rulebook,
				       sc_default_rulebook_len, "default", &rb, &d)) {
		fprintf(stderr, "fuzz: the default rulebook does not compile: %s\n", d.message);
		abort();
	}
	return rb;
}
