/* Shared by the PostgreSQL backend's files (pg.c: connection, schema,
 * transactions; pg_*.c: the ops). Not used outside src/store/.
 *
 * One struct pq holds one libpq connection: an sc_store is used by one
 * thread at a time (store.h), and a PGconn by one thread at a time.
 *
 * Writers: every write transaction takes the ledger's advisory lock first
 * (sc_pq_begin_write), so the ledger has one writer at a time, as a SQLite
 * file has, and takes the next commit sequence number under that lock:
 * `meta.commit_seq`, also set as the transaction's `socred.cseq`, which
 * every row written by it carries (column default). Commit sequence
 * numbers therefore appear in commit order, which row ids from sequences
 * do not (a sequence value is taken at insert, not at commit); change
 * tracking reads cseq, never "ids above a mark". The audit log has a chain
 * per node and never takes the ledger lock. */
#ifndef SOCRED_PG_IMPL_H
#define SOCRED_PG_IMPL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store_impl.h"
#include "socred/limits.h"

/* advisory lock keys: the ledger's writer lock and its schema lock */
#define SC_PQ_LOCK_WRITE 0x736f637265640001LL
#define SC_PQ_LOCK_SCHEMA 0x736f637265640002LL
/* records an ingest transaction holds at most: a bounded transaction keeps
 * vacuum's horizon and a standby's replay moving */
#define SC_PQ_INGEST_LINES 50000

struct pq {
	PGconn *c;
	char where[SC_DIAG_SOURCE_MAX]; /* the URI without its password, for messages */
	bool in_txn;                    /* an explicit transaction is open */
	bool writing;                   /* ... holding the writer lock */
	int64_t cseq;                   /* its commit sequence number; 0: none */
	unsigned flags;                 /* SC_STORE_* given to open */
	int32_t audit_node;             /* the audit chain this handle appends to (pg_audit.c) */
	struct pq_audit *audit_head;    /* pg_audit.c: its head as the last append left it */
	bool rec_prepared;              /* pg_records.c's statements are prepared */
	int pending;                    /* statements sent in pipeline mode, unread */
	struct pq_cache *cache;         /* pg_records.c: what this transaction filed */
	struct pq_bulk *bulk;           /* pg_bulk.c: a first load under way; NULL */
	int64_t planned;                /* pg_lines.c: the cseq of the transaction whose
	                                 * planner settings it made; 0 */
};

/* SC_ESTORE with d naming the ledger, what failed and PostgreSQL's
 * message (r may be NULL: the connection's). */
enum sc_status sc_pq_err(struct pq *p, const PGresult *r, struct sc_diag *d, const char *what);
/* Runs sql (no parameters, any number of statements). */
enum sc_status sc_pq_exec(struct pq *p, const char *sql, struct sc_diag *d);
/* Runs sql with n text parameters (NULL: SQL NULL); *out (NULL: not
 * wanted) is the caller's to PQclear. SC_OK when it returned rows or
 * completed. */
enum sc_status sc_pq_query(struct pq *p, const char *sql, int n, const char *const *v,
			   PGresult **out, struct sc_diag *d);
/* Statements run in one round trip (pipeline mode), in order: each with
 * its n text parameters v; *out (out NULL: not wanted) gets its rows, the
 * caller's to PQclear; a statement with sql NULL is skipped. The first
 * failure is the status (then every *out is NULL; the transaction is
 * failed, as after any failed statement). */
struct sc_pq_stmt {
	const char *sql;
	int n;
	const char *const *v;
	PGresult **out;
};
enum sc_status sc_pq_batch(struct pq *p, const struct sc_pq_stmt *q, size_t n,
			   struct sc_diag *d);
/* The first column of the first row as an integer (0 when no row or NULL). */
enum sc_status sc_pq_int(struct pq *p, const char *sql, int n, const char *const *v,
			 int64_t *out, struct sc_diag *d);
/* A 64-bit integer as text for a parameter: buf of SC_PQ_INT bytes. */
#define SC_PQ_INT 24
const char *sc_pq_i64(char buf[SC_PQ_INT], int64_t v);
/* A length-bounded text as a NUL-terminated parameter in buf (cap bytes),
 * NULL for an empty text (SQL NULL). */
const char *sc_pq_text(char *buf, size_t cap, const char *p, size_t n);
/* Bytes as a bytea hex literal ("\\x..."): buf of 2 * n + 3 bytes. */
const char *sc_pq_bytea(char *buf, const unsigned char *p, size_t n);
/* A cell as an integer / copied text ("" for NULL). */
int64_t sc_pq_get_i64(const PGresult *r, int row, int col);
void sc_pq_get_text(char *dst, size_t size, const PGresult *r, int row, int col);
/* A bytea cell (hex output) decoded into dst (n bytes exactly): false when
 * it is not n bytes. */
