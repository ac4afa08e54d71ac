/* The PostgreSQL backend: the connection, transactions, rulebooks, the
 * ledger's identity, and the ops table (the other ops are in pg_*.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"
#include "socred/ledger_path.h"

/* ---- helpers ---- */

enum sc_status sc_pq_err(struct pq *p, const PGresult *r, struct sc_diag *d, const char *what)
{
	const char *msg = r ? PQresultErrorMessage(r) : NULL;
	size_t n;
	char buf[512];

	if (!msg || !*msg)
		msg = PQerrorMessage(p->c);
	snprintf(buf, sizeof(buf), "%s", msg && *msg ? msg : "unknown error");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return sc_diag_set(d, SC_ESTORE, p->where, 0, 0, NULL, "%s: %s", what, buf);
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

enum sc_status sc_pq_exec(struct pq *p, const char *sql, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status st = sc_pq_flush(p, d);

	if (st)
		return st;
	r = PQexec(p->c, sql);

	if (!r)
		return sc_pq_err(p, NULL, d, "ledger statement failed");
	if (!result_ok(r))
		st = sc_pq_err(p, r, d, "ledger statement failed");
	PQclear(r);
	return st;
}

enum sc_status sc_pq_query(struct pq *p, const char *sql, int n, const char *const *v,
			   PGresult **out, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status fs = sc_pq_flush(p, d);

	if (out)
		*out = NULL;
	if (fs)
		return fs;
	r = PQexecParams(p->c, sql, n, NULL, v, NULL, NULL, 0);
	if (!r)
		return sc_pq_err(p, NULL, d, "ledger query failed");
	if (!result_ok(r)) {
		enum sc_status st = sc_pq_err(p, r, d, "ledger query failed");
		PQclear(r);
		return st;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return SC_OK;
}

enum sc_status sc_pq_batch(struct pq *p, const struct sc_pq_stmt *q, size_t n,
			   struct sc_diag *d)
{
	enum sc_status st = sc_pq_flush(p, d);
	size_t sent = 0;
	PGresult *r;

	if (st)
		return st;
	for (size_t i = 0; i < n; i++)
		if (q[i].out)
			*q[i].out = NULL;
	if (!PQenterPipelineMode(p->c))
		return sc_pq_err(p, NULL, d, "cannot enter pipeline mode");
	for (; sent < n; sent++)
		if (q[sent].sql &&
		    !PQsendQueryParams(p->c, q[sent].sql, q[sent].n, NULL, q[sent].v, NULL, NULL, 0))
			break;
	if (sent < n)
		st = sc_pq_err(p, NULL, d, "ledger query failed");
	/* the sync even after a failed send: what went out is answered */
	if (!PQpipelineSync(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "ledger query failed");
	/* every result of what was sent, in order, then the sync */
	for (size_t i = 0; i < sent; i++) {
		if (!q[i].sql)
			continue;
		r = PQgetResult(p->c);
		if (!st && (!r || !result_ok(r)))
			st = sc_pq_err(p, r, d, "ledger query failed");
		if (!st && q[i].out)
			*q[i].out = r;
		else
			PQclear(r);
		while ((r = PQgetResult(p->c)))
			PQclear(r);
	}
	while ((r = PQgetResult(p->c))) {
		ExecStatusType t = PQresultStatus(r);
		PQclear(r);
		if (t == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(p->c) && !st)
		st = sc_pq_err(p, NULL, d, "cannot leave pipeline mode");
	if (st)
		for (size_t i = 0; i < n; i++)
			if (q[i].out) {
				PQclear(*q[i].out);
				*q[i].out = NULL;
			}
	return st;
}

enum sc_status sc_pq_int(struct pq *p, const char *sql, int n, const char *const *v,
			 int64_t *out, struct sc_diag *d)
{
	PGresult *r;
	enum sc_status st = sc_pq_query(p, sql, n, v, &r, d);

	if (st)
		return st;
	*out = PQntuples(r) > 0 && PQnfields(r) > 0 ? sc_pq_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return SC_OK;
}

const char *sc_pq_i64(char buf[SC_PQ_INT], int64_t v)
{
	snprintf(buf, SC_PQ_INT, "%lld", (long long)v);
	return buf;
}

const char *sc_pq_text(char *buf, size_t cap, const char *p, size_t n)
{
	if (!n || !cap)
		return NULL;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

const char *sc_pq_bytea(char *buf, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	buf[0] = '\\';
	buf[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = hex[p[i] >> 4];
		buf[3 + 2 * i] = hex[p[i] & 15];
	}
	buf[2 + 2 * n] = '\0';
	return buf;
}

int64_t sc_pq_get_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void sc_pq_get_text(char *dst, size_t size, const PGresult *r, int row, int col)
{
	if (!size)
		return;
	snprintf(dst, size, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
					     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool sc_pq_get_bytes(unsigned char *dst, size_t n, const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);

	if (PQgetisnull(r, row, col) || strncmp(v, "\\x", 2) || strlen(v + 2) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		dst[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* ---- transactions ---- */

enum sc_status sc_pq_begin_write(struct pq *p, struct sc_diag *d)
{
	char lock[160];
	PGresult *r = NULL;
	enum sc_status st;

	if (p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL,
				   "a transaction is already open on this connection");
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)",
		 (long long)SC_PQ_LOCK_WRITE);
	if ((st = sc_pq_exec(p, "BEGIN", d)))
		return st;
	if ((st = sc_pq_exec(p, lock, d)) ||
	    (st = sc_pq_query(p,
			      "UPDATE meta SET value = (value::bigint + 1)::text"
			      " WHERE key = 'commit_seq' RETURNING value,"
			      " set_config('socred.cseq', value, true)",
			      0, NULL, &r, d)))
		goto fail;
	if (PQntuples(r) != 1) {
		PQclear(r);
		st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				 "ledger has no commit sequence (meta.commit_seq)");
		goto fail;
	}
	p->cseq = sc_pq_get_i64(r, 0, 0);
	PQclear(r);
	p->in_txn = p->writing = true;
	return SC_OK;
fail:
	sc_pq_exec(p, "ROLLBACK", NULL);
	return st;
}

enum sc_status sc_pq_begin_read(struct pq *p, bool *own, struct sc_diag *d)
{
	enum sc_status st;

	*own = !p->in_txn;
	if (!*own)
		return SC_OK;
	st = sc_pq_exec(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", d);
	p->in_txn = st == SC_OK;
	if (st)
		*own = false;
	return st;
}

void sc_pq_end_read(struct pq *p, bool own)
{
	if (!own)
		return;
	sc_pq_exec(p, "COMMIT", NULL);
	p->in_txn = false;
}

static void pq_rollback(void *impl)
{
	struct pq *p = impl;

	if (PQtransactionStatus(p->c) != PQTRANS_IDLE)
		sc_pq_exec(p, "ROLLBACK", NULL);
	/* the next transaction takes the same commit sequence number: what
	 * what this one filed is not in the ledger */
	sc_pq_cache_free(p);
	sc_pq_bulk_free(p);
	p->in_txn = p->writing = false;
	p->cseq = p->planned = 0;
}

static enum sc_status pq_commit(void *impl, struct sc_diag *d)
{
	struct pq *p = impl;
	enum sc_status st;

	if (!p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL, "no transaction is open");
	/* a first load builds the indexes it deferred, in its transaction */
	if ((st = sc_pq_bulk_end(p, d))) {
		pq_rollback(p);
		return st;
	}
	/* every node listening learns of the commit when it is visible (a
	 * notification is delivered at commit, or never) */
	st = p->writing ? sc_pq_exec(p, "SELECT pg_notify('socred_changes', current_setting('socred.cseq'))", d)
			: SC_OK;
	if (!st)
		st = sc_pq_exec(p, "COMMIT", d);
	if (st) {
		pq_rollback(p);
		return st;
	}
	p->in_txn = p->writing = false;
	p->cseq = p->planned = 0;
	return SC_OK;
}

static enum sc_status pq_begin(void *impl, size_t *lines, struct sc_diag *d)
{
	struct pq *p = impl;

	if (lines)
		*lines = SC_PQ_INGEST_LINES;
	return sc_pq_begin_write(p, d);
}

/* An ingest through sc_pq_lines only: a first load into an empty ledger
 * is one transaction (pg_bulk.c). */
static enum sc_status pq_begin_lines(void *impl, size_t *lines, struct sc_diag *d)
{
	struct pq *p = impl;
	enum sc_status st;
	bool bulk;

	*lines = SC_PQ_INGEST_LINES;
	if ((st = sc_pq_begin_write(p, d)))
		return st;
	if ((st = sc_pq_bulk_begin(p, &bulk, d))) {
		pq_rollback(p);
		return st;
	}
	if (bulk)
		*lines = SIZE_MAX;
	return SC_OK;
}

enum sc_status sc_pq_own_begin(struct pq *p, bool *own, struct sc_diag *d)
{
	*own = !p->in_txn;
	return *own ? sc_pq_begin_write(p, d) : SC_OK;
}

enum sc_status sc_pq_own_end(struct pq *p, bool own, enum sc_status st, struct sc_diag *d)
{
	if (!own)
		return st;
	if (st) {
		pq_rollback(p);
		return st;
	}
	return pq_commit(p, d);
}

/* ---- open and close ---- */

static void pq_close(void *impl)
{
	struct pq *p = impl;

	if (!p)
		return;
	sc_pq_cache_free(p);
	sc_pq_bulk_free(p);
	sc_pq_audit_free(p);
	if (p->c)
		PQfinish(p->c);
	free(p);
}

/* A notice (a NOTICE from a migration, say) is not printed: library code
 * writes nothing to the terminal. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum sc_status pq_open(const char *path, unsigned flags, sc_store_upgrade_fn upgrade,
			      void *ctx, void **impl, struct sc_diag *d)
{
	/* defaults first: the URI's own settings override them (libpq takes
	 * the last value of a repeated keyword) */
	const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle",
				    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
				    "dbname", NULL};
	const char *const vals[] = {"10", "socred", "30", "10", "3", "30000", path, NULL};
	struct pq *p = calloc(1, sizeof(*p));
	enum sc_status st;

	if (!p)
		return SC_ENOMEM;
	p->flags = flags;
	sc_ledger_display(path, p->where, sizeof(p->where));
	p->c = PQconnectdbParams(keys, vals, 1);
	if (!p->c) {
		st = SC_ENOMEM;
		goto fail;
	}
	if (PQstatus(p->c) != CONNECTION_OK) {
		st = sc_pq_err(p, NULL, d, "cannot connect to the ledger");
		goto fail;
	}
	PQsetNoticeProcessor(p->c, quiet, NULL);
	/* UTC, C collation for ids, no statement left hanging for ever; no
	 * JIT: socred's statements are short, and compiling one (an audit
	 * lookup the planner overestimates) took 190 ms where running it took
	 * under one */
	if ((st = sc_pq_exec(p,
			     "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC';"
			     " SET lock_timeout = '60s'; SET idle_in_transaction_session_timeout = '10min';"
			     " SET jit = off",
			     d)))
		goto fail;
	if ((st = sc_pq_schema(p, (flags & SC_STORE_CREATE) != 0, upgrade, ctx, d)))
		goto fail;
	*impl = p;
	return SC_OK;
fail:
	pq_close(p);
	return st;
}

/* ---- rulebooks ---- */

static enum sc_status pq_rulebook_put(void *impl, const struct sc_rulebook *rb, sc_day effective,
				      struct sc_diag *d)
{
	struct pq *p = impl;
	size_t len;
	const char *text = sc_rulebook_text(rb, &len);
	char eff[SC_PQ_INT], *copy = malloc(len + 1);
	const char *v[4];
	bool own;
	enum sc_status st;

	if (!copy)
		return SC_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	v[0] = sc_rulebook_name(rb);
	v[1] = sc_rulebook_version(rb);
	v[2] = copy;
	v[3] = effective == SC_DAY_NONE ? NULL : sc_pq_i64(eff, effective);
	if (!(st = sc_pq_own_begin(p, &own, d))) {
		st = sc_pq_query(p,
				 "INSERT INTO rulebooks(name, version, text, installed_at, effective)"
				 " VALUES($1, $2, $3, to_char(now() AT TIME ZONE 'UTC',"
				 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), $4)",
				 4, v, NULL, d);
		st = sc_pq_own_end(p, own, st, d);
	}
	free(copy);
	return st;
}

static enum sc_status pq_rulebook_get(void *impl, sc_day at, char **text, size_t *len,
				      struct sc_diag *d)
{
	struct pq *p = impl;
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, at)};
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT text FROM rulebooks"
					" WHERE coalesce(effective, -2147483648) <= $1::integer"
					" ORDER BY coalesce(effective, -2147483648) DESC, id DESC LIMIT 1",
					1, v, &r, d);

