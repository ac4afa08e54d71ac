/* In-process checks against a decision snapshot: how many decisions a core
 * makes per second when nothing but the decision is asked (no HTTP, no
 * JSON, no audit). Subjects are drawn at random from an id file, so every
 * lookup is a cold random read into the table.
 * Subjects come in batches of BATCH, as a bulk caller sends them; with
 * BATCHED=1 in the environment the lookups of a batch are made together
 * (sc_snap_find_batch), otherwise one after another.
 * With THREADS=T in the environment (default 1) the request stream is cut
 * into T equal parts, each decided by its own thread with its own
 * evaluator over the one shared snapshot, as the server's workers do; the
 * rate is the whole stream over the wall time.
 * Usage: bench_checks SNAPSHOT RULEBOOK IDS ACTION [N] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

#define BATCH 256
#define REQ 72 /* bytes per request: an id of up to 64 characters */
#define THREADS_MAX 64

struct part {
	const struct sc_snap *s;
	const struct sc_rulebook *rb;
	const char *reqs; /* this part's requests, REQ bytes each */
	size_t n;
	int action;
	bool batched;
	size_t found, counts[4];
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *decide(void *arg)
{
	struct part *p = arg;
	struct sc_eval *ev = sc_eval_new(p->rb);

	if (!ev) {
		p->failed = 1;
		return NULL;
	}
	for (size_t b = 0; b < p->n; b += BATCH) {
		const char *q[BATCH];
		struct sc_snap_entry es[BATCH];
		bool ok[BATCH];
		size_t m = p->n - b < BATCH ? p->n - b : BATCH;

		/* the requests of one batch, as a bulk caller would send them */
		for (size_t i = 0; i < m; i++)
			q[i] = p->reqs + (b + i) * REQ;
		if (p->batched) {
			sc_snap_find_batch(p->s, q, m, es, ok);
		} else {
			for (size_t i = 0; i < m; i++)
				ok[i] = sc_snap_find(p->s, q[i], strlen(q[i]), &es[i]);
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
			p->found++;
			for (size_t c = 0; c < e.ncards; c++)
				sc_snap_entry_card(&e, c, &cards[c]);
			for (size_t h = 0; h < e.nhits; h++) {
				struct sc_snap_hit sh;
				sc_snap_entry_hit(&e, h, &sh);
				hits[h] = (struct sc_list_hit){sh.list, h, sh.since, sh.until};
			}
			sc_eval_restore(ev, cards, hits, e.nhits);
			sc_eval_check(ev, p->action, &dec, &rs, &nr);
			p->counts[dec]++;
		}
	}
	sc_eval_free(ev);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sc_rulebook *rb = NULL;
	struct sc_snap *s = NULL;
	struct sc_diag d;
	struct part parts[THREADS_MAX] = {0};
	pthread_t tids[THREADS_MAX];
	char line[128], **ids = NULL, *reqs;
	size_t nids = 0, cap = 0, found = 0, n = argc > 5 ? strtoull(argv[5], NULL, 10) : 20000000;
	size_t counts[4] = {0};
	uint64_t x = 88172645463325252ull;
	FILE *f;
	int action, nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 1, started = 0;
	double t0, t1;
	bool batched = getenv("BATCHED") && !strcmp(getenv("BATCHED"), "1");

	if (argc < 5 || nt < 1 || nt > THREADS_MAX) {
		fprintf(stderr, "usage: [BATCHED=1] [THREADS=1..%d] %s SNAPSHOT RULEBOOK IDS ACTION [N]\n",
			THREADS_MAX, argv[0]);
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
	if (!nids || action < 0)
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
	for (int t = 0; t < nt; t++) {
		size_t from = n * (size_t)t / (size_t)nt, to = n * (size_t)(t + 1) / (size_t)nt;
		parts[t] = (struct part){.s = s, .rb = rb, .reqs = reqs + from * REQ,
					 .n = to - from, .action = action, .batched = batched};
	}
	t0 = now();
	for (; started < nt; started++)
		if (pthread_create(&tids[started], NULL, decide, &parts[started]))
			break;
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	t1 = now();
	for (int t = 0; t < nt; t++) {
		if (t >= started || parts[t].failed) {
			fprintf(stderr, "bench_checks: thread %d could not run\n", t);
			return 1;
		}
		found += parts[t].found;
		for (int k = 0; k < 4; k++)
			counts[k] += parts[t].counts[k];
	}
	printf("%s: checks %zu found %zu in %.3f s: %.0f checks/s on %d core%s"
	       " (allow %zu, deny %zu, grant %zu, standard %zu); snapshot %zu subjects, %.1f MiB\n",
	       batched ? "batched" : "one by one", n, found, t1 - t0, (double)n / (t1 - t0),
	       nt, nt == 1 ? "" : "s", counts[0], counts[1], counts[2], counts[3],
	       (size_t)sc_snap_count(s), (double)sc_snap_bytes(s) / 1048576.0);
	sc_snap_close(s);
	sc_rulebook_free(rb);
	free(reqs);
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	return 0;
}
