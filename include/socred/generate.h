/* socred: a deterministic synthetic population for demos, tests and
 * benchmarks, in the ingest CSV format. */
#ifndef SOCRED_GENERATE_H
#define SOCRED_GENERATE_H

#include <stdint.h>
#include <stdio.h>

#include "socred/date.h"
#include "socred/status.h"

struct sc_gen_opts {
	uint64_t people, orgs;
	uint64_t seed;
	sc_day from, to; /* records dated in [from, to] */
};

struct sc_gen_stats {
	uint64_t lines, adds, rectifies, revokes, consents, withdrawals;
};

/* Writes the CSV (header included) to out. The same options give the same
 * bytes. SC_OK, SC_EINVAL (from > to, or over 100 million subjects), SC_EIO
 * (write failed). stats may be NULL. */
enum sc_status sc_generate(const struct sc_gen_opts *o, FILE *out,
			   struct sc_gen_stats *stats, struct sc_diag *d);

#endif
