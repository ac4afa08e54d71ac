/* The PostgreSQL backend's due process rows: disputes, statements,
 * repair, shares, names (the rules are the store front's,
 * front_process.c). Writes run in write transactions (pg_impl.h); the
 * disputes trigger (pg_schema.c) notes a changed subject file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"
#include "socred/record.h"

/* the timestamp of now as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ') writes it */
#define NOW_UTC "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static sc_day get_day(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? SC_DAY_NONE : (sc_day)sc_pq_get_i64(r, row, col);
}

static enum sc_status pq_proc_begin(void *impl, struct sc_diag *d)
{
	return sc_pq_begin_write(impl, d);
}

static enum sc_status pq_proc_end(void *impl, enum sc_status st, struct sc_diag *d)
{
	return sc_pq_own_end(impl, true, st, d);
}

static enum sc_status pq_record_find(void *impl, const char *subject, const char *record_id,
				     struct sc_proc_record *out, struct sc_diag *d)
{
	const char *v[2] = {record_id, subject};
	PGresult *r;
	enum sc_status st = sc_pq_query(impl,
					"SELECT r.rid, so.name, r.date,"
					" EXISTS(SELECT 1 FROM events e WHERE e.rid = r.rid AND e.op = 1),"
					" EXISTS(SELECT 1 FROM events e WHERE e.rid = r.rid AND e.op = 2)"
					" FROM records r JOIN subjects su ON su.id = r.subject"
					" JOIN sources so ON so.id = r.source"
					" WHERE r.record_id = $1 AND su.ext_id = $2",
					2, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) != 1) {
		st = SC_ENOTFOUND;
	} else {
		out->rid = sc_pq_get_i64(r, 0, 0);
		sc_pq_get_text(out->source, sizeof(out->source), r, 0, 1);
		out->date = (sc_day)sc_pq_get_i64(r, 0, 2);
		out->rectified = PQgetvalue(r, 0, 3)[0] == 't';
		out->revoked = PQgetvalue(r, 0, 4)[0] == 't';
	}
	PQclear(r);
	return st;
}

static enum sc_status pq_open_item(void *impl, enum sc_proc_items t, int64_t rid, int64_t *id,
				   struct sc_diag *d)
{
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, rid)};

	return sc_pq_int(impl, t == SC_PROC_DISPUTES
			 ? "SELECT id FROM disputes WHERE rid = $1 AND decided IS NULL ORDER BY id LIMIT 1"
			 : "SELECT id FROM repairs WHERE rid = $1 AND decided IS NULL ORDER BY id LIMIT 1",
			 1, v, id, d);
}

/* One event per record and op (events_rid_op): a second of the same op
 * changes nothing the first did not. */
static enum sc_status pq_event_add(void *impl, int64_t rid, int op, sc_day date, const char *ref,
				   struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT], c[SC_PQ_INT];
	const char *v[4] = {sc_pq_i64(a, rid), sc_pq_i64(b, op), sc_pq_i64(c, date), ref};

	return sc_pq_query(impl, "INSERT INTO events(rid, op, date, ref) VALUES($1, $2, $3, $4)"
			   " ON CONFLICT ON CONSTRAINT events_rid_op DO NOTHING",
			   4, v, NULL, d);
}

/* An INSERT ... RETURNING id's id. */
static enum sc_status insert_id(struct pq *p, const char *sql, int n, const char *const *v,
				int64_t *id, struct sc_diag *d)
{
	int64_t x = 0;
	enum sc_status st = sc_pq_int(p, sql, n, v, &x, d);

	if (!st)
		*id = x;
	return st;
}

/* ---- disputes ---- */

