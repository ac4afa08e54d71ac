/* In-process checks against a decision snapshot: how many decisions one
 * core makes per second when nothing but the decision is asked (no HTTP,
 * no JSON, no audit). Subjects are drawn at random from an id file, so
 * every lookup is a cold random read into the table.
 * Subjects come in batches of BATCH, as a bulk caller sends them; with
 * BATCHED=1 in the environment the lookups of a batch are made together
 * (sc_snap_find_batch), otherwise one after another.
 * Usage: bench_checks SNAPSHOT RULEBOOK IDS ACTION [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

#define BATCH 256
#define REQ 72 /* bytes per request: an id of up to 64 characters */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sc_rulebook *rb = NULL;
	struct sc_snap *s = NULL;
	struct sc_eval *ev;
	struct sc_diag d;
	char line[128], **ids = NULL, *reqs;
	size_t nids = 0, cap = 0, found = 0, n = argc > 5 ? strtoull(argv[5], NULL, 10) : 20000000;
	size_t counts[4] = {0};
	uint64_t x = 88172645463325252ull;
	FILE *f;
	int action;
	double t0, t1;
	bool batched = getenv("BATCHED") && !strcmp(getenv("BATCHED"), "1");

	if (argc < 5) {
		fprintf(stderr, "usage: %s SNAPSHOT RULEBOOK IDS ACTION [N]\n", argv[0]);
		return 2;
	}
	if (sc_snap_open(argv[1], &s, &d) || sc_rulebook_load(argv[2], &rb, &d)) {
		fprintf(stderr, "%s: %s\n", d.source, d.message);
		return 1;
	}
	if (!(f = fopen(argv[3], "r")))
		return 1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (nids == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			ids = realloc(ids, cap * sizeof(*ids));
		}
		ids[nids++] = strdup(line);
	}
	fclose(f);
	action = sc_rulebook_action_find(rb, argv[4], strlen(argv[4]));
	ev = sc_eval_new(rb);
	if (!nids || action < 0 || !ev)
		return 1;
	/* the stream of requests, laid out as they would arrive (one after
	 * another in a buffer), made before the clock starts */
	if (!(reqs = malloc(n * REQ))) {
		fprintf(stderr, "out of memory for %zu requests\n", n);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(reqs + i * REQ, REQ, "%s", ids[x % nids]);
	}
	t0 = now();
	for (size_t b = 0; b < n; b += BATCH) {
		const char *q[BATCH];
		struct sc_snap_entry es[BATCH];
		bool ok[BATCH];
		size_t m = n - b < BATCH ? n - b : BATCH;

		/* the requests of one batch, as a bulk caller would send them */
		for (size_t i = 0; i < m; i++)
			q[i] = reqs + (b + i) * REQ;
		if (batched) {
			sc_snap_find_batch(s, q, m, es, ok);
		} else {
			for (size_t i = 0; i < m; i++)
				ok[i] = sc_snap_find(s, q[i], strlen(q[i]), &es[i]);
		}
		for (size_t i = 0; i < m; i++) {
		struct sc_snap_entry e = es[i];
		struct sc_card_result cards[SC_LIMIT_SCORECARDS];
		struct sc_list_hit hits[SC_SNAP_HITS_MAX];
		const struct sc_reason *rs;
		enum sc_decision dec;
		size_t nr;

		if (!ok[i])
			continue;
		found++;
		for (size_t c = 0; c < e.ncards; c++)
			sc_snap_entry_card(&e, c, &cards[c]);
		for (size_t h = 0; h < e.nhits; h++) {
			struct sc_snap_hit sh;
			sc_snap_entry_hit(&e, h, &sh);
			hits[h] = (struct sc_list_hit){sh.list, h, sh.since, sh.until};
		}
		sc_eval_restore(ev, cards, hits, e.nhits);
		sc_eval_check(ev, action, &dec, &rs, &nr);
		counts[dec]++;
		}
	}
	t1 = now();
	printf("%s: checks %zu found %zu in %.3f s: %.0f checks/s on one core"
	       " (allow %zu, deny %zu, grant %zu, not_eligible %zu); snapshot %zu subjects, %.1f MiB\n",
	       batched ? "batched" : "one by one", n, found, t1 - t0, (double)n / (t1 - t0), counts[0], counts[1], counts[2], counts[3],
	       (size_t)sc_snap_count(s), (double)sc_snap_bytes(s) / 1048576.0);
	sc_eval_free(ev);
	sc_snap_close(s);
	sc_rulebook_free(rb);
	free(reqs);
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	return 0;
}
