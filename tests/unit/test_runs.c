/* Records filed in runs (sc_store_record_add_run: one SQLite statement for
 * up to SC_ADD_RUN of them, sqlite.c) give exactly what filing them one at
 * a time gives: the same outcome for each, the same field named in a
 * conflict, and the same ledger, row for row: subjects and their ids,
 * records and their rids, keys, counts and the subject index. The records
 * come from a seeded generator that repeats record_ids (the same record
 * again: a duplicate; or another: a conflict), names new subjects in the
 * middle of runs, gives a subject the other kind, and follows runs with
 * rectifications of records filed in them (their rids, remembered by the
 * transaction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/limits.h"
#include "socred/store.h"
#include "ledger_files.h"
#include "store/sqlite_impl.h"

#define RECORDS 6000
#define POOL 512    /* subjects */

static uint64_t rng = 88172645463325252ull;

static uint32_t next(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* One generated record, with its texts. */
struct gen {
	char rid[32], subj[32], type[24], ref[8];
	struct sc_store_add a;
};

static struct gen recs[RECORDS];

static void text(struct sc_text *t, const char *s)
{
	t->p = s;
	t->n = strlen(s);
}

/* Record i: mostly new, sometimes a record_id given before (the same
 * record again, or another one under it); subjects mostly repeat the
 * previous line's, sometimes are new, sometimes come with the other
 * kind. */
static void generate(void)
{
	int subj = 0, fresh = POOL;

	for (int i = 0; i < RECORDS; i++) {
		struct gen *g = &recs[i];
		uint32_t dice = next(100);

		if (i > 0 && dice < 6) { /* the same line again */
			*g = recs[next((uint32_t)i)];
		} else {
			if (next(100) < 35)
				subj = next(100) < 40 ? fresh++ : (int)next(POOL);
			snprintf(g->subj, sizeof(g->subj), "S%d", subj);
			snprintf(g->type, sizeof(g->type), "%s",
				 next(2) ? "tax.arrears" : "court.judgment");
			snprintf(g->ref, sizeof(g->ref), "%s", next(4) ? "" : "x");
			if (i > 0 && dice < 10) /* another record under a given id */
				memmove(g->rid, recs[next((uint32_t)i)].rid, sizeof(g->rid));
			else
				snprintf(g->rid, sizeof(g->rid), "R%d", i);
			g->a.kind = next(100) < 3 || subj % 7 == 0 ? SC_KIND_ORG : SC_KIND_PERSON;
			g->a.date = 19000 + (sc_day)next(2000);
			g->a.amount = next(3) ? (int64_t)next(1000) : SC_AMOUNT_NONE;
		}
		text(&g->a.record_id, g->rid);
		text(&g->a.subject, g->subj);
		text(&g->a.type, g->type);
		text(&g->a.source, "tax");
		text(&g->a.ref, g->ref);
	}
}

/* Rectifies record_id rid (the same in both ledgers). */
static enum sc_status rectify(struct sc_store *st, const char *rid, struct sc_diag *d)
{
	struct sc_store_event e = {.op = SC_OP_RECTIFY, .record_id = {rid, strlen(rid)},
				   .source = {"tax", 3}, .ref = {"", 0}, .date = 21500};
	return sc_store_record_event(st, &e, d);
}

/* The rows of `table` in one ledger and not the other, either way, and
 * the difference in their numbers. */
static int64_t differ(const char *a, const char *b, const char *table)
{
	char sql[512];
	int64_t n;

	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM (SELECT * FROM main.%s EXCEPT SELECT * FROM b.%s))"
		 " + (SELECT count(*) FROM (SELECT * FROM b.%s EXCEPT SELECT * FROM main.%s))"
		 " + abs((SELECT count(*) FROM main.%s) - (SELECT count(*) FROM b.%s))",
		 table, table, table, table, table, table);
	n = ledger_count(a, b, sql);
	assert_true(n >= 0);
	return n;
}

