/* The SQLite backend's due process rows: disputes, statements, repair,
 * shares, names (the rules are the store front's, front_process.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socred/record.h"
#include "sqlite_impl.h"

static sc_day col_day(sqlite3_stmt *s, int c)
{
	return sqlite3_column_type(s, c) == SQLITE_NULL ? SC_DAY_NONE : sqlite3_column_int(s, c);
}

static enum sc_status lite_record_find(void *impl, const char *subject,
					const char *record_id, struct sc_proc_record *ri,
					struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT r.rid, so.name, r.date,"
			  " EXISTS(SELECT 1 FROM events e WHERE e.rid = r.rid AND e.op = 1),"
			  " EXISTS(SELECT 1 FROM events e WHERE e.rid = r.rid AND e.op = 2)"
			  " FROM records r JOIN subjects su ON su.id = r.subject"
			  " JOIN sources so ON so.id = r.source"
			  " WHERE r.record_id = ?1 AND su.id = " SC_SUBJECT_ID("?2"), &s, d)))
		return st;
	sqlite3_bind_text(s, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ri->rid = sqlite3_column_int64(s, 0);
		sc_lite_col(ri->source, sizeof(ri->source), s, 1);
		ri->date = sqlite3_column_int(s, 2);
		ri->rectified = sqlite3_column_int(s, 3);
		ri->revoked = sqlite3_column_int(s, 4);
	} else if (rc == SQLITE_DONE) {
		st = SC_ENOTFOUND;
	} else {
		st = sc_lite_db_err(l, d, "cannot look up the record");
	}
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_event_add(void *impl, int64_t rid, int op, sc_day date,
				     const char *ref, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO events(rid, op, date, ref) VALUES(?1, ?2, ?3, ?4)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_int(s, 2, op);
	sqlite3_bind_int(s, 3, date);
	sqlite3_bind_text(s, 4, ref, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the event");
	else
		sc_lite_count(l, SC_COUNT_EVENTS, 1);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_begin(void *impl, struct sc_diag *d)
{
	struct lite *l = impl;

	return sc_lite_exec(l, "BEGIN IMMEDIATE", d);
}

static enum sc_status lite_end(void *impl, enum sc_status st, struct sc_diag *d)
{
	struct lite *l = impl;

	if (!st && !(st = sc_lite_counts_flush(l, d)) && !(st = sc_lite_exec(l, "COMMIT", d)))
		return SC_OK;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	sc_lite_counts_drop(l);
	return st;
}

/* ---- shared by disputes and repair applications ---- */

static enum sc_status lite_open_item(void *impl, enum sc_proc_items t, int64_t rid,
				     int64_t *id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, t == SC_PROC_DISPUTES
				  ? "SELECT id FROM disputes WHERE rid = ?1 AND decided IS NULL"
				  : "SELECT id FROM repairs WHERE rid = ?1 AND decided IS NULL",
				  &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot look up open items");
	sqlite3_finalize(s);
	return st;
}

typedef enum sc_status (*row_fn)(sqlite3_stmt *s, void *ctx);

/* The ledger id of a subject: SC_OK, SC_ENOTFOUND (never filed), SC_ESTORE. */
static enum sc_status subject_id(struct lite *l, const char *subject, int64_t *sid,
				 struct sc_diag *d)
{
	sqlite3_stmt *s = sc_lite_stmt(l, S_SUBJ_GET);
	int rc;

	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*sid = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? SC_OK
	       : rc == SQLITE_DONE ? SC_ENOTFOUND
				   : sc_lite_db_err(l, d, "cannot look up the subject");
}

/* The items of one subject: found through its records (the subject index,
 * then the items' rid index), never by reading every item. ?1 is the
 * subject's ledger id; r is the items' records. */
#define OF_SUBJECT " x.rid IN (SELECT rid FROM subject_rids(?1)) AND r.subject = ?1"

/* Rows of `select` (which ends in a FROM with aliases su and so, and x for
 * the item) for a subject and a source (NULL: any), oldest first. Each
 * filter given is written into the statement, not tested against NULL when
 * it runs, so that SQLite plans it: a subject's items through its records,
 * open ones through their partial index, disputes_open or repairs_open
 * (tests/unit/test_plans.c). */
