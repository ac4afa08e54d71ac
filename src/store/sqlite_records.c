/* Records, their events and consents, as the SQLite backend files them
 * (the rules they follow are the store front's, front_records.c):
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

static void text_copy(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

/* The stored record with this record_id, judged by taken. */
static enum sc_status compare_existing(struct lite *l, const struct sc_store_add *r,
				       sc_store_taken_fn taken, struct sc_diag *d)
{
	sqlite3_stmt *s = sc_lite_stmt(l, S_REC_CMP);
	struct sc_store_filed f;

	sc_lite_bind_text(s, 1, r->record_id);
	if (sqlite3_step(s) != SQLITE_ROW)
		return sc_lite_db_err(l, d, "cannot read stored record");
	f.amount = sqlite3_column_type(s, 3) == SQLITE_NULL ? SC_AMOUNT_NONE
							   : sqlite3_column_int64(s, 3);
	text_copy(f.subject, sizeof(f.subject), sqlite3_column_text(s, 0));
	text_copy(f.type, sizeof(f.type), sqlite3_column_text(s, 1));
	f.date = sqlite3_column_int(s, 2);
	text_copy(f.source, sizeof(f.source), sqlite3_column_text(s, 4));
	text_copy(f.ref, sizeof(f.ref), sqlite3_column_text(s, 5));
	f.rid = 0;
	f.nev = 0;
	sqlite3_reset(s);
	return taken(r, &f, d);
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
			      struct sc_diag *ds, sc_store_taken_fn taken, struct sc_diag *d)
{
	*out = compare_existing(l, a, taken, ds);
	if (*out == SC_ESTORE) {
		*d = *ds;
		return SC_ESTORE;
	}
	return w->created ? sc_lite_subject_unfile(l, a->subject, w->sid, d) : SC_OK;
}

static enum sc_status record_add(struct lite *l, const struct sc_store_add *r,
				 sc_store_taken_fn taken, struct sc_diag *d)
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
	return (st = refused(l, r, &w, &out, d, taken, d)) ? st : out;
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
					  sc_store_taken_fn taken, struct sc_diag *d)
{
	struct lite *l = impl;
	struct add_row rows[SC_ADD_RUN];
	enum sc_status st = SC_OK;
	size_t i = 0;

	while (!st && i < n) {
		size_t k = 0, filed = 0;
		bool unresolved = false; /* record i + k: its subject, type or source is */

		if (l->run_rows <= 1) {
			/* after a record_id filed already: one at a time, as a
			 * file given twice is all of them */
			out[i] = record_add(l, r[i], taken, &ds[i]);
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
					  &ds[i + filed], taken, d)))
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
	return st;
}

enum sc_status sc_lite_record_add(void *impl, const struct sc_store_add *r,
				  sc_store_taken_fn taken, struct sc_diag *d)
{
	return record_add(impl, r, taken, d);
}

/* ---- events ---- */

/* Record rid's events into f. */
static enum sc_status events_read(struct lite *l, int64_t rid, struct sc_store_filed *f,
				  struct sc_diag *d)
{
	sqlite3_stmt *s = sc_lite_stmt(l, S_EV_LIST);
	int rc;

	sqlite3_bind_int64(s, 1, rid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sc_store_filed_event *v;
		if (f->nev == SC_STORE_FILED_EVENTS)
			continue;
		v = &f->ev[f->nev++];
		v->op = (enum sc_op)sqlite3_column_int(s, 0);
		v->date = sqlite3_column_int(s, 1);
		text_copy(v->ref, sizeof(v->ref), sqlite3_column_text(s, 2));
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SC_OK : sc_lite_db_err(l, d, "cannot read events");
}

enum sc_status sc_lite_record_find(void *impl, struct sc_text record_id,
				   struct sc_store_filed *f, struct sc_diag *d)
{
	struct lite *l = impl;
	struct recent *known = recent_find(l, record_id);
	sqlite3_stmt *s;
	int rc;

	f->nev = 0;
	f->subject[0] = f->type[0] = f->ref[0] = '\0';
	f->amount = SC_AMOUNT_NONE;
	if (known) { /* filed in this transaction: no need to read it back */
		f->rid = known->rid;
		f->date = known->date;
		memcpy(f->source, known->src, known->src_len);
		f->source[known->src_len] = '\0';
		/* and only the events filed for it since: none, then none to read */
		return known->ops ? events_read(l, f->rid, f, d) : SC_OK;
	}
	s = sc_lite_stmt(l, S_REC_FIND);
	sc_lite_bind_text(s, 1, record_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return SC_ENOTFOUND;
	}
	if (rc != SQLITE_ROW)
		return sc_lite_db_err(l, d, "cannot look up record");
	f->rid = sqlite3_column_int64(s, 0);
	f->date = sqlite3_column_int(s, 1);
	text_copy(f->source, sizeof(f->source), sqlite3_column_text(s, 2));
	sqlite3_reset(s);
	return events_read(l, f->rid, f, d);
}

enum sc_status sc_lite_event_add(void *impl, const struct sc_store_filed *f,
				 const struct sc_store_event *e, struct sc_diag *d)
{
	struct lite *l = impl;
	struct recent *known = recent_find(l, e->record_id);
	sqlite3_stmt *s = sc_lite_stmt(l, S_EV_ADD);

	sqlite3_bind_int64(s, 1, f->rid);
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

/* ---- consents ---- */

enum sc_status sc_lite_consent_last(void *impl, struct sc_text subject, enum sc_kind kind,
				    struct sc_text scorecard, sc_day date, int64_t *sid,
				    int *last, struct sc_diag *d)
{
	struct lite *l = impl;
	bool created;
	sqlite3_stmt *s;
	enum sc_status st = sc_lite_subject_get(l, subject, kind, sid, &created, d);
	int rc;

	*last = -1;
	if (st || created)
		return st;
	s = sc_lite_stmt(l, S_CONSENT_LAST);
	sqlite3_bind_int64(s, 1, *sid);
	sc_lite_bind_text(s, 2, scorecard);
	sqlite3_bind_int(s, 3, date);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot read consents");
	return SC_OK;
}

enum sc_status sc_lite_consent_add(void *impl, int64_t sid, struct sc_text scorecard,
				   bool granted, sc_day date, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = sc_lite_stmt(l, S_CONSENT_ADD);

	sqlite3_bind_int64(s, 1, sid);
	sc_lite_bind_text(s, 2, scorecard);
	sqlite3_bind_int(s, 3, granted);
	sqlite3_bind_int(s, 4, date);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot store consent");
	sc_lite_count(l, SC_COUNT_CONSENTS, 1);
	return SC_OK;
}