	if (st)
		return st;
	if (PQntuples(r) != 1) {
		st = sc_diag_set(d, SC_ENOTFOUND, p->where, 0, 0, NULL,
				 "ledger has no rulebook in force: run 'socred init'");
	} else {
		size_t n = (size_t)PQgetlength(r, 0, 0);
		char *t = malloc(n + 1);
		if (!t) {
			st = SC_ENOMEM;
		} else {
			memcpy(t, PQgetvalue(r, 0, 0), n);
			t[n] = '\0';
			*text = t;
			*len = n;
		}
	}
	PQclear(r);
	return st;
}

static enum sc_status pq_rulebook_list(void *impl, sc_store_rulebook_fn cb, void *ctx,
				       struct sc_diag *d)
{
	struct pq *p = impl;
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT id, effective, text, installed_at FROM rulebooks"
					" ORDER BY id",
					0, NULL, &r, d);

	for (int i = 0; !st && i < PQntuples(r); i++)
		st = cb(ctx, sc_pq_get_i64(r, i, 0),
			PQgetisnull(r, i, 1) ? SC_DAY_NONE : (sc_day)sc_pq_get_i64(r, i, 1),
			PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2), PQgetvalue(r, i, 3));
	PQclear(r);
	return st;
}

/* ---- identity ---- */

