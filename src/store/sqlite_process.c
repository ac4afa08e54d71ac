/* The SQLite backend's due process: disputes, statements, repair, shares,
 * names. Decisions that change a record do it with an event (revoke,
 * rectify) in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socred/record.h"
#include "sqlite_impl.h"

static sc_day col_day(sqlite3_stmt *s, int c)
{
	return sqlite3_column_type(s, c) == SQLITE_NULL ? SC_DAY_NONE : sqlite3_column_int(s, c);
}

/* The subject's record: its row, source and whether it is rectified or
 * revoked. SC_ENOTFOUND names the field. */
struct rec_info {
	int64_t rid;
	char source[SC_LIMIT_NAME + 1];
	sc_day date;
	bool rectified, revoked;
};

static enum sc_status find_record(struct lite *l, const char *subject,
				  const char *record_id, struct rec_info *ri,
				  struct sc_diag *d)
{
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
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "record",
				 "subject '%.64s' has no record '%.64s'", subject, record_id);
	} else {
		st = sc_lite_db_err(l, d, "cannot look up the record");
	}
	sqlite3_finalize(s);
	return st;
}

static enum sc_status add_event(struct lite *l, int64_t rid, enum sc_op op,
				sc_day date, const char *ref, struct sc_diag *d)
{
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

static enum sc_status begin(struct lite *l, struct sc_diag *d)
{
	return sc_lite_exec(l, "BEGIN IMMEDIATE", d);
}

static enum sc_status finish(struct lite *l, enum sc_status st, struct sc_diag *d)
{
	if (!st && !(st = sc_lite_counts_flush(l, d)) && !(st = sc_lite_exec(l, "COMMIT", d)))
		return SC_OK;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	sc_lite_counts_drop(l);
	return st;
}

/* ---- shared by disputes and repair applications ---- */

/* SC_ECONFLICT when the record has an undecided item in `table` (a fixed
 * name, never user input). */
static enum sc_status none_open(struct lite *l, const char *table, int64_t rid,
				const char *record_id, const char *what,
				struct sc_diag *d)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE rid = ?1 AND decided IS NULL", table);
	if ((st = sc_lite_prepare(l, sql, &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, rid);
	if (sqlite3_step(s) == SQLITE_ROW)
		st = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				 "record '%.64s' has an open %s already (%lld)", record_id, what,
				 (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	return st;
}

/* May `who` decide item `id` about a record of `source`, still undecided? */
static enum sc_status may_decide(const struct sc_decider *who, const char *what,
				 int64_t id, const char *source, sc_day decided,
				 const char *outcome, struct sc_diag *d)
{
	if (who->only_source && strcmp(who->only_source, source))
		return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, what,
				   "%s %lld is about a record of '%s': only its source or an admin decides",
				   what, (long long)id, source);
	if (decided != SC_DAY_NONE)
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, what,
				   "%s %lld was decided already (%s)", what, (long long)id, outcome);
	return SC_OK;
}

/* The event a decision makes: a revocation (unless revoked already) or a
 * rectification, never dated before the record. */
static enum sc_status decision_event(struct lite *l, const char *subject,
				     const char *record_id, enum sc_op op,
				     sc_day date, const char *ref,
				     struct sc_diag *d)
{
	struct rec_info ri;
	enum sc_status st = find_record(l, subject, record_id, &ri, d);

	if (st || (op == SC_OP_REVOKE && ri.revoked))
		return st;
	return add_event(l, ri.rid, op, date < ri.date ? ri.date : date, ref, d);
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

static enum sc_status dispute_get(struct lite *l, int64_t id, struct sc_dispute *x,
				  struct sc_diag *d)
{
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
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "dispute", "no dispute %lld", (long long)id);
	else
		st = sc_lite_db_err(l, d, "cannot read the dispute");
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_dispute_open(void *impl, const char *subject,
					const char *record_id, const char *reason,
					sc_day opened, int32_t review_days,
					struct sc_dispute *out, struct sc_diag *d)
{
	struct lite *l = impl;
	struct rec_info ri;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = begin(l, d)))
		return st;
	if ((st = find_record(l, subject, record_id, &ri, d)))
		goto out;
	if (ri.revoked) {
		st = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				 "record '%.64s' is revoked already", record_id);
		goto out;
	}
	if ((st = none_open(l, "disputes", ri.rid, record_id, "dispute", d)))
		goto out;
	if ((st = sc_lite_prepare(l, "INSERT INTO disputes(rid, reason, opened, deadline) VALUES(?1, ?2, ?3, ?4)",
		       &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, ri.rid);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, opened);
	sqlite3_bind_int(s, 4, sc_day_add(opened, review_days));
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot store the dispute");
		goto out;
	}
	st = dispute_get(l, sqlite3_last_insert_rowid(l->db), out, d);