#define DISPUTE_SQL                                                                         \
	"SELECT x.id, r.record_id, su.ext_id, so.name, x.reason, x.opened, x.deadline,"         \
	" x.decided, coalesce(x.outcome, ''), coalesce(x.decided_by, ''),"                       \
	" coalesce(x.note, ''), x.opened_at, coalesce(x.decided_at, '')"                          \
	" FROM disputes x JOIN records r ON r.rid = x.rid"                                        \
	" JOIN subjects su ON su.id = r.subject JOIN sources so ON so.id = r.source"

static void read_dispute(const PGresult *r, int i, struct sc_dispute *x)
{
	x->id = sc_pq_get_i64(r, i, 0);
	sc_pq_get_text(x->record_id, sizeof(x->record_id), r, i, 1);
	sc_pq_get_text(x->subject, sizeof(x->subject), r, i, 2);
	sc_pq_get_text(x->source, sizeof(x->source), r, i, 3);
	sc_pq_get_text(x->reason, sizeof(x->reason), r, i, 4);
	x->opened = (sc_day)sc_pq_get_i64(r, i, 5);
	x->deadline = (sc_day)sc_pq_get_i64(r, i, 6);
	x->decided = get_day(r, i, 7);
	sc_pq_get_text(x->outcome, sizeof(x->outcome), r, i, 8);
	sc_pq_get_text(x->decided_by, sizeof(x->decided_by), r, i, 9);
	sc_pq_get_text(x->note, sizeof(x->note), r, i, 10);
	sc_pq_get_text(x->opened_at, sizeof(x->opened_at), r, i, 11);
	sc_pq_get_text(x->decided_at, sizeof(x->decided_at), r, i, 12);
}

static enum sc_status pq_dispute_insert(void *impl, int64_t rid, const char *reason,
					sc_day opened, sc_day deadline, int64_t *id,
					struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT], c[SC_PQ_INT];
	const char *v[4] = {sc_pq_i64(a, rid), reason, sc_pq_i64(b, opened), sc_pq_i64(c, deadline)};

	return insert_id(impl, "INSERT INTO disputes(rid, reason, opened, deadline)"
			 " VALUES($1, $2, $3, $4) RETURNING id", 4, v, id, d);
}

static enum sc_status pq_dispute_get(void *impl, int64_t id, struct sc_dispute *out,
				     struct sc_diag *d)
{
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, id)};
	PGresult *r;
	enum sc_status st = sc_pq_query(impl, DISPUTE_SQL " WHERE x.id = $1", 1, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) == 1)
		read_dispute(r, 0, out);
	else
		st = SC_ENOTFOUND;
	PQclear(r);
	return st;
}

static enum sc_status pq_dispute_decided(void *impl, int64_t id, sc_day date, const char *outcome,
					 const char *by, const char *note, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT];
	const char *v[5] = {sc_pq_i64(a, id), sc_pq_i64(b, date), outcome, by, note};

	return sc_pq_query(impl, "UPDATE disputes SET decided = $2, outcome = $3, decided_by = $4,"
			   " note = $5, decided_at = " NOW_UTC " WHERE id = $1",
			   5, v, NULL, d);
}

/* Rows of select (its FROM with aliases su and so, x for the item) for a
 * subject and a source (NULL: any), oldest first: *out is the caller's to
 * PQclear. */
static enum sc_status list_rows(struct pq *p, const char *select, const char *subject,
				const char *source, bool open_only, PGresult **out,
				struct sc_diag *d)
{
	char sql[1024];
	const char *v[2] = {subject, source};

	snprintf(sql, sizeof(sql), "%s WHERE ($1::text IS NULL OR su.ext_id = $1)"
		 " AND ($2::text IS NULL OR so.name = $2)%s ORDER BY x.id", select,
		 open_only ? " AND x.decided IS NULL" : "");
	return sc_pq_query(p, sql, 2, v, out, d);
}

static enum sc_status pq_dispute_list(void *impl, const char *subject, const char *source,
				      bool open_only, sc_store_dispute_fn cb, void *ctx,
				      struct sc_diag *d)
{
	struct sc_dispute *x = malloc(sizeof(*x));
	PGresult *r = NULL;
	enum sc_status st;