bool sc_pq_get_bytes(unsigned char *dst, size_t n, const PGresult *r, int row, int col);

/* Transactions. begin_write: BEGIN, the writer lock, the next commit
 * sequence number. begin_read: one consistent view (REPEATABLE READ, READ
 * ONLY: also on a hot standby). own_begin/own_end: a write outside any
 * transaction in one of its own (own is set when this call opened it;
 * own_end commits it on st == SC_OK, else rolls back, and returns st or
 * the commit's failure). */
enum sc_status sc_pq_begin_write(struct pq *p, struct sc_diag *d);
enum sc_status sc_pq_begin_read(struct pq *p, bool *own, struct sc_diag *d);
void sc_pq_end_read(struct pq *p, bool own);
enum sc_status sc_pq_own_begin(struct pq *p, bool *own, struct sc_diag *d);
enum sc_status sc_pq_own_end(struct pq *p, bool own, enum sc_status st, struct sc_diag *d);

/* pg_schema.c: brings the database's socred schema up to date, creating
 * it when create (SC_STORE_CREATE); SC_ESTORE "not a ledger" otherwise. */
enum sc_status sc_pq_schema(struct pq *p, bool create, sc_store_upgrade_fn upgrade,
			    void *ctx, struct sc_diag *d);

/* pg_records.c: records, events, consents, retention, counts (the rules
 * are the store front's, front_records.c). */
enum sc_status sc_pq_rec_own_begin(void *impl, bool *own, struct sc_diag *d);
enum sc_status sc_pq_rec_own_end(void *impl, bool own, enum sc_status st, struct sc_diag *d);
enum sc_status sc_pq_record_add(void *impl, const struct sc_store_add *r,
				sc_store_taken_fn taken, struct sc_diag *d);
enum sc_status sc_pq_record_add_run(void *impl, const struct sc_store_add *const *r, size_t n,
				    enum sc_status *out, struct sc_diag *ds, size_t *done,
				    sc_store_taken_fn taken, struct sc_diag *d);
enum sc_status sc_pq_record_find(void *impl, struct sc_text record_id, struct sc_store_filed *f,
				 struct sc_diag *d);
enum sc_status sc_pq_event_add(void *impl, const struct sc_store_filed *f,
			       const struct sc_store_event *e, struct sc_diag *d);
enum sc_status sc_pq_consent_last(void *impl, struct sc_text subject, enum sc_kind kind,
				  struct sc_text scorecard, sc_day date, int64_t *sid, int *last,
				  struct sc_diag *d);
enum sc_status sc_pq_consent_add(void *impl, int64_t sid, struct sc_text scorecard,
				 bool granted, sc_day date, struct sc_diag *d);
enum sc_status sc_pq_expire(void *impl, const int64_t *rids, size_t n, struct sc_diag *d);
enum sc_status sc_pq_counts(void *impl, struct sc_store_counts *c, struct sc_diag *d);
/* Reads the results of the statements pg_records.c queued (events and
 * consents, sent without waiting) and leaves pipeline mode: every other
 * statement on the connection runs after it (sc_pq_exec, sc_pq_query). A
 * queued statement's failure is the ledger's failure, in d. */
enum sc_status sc_pq_flush(struct pq *p, struct sc_diag *d);
void sc_pq_cache_free(struct pq *p);
/* Sends sql (n text parameters) in pipeline mode without waiting: its
 * result is read by the next sc_pq_flush, which every other statement
 * runs first; its failure is the ledger's failure then. */
enum sc_status sc_pq_queue(struct pq *p, const char *sql, int n, const char *const *v,
			   struct sc_diag *d);

/* pg_bulk.c: a first load into an empty ledger (sc_store_begin_lines).
 * bulk_begin, in the load's write transaction: when records is empty,
 * drops the indexes the load builds at its end and sets p->bulk (*bulk).
 * bulk_end: builds them and moves the rid sequence past the load (at the
 * commit, or earlier: see pg_bulk.c); p->bulk is freed either way. The
 * table: record_id hashes (sc_pq_bulk_hash, never 0) to the rids filed;
 * find copies up to cap rids of hash h into rids and returns how many. */
struct pq_bulk;
enum sc_status sc_pq_bulk_begin(struct pq *p, bool *bulk, struct sc_diag *d);
enum sc_status sc_pq_bulk_end(struct pq *p, struct sc_diag *d);
void sc_pq_bulk_free(struct pq *p);
uint64_t sc_pq_bulk_hash(const char *s, size_t n);
bool sc_pq_bulk_add(struct pq_bulk *b, uint64_t h, int64_t rid);
size_t sc_pq_bulk_find(const struct pq_bulk *b, uint64_t h, int64_t *rids, size_t cap);
int64_t sc_pq_bulk_next(struct pq_bulk *b);
/* records the load may still file before its indexes are built */
size_t sc_pq_bulk_room(const struct pq_bulk *b);