out:
	sqlite3_finalize(s);
	return finish(l, st, d);
}

static enum sc_status lite_dispute_decide(void *impl, int64_t id, const char *outcome,
					  const char *note, sc_day date,
					  const struct sc_decider *who,
					  struct sc_dispute *out, struct sc_diag *d)
{
	struct lite *l = impl;
	struct sc_dispute x;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	bool corrected = !strcmp(outcome, "corrected");
	char ref[64];

	if (!corrected && strcmp(outcome, "upheld"))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "outcome",
				   "outcome must be upheld or corrected");
	if ((st = begin(l, d)))
		return st;
	if ((st = dispute_get(l, id, &x, d)))
		goto out;
	if ((st = may_decide(who, "dispute", id, x.source, x.decided, x.outcome, d)))
		goto out;
	if ((st = sc_lite_prepare(l, "UPDATE disputes SET decided = ?2, outcome = ?3, decided_by = ?4, note = ?5,"
			  " decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, date);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, who->by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, note ? note : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot decide the dispute");
		goto out;
	}
	snprintf(ref, sizeof(ref), "dispute %lld corrected", (long long)id);
	if (corrected && (st = decision_event(l, x.subject, x.record_id, SC_OP_REVOKE, date, ref, d)))
		goto out;
	st = dispute_get(l, id, out, d);
out:
	sqlite3_finalize(s);
	return finish(l, st, d);
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

static enum sc_status lite_statement_add(void *impl, const char *subject,
					 const char *record_id, const char *text,
					 sc_day date, struct sc_statement *out,
					 struct sc_diag *d)
{
	struct lite *l = impl;
	struct rec_info ri;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = begin(l, d)))
		return st;
	if ((st = find_record(l, subject, record_id, &ri, d)) ||
	    (st = sc_lite_prepare(l, "INSERT INTO statements(rid, text, date) VALUES(?1, ?2, ?3)", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, ri.rid);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, date);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot store the statement");
		goto out;
	}
	out->id = sqlite3_last_insert_rowid(l->db);
	snprintf(out->record_id, sizeof(out->record_id), "%s", record_id);
	snprintf(out->text, sizeof(out->text), "%s", text);
	out->date = date;
out:
	sqlite3_finalize(s);
	return finish(l, st, d);
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

static enum sc_status repair_get(struct lite *l, int64_t id, struct sc_repair *x,
				 struct sc_diag *d)
{
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
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "repair",
				 "no repair application %lld", (long long)id);
	else
		st = sc_lite_db_err(l, d, "cannot read the repair application");
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_repair_apply(void *impl, const char *subject,
					const char *record_id, const char *commitment,
					sc_day applied, struct sc_repair *out,
					struct sc_diag *d)
{
	struct lite *l = impl;
	struct rec_info ri;
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = begin(l, d)))
		return st;
	if ((st = find_record(l, subject, record_id, &ri, d)))
		goto out;
	if (ri.rectified || ri.revoked) {
		st = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				 "record '%.64s' is %s already", record_id,
				 ri.revoked ? "revoked" : "rectified");
		goto out;
	}
	if ((st = none_open(l, "repairs", ri.rid, record_id, "repair application", d)))
		goto out;
	if ((st = sc_lite_prepare(l, "INSERT INTO repairs(rid, commitment, applied) VALUES(?1, ?2, ?3)", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, ri.rid);
	sqlite3_bind_text(s, 2, commitment, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, applied);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot store the application");
		goto out;
	}
	st = repair_get(l, sqlite3_last_insert_rowid(l->db), out, d);
out:
	sqlite3_finalize(s);
	return finish(l, st, d);
}

