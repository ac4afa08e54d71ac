/* Records, their events and consents, as the SQLite backend files them:
 * one at a time (sc_lite_record_add), or in runs of one statement for up
 * to SC_ADD_RUN records (sc_lite_record_add_run), which an ingest's lines
 * mostly are; and what the open transaction remembers of the records it
 * filed (struct recent), so that a rectify or revoke that follows its
 * record is checked without reading it back. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_impl.h"

/* ---- records filed in the open transaction (struct recent) ---- */

/* The slot of a record_id: both ends of it mixed (ids of one authority
 * share their start, ids of several may share their end), no loop. */
static struct recent *recent_slot(struct lite *l, struct sc_text id)
{
	uint64_t a = 0, b = 0;

	if (id.n >= 8) {
		memcpy(&a, id.p, 8);
		memcpy(&b, id.p + id.n - 8, 8);
	} else {
		memcpy(&a, id.p, id.n);
	}
	a = ((a * 0x9E3779B97F4A7C15u) ^ (b * 0xC2B2AE3D27D4EB4Fu) ^ id.n) * 0x9E3779B97F4A7C15u;
	return &l->recent[(a >> 40) % RECENT_SLOTS];
}

static void recent_put(struct lite *l, const struct sc_store_add *r, int64_t rid)
{
	struct recent *slot;

	if (!l->in_txn || r->record_id.n > sizeof(slot->id) || r->source.n > sizeof(slot->src))
		return;
	slot = recent_slot(l, r->record_id);
	slot->rid = rid;
	slot->date = r->date;
	slot->ops = 0;
	slot->len = (uint8_t)r->record_id.n;
	slot->src_len = (uint8_t)r->source.n;
	memcpy(slot->id, r->record_id.p, r->record_id.n);
	memcpy(slot->src, r->source.p, r->source.n);
	l->recent_any = true;
}

static struct recent *recent_find(struct lite *l, struct sc_text id)
{
	struct recent *slot;

	if (!l->recent_any || !l->in_txn || id.n > sizeof(slot->id))
		return NULL;
	slot = recent_slot(l, id);
	return slot->rid && slot->len == id.n && !memcmp(slot->id, id.p, id.n) ? slot : NULL;
}

void sc_lite_recent_clear(struct lite *l)
{
	if (l->recent_any)
		memset(l->recent, 0, RECENT_SLOTS * sizeof(*l->recent));
	l->recent_any = false;
}

/* ---- records ---- */

static bool text_eq(const unsigned char *a, struct sc_text b)
{
	return strlen((const char *)a) == b.n && !memcmp(a, b.p, b.n);
}

/* The stored record with this record_id differs: name the first field. */
static enum sc_status compare_existing(struct lite *l,
				       const struct sc_store_add *r,
				       struct sc_diag *d)
{
	sqlite3_stmt *s = sc_lite_stmt(l, S_REC_CMP);
	const char *field = NULL;
	int64_t amount;

	sc_lite_bind_text(s, 1, r->record_id);
	if (sqlite3_step(s) != SQLITE_ROW)
		return sc_lite_db_err(l, d, "cannot read stored record");
	amount = sqlite3_column_type(s, 3) == SQLITE_NULL ? SC_AMOUNT_NONE
							   : sqlite3_column_int64(s, 3);
	if (!text_eq(sqlite3_column_text(s, 0), r->subject))
		field = "subject";
	else if (!text_eq(sqlite3_column_text(s, 1), r->type))
		field = "type";
	else if (sqlite3_column_int(s, 2) != r->date)
		field = "date";
	else if (amount != r->amount)
		field = "amount";
	else if (!text_eq(sqlite3_column_text(s, 4), r->source))
		field = "source";
	else if (!text_eq(sqlite3_column_text(s, 5), r->ref))
		field = "ref";
	sqlite3_reset(s);
	if (!field)
		return SC_EDUPLICATE;
	return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, field,
			   "record_id '%.*s' is already filed with a different %s",
			   (int)r->record_id.n, r->record_id.p, field);
}

/* A record's ledger ids, resolved before its statement. */
struct add_row {
	int64_t sid, type, source;
	bool created;       /* its subject was filed for it */
};

/* Resolves a record's subject (filing it when new), type and source. */
static enum sc_status resolve(struct lite *l, const struct sc_store_add *a, struct add_row *w,
			      struct sc_diag *d)
{
	enum sc_status st;

	if ((st = sc_lite_subject_get(l, a->subject, a->kind, &w->sid, &w->created, d)) ||
	    (st = sc_lite_intern(l, &l->types, S_TYPE_GET, S_TYPE_ADD, a->type, &w->type, d)))
		return st;
	return sc_lite_intern(l, &l->sources, S_SRC_GET, S_SRC_ADD, a->source, &w->source, d);
}