	if (!x)
		return SC_ENOMEM;
	st = list_rows(impl, DISPUTE_SQL, subject, source, open_only, &r, d);
	for (int i = 0; !st && i < PQntuples(r); i++) {
		read_dispute(r, i, x);
		st = cb(ctx, x);
	}
	PQclear(r);
	free(x);
	return st;
}

/* ---- statements ---- */

static enum sc_status pq_statement_insert(void *impl, int64_t rid, const char *text, sc_day date,
					  int64_t *id, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT];
	const char *v[3] = {sc_pq_i64(a, rid), text, sc_pq_i64(b, date)};

	return insert_id(impl, "INSERT INTO statements(rid, text, date) VALUES($1, $2, $3)"
			 " RETURNING id", 3, v, id, d);
}

static enum sc_status pq_statement_list(void *impl, const char *subject,
					sc_store_statement_fn cb, void *ctx, struct sc_diag *d)
{
	struct sc_statement *x = malloc(sizeof(*x));
	const char *v[1] = {subject};
	PGresult *r = NULL;
	enum sc_status st;

	if (!x)
		return SC_ENOMEM;
	st = sc_pq_query(impl, "SELECT x.id, r.record_id, x.text, x.date FROM statements x"
			 " JOIN records r ON r.rid = x.rid JOIN subjects su ON su.id = r.subject"
			 " WHERE su.ext_id = $1 ORDER BY x.id", 1, v, &r, d);
	for (int i = 0; !st && i < PQntuples(r); i++) {
		x->id = sc_pq_get_i64(r, i, 0);
		sc_pq_get_text(x->record_id, sizeof(x->record_id), r, i, 1);
		sc_pq_get_text(x->text, sizeof(x->text), r, i, 2);
		x->date = (sc_day)sc_pq_get_i64(r, i, 3);
		st = cb(ctx, x);
	}
	PQclear(r);
	free(x);
	return st;
}

/* ---- repair ---- */

#define REPAIR_SQL                                                                          \
	"SELECT x.id, r.record_id, su.ext_id, so.name, x.commitment, x.applied,"                 \
	" x.decided, coalesce(x.outcome, ''), coalesce(x.reason, ''),"                           \
	" coalesce(x.decided_by, '') FROM repairs x JOIN records r ON r.rid = x.rid"             \
	" JOIN subjects su ON su.id = r.subject JOIN sources so ON so.id = r.source"

static void read_repair(const PGresult *r, int i, struct sc_repair *x)
{
	x->id = sc_pq_get_i64(r, i, 0);
	sc_pq_get_text(x->record_id, sizeof(x->record_id), r, i, 1);
	sc_pq_get_text(x->subject, sizeof(x->subject), r, i, 2);
	sc_pq_get_text(x->source, sizeof(x->source), r, i, 3);
	sc_pq_get_text(x->commitment, sizeof(x->commitment), r, i, 4);
	x->applied = (sc_day)sc_pq_get_i64(r, i, 5);
	x->decided = get_day(r, i, 6);
	sc_pq_get_text(x->outcome, sizeof(x->outcome), r, i, 7);
	sc_pq_get_text(x->reason, sizeof(x->reason), r, i, 8);
	sc_pq_get_text(x->decided_by, sizeof(x->decided_by), r, i, 9);
}

static enum sc_status pq_repair_insert(void *impl, int64_t rid, const char *commitment,
				       sc_day applied, int64_t *id, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT];
	const char *v[3] = {sc_pq_i64(a, rid), commitment, sc_pq_i64(b, applied)};

	return insert_id(impl, "INSERT INTO repairs(rid, commitment, applied) VALUES($1, $2, $3)"
			 " RETURNING id", 3, v, id, d);
}