static void runs_file_as_one_at_a_time(void **state)
{
	static const char *const tables[] = {"subjects", "records", "events", "subject_keys",
					     "subject_keys_new", "counts", "types", "sources",
					     "subject_runs", "subject_chunks"};
	static enum sc_status out[RECORDS];
	static struct sc_diag ds[RECORDS];
	const struct sc_store_add *r[RECORDS];
	char one[64], many[64];
	struct sc_store *a = NULL, *b = NULL;
	struct sc_diag d, e;
	size_t i = 0, ok = 0, dup = 0, conflict = 0, kind = 0, longest = 0, events = 0;
	(void)state;

	generate();
	snprintf(one, sizeof(one), "/tmp/socred-test-runs-1-%ld.db", (long)getpid());
	snprintf(many, sizeof(many), "/tmp/socred-test-runs-n-%ld.db", (long)getpid());
	remove_ledger(one);
	remove_ledger(many);
	assert_int_equal(sc_store_open(one, SC_STORE_CREATE, &a, &d), SC_OK);
	assert_int_equal(sc_store_open(many, SC_STORE_CREATE, &b, &d), SC_OK);
	for (int k = 0; k < RECORDS; k++)
		r[k] = &recs[k].a;
	assert_int_equal(sc_store_begin_ingest(a, &(size_t){0}, &d), SC_OK);
	assert_int_equal(sc_store_begin_ingest(b, &(size_t){0}, &d), SC_OK);
	while (i < RECORDS) {
		/* runs of 1 to 80 records: past a statement's rows */
		size_t n = 1 + next(80), done = 0;

		if (n > RECORDS - i)
			n = RECORDS - i;
		for (size_t k = 0; k < n; k++)
			sc_diag_clear(&ds[i + k]);
		assert_int_equal(sc_store_record_add_run(b, r + i, n, out + i, ds + i, &done, &d),
				 SC_OK);
		assert_int_equal(done, n);
		for (size_t k = i; k < i + n; k++) {
			sc_diag_clear(&e);
			assert_int_equal(sc_store_record_add(a, r[k], &e), out[k]);
			if (out[k] == SC_ECONFLICT)
				assert_string_equal(e.field, ds[k].field);
			ok += out[k] == SC_OK;
			dup += out[k] == SC_EDUPLICATE;
			conflict += out[k] == SC_ECONFLICT && strcmp(ds[k].field, "kind");
			kind += out[k] == SC_ECONFLICT && !strcmp(ds[k].field, "kind");
		}
		longest = n > longest ? n : longest;
		/* a rectification of a record of the run, or of one before */
		{
			const char *rid = recs[i + next((uint32_t)n)].rid;
			enum sc_status rs = rectify(b, rid, &d);
			assert_int_equal(rs, rectify(a, rid, &e));
			events += rs == SC_OK;
		}
		i += n;
		if (next(8) == 0) { /* a commit, at the same line in both */
			assert_int_equal(sc_store_commit(a, &d), SC_OK);
			assert_int_equal(sc_store_commit(b, &d), SC_OK);
			assert_int_equal(sc_store_begin_ingest(a, &(size_t){0}, &d), SC_OK);
			assert_int_equal(sc_store_begin_ingest(b, &(size_t){0}, &d), SC_OK);
		}
	}
	assert_int_equal(sc_store_commit(a, &d), SC_OK);
	assert_int_equal(sc_store_commit(b, &d), SC_OK);
	/* every event filed, as another connection sees it */
	assert_int_equal(ledger_count(many, NULL, "SELECT count(*) FROM events"), (int64_t)events);
	/* and outside a transaction, a run of its own */
	assert_int_equal(sc_store_record_add_run(b, r, 40, out, ds, &i, &d), SC_OK);
	for (size_t k = 0; k < 40; k++)
		assert_int_equal(out[k], sc_store_record_add(a, r[k], &e));
	sc_store_close(a);
	sc_store_close(b);
	/* the generator made every case, many times */
	assert_true(ok > RECORDS / 2);
	assert_true(dup > 100);
	assert_true(conflict > 50);
	assert_true(kind > 20);
	assert_true(longest > SC_ADD_RUN);
	assert_true(ledger_count(one, NULL, "SELECT count(*) FROM subjects") > POOL);
	assert_true(ledger_count(one, NULL, "SELECT count(*) FROM events") > 100);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		assert_int_equal(differ(one, many, tables[t]), 0);
	}
	remove_ledger(one);
	remove_ledger(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(runs_file_as_one_at_a_time)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