/* Binds a record's seven values from parameter p + 1 on. */
static void bind_record(sqlite3_stmt *s, int p, const struct sc_store_add *a,
			const struct add_row *w)
{
	sc_lite_bind_text(s, p + 1, a->record_id);
	sqlite3_bind_int64(s, p + 2, w->sid);
	sqlite3_bind_int64(s, p + 3, w->type);
	sqlite3_bind_int(s, p + 4, a->date);
	if (a->amount != SC_AMOUNT_NONE)
		sqlite3_bind_int64(s, p + 5, a->amount);
	else
		sqlite3_bind_null(s, p + 5);
	sqlite3_bind_int64(s, p + 6, w->source);
	sc_lite_bind_text(s, p + 7, a->ref);
}

/* A record stored with rid: remembered for its events, counted, and
 * noted for the subject index (written at the commit). */
static enum sc_status stored(struct lite *l, const struct sc_store_add *a,
			     const struct add_row *w, int64_t rid)
{
	recent_put(l, a, rid);
	sc_lite_count(l, SC_COUNT_RECORDS, 1);
	return sc_lite_bysubj_note(l, w->sid, rid);
}

/* A record whose record_id is filed already: *out is SC_EDUPLICATE or
 * SC_ECONFLICT (ds names the field), and a subject filed for it alone is
 * removed again. SC_OK, or the ledger's failure in d. */
static enum sc_status refused(struct lite *l, const struct sc_store_add *a,
			      const struct add_row *w, enum sc_status *out,
			      struct sc_diag *ds, struct sc_diag *d)
{
	*out = compare_existing(l, a, ds);
	if (*out == SC_ESTORE) {
		*d = *ds;
		return SC_ESTORE;
	}
	return w->created ? sc_lite_subject_unfile(l, a->subject, w->sid, d) : SC_OK;
}

static enum sc_status record_add(struct lite *l, const struct sc_store_add *r,
				 struct sc_diag *d)
{
	struct add_row w;
	sqlite3_stmt *s;
	enum sc_status st, out;

	if ((st = resolve(l, r, &w, d)))
		return st;
	s = sc_lite_stmt(l, S_REC_ADD);
	bind_record(s, 0, r, &w);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot store record");
	if (sqlite3_changes(l->db) == 1)
		return stored(l, r, &w, sqlite3_last_insert_rowid(l->db));
	return (st = refused(l, r, &w, &out, d, d)) ? st : out;
}

/* ---- records in runs ---- */

/* The statement that files m records (1 <= m <= SC_ADD_RUN), prepared on
 * first use. */
static sqlite3_stmt *run_stmt(struct lite *l, size_t m, struct sc_diag *d)
{
	static const char head[] = "INSERT OR FAIL INTO records(record_id, subject, type,"
				   " date, amount, source, ref) VALUES";
	static const char row[] = "(?,?,?,?,?,?,?),";
	char sql[sizeof(head) + (sizeof(row) - 1) * SC_ADD_RUN];
	size_t n = sizeof(head) - 1;

	if (l->runs[m]) {
		sqlite3_reset(l->runs[m]);
		return l->runs[m];
	}
	memcpy(sql, head, n);
	for (size_t i = 0; i < m; i++, n += sizeof(row) - 1)
		memcpy(sql + n, row, sizeof(row) - 1);
	sql[n - 1] = '\0'; /* the last comma */
	if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &l->runs[m],
			       NULL) != SQLITE_OK) {
		sc_lite_db_err(l, d, "cannot prepare statement");
		return NULL;
	}
	return l->runs[m];
}

/* Files records r[0 .. n), resolved in rows, by one statement
 * (n <= SC_ADD_RUN). *done: those filed, in order; fewer than n when
 * record *done has a record_id filed already (nothing of it is stored:
 * OR FAIL keeps the rows before it and stops). */
static enum sc_status run_insert(struct lite *l, const struct sc_store_add *const *r,
				 const struct add_row *rows, size_t n, size_t *done,
				 struct sc_diag *d)
{
	sqlite3_stmt *s;
	int64_t last;
	size_t k;
	int rc;

