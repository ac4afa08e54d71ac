/* What changed in the ledger since a mark: how the server keeps its
 * decision snapshot honest while others write. */
#include <string.h>

#include "sqlite_impl.h"

enum sc_status sc_lite_mark(struct lite *l, struct sc_store_mark *m,
			    struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l,
			"SELECT (SELECT coalesce(max(rid), 0) FROM records),"
			" (SELECT coalesce(max(seq), 0) FROM events),"
			" (SELECT coalesce(max(seq), 0) FROM consents),"
			" (SELECT coalesce(max(seq), 0) FROM changes)", &s, d)))
		return st;
	if (sqlite3_step(s) != SQLITE_ROW) {
		st = sc_lite_db_err(l, d, "cannot read where the ledger stands");
	} else {
		m->w[0] = sqlite3_column_int64(s, 0);
		m->w[1] = sqlite3_column_int64(s, 1);
		m->w[2] = sqlite3_column_int64(s, 2);
		m->w[3] = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	return st;
}

/* Lowers m's record and event words to the highest rows left by the
 * expires after it (table expiries, sqlite_access.c). SQLite gives a new
 * row the id one above the highest in its table, so a row filed after an
 * expire that removed the highest ones may take an id that m already
 * covers; but every row above what the lowest of those expires left was
 * filed after it, and so after m. Exact: no row filed before m is above
 * that floor either. */
static enum sc_status expired_floor(struct lite *l, struct sc_store_mark *m,
				    struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "SELECT min(rid), min(ev) FROM expiries WHERE seq > ?1",
				  &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, m->w[3]);
	if (sqlite3_step(s) != SQLITE_ROW) {
		st = sc_lite_db_err(l, d, "cannot read the rows expires left");
	} else if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
		int64_t rid = sqlite3_column_int64(s, 0), ev = sqlite3_column_int64(s, 1);
		if (rid < m->w[0])
			m->w[0] = rid;
		if (ev < m->w[1])
			m->w[1] = ev;
	}
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_changed_since(void *impl, const struct sc_store_mark *from,
				     struct sc_store_mark *to, sc_store_id_fn cb,
				     void *ctx, struct sc_diag *d)
{
	static const struct sc_store_mark zero;
	struct lite *l = impl;
	struct sc_store_mark low;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	bool own_txn;
	int rc;

	own_txn = sc_lite_read_begin(l);
	if ((st = sc_lite_mark(l, to, d)))
		goto out;
	if (!memcmp(from, to, sizeof(*to)))
		goto out;
	low = *from;
	if ((st = expired_floor(l, &low, d)))
		goto out;
	from = &low;
	/* a mark ahead of the ledger (a copy put back, or from another
	 * ledger): every subject changed */
	for (int i = 0; i < SC_STORE_MARK_WORDS; i++)
		if (from->w[i] > to->w[i])
			from = &zero;
	if ((st = sc_lite_prepare(l,
			"SELECT s.ext_id FROM records r JOIN subjects s ON s.id = r.subject"
			" WHERE r.rid > ?1 AND r.rid <= ?5"
			" UNION SELECT s.ext_id FROM events e JOIN records r ON r.rid = e.rid"
			" JOIN subjects s ON s.id = r.subject WHERE e.seq > ?2 AND e.seq <= ?6"
			" UNION SELECT s.ext_id FROM consents c JOIN subjects s ON s.id = c.subject"
			" WHERE c.seq > ?3 AND c.seq <= ?7"
			" UNION SELECT s.ext_id FROM changes c JOIN subjects s ON s.id = c.subject"
			" WHERE c.seq > ?4 AND c.seq <= ?8", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, from->w[0]);
	sqlite3_bind_int64(s, 2, from->w[1]);
	sqlite3_bind_int64(s, 3, from->w[2]);
	sqlite3_bind_int64(s, 4, from->w[3]);
	sqlite3_bind_int64(s, 5, to->w[0]);
	sqlite3_bind_int64(s, 6, to->w[1]);
	sqlite3_bind_int64(s, 7, to->w[2]);
	sqlite3_bind_int64(s, 8, to->w[3]);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((st = cb(ctx, (const char *)sqlite3_column_text(s, 0))))
			goto out;
	if (rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot read what changed");
out:
	sqlite3_finalize(s);
	sc_lite_read_end(l, own_txn);
	return st;
}

bool sc_lite_change_count(void *impl, uint64_t *n)
{
	struct lite *l = impl;

	if (!l->changes)
		return false;
	*n = sc_changes_read(l->changes);
	return true;
}
