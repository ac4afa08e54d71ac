/* The audit writer's cost alone: N entries appended in batches of 1,000
 * (as the server's writer thread does), hash chain and subject index
 * included, into a fresh ledger at PATH (removed first). Subjects are drawn
 * at random from a million.
 * Prints the time per entry, the ledger's bytes per entry (file and WAL,
 * after close), and the time to list one subject's entries (1,000 subjects
 * drawn the same way, every segment's index and the unindexed tail read).
 * PATH may be a PostgreSQL URI (postgresql://...) naming an empty database:
 * the ledger is made there, nothing is removed, and its size is not printed
 * (ask the server: pg_total_relation_size of audit_blocks and
 * audit_subjects).
 * Usage: bench_audit PATH [N]   (default 1,000,000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/ledger_path.h"
#include "socred/store.h"

#define BATCH 1000

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static enum sc_status count_one(void *ctx, const struct sc_audit_entry *e)
{
	(void)e;
	++*(long *)ctx;
	return SC_OK;
}

int main(int argc, char **argv)
{
	static struct sc_audit_entry e[BATCH];
	static char subj[BATCH][24];
	struct sc_store *st = NULL;
	struct sc_diag d;
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	double t0, t;

	if (argc < 2 || n < BATCH) {
		fprintf(stderr, "usage: bench_audit PATH [N >= %d]\n", BATCH);
		return 2;
	}
	if (!sc_ledger_is_pg(argv[1]))
		unlink(argv[1]);
	if (sc_store_open(argv[1], SC_STORE_CREATE, &st, &d)) {
		fprintf(stderr, "bench_audit: %s\n", d.message);
		return 2;
	}
	srand(1);
	t0 = now();
	for (long b = 0; b < n / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(subj[i], sizeof(subj[i]), "P%d", rand() % 1000000);
			e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z", .key_id = 1,
				.role = SC_ROLE_ENFORCER, .action = "GET /v1/check air_travel",
				.subject = subj[i], .result = "200 allow"};
		}
		if (sc_store_audit_append(st, e, BATCH, &d)) {
			fprintf(stderr, "bench_audit: %s\n", d.message);
			return 1;
		}
	}
	t = now() - t0;
	printf("audit: %ld entries in %.3f s: %.2f us per entry (batches of %d)\n",
	       n / BATCH * BATCH, t, t / (double)(n / BATCH * BATCH) * 1e6, BATCH);
	{
		long found = 0;
		t0 = now();
		for (int i = 0; i < 1000; i++) {
			char who[24];
			snprintf(who, sizeof(who), "P%d", rand() % 1000000);
			if (sc_store_audit_subject(st, who, count_one, &found, &d)) {
				fprintf(stderr, "bench_audit: %s\n", d.message);
				return 1;
			}
		}
		t = now() - t0;
		printf("lookup: %.1f us per subject (%ld entries found for 1,000 subjects)\n",
		       t / 1000 * 1e6, found);
	}
	sc_store_close(st);
	if (!sc_ledger_is_pg(argv[1])) {
		struct stat sb;
		char wal[4096];
		double bytes = 0;
		if (stat(argv[1], &sb) == 0)
			bytes += (double)sb.st_size;
		snprintf(wal, sizeof(wal), "%s-wal", argv[1]);
		if (stat(wal, &sb) == 0)
			bytes += (double)sb.st_size;
		printf("ledger: %.0f bytes, %.1f per entry (the subject index included)\n", bytes,
		       bytes / (double)(n / BATCH * BATCH));
	}
	return 0;
}
