/* The ledger's row counts (subjects, records, events, consents), kept in
 * the `counts` table (schema 14) and moved in the transaction that moves
 * them, so that reading them is four rows, not four table scans (and
 * subject_keys_new's, for its merges: sqlite_keys.c).
 * `GET /metrics` reads them at every scrape: counting a 96 M-record ledger
 * took seconds.
 *
 * Every write of these tables on a connection notes its change here
 * (sc_lite_count); the changes are written at its commit
 * (sc_lite_counts_flush, called before every COMMIT that follows such a
 * write) and forgotten at a rollback (sc_lite_counts_drop). A write outside
 * any transaction is made inside one by its caller (sqlite.c, own_begin).
 * tests/unit/test_store.c compares them with count(*) after a workload of
 * every kind of write. */
#include <sqlite3.h>
#include <string.h>

#include "sqlite_impl.h"

static const char *const names[SC_COUNT_N] = {
	[SC_COUNT_SUBJECTS] = "subjects", [SC_COUNT_RECORDS] = "records",
	[SC_COUNT_EVENTS] = "events", [SC_COUNT_CONSENTS] = "consents",
	[SC_COUNT_KEYS_NEW] = "subject_keys_new", [SC_COUNT_KEY_MERGES] = "subject_key_merges"};

void sc_lite_count(struct lite *l, enum sc_count_id k, int64_t n)
{
	l->counted[k] += n;
}

void sc_lite_counts_drop(struct lite *l)
{
	for (int k = 0; k < SC_COUNT_N; k++)
		l->counted[k] = 0;
}

enum sc_status sc_lite_counts_flush(struct lite *l, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st = SC_OK;

	for (int k = 0; k < SC_COUNT_N && !st; k++) {
		if (!l->counted[k])
			continue;
		if (!s && (st = sc_lite_prepare(l, "UPDATE counts SET n = n + ?2 WHERE name = ?1", &s, d)))
			break;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, names[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, l->counted[k]);
		if (sqlite3_step(s) != SQLITE_DONE)
			st = sc_lite_db_err(l, d, "cannot count the rows written");
	}
	sqlite3_finalize(s);
	if (!st)
		sc_lite_counts_drop(l);
	return st;
}

enum sc_status sc_lite_count_now(struct lite *l, enum sc_count_id k, int64_t *n,
				 struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "SELECT n FROM counts WHERE name = ?1", &s, d)))
		return st;
	sqlite3_bind_text(s, 1, names[k], -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0) + l->counted[k];
	else
		st = sc_lite_db_err(l, d, "cannot read the counts");
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_counts(void *impl, struct sc_store_counts *c,
			      struct sc_diag *d)
{
	struct lite *l = impl;
	uint64_t *out[SC_COUNT_N] = {[SC_COUNT_SUBJECTS] = &c->subjects,
				     [SC_COUNT_RECORDS] = &c->records,
				     [SC_COUNT_EVENTS] = &c->events,
				     [SC_COUNT_CONSENTS] = &c->consents};
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	*c = (struct sc_store_counts){0};
	if ((st = sc_lite_prepare(l, "SELECT name, n FROM counts", &s, d)))
		return st;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		for (int k = 0; k < SC_COUNT_N; k++)
			if (out[k] && name && !strcmp(name, names[k]))
				*out[k] = (uint64_t)sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read the counts");
	sqlite3_finalize(s);
	return st;
}