static enum sc_status list_rows(struct lite *l, const char *select,
				const char *subject, const char *source,
				bool open_only, row_fn fn, void *ctx,
				struct sc_diag *d)
{
	char sql[1024];
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int64_t sid = 0;
	int rc = SQLITE_DONE;

	if (subject && (st = subject_id(l, subject, &sid, d)))
		return st == SC_ENOTFOUND ? SC_OK : st; /* never filed: no items */
	/* the open ones: through the partial index of open items, sorted
	 * after (ORDER BY +x.id: not the whole table in id order instead) */
	snprintf(sql, sizeof(sql), "%s WHERE 1%s%s%s ORDER BY %sx.id", select,
		 subject ? " AND" OF_SUBJECT : "", source ? " AND so.name = ?2" : "",
		 open_only ? " AND x.decided IS NULL" : "", open_only ? "+" : "");
	if ((st = sc_lite_prepare(l, sql, &s, d)))
		return st;
	if (subject)
		sqlite3_bind_int64(s, 1, sid);
	if (source)
		sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = fn(s, ctx);
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot list");
	sqlite3_finalize(s);
	return st;
}

/* ---- disputes ---- */

#define DISPUTE_SQL                                                               \
	"SELECT x.id, r.record_id, su.ext_id, so.name, x.reason, x.opened, x.deadline," \
	" x.decided, coalesce(x.outcome, ''), coalesce(x.decided_by, ''),"               \
	" coalesce(x.note, ''), x.opened_at, coalesce(x.decided_at, '')"                  \
	" FROM disputes x JOIN records r ON r.rid = x.rid"                                \
	" JOIN subjects su ON su.id = r.subject JOIN sources so ON so.id = r.source"

static void read_dispute(sqlite3_stmt *s, struct sc_dispute *x)
{
	x->id = sqlite3_column_int64(s, 0);
	sc_lite_col(x->record_id, sizeof(x->record_id), s, 1);
	sc_lite_col(x->subject, sizeof(x->subject), s, 2);
	sc_lite_col(x->source, sizeof(x->source), s, 3);
	sc_lite_col(x->reason, sizeof(x->reason), s, 4);
	x->opened = sqlite3_column_int(s, 5);
	x->deadline = sqlite3_column_int(s, 6);
	x->decided = col_day(s, 7);
	sc_lite_col(x->outcome, sizeof(x->outcome), s, 8);
	sc_lite_col(x->decided_by, sizeof(x->decided_by), s, 9);
	sc_lite_col(x->note, sizeof(x->note), s, 10);
	sc_lite_col(x->opened_at, sizeof(x->opened_at), s, 11);
	sc_lite_col(x->decided_at, sizeof(x->decided_at), s, 12);
}

static enum sc_status lite_dispute_get(void *impl, int64_t id, struct sc_dispute *x,
				       struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, DISPUTE_SQL " WHERE x.id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_dispute(s, x);
	else if (rc == SQLITE_DONE)
		st = SC_ENOTFOUND;
	else
		st = sc_lite_db_err(l, d, "cannot read the dispute");
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_dispute_insert(void *impl, int64_t rid, const char *reason,
					  sc_day opened, sc_day deadline, int64_t *id,
					  struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO disputes(rid, reason, opened, deadline) VALUES(?1, ?2, ?3, ?4)",
		       &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, opened);
	sqlite3_bind_int(s, 4, deadline);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the dispute");
	else
		*id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_dispute_decided(void *impl, int64_t id, sc_day date,
					   const char *outcome, const char *by,
					   const char *note, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "UPDATE disputes SET decided = ?2, outcome = ?3, decided_by = ?4, note = ?5,"
			  " decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, date);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, note, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot decide the dispute");
	sqlite3_finalize(s);
	return st;
}

struct dispute_rows {
	struct sc_dispute x;
	sc_store_dispute_fn cb;
	void *ctx;
};

static enum sc_status dispute_row(sqlite3_stmt *s, void *ctx)
{
	struct dispute_rows *r = ctx;