static enum sc_status pq_repair_get(void *impl, int64_t id, struct sc_repair *out,
				    struct sc_diag *d)
{
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, id)};
	PGresult *r;
	enum sc_status st = sc_pq_query(impl, REPAIR_SQL " WHERE x.id = $1", 1, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) == 1)
		read_repair(r, 0, out);
	else
		st = SC_ENOTFOUND;
	PQclear(r);
	return st;
}

static enum sc_status pq_repair_decided(void *impl, int64_t id, sc_day date, const char *outcome,
					const char *reason, const char *by, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT];
	const char *v[5] = {sc_pq_i64(a, id), sc_pq_i64(b, date), outcome, reason, by};

	return sc_pq_query(impl, "UPDATE repairs SET decided = $2, outcome = $3, reason = $4,"
			   " decided_by = $5 WHERE id = $1", 5, v, NULL, d);
}

static enum sc_status pq_repair_list(void *impl, const char *subject, const char *source,
				     bool open_only, sc_store_repair_fn cb, void *ctx,
				     struct sc_diag *d)
{
	struct sc_repair *x = malloc(sizeof(*x));
	PGresult *r = NULL;
	enum sc_status st;

	if (!x)
		return SC_ENOMEM;
	st = list_rows(impl, REPAIR_SQL, subject, source, open_only, &r, d);
	for (int i = 0; !st && i < PQntuples(r); i++) {
		read_repair(r, i, x);
		st = cb(ctx, x);
	}
	PQclear(r);
	free(x);
	return st;
}

/* ---- shares ---- */

static enum sc_status pq_share_add(void *impl, const char *subject, const unsigned char *hash,
				   sc_day created, sc_day expires, struct sc_diag *d)
{
	struct pq *p = impl;
	char h[2 * SC_KEY_HASH_BYTES + 3], a[SC_PQ_INT], b[SC_PQ_INT];
	const char *v[4] = {sc_pq_bytea(h, hash, SC_KEY_HASH_BYTES), subject,
			    sc_pq_i64(a, created), sc_pq_i64(b, expires)};
	PGresult *r = NULL;
	bool own;
	enum sc_status st = sc_pq_own_begin(p, &own, d);

	if (!st)
		st = sc_pq_query(p, "INSERT INTO shares(hash, subject, created, expires)"
				 " SELECT $1::bytea, id, $3, $4 FROM subjects WHERE ext_id = $2",
				 4, v, &r, d);
	if (!st && !strcmp(PQcmdTuples(r), "0"))
		st = SC_ENOTFOUND;
	PQclear(r);
	return sc_pq_own_end(p, own, st, d);
}

static enum sc_status pq_share_get(void *impl, const unsigned char *hash, char *subject,
				   sc_day *expires, struct sc_diag *d)
{
	char h[2 * SC_KEY_HASH_BYTES + 3];
	const char *v[1] = {sc_pq_bytea(h, hash, SC_KEY_HASH_BYTES)};
	PGresult *r;
	enum sc_status st = sc_pq_query(impl, "SELECT su.ext_id, sh.expires FROM shares sh"
					" JOIN subjects su ON su.id = sh.subject WHERE sh.hash = $1::bytea",
					1, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) == 1) {
		sc_pq_get_text(subject, SC_LIMIT_SUBJECT_ID + 1, r, 0, 0);
		*expires = (sc_day)sc_pq_get_i64(r, 0, 1);
	} else {
		st = SC_ENOTFOUND;
	}
	PQclear(r);
	return st;
}

/* ---- names ---- */

/* The subject's row, filed if new; SC_ECONFLICT when it is filed as the
 * other kind (the message the SQLite ledger gives), its kind set when it
 * had none. */
static enum sc_status subject_get(struct pq *p, const char *id, enum sc_kind kind, int64_t *sid,
				  struct sc_diag *d)
{
	char k[SC_PQ_INT], s[SC_PQ_INT];
	const char *v[2] = {id, sc_pq_i64(k, kind)};
	PGresult *r;
	enum sc_kind have;
	enum sc_status st = sc_pq_query(p, "SELECT id, kind FROM subjects WHERE ext_id = $1", 1, v,
					&r, d);