static enum sc_status lite_repair_decide(void *impl, int64_t id, const char *outcome,
					 const char *reason, sc_day date,
					 const struct sc_decider *who,
					 struct sc_repair *out, struct sc_diag *d)
{
	struct lite *l = impl;
	struct sc_repair *x = malloc(sizeof(*x));
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	bool approved = !strcmp(outcome, "approved");
	char ref[64];

	if (!x)
		return SC_ENOMEM;
	if (!approved && strcmp(outcome, "refused")) {
		free(x);
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "outcome",
				   "outcome must be approved or refused");
	}
	if (!approved && (!reason || !*reason)) {
		free(x);
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "reason",
				   "a refusal must give its reason");
	}
	if ((st = begin(l, d))) {
		free(x);
		return st;
	}
	if ((st = repair_get(l, id, x, d)))
		goto out;
	if ((st = may_decide(who, "repair", id, x->source, x->decided, x->outcome, d)))
		goto out;
	if ((st = sc_lite_prepare(l, "UPDATE repairs SET decided = ?2, outcome = ?3, reason = ?4, decided_by = ?5"
			  " WHERE id = ?1", &s, d)))
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, date);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, who->by, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		st = sc_lite_db_err(l, d, "cannot decide the application");
		goto out;
	}
	snprintf(ref, sizeof(ref), "credit repair %lld approved", (long long)id);
	if (approved && (st = decision_event(l, x->subject, x->record_id, SC_OP_RECTIFY, date, ref, d)))
		goto out;
	st = repair_get(l, id, out, d);
out:
	sqlite3_finalize(s);
	free(x);
	return finish(l, st, d);
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
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "subject",
				 "subject '%.64s' has no file to share", subject);
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
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "share", "no such share link");
	} else {
		st = sc_lite_db_err(l, d, "cannot read the share");
	}
	sqlite3_finalize(s);
	return st;
}

/* ---- names ---- */

static enum sc_status name_set(struct lite *l, struct sc_text subject,
			       enum sc_kind kind, struct sc_text name,
			       sc_day date, struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t sid;
	bool created;
	enum sc_status st = sc_lite_subject_get(l, subject, kind, &sid, &created, d);

	if (st)
		return st;
	/* the search key is sc_name_key's; org: found by a prefix too */
	if ((st = sc_lite_prepare(l, "INSERT INTO names(subject, name, date, key, org)"
			  " VALUES(?1, ?2, ?3, sc_name_key(?2),"
			  " coalesce((SELECT kind = " SC_KIND_ORG_STR " FROM subjects WHERE id = ?1), 0))"
			  " ON CONFLICT(subject) DO UPDATE SET name = excluded.name, date = excluded.date,"
			  " key = excluded.key, org = excluded.org"
			  " WHERE excluded.date >= names.date AND excluded.name <> names.name", &s, d)))
		return st;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_text(s, 2, name.p, (int)name.n, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, date);
	if (sqlite3_step(s) != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot store the name");
	else if (!sqlite3_changes(l->db))
		st = SC_EDUPLICATE;
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_name_set(void *impl, struct sc_text subject,
				    enum sc_kind kind, struct sc_text name,
				    sc_day date, struct sc_diag *d)
{
	struct lite *l = impl;
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);

	if (!st)
		st = name_set(l, subject, kind, name, date, d);
	return sc_lite_own_end(l, own, st, d);
}

static enum sc_status lite_name_get(void *impl, const char *subject, char *name,
				    size_t size, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st;
	int rc;

	if ((st = sc_lite_prepare(l, "SELECT n.name FROM names n JOIN subjects su ON su.id = n.subject"
			  " WHERE su.id = " SC_SUBJECT_ID("?1"), &s, d)))
		return st;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		sc_lite_col(name, size, s, 0);
	else if (rc == SQLITE_DONE)
		st = SC_ENOTFOUND;
	else
		st = sc_lite_db_err(l, d, "cannot read the name");
	sqlite3_finalize(s);
	return st;
}

/* sc_name_key(text): the text's search key (sc_text_fold), NULL for text
 * that has none (not UTF-8). Deterministic: the key column is filled with
 * it, at a register and by the migration that added the column. */
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

/* ASCII letters of s in upper case (up) or lower case, into out */
static void ascii_case(const char *s, char *out, size_t size, bool up)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++)
		out[i] = up && s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32)
			 : !up && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	out[i] = '\0';
}

