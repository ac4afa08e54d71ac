/* The audit trail in the ledger: appends across the subject index's
 * segment boundaries (batches that end inside, on and past a boundary),
 * lookups by subject that merge the indexed segments with the tail, and
 * the chain over all of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "socred/store.h"

#define SUBJECTS 5
#define TOTAL 300001 /* > 2 segments of 2^17, and a tail */

static const char *const subjects[SUBJECTS] = {"", "P1", "P2", "O9", "P10"};

/* which subject entry seq is about: one in 13 about none */
static int who(int64_t seq) { return seq % 13 ? (int)(seq % (SUBJECTS - 1)) + 1 : 0; }

struct seen {
	int subject;
	int64_t last, n;
	int bad;
};

static enum sc_status take(void *ctx, const struct sc_audit_entry *e)
{
	struct seen *s = ctx;
	if (e->seq <= s->last || (s->subject && who(e->seq) != s->subject) ||
	    strcmp(e->subject, subjects[who(e->seq)]))
		s->bad++;
	s->last = e->seq;
	s->n++;
	return SC_OK;
}

static void segments(void **state)
{
	char path[64];
	struct sc_store *st = NULL;
	struct sc_diag d;
	struct sc_audit_entry *e = calloc(40000, sizeof(*e));
	int64_t expect[SUBJECTS] = {0}, done = 0, count = 0, bad = 0;
	/* batch sizes: one ends exactly on the first boundary (131072),
	 * another crosses the second */
	const int64_t sizes[] = {131000, 72, 39999, 1, 40000, 40000, 40000, 8929};
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-audit-%ld.db", (long)getpid());
	unlink(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		for (int64_t left = sizes[b]; left > 0;) {
			int64_t n = left < 40000 ? left : 40000;
			for (int64_t i = 0; i < n; i++) {
				int w = who(done + i + 1);
				e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z",
					.key_id = 1, .role = SC_ROLE_ENFORCER,
					.action = "GET /v1/check air_travel",
					.subject = subjects[w], .result = "200 allow"};
				expect[w]++;
			}
			assert_int_equal(sc_store_audit_append(st, e, (size_t)n, &d), SC_OK);
			assert_int_equal(e[n - 1].seq, done + n);
			done += n;
			left -= n;
		}
		/* every subject's entries, complete and in order, after each batch */
		for (int k = 1; k < SUBJECTS; k++) {
			struct seen s = {.subject = k};
			assert_int_equal(sc_store_audit_subject(st, subjects[k], take, &s, &d), SC_OK);
			assert_int_equal(s.bad, 0);
			assert_int_equal(s.n, expect[k]);
		}
	}
	assert_int_equal(done, TOTAL);
	{
		struct seen s = {0};
		assert_int_equal(sc_store_audit_subject(st, "", take, &s, &d), SC_OK);
		assert_int_equal(s.n, TOTAL);
		assert_int_equal(s.bad, 0);
		s = (struct seen){.subject = 1};
		assert_int_equal(sc_store_audit_subject(st, "nobody", take, &s, &d), SC_OK);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(sc_store_audit_verify(st, (uint64_t *)&count, &bad, &d), SC_OK);
	assert_int_equal(count, TOTAL);
	sc_store_close(st);
	/* reopened: the same answers */
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	{
		struct seen s = {.subject = 4};
		assert_int_equal(sc_store_audit_subject(st, subjects[4], take, &s, &d), SC_OK);
		assert_int_equal(s.n, expect[4]);
		assert_int_equal(s.bad, 0);
	}
	sc_store_close(st);
	free(e);
	unlink(path);
	{
		char side[80];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s.changes", path);
		unlink(side);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(segments)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