	read_dispute(s, &r->x);
	return r->cb(r->ctx, &r->x);
}

static enum sc_status lite_dispute_list(void *impl, const char *subject,
					const char *source, bool open_only,
					sc_store_dispute_fn cb, void *ctx,
					struct sc_diag *d)
{
	struct dispute_rows *r = malloc(sizeof(*r));
	enum sc_status st;

	if (!r)
		return SC_ENOMEM;
	r->cb = cb;
	r->ctx = ctx;
	st = list_rows(impl, DISPUTE_SQL, subject, source, open_only, dispute_row, r, d);
	free(r);
	return st;
}

/* ---- statements ---- */

static enum sc_status lite_statement_insert(void *impl, int64_t rid, const char *text,
					    sc_day date, int64_t *id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO statements(rid, text, date) VALUES(?1, ?2, ?3)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, date);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the statement");
	else
		*id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_statement_list(void *impl, const char *subject,
					  sc_store_statement_fn cb, void *ctx,
					  struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	struct sc_statement *x = malloc(sizeof(*x));
	enum sc_status st;
	int64_t sid = 0;
	int rc = SQLITE_DONE;

	if (!x)
		return SC_ENOMEM;
	if ((st = subject_id(l, subject, &sid, d))) {
		if (st == SC_ENOTFOUND) /* never filed: no statements */
			st = SC_OK;
		goto out;
	}
	if ((st = sc_lite_prepare(l, "SELECT x.id, r.record_id, x.text, x.date FROM statements x"
			  " JOIN records r ON r.rid = x.rid WHERE" OF_SUBJECT " ORDER BY x.id", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, sid);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		x->id = sqlite3_column_int64(s, 0);
		sc_lite_col(x->record_id, sizeof(x->record_id), s, 1);
		sc_lite_col(x->text, sizeof(x->text), s, 2);
		x->date = sqlite3_column_int(s, 3);
		st = cb(ctx, x);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot list statements");
out:
	sqlite3_finalize(s);
	free(x);
	return st;
}

/* ---- repair ---- */

#define REPAIR_SQL                                                                 \
	"SELECT x.id, r.record_id, su.ext_id, so.name, x.commitment, x.applied,"        \
	" x.decided, coalesce(x.outcome, ''), coalesce(x.reason, ''),"                  \
	" coalesce(x.decided_by, '') FROM repairs x JOIN records r ON r.rid = x.rid"    \
	" JOIN subjects su ON su.id = r.subject JOIN sources so ON so.id = r.source"

static void read_repair(sqlite3_stmt *s, struct sc_repair *x)
{
	x->id = sqlite3_column_int64(s, 0);
	sc_lite_col(x->record_id, sizeof(x->record_id), s, 1);
	sc_lite_col(x->subject, sizeof(x->subject), s, 2);
	sc_lite_col(x->source, sizeof(x->source), s, 3);
	sc_lite_col(x->commitment, sizeof(x->commitment), s, 4);
	x->applied = sqlite3_column_int(s, 5);
	x->decided = col_day(s, 6);
	sc_lite_col(x->outcome, sizeof(x->outcome), s, 7);
	sc_lite_col(x->reason, sizeof(x->reason), s, 8);
	sc_lite_col(x->decided_by, sizeof(x->decided_by), s, 9);
}

static enum sc_status lite_repair_get(void *impl, int64_t id, struct sc_repair *x,
				      struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, REPAIR_SQL " WHERE x.id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_repair(s, x);
	else if (rc == SQLITE_DONE)
		st = SC_ENOTFOUND;
	else
		st = sc_lite_db_err(l, d, "cannot read the repair application");
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_repair_insert(void *impl, int64_t rid, const char *commitment,
					 sc_day applied, int64_t *id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO repairs(rid, commitment, applied) VALUES(?1, ?2, ?3)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, commitment, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, applied);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the application");
	else
		*id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_repair_decided(void *impl, int64_t id, sc_day date,
					  const char *outcome, const char *reason,
					  const char *by, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "UPDATE repairs SET decided = ?2, outcome = ?3, reason = ?4, decided_by = ?5"
			  " WHERE id = ?1", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, date);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, by, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot decide the application");
	sqlite3_finalize(s);
	return st;
}

struct repair_rows {
	struct sc_repair x;
	sc_store_repair_fn cb;
	void *ctx;
};

static enum sc_status repair_row(sqlite3_stmt *s, void *ctx)
{
	struct repair_rows *r = ctx;

	read_repair(s, &r->x);
	return r->cb(r->ctx, &r->x);
}

static enum sc_status lite_repair_list(void *impl, const char *subject,
				       const char *source, bool open_only,
				       sc_store_repair_fn cb, void *ctx,
				       struct sc_diag *d)
{
	struct repair_rows *r = malloc(sizeof(*r));
	enum sc_status st;

	if (!r)
		return SC_ENOMEM;
	r->cb = cb;
	r->ctx = ctx;
	st = list_rows(impl, REPAIR_SQL, subject, source, open_only, repair_row, r, d);
	free(r);
	return st;
}

/* ---- shares ---- */

static enum sc_status lite_share_add(void *impl, const char *subject,
				     const unsigned char *hash, sc_day created,
				     sc_day expires, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO shares(hash, subject, created, expires)"
			  " SELECT ?1, id, ?3, ?4 FROM subjects WHERE id = " SC_SUBJECT_ID("?2"), &s, d)))
		return st;
	sqlite3_bind_blob(s, 1, hash, SC_KEY_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, created);
	sqlite3_bind_int(s, 4, expires);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the share");
	else if (!sqlite3_changes(l->db))
		st = SC_ENOTFOUND;
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_share_get(void *impl, const unsigned char *hash,
				     char *subject, sc_day *expires,
				     struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT su.ext_id, sh.expires FROM shares sh"
			  " JOIN subjects su ON su.id = sh.subject WHERE sh.hash = ?1", &s, d)))
		return st;
	sqlite3_bind_blob(s, 1, hash, SC_KEY_HASH_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sc_lite_col(subject, SC_LIMIT_SUBJECT_ID + 1, s, 0);
		*expires = sqlite3_column_int(s, 1);
	} else if (rc == SQLITE_DONE) {
		st = SC_ENOTFOUND;
	} else {
		st = sc_lite_db_err(l, d, "cannot read the share");
	}
	sqlite3_finalize(s);
	return st;
}