#define BY_ID(p)                                                                   \
	" SELECT su.ext_id AS ext_id, coalesce(n.name, '') AS name, 0 AS how FROM subjects su" \
	" LEFT JOIN names n ON n.subject = su.id WHERE su.id = " SC_SUBJECT_ID(p)

static enum sc_status lite_name_search(void *impl, const char *q, size_t limit,
				       sc_store_name_fn cb, void *ctx,
				       struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	char *key = NULL, *above = NULL, up[SC_LIMIT_SUBJECT_ID + 1], low[SC_LIMIT_SUBJECT_ID + 1];
	size_t n = 0;
	enum sc_status st;
	int rc = SQLITE_DONE;

	/* longer than any name or id, or no text: none */
	if (strlen(q) > SC_LIMIT_PERSON_NAME || sc_text_fold(q, strlen(q), &key, &n))
		return SC_OK;
	/* an id as given, and its key in upper and in lower case (ids are
	 * ASCII: the key of a full-width id is the id) */
	ascii_case(key, up, sizeof(up), true);
	ascii_case(key, low, sizeof(low), false);
	/* a name's whole key (persons and organisations), or the start of an
	 * organisation's: a range of the partial index names_org, from the key
	 * up to, not including, the key followed by the byte 0xff, which no
	 * UTF-8 text holds (bound, so no pattern characters leak in). A
	 * subject found more than one way is given once, the closest way. */
	if (!(above = malloc(n + 1))) {
		st = SC_ENOMEM;
		goto out;
	}
	memcpy(above, key, n);
	above[n] = (char)0xff;
	if ((st = sc_lite_prepare(l, "SELECT ext_id, name, min(how) FROM ("
			  BY_ID("?1") " UNION ALL" BY_ID("?2") " UNION ALL" BY_ID("?3")
			  " UNION ALL SELECT * FROM (SELECT su.ext_id, n.name, 1 FROM names n"
			  " JOIN subjects su ON su.id = n.subject WHERE ?6 AND n.key = ?4 LIMIT ?7)"
			  " UNION ALL SELECT * FROM (SELECT su.ext_id, n.name, 2 FROM names n"
			  " JOIN subjects su ON su.id = n.subject WHERE ?6 AND n.org = 1"
			  " AND n.key >= ?4 AND n.key < ?5 AND su.kind = " SC_KIND_ORG_STR " LIMIT ?7))"
			  " GROUP BY ext_id ORDER BY 3, 1 LIMIT ?7", &s, d)))
		goto out;
	sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
	/* a key longer than any id is no id (its cut copies must not match) */
	if (n <= SC_LIMIT_SUBJECT_ID) {
		sqlite3_bind_text(s, 2, up, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, low, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 2);
		sqlite3_bind_null(s, 3);
	}
	sqlite3_bind_text(s, 4, key, (int)n, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, above, (int)n + 1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, n > 0);
	sqlite3_bind_int64(s, 7, (int64_t)limit);
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = cb(ctx, (const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1),
			(enum sc_name_match)sqlite3_column_int(s, 2));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot search names");
out:
	sqlite3_finalize(s);
	free(above);
	free(key);
	return st;
}

const struct sc_store_process_ops sc_store_sqlite_process_ops = {
	.dispute_open = lite_dispute_open,
	.dispute_decide = lite_dispute_decide,
	.dispute_list = lite_dispute_list,
	.statement_add = lite_statement_add,
	.statement_list = lite_statement_list,
	.repair_apply = lite_repair_apply,
	.repair_decide = lite_repair_decide,
	.repair_list = lite_repair_list,
	.share_add = lite_share_add,
	.share_get = lite_share_get,
	.name_set = lite_name_set,
	.name_get = lite_name_get,
	.name_search = lite_name_search,
};