	if (st)
		return st;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return insert_id(p, "INSERT INTO subjects(ext_id, kind) VALUES($1, $2) RETURNING id",
				 2, v, sid, d);
	}
	*sid = sc_pq_get_i64(r, 0, 0);
	have = (enum sc_kind)sc_pq_get_i64(r, 0, 1);
	PQclear(r);
	if (have != SC_KIND_NONE && kind != SC_KIND_NONE && have != kind)
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "kind",
				   "subject '%s' is filed as %s %s, not %s %s", id,
				   have == SC_KIND_ORG ? "an" : "a", sc_kind_name(have),
				   kind == SC_KIND_ORG ? "an" : "a", sc_kind_name(kind));
	if (have == SC_KIND_NONE && kind != SC_KIND_NONE) {
		const char *u[2] = {sc_pq_i64(s, *sid), v[1]};
		return sc_pq_query(p, "UPDATE subjects SET kind = $2 WHERE id = $1", 2, u, NULL, d);
	}
	return SC_OK;
}

static enum sc_status name_put(struct pq *p, const char *subject, enum sc_kind kind,
			       const char *name, const char *key, sc_day date, struct sc_diag *d)
{
	char s[SC_PQ_INT], a[SC_PQ_INT];
	int64_t sid = 0;
	PGresult *r = NULL;
	const char *v[4];
	enum sc_status st = subject_get(p, subject, kind, &sid, d);

	if (st)
		return st;
	v[0] = sc_pq_i64(s, sid);
	v[1] = name;
	v[2] = sc_pq_i64(a, date);
	v[3] = key;
	st = sc_pq_query(p, "INSERT INTO names(subject, name, date, key, org)"
			 " VALUES($1, $2, $3, $4,"
			 " coalesce((SELECT (kind = 2)::integer FROM subjects WHERE id = $1), 0))"
			 " ON CONFLICT(subject) DO UPDATE SET name = excluded.name, date = excluded.date,"
			 " key = excluded.key, org = excluded.org"
			 " WHERE excluded.date >= names.date AND excluded.name <> names.name",
			 4, v, &r, d);
	if (!st && !strcmp(PQcmdTuples(r), "0"))
		st = SC_EDUPLICATE;
	PQclear(r);
	return st;
}
_Static_assert(SC_KIND_ORG == 2, "names.org: kind = 2");

static enum sc_status pq_name_put(void *impl, struct sc_text subject, enum sc_kind kind,
				  struct sc_text name, const char *key, size_t n, sc_day date,
				  struct sc_diag *d)
{
	struct pq *p = impl;
	char *sub = malloc(subject.n + 1), *nm = malloc(name.n + 1), *k = malloc(n + 1);
	bool own = false;
	enum sc_status st = sub && nm && k ? SC_OK : SC_ENOMEM;

	if (st)
		goto out;
	memcpy(sub, subject.p, subject.n);
	sub[subject.n] = '\0';
	memcpy(nm, name.p, name.n);
	nm[name.n] = '\0';
	if (n)
		memcpy(k, key, n);
	k[n] = '\0';
	if ((st = sc_pq_own_begin(p, &own, d)))
		goto out;
	st = name_put(p, sub, kind, nm, k, date, d);
	/* a name that changes nothing is refused, the transaction kept (the
	 * subject's kind may have been set) */
	if (st == SC_EDUPLICATE) {
		st = sc_pq_own_end(p, own, SC_OK, d);
		if (!st)
			st = SC_EDUPLICATE;
	} else {
		st = sc_pq_own_end(p, own, st, d);
	}
out:
	free(sub);
	free(nm);
	free(k);
	return st;
}