	*done = 0;
	if (!n)
		return SC_OK;
	if (!(s = run_stmt(l, n, d)))
		return SC_ESTORE;
	for (size_t j = 0; j < n; j++)
		bind_record(s, (int)j * 7, r[j], &rows[j]);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		k = n;
	else if (sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_UNIQUE)
		k = (size_t)sqlite3_changes(l->db);
	else
		return sc_lite_db_err(l, d, "cannot store records");
	/* OR FAIL keeps the rows before the conflicting one, and
	 * sqlite3_changes() counts them (test_runs checks both); rows get
	 * consecutive rids, one past the highest in turn */
	last = sqlite3_last_insert_rowid(l->db);
	sqlite3_reset(s);
	for (size_t j = 0; j < k; j++) {
		enum sc_status st = stored(l, r[j], &rows[j], last - (int64_t)(k - 1 - j));
		if (st)
			return st;
	}
	*done = k;
	return SC_OK;
}

enum sc_status sc_lite_record_add_run(void *impl, const struct sc_store_add *const *r,
					  size_t n, enum sc_status *out,
					  struct sc_diag *ds, size_t *done,
					  struct sc_diag *d)
{
	struct lite *l = impl;
	struct add_row rows[SC_ADD_RUN];
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);
	size_t i = 0;

	while (!st && i < n) {
		size_t k = 0, filed = 0;
		bool unresolved = false; /* record i + k: its subject, type or source is */

		if (l->run_rows <= 1) {
			/* after a record_id filed already: one at a time, as a
			 * file given twice is all of them */
			out[i] = record_add(l, r[i], &ds[i]);
			if (out[i] == SC_ESTORE || out[i] == SC_ENOMEM) {
				st = out[i];
				*d = ds[i];
				break;
			}
			l->run_rows = out[i] == SC_EDUPLICATE || out[i] == SC_ECONFLICT ? 1 : 2;
			i++;
			continue;
		}
		/* resolve up to a run's rows: a kind conflict ends it */
		while (i + k < n && k < (size_t)l->run_rows) {
			enum sc_status rs = resolve(l, r[i + k], &rows[k], &ds[i + k]);
			if (rs == SC_ESTORE || rs == SC_ENOMEM) {
				st = rs;
				*d = ds[i + k];
				break;
			}
			if (rs) { /* this one's outcome, after those before it */
				out[i + k] = rs;
				unresolved = true;
				break;
			}
			k++;
		}
		if (st)
			break;
		if ((st = run_insert(l, r + i, rows, k, &filed, d)))
			break;
		for (size_t j = 0; j < filed; j++)
			out[i + j] = SC_OK;
		if (filed < k) {
			/* record i + filed has a record_id filed already: undo
			 * the subjects the rows after it filed, newest first */
			for (size_t j = k; j-- > filed + 1;)
				if (rows[j].created &&
				    (st = sc_lite_subject_unfile(l, r[i + j]->subject, rows[j].sid, d)))
					break;
			if (st)
				break;
			if ((st = refused(l, r[i + filed], &rows[filed], &out[i + filed],
					  &ds[i + filed], d)))
				break;
			l->last = NULL;
			l->run_rows = 1;
			i += filed + 1;
		} else {
			if (l->run_rows < SC_ADD_RUN)
				l->run_rows *= 2;
			i += k + unresolved;
		}
	}
	*done = i;
	return sc_lite_own_end(l, own, st, d);
}

enum sc_status sc_lite_record_add(void *impl, const struct sc_store_add *r,
				      struct sc_diag *d)
{
	struct lite *l = impl;
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);

	if (!st)
		st = record_add(l, r, d);
	return sc_lite_own_end(l, own, st, d);
}

/* The record's events admit this one: not the same op again (the same
 * line again is a duplicate), no rectify after a revoke. */
static enum sc_status events_check(struct lite *l, const struct sc_store_event *e,
				   int64_t rid, struct sc_diag *d)
{
	const char *verb = e->op == SC_OP_RECTIFY ? "rectified" : "revoked";
	sqlite3_stmt *s = sc_lite_stmt(l, S_EV_LIST);
	char day[SC_DATE_LEN + 1];
	int rc;

	sqlite3_bind_int64(s, 1, rid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum sc_op op = (enum sc_op)sqlite3_column_int(s, 0);
		sc_day when = sqlite3_column_int(s, 1);
		sc_date_format(when, day);
		if (op == e->op) {
			bool same = when == e->date && text_eq(sqlite3_column_text(s, 2), e->ref);
			sqlite3_reset(s);
			if (same)
				return SC_EDUPLICATE;
			return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "date",
					   "record '%.*s' was already %s on %s",
					   (int)e->record_id.n, e->record_id.p, verb, day);
		}
		if (op == SC_OP_REVOKE && e->op == SC_OP_RECTIFY) {
			sqlite3_reset(s);
			return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record_id",
					   "record '%.*s' was revoked on %s and cannot be rectified",
					   (int)e->record_id.n, e->record_id.p, day);
		}
	}
	return rc == SQLITE_DONE ? SC_OK : sc_lite_db_err(l, d, "cannot read events");
}