/* pg_listen.c (integration): commit notifications on channel
 * socred_changes, which every write commit notifies with its commit
 * sequence number (pq_commit). */
enum sc_status sc_pq_listen(void *impl, int *fd, struct sc_diag *d);
enum sc_status sc_pq_notified(void *impl, uint64_t *n, int64_t *seq, struct sc_diag *d);
/* false once libpq found the connection broken */
bool sc_pq_connected(void *impl);
/* ---- keys and the audit log (pg_keys.c, pg_audit.c) ---- */

/* the advisory lock class of the audit chains: (SC_PQ_LOCK_AUDIT, node) */
#define SC_PQ_LOCK_AUDIT 0x736f6361
enum sc_status sc_pq_key_add(void *impl, struct sc_key *k, struct sc_diag *d);
enum sc_status sc_pq_key_get(void *impl, int64_t id, struct sc_key *out, struct sc_diag *d);
enum sc_status sc_pq_key_revoke(void *impl, int64_t id, bool force, struct sc_diag *d);
enum sc_status sc_pq_key_list(void *impl, sc_store_key_fn cb, void *ctx, struct sc_diag *d);
enum sc_status sc_pq_audit_append(void *impl, struct sc_audit_entry *e, size_t n,
				  struct sc_diag *d);
enum sc_status sc_pq_audit_verify(void *impl, struct sc_audit_verdict *v, struct sc_diag *d);
enum sc_status sc_pq_audit_subject(void *impl, const char *subject, sc_store_audit_fn cb,
				   void *ctx, struct sc_diag *d);
enum sc_status sc_pq_audit_walk(void *impl, int64_t from, int64_t to,
				sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				struct sc_diag *d);
enum sc_status sc_pq_audit_tree(void *impl, struct sc_merkle_frontier *f, struct sc_diag *d);
enum sc_status sc_pq_audit_prove(void *impl, int64_t seq, struct sc_audit_proof *proof,
				 sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d);
enum sc_status sc_pq_audit_node(void *impl, const char *name, int32_t *id, struct sc_diag *d);
enum sc_status sc_pq_audit_chain(void *impl, int32_t node, struct sc_diag *d);
/* forgets the chain's head the handle keeps (on close) */
void sc_pq_audit_free(struct pq *p);
/* ---- reads (pg_copy.c, pg_read.c) ---- */

/* COPY (query) TO STDOUT in binary, a row at a time: cb gets each row's
 * fields (p NULL: SQL NULL), borrowed for the call. SC_OK, SC_ESTORE, or
 * what cb returned (the rest of the stream is then read and dropped). */
#define SC_PQ_COPY_FIELDS 16
struct sc_pq_field {
	const char *p;
	int n;
};
typedef enum sc_status (*sc_pq_row_fn)(void *ctx, int n, const struct sc_pq_field *f);
enum sc_status sc_pq_copy_out(struct pq *p, const char *query, sc_pq_row_fn cb, void *ctx,
			      struct sc_diag *d);
/* Big-endian integers of a binary field. */
int64_t sc_pq_be64(const char *p);
int32_t sc_pq_be32(const char *p);
enum sc_status sc_pq_subject_rows(void *impl, struct sc_text id,
				  const struct sc_file_sink *sink, void *ctx,
				  struct sc_diag *d);
enum sc_status sc_pq_pop_load(void *impl, const char *const *ids, size_t nids,
			      int64_t new_after, struct sc_pop *out,
			      struct sc_store_mark *mark, char *ledger_id, struct sc_diag *d);
enum sc_status sc_pq_changed_since(void *impl, const struct sc_store_mark *from,
				   struct sc_store_mark *to, sc_store_id_fn cb, void *ctx,
				   struct sc_diag *d);
bool sc_pq_change_count(void *impl, uint64_t *n);
enum sc_status sc_pq_record_names(void *impl, const int64_t *rids, size_t n,
				  sc_store_record_name_fn cb, void *ctx, struct sc_diag *d);
enum sc_status sc_pq_run_save(void *impl, sc_day at, uint64_t subjects, double seconds,
			      const struct sc_run_tally *t, size_t nt,
			      const struct sc_run_list *ls, size_t nl, int64_t *run,
			      struct sc_diag *d);
enum sc_status sc_pq_tally(void *impl, enum sc_tally which, sc_store_tally_fn cb, void *ctx,
			   sc_day *run_at, struct sc_diag *d);
/* an ingest's lines, set-based (pg_lines.c) */
enum sc_status sc_pq_lines(void *impl, const struct sc_store_line *l, size_t n,
			   enum sc_status *out, struct sc_diag *ds, size_t *done, struct sc_diag *d);

#endif