/* ---- names ---- */

static enum sc_status name_put(struct lite *l, struct sc_text subject,
			       enum sc_kind kind, struct sc_text name,
			       const char *key, size_t n, sc_day date,
			       struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t sid;
	bool created;
	enum sc_status st = sc_lite_subject_get(l, subject, kind, &sid, &created, d);

	if (st)
		return st;
	if ((st = sc_lite_prepare(l, "INSERT INTO names(subject, name, date, key, org)"
			  " VALUES(?1, ?2, ?3, ?4,"
			  " coalesce((SELECT kind = " SC_KIND_ORG_STR " FROM subjects WHERE id = ?1), 0))"
			  " ON CONFLICT(subject) DO UPDATE SET name = excluded.name, date = excluded.date,"
			  " key = excluded.key, org = excluded.org"
			  " WHERE excluded.date >= names.date AND excluded.name <> names.name", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_text(s, 2, name.p, (int)name.n, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, date);
	if (key)
		sqlite3_bind_text(s, 4, key, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the name");
	else if (!sqlite3_changes(l->db))
		st = SC_EDUPLICATE;
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_name_put(void *impl, struct sc_text subject,
				    enum sc_kind kind, struct sc_text name,
				    const char *key, size_t n, sc_day date,
				    struct sc_diag *d)
{
	struct lite *l = impl;
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);

	if (!st)
		st = name_put(l, subject, kind, name, key, n, date, d);
	return sc_lite_own_end(l, own, st, d);
}

static enum sc_status lite_name_get(void *impl, const char *subject, char *name,
				    size_t size, sc_day *date, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT n.name, n.date FROM names n JOIN subjects su"
			  " ON su.id = n.subject WHERE su.id = " SC_SUBJECT_ID("?1"), &s, d)))
		return st;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sc_lite_col(name, size, s, 0);
		if (date)
			*date = sqlite3_column_int(s, 1);
	}
	else if (rc == SQLITE_DONE)
		st = SC_ENOTFOUND;
	else
		st = sc_lite_db_err(l, d, "cannot read the name");
	sqlite3_finalize(s);
	return st;
}