static enum sc_status record_event(struct lite *l, const struct sc_store_event *e,
				   struct sc_diag *d)
{
	struct recent *known = recent_find(l, e->record_id);
	sqlite3_stmt *s;
	char day[SC_DATE_LEN + 1], filer[SC_LIMIT_NAME + 1];
	enum sc_status st;
	int64_t rid;
	sc_day rdate;
	int rc;

	if (known) { /* filed in this transaction: no need to read it back */
		rid = known->rid;
		rdate = known->date;
		memcpy(filer, known->src, known->src_len);
		filer[known->src_len] = '\0';
	} else {
		s = sc_lite_stmt(l, S_REC_FIND);
		sc_lite_bind_text(s, 1, e->record_id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "record_id",
					   "unknown record_id '%.*s': a %s must follow the add of its record",
					   (int)e->record_id.n, e->record_id.p, sc_op_name(e->op));
		if (rc != SQLITE_ROW)
			return sc_lite_db_err(l, d, "cannot look up record");
		rid = sqlite3_column_int64(s, 0);
		rdate = sqlite3_column_int(s, 1);
		snprintf(filer, sizeof(filer), "%s", (const char *)sqlite3_column_text(s, 2));
		sqlite3_reset(s);
	}
	if (e->source.n && (strlen(filer) != e->source.n || memcmp(filer, e->source.p, e->source.n)))
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "source",
				   "record '%.*s' was filed by '%s', not '%.*s': only the filing source may %s it",
				   (int)e->record_id.n, e->record_id.p, filer,
				   (int)e->source.n, e->source.p, sc_op_name(e->op));
	if (e->date < rdate) {
		sc_date_format(rdate, day);
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "date",
				   "a %s cannot precede the record's date %s",
				   sc_op_name(e->op), day);
	}
	/* a record filed in this transaction has only the events filed for it
	 * since: none, then none to read */
	if ((!known || known->ops) && (st = events_check(l, e, rid, d)))
		return st;
	s = sc_lite_stmt(l, S_EV_ADD);
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_int(s, 2, e->op);
	sqlite3_bind_int(s, 3, e->date);
	sc_lite_bind_text(s, 4, e->ref);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot store event");
	sc_lite_count(l, SC_COUNT_EVENTS, 1);
	if (known)
		known->ops |= (uint8_t)(1u << e->op);
	return SC_OK;
}

enum sc_status sc_lite_record_event(void *impl, const struct sc_store_event *e,
					struct sc_diag *d)
{
	struct lite *l = impl;
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);

	if (!st)
		st = record_event(l, e, d);
	return sc_lite_own_end(l, own, st, d);
}

static enum sc_status consent(struct lite *l, struct sc_text subject,
			      enum sc_kind kind, struct sc_text scorecard,
			      bool granted, sc_day date, struct sc_diag *d)
{
	int64_t sid;
	bool created;
	sqlite3_stmt *s;
	enum sc_status st = sc_lite_subject_get(l, subject, kind, &sid, &created, d);

	if (st)
		return st;
	/* a repeat of the day's last act for the scorecard changes nothing:
	 * consent, withdraw, consent on one day is three acts, the last in
	 * force (as the evaluator reads them: the later filed on a tie) */
	if (!created) {
		int rc, last;
		s = sc_lite_stmt(l, S_CONSENT_LAST);
		sqlite3_bind_int64(s, 1, sid);
		sc_lite_bind_text(s, 2, scorecard);
		sqlite3_bind_int(s, 3, date);
		rc = sqlite3_step(s);
		last = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sc_lite_db_err(l, d, "cannot read consents");
		if (last == (int)granted)
			return SC_EDUPLICATE;
	}
	s = sc_lite_stmt(l, S_CONSENT_ADD);
	sqlite3_bind_int64(s, 1, sid);
	sc_lite_bind_text(s, 2, scorecard);
	sqlite3_bind_int(s, 3, granted);
	sqlite3_bind_int(s, 4, date);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot store consent");
	sc_lite_count(l, SC_COUNT_CONSENTS, 1);
	return SC_OK;
}

enum sc_status sc_lite_consent(void *impl, struct sc_text subject,
				   enum sc_kind kind, struct sc_text scorecard,
				   bool granted, sc_day date, struct sc_diag *d)
{
	struct lite *l = impl;
	bool own;
	enum sc_status st = sc_lite_own_begin(l, &own, d);

	if (!st)
		st = consent(l, subject, kind, scorecard, granted, date, d);
	return sc_lite_own_end(l, own, st, d);
}