static enum sc_status pq_name_get(void *impl, const char *subject, char *name, size_t size,
				  sc_day *date, struct sc_diag *d)
{
	const char *v[1] = {subject};
	PGresult *r;
	enum sc_status st = sc_pq_query(impl, "SELECT n.name, n.date FROM names n JOIN subjects su"
					" ON su.id = n.subject WHERE su.ext_id = $1", 1, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) == 1) {
		sc_pq_get_text(name, size, r, 0, 0);
		if (date)
			*date = (sc_day)sc_pq_get_i64(r, 0, 1);
	} else
		st = SC_ENOTFOUND;
	PQclear(r);
	return st;
}

static enum sc_status pq_name_find(void *impl, enum sc_name_match how, struct sc_text a,
				   struct sc_text b, size_t limit, sc_store_name_row_fn cb,
				   void *ctx, struct sc_diag *d)
{
	char *x = malloc(a.n + 1), *y = malloc(b.n + 1), lim[SC_PQ_INT];
	const char *v[3];
	PGresult *r = NULL;
	enum sc_status st = x && y ? SC_OK : SC_ENOMEM;

	if (st)
		goto out;
	memcpy(x, a.p, a.n);
	x[a.n] = '\0';
	if (b.p)
		memcpy(y, b.p, b.n);
	y[b.n] = '\0';
	v[0] = x;
	v[1] = b.p ? y : NULL;
	v[2] = sc_pq_i64(lim, (int64_t)limit);
	if (how == SC_NAME_BY_ID)
		st = sc_pq_query(impl, "SELECT su.ext_id, coalesce(n.name, '') FROM subjects su"
				 " LEFT JOIN names n ON n.subject = su.id WHERE su.ext_id = $1",
				 1, v, &r, d);
	else if (how == SC_NAME_BY_NAME)
		st = sc_pq_query(impl, "SELECT su.ext_id, n.name FROM names n"
				 " JOIN subjects su ON su.id = n.subject WHERE n.key = $1"
				 " ORDER BY n.key, n.subject LIMIT $2::bigint",
				 2, (const char *const[]){x, v[2]}, &r, d);
	else
		st = sc_pq_query(impl, "SELECT su.ext_id, n.name FROM names n"
				 " JOIN subjects su ON su.id = n.subject WHERE n.org = 1"
				 " AND n.key >= $1 AND ($2::text IS NULL OR n.key < $2)"
				 " AND su.kind = 2 ORDER BY n.key, n.subject LIMIT $3::bigint",
				 3, v, &r, d);
	for (int i = 0; !st && i < PQntuples(r); i++)
		st = cb(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
out:
	PQclear(r);
	free(x);
	free(y);
	return st;
}

/* ---- a subject's file as filed, to move it ---- */

static enum sc_status pq_event_list(void *impl, const char *subject, sc_store_event_fn cb,
				    void *ctx, struct sc_diag *d)
{
	const char *v[1] = {subject};
	struct sc_event_row e;
	PGresult *r = NULL;
	enum sc_status st = sc_pq_query(impl, "SELECT r.record_id, x.op, x.date, coalesce(x.ref, '')"
					" FROM events x JOIN records r ON r.rid = x.rid"
					" JOIN subjects su ON su.id = r.subject"
					" WHERE su.ext_id = $1 ORDER BY x.seq", 1, v, &r, d);

	for (int i = 0; !st && i < PQntuples(r); i++) {
		sc_pq_get_text(e.record_id, sizeof(e.record_id), r, i, 0);
		e.op = (int)sc_pq_get_i64(r, i, 1);
		e.date = (sc_day)sc_pq_get_i64(r, i, 2);
		sc_pq_get_text(e.ref, sizeof(e.ref), r, i, 3);
		st = cb(ctx, &e);
	}
	PQclear(r);
	return st;
}

/* "" as SQL NULL (an undecided item's columns) */
static const char *opt(const char *text)
{
	return text[0] ? text : NULL;
}

static const char *opt_day(char buf[SC_PQ_INT], sc_day day)
{
	return day == SC_DAY_NONE ? NULL : sc_pq_i64(buf, day);
}

static enum sc_status pq_dispute_import(void *impl, int64_t rid, const struct sc_dispute *x,
					int64_t *id, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT], c[SC_PQ_INT], e[SC_PQ_INT];
	bool open = x->decided == SC_DAY_NONE;
	const char *v[10] = {sc_pq_i64(a, rid), x->reason, sc_pq_i64(b, x->opened),
			     sc_pq_i64(c, x->deadline), opt_day(e, x->decided),
			     open ? NULL : opt(x->outcome), open ? NULL : opt(x->decided_by),
			     open ? NULL : opt(x->note), x->opened_at, opt(x->decided_at)};

	return insert_id(impl, "INSERT INTO disputes(rid, reason, opened, deadline, decided,"
			 " outcome, decided_by, note, opened_at, decided_at)"
			 " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
			 10, v, id, d);
}