static enum sc_status pq_identity(void *impl, char *ledger_id, int64_t *expired_max,
				  struct sc_diag *d)
{
	struct pq *p = impl;
	PGresult *r;
	enum sc_status st = sc_pq_query(p,
					"SELECT (SELECT value FROM meta WHERE key = 'ledger_id'),"
					" (SELECT value FROM meta WHERE key = 'expired_max_rid')",
					0, NULL, &r, d);

	if (st)
		return st;
	if (ledger_id)
		sc_pq_get_text(ledger_id, SC_STORE_LEDGER_ID, r, 0, 0);
	if (expired_max)
		*expired_max = sc_pq_get_i64(r, 0, 1);
	PQclear(r);
	return SC_OK;
}

/* The ops not set here are not available on PostgreSQL yet: the store
 * front answers them with SC_EREFUSED naming the op. */
const struct sc_store_ops sc_store_pg_ops = {
	.version = SC_STORE_OPS_VERSION,
	.name = "postgresql",
	.open = pq_open,
	.close = pq_close,
	.rulebook_put = pq_rulebook_put,
	.rulebook_get = pq_rulebook_get,
	.rulebook_list = pq_rulebook_list,
	.begin = pq_begin,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.begin_lines = pq_begin_lines,
	.identity = pq_identity,
	/* integration: commit notifications (pg_listen.c) */
	.listen = sc_pq_listen,
	.notified = sc_pq_notified,
	.connected = sc_pq_connected,
	/* records (pg_records.c) */
	.own_begin = sc_pq_rec_own_begin,
	.own_end = sc_pq_rec_own_end,
	.record_add = sc_pq_record_add,
	.record_add_run = sc_pq_record_add_run,
	.record_find = sc_pq_record_find,
	.event_add = sc_pq_event_add,
	.consent_last = sc_pq_consent_last,
	.consent_add = sc_pq_consent_add,
	.expire = sc_pq_expire,
	.counts = sc_pq_counts,
	/* due process (pg_process.c) */
	.process = &sc_store_pg_process_ops,
	/* keys and the audit log (pg_keys.c, pg_audit.c) */
	.key_add = sc_pq_key_add,
	.key_get = sc_pq_key_get,
	.key_revoke = sc_pq_key_revoke,
	.key_list = sc_pq_key_list,
	.audit_append = sc_pq_audit_append,
	.audit_verify = sc_pq_audit_verify,
	.audit_subject = sc_pq_audit_subject,
	.audit_walk = sc_pq_audit_walk,
	.audit_tree = sc_pq_audit_tree,
	.audit_prove = sc_pq_audit_prove,
	.audit_node = sc_pq_audit_node,
	.audit_chain = sc_pq_audit_chain,
	/* reads (pg_read.c) */
	.subject_rows = sc_pq_subject_rows,
	.pop_load = sc_pq_pop_load,
	.changed_since = sc_pq_changed_since,
	.change_count = sc_pq_change_count,
	.record_names = sc_pq_record_names,
	.run_save = sc_pq_run_save,
	.tally = sc_pq_tally,
	/* an ingest's lines, set-based (pg_lines.c) */
	.lines = sc_pq_lines,
};