/* sc_name_key(text): the text's search key (sc_text_fold), NULL for text
 * that has none (not UTF-8). Deterministic: the migration that added the
 * key column fills it with it (a register takes the same key from the
 * store front, which calls sc_text_fold itself). */
static void name_key_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	char *key = NULL;
	size_t n = 0;
	enum sc_status st;

	(void)argc;
	if (!t) {
		sqlite3_result_null(cx);
		return;
	}
	st = sc_text_fold(t, (size_t)sqlite3_value_bytes(argv[0]), &key, &n);
	if (st == SC_ENOMEM)
		sqlite3_result_error_nomem(cx);
	else if (st)
		sqlite3_result_null(cx);
	else
		sqlite3_result_text(cx, key, (int)n, free);
}

enum sc_status sc_lite_names_register(struct lite *l, struct sc_diag *d)
{
	if (sqlite3_create_function(l->db, "sc_name_key", 1,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				    NULL, name_key_fn, NULL, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot register sc_name_key");
	return SC_OK;
}

#define BY_ID                                                                      \
	"SELECT su.ext_id, coalesce(n.name, '') FROM subjects su"                    \
	" LEFT JOIN names n ON n.subject = su.id WHERE su.id = " SC_SUBJECT_ID("?1")
/* the key's rows and the prefix's in the order of their index: names_key,
 * names_org (key, then subject) */
#define BY_NAME                                                                    \
	"SELECT su.ext_id, n.name FROM names n JOIN subjects su ON su.id = n.subject"  \
	" WHERE n.key = ?1 ORDER BY n.key, n.subject LIMIT ?3"
#define BY_PREFIX(below)                                                           \
	"SELECT su.ext_id, n.name FROM names n JOIN subjects su ON su.id = n.subject"  \
	" WHERE n.org = 1 AND n.key >= ?1" below " AND su.kind = " SC_KIND_ORG_STR     \
	" ORDER BY n.key, n.subject LIMIT ?3"

static enum sc_status lite_name_find(void *impl, enum sc_name_match how, struct sc_text a,
				     struct sc_text b, size_t limit,
				     sc_store_name_row_fn cb, void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc = SQLITE_DONE;

	if ((st = sc_lite_prepare(l, how == SC_NAME_BY_ID ? BY_ID
				  : how == SC_NAME_BY_NAME ? BY_NAME
				  : b.p ? BY_PREFIX(" AND n.key < ?2") : BY_PREFIX(""), &s, d)))
		return st;
	sqlite3_bind_text(s, 1, a.p, (int)a.n, SQLITE_STATIC);
	if (how == SC_NAME_BY_PREFIX && b.p)
		sqlite3_bind_text(s, 2, b.p, (int)b.n, SQLITE_STATIC);
	if (how != SC_NAME_BY_ID)
		sqlite3_bind_int64(s, 3, (int64_t)limit);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = cb(ctx, (const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot search names");
	sqlite3_finalize(s);
	return st;
}

/* ---- a subject's file as filed, to move it ---- */

static enum sc_status lite_event_list(void *impl, const char *subject, sc_store_event_fn cb,
				      void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	struct sc_event_row e;
	enum sc_status st;
	int64_t sid = 0;
	int rc = SQLITE_DONE;

	if ((st = subject_id(l, subject, &sid, d)))
		return st == SC_ENOTFOUND ? SC_OK : st;
	if ((st = sc_lite_prepare(l, "SELECT r.record_id, x.op, x.date, coalesce(x.ref, '')"
			  " FROM events x JOIN records r ON r.rid = x.rid WHERE" OF_SUBJECT
			  " ORDER BY x.seq", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, sid);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		sc_lite_col(e.record_id, sizeof(e.record_id), s, 0);
		e.op = sqlite3_column_int(s, 1);
		e.date = sqlite3_column_int(s, 2);
		sc_lite_col(e.ref, sizeof(e.ref), s, 3);
		st = cb(ctx, &e);
	}
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot list events");
	sqlite3_finalize(s);
	return st;
}

static void bind_day(sqlite3_stmt *s, int i, sc_day day)
{
	if (day == SC_DAY_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int(s, i, day);
}

/* text, or NULL for "" (an undecided item's columns are NULL) */
static void bind_opt(sqlite3_stmt *s, int i, const char *text)
{
	if (text[0])
		sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static enum sc_status lite_dispute_import(void *impl, int64_t rid, const struct sc_dispute *x,
					  int64_t *id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO disputes(rid, reason, opened, deadline, decided,"
			  " outcome, decided_by, note, opened_at, decided_at)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, x->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, x->opened);
	sqlite3_bind_int(s, 4, x->deadline);
	bind_day(s, 5, x->decided);
	bind_opt(s, 6, x->decided == SC_DAY_NONE ? "" : x->outcome);
	bind_opt(s, 7, x->decided == SC_DAY_NONE ? "" : x->decided_by);
	bind_opt(s, 8, x->decided == SC_DAY_NONE ? "" : x->note);
	sqlite3_bind_text(s, 9, x->opened_at, -1, SQLITE_STATIC);
	bind_opt(s, 10, x->decided_at);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the dispute");
	else
		*id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_repair_import(void *impl, int64_t rid, const struct sc_repair *x,
					 int64_t *id, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "INSERT INTO repairs(rid, commitment, applied, decided,"
			  " outcome, reason, decided_by) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, x->commitment, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, x->applied);
	bind_day(s, 4, x->decided);
	bind_opt(s, 5, x->decided == SC_DAY_NONE ? "" : x->outcome);
	bind_opt(s, 6, x->decided == SC_DAY_NONE ? "" : x->reason);
	bind_opt(s, 7, x->decided == SC_DAY_NONE ? "" : x->decided_by);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the application");
	else
		*id = sqlite3_last_insert_rowid(l->db);
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_share_list(void *impl, const char *subject, sc_store_share_fn cb,
				      void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	struct sc_share_row x;
	enum sc_status st;
	int64_t sid = 0;
	int rc = SQLITE_DONE;

	if ((st = subject_id(l, subject, &sid, d)))
		return st == SC_ENOTFOUND ? SC_OK : st;
	if ((st = sc_lite_prepare(l, "SELECT hash, created, expires FROM shares WHERE subject = ?1"
			  " ORDER BY hash", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, sid);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != SC_KEY_HASH_BYTES) {
			st = sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
					 "a share link's hash is not %d bytes", SC_KEY_HASH_BYTES);
			break;
		}
		memcpy(x.hash, sqlite3_column_blob(s, 0), SC_KEY_HASH_BYTES);
		x.created = sqlite3_column_int(s, 1);
		x.expires = sqlite3_column_int(s, 2);
		st = cb(ctx, &x);
	}
	if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW)
		st = sc_lite_db_err(l, d, "cannot list share links");
	sqlite3_finalize(s);
	return st;
}

const struct sc_store_process_ops sc_store_sqlite_process_ops = {
	.begin = lite_begin,
	.end = lite_end,
	.record_find = lite_record_find,
	.open_item = lite_open_item,
	.event_add = lite_event_add,
	.dispute_insert = lite_dispute_insert,
	.dispute_get = lite_dispute_get,
	.dispute_decided = lite_dispute_decided,
	.dispute_list = lite_dispute_list,
	.statement_insert = lite_statement_insert,
	.statement_list = lite_statement_list,
	.repair_insert = lite_repair_insert,
	.repair_get = lite_repair_get,
	.repair_decided = lite_repair_decided,
	.repair_list = lite_repair_list,
	.share_add = lite_share_add,
	.share_get = lite_share_get,
	.name_put = lite_name_put,
	.name_get = lite_name_get,
	.name_find = lite_name_find,
	.event_list = lite_event_list,
	.dispute_import = lite_dispute_import,
	.repair_import = lite_repair_import,
	.share_list = lite_share_list,
};