static enum sc_status pq_repair_import(void *impl, int64_t rid, const struct sc_repair *x,
				       int64_t *id, struct sc_diag *d)
{
	char a[SC_PQ_INT], b[SC_PQ_INT], c[SC_PQ_INT];
	bool open = x->decided == SC_DAY_NONE;
	const char *v[7] = {sc_pq_i64(a, rid), x->commitment, sc_pq_i64(b, x->applied),
			    opt_day(c, x->decided), open ? NULL : opt(x->outcome),
			    open ? NULL : opt(x->reason), open ? NULL : opt(x->decided_by)};

	return insert_id(impl, "INSERT INTO repairs(rid, commitment, applied, decided, outcome,"
			 " reason, decided_by) VALUES($1, $2, $3, $4, $5, $6, $7) RETURNING id",
			 7, v, id, d);
}

static enum sc_status pq_share_list(void *impl, const char *subject, sc_store_share_fn cb,
				    void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	const char *v[1] = {subject};
	struct sc_share_row x;
	PGresult *r = NULL;
	enum sc_status st = sc_pq_query(p, "SELECT sh.hash, sh.created, sh.expires FROM shares sh"
					" JOIN subjects su ON su.id = sh.subject"
					" WHERE su.ext_id = $1 ORDER BY sh.hash", 1, v, &r, d);

	for (int i = 0; !st && i < PQntuples(r); i++) {
		if (!sc_pq_get_bytes(x.hash, SC_KEY_HASH_BYTES, r, i, 0)) {
			st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
					 "a share link's hash is not %d bytes", SC_KEY_HASH_BYTES);
			break;
		}
		x.created = (sc_day)sc_pq_get_i64(r, i, 1);
		x.expires = (sc_day)sc_pq_get_i64(r, i, 2);
		st = cb(ctx, &x);
	}
	PQclear(r);
	return st;
}

const struct sc_store_process_ops sc_store_pg_process_ops = {
	.begin = pq_proc_begin,
	.end = pq_proc_end,
	.record_find = pq_record_find,
	.open_item = pq_open_item,
	.event_add = pq_event_add,
	.dispute_insert = pq_dispute_insert,
	.dispute_get = pq_dispute_get,
	.dispute_decided = pq_dispute_decided,
	.dispute_list = pq_dispute_list,
	.statement_insert = pq_statement_insert,
	.statement_list = pq_statement_list,
	.repair_insert = pq_repair_insert,
	.repair_get = pq_repair_get,
	.repair_decided = pq_repair_decided,
	.repair_list = pq_repair_list,
	.share_add = pq_share_add,
	.share_get = pq_share_get,
	.name_put = pq_name_put,
	.name_get = pq_name_get,
	.name_find = pq_name_find,
	.event_list = pq_event_list,
	.dispute_import = pq_dispute_import,
	.repair_import = pq_repair_import,
	.share_list = pq_share_list,
};
