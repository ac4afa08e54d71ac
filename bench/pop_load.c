/* bench_pop_load LEDGER [ROUNDS]: times the population read that `run`
 * and `whatif` start from (sc_store_pop_load of the whole ledger), ROUNDS
 * times (default 3), on any ledger (a SQLite file or a PostgreSQL URI),
 * and prints records per second for each round. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "socred/store.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sc_store *st;
	struct sc_diag d;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: bench_pop_load LEDGER [ROUNDS]\n");
		return 2;
	}
	sc_diag_clear(&d);
	if (sc_store_open(argv[1], 0, &st, &d)) {
		fprintf(stderr, "bench_pop_load: %s\n", d.message);
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		struct sc_pop p;
		struct sc_store_mark m;
		char lid[SC_STORE_LEDGER_ID];
		double t0 = now(), t;

		if (sc_store_pop_load(st, NULL, 0, -1, &p, &m, lid, &d)) {
			fprintf(stderr, "bench_pop_load: %s\n", d.message);
			sc_store_close(st);
			return 1;
		}
		t = now() - t0;
		printf("pop_load: %llu subjects, %llu records in %.3f s: %.2f M records/s\n",
		       (unsigned long long)p.nsub, (unsigned long long)p.nrec, t,
		       (double)p.nrec / t / 1e6);
		sc_pop_free(&p);
	}
	sc_store_close(st);
	return 0;
}
