/* Shared by the SQLite backend's files (sqlite.c: open and writes;
 * sqlite_read.c: loads, scans and runs). Not used outside src/store/. */
#ifndef SOCRED_SQLITE_IMPL_H
#define SOCRED_SQLITE_IMPL_H

#include <sqlite3.h>

#include "changes.h"
#include "store_impl.h"
#include "socred/limits.h"

enum stmt_id {
	S_SUBJ_GET, S_SUBJ_GET_NEW, S_SUBJ_ADD, S_KEY_ADD, S_SUBJ_SETKIND, S_SUBJ_DEL, S_KEY_DEL,
	S_TYPE_GET, S_TYPE_ADD, S_SRC_GET, S_SRC_ADD,
	S_REC_ADD, S_REC_CMP, S_REC_FIND, S_EV_LIST, S_EV_ADD, S_CONSENT_ADD, S_CONSENT_LAST,
	S_REC_NAME, S_SUBJ_RECORDS, S_SUBJ_DISPUTES, S_SUBJ_CONSENTS,
	S_KEY_GET, S_COUNT
};

/* Records filed by one statement, at most (sqlite_records.c,
 * sc_lite_record_add_run) */
#define SC_ADD_RUN 32

/* A bounded, direct-mapped cache of subject ids: memory stays flat. */
#define SUBJ_CACHE_SLOTS 65536
struct subj_slot {
	int64_t sid;
	uint8_t kind;
	uint8_t len;
	char id[SC_LIMIT_SUBJECT_ID];
};

/* The audit trail's subject index is built a segment at a time: entries
 * seq (k << AUDIT_SEG_BITS, (k + 1) << AUDIT_SEG_BITS] form segment k, and a
 * full segment is indexed, sorted by subject, in the transaction that fills
 * it. Appends stay sequential (no random B-tree writes per entry); a lookup
 * seeks once per segment and scans the unfilled tail. */
#define AUDIT_SEG_BITS 17
#define AUDIT_SEG_STR "17"
/* entries per row of the segment index (audit_subjects), at least: 128
 * keeps a lookup to decoding about a kilobyte per segment */
#define AUDIT_CHUNK 128

/* (subject, rid) pairs a transaction filed, for the subject index
 * (sqlite_bysubject.c); written at its commit. */
struct sc_pair {
	int64_t sid, rid;
};
struct sc_pairs {
	struct sc_pair *v;
	size_t n, cap;
};

/* Interned names (types, sources): few, so a small linear table, tried
 * from the last name found (a file's lines mostly repeat it). */
#define INTERN_MAX 512
struct intern {
	int n, last;
	int64_t ids[INTERN_MAX];
	uint8_t lens[INTERN_MAX];
	char names[INTERN_MAX][SC_LIMIT_TYPE + 1];
};

/* Records this connection filed in the open transaction, by record_id,
 * direct-mapped: a rectify or revoke that follows its record (an
 * authority's file gives them together) is checked without reading the
 * record and its events back. Emptied at every begin, commit and rollback,
 * so it never holds a record another connection could have touched: the
 * transaction holds the write lock. */
#define RECENT_SLOTS 256
struct recent {
	int64_t rid;                 /* 0: empty */
	sc_day date;
	uint8_t ops;                 /* events filed for it since: 1 << op */
	uint8_t len, src_len;
	char id[SC_LIMIT_RECORD_ID];
	char src[SC_LIMIT_NAME];     /* the filing source */
};

/* Rows counted in the counts table (sqlite_counts.c). */
enum sc_count_id {
	SC_COUNT_SUBJECTS, SC_COUNT_RECORDS, SC_COUNT_EVENTS, SC_COUNT_CONSENTS,
	SC_COUNT_KEYS_NEW,   /* subject_keys_new's rows (sqlite_keys.c) */
	SC_COUNT_KEY_MERGES, /* merges of it into subject_keys, ever */
	SC_COUNT_N
};

/* A blocked Bloom filter of the large tier of subject keys
 * (sqlite_keys.c): a new subject's lookup skips that tier when the filter
 * rules its ext_id out. It reflects the tier as of `gen` merges; a
 * transaction compares that with the ledger's count before it trusts it. */
struct sc_keyfilter {
	uint64_t *bits;   /* NULL: none; else nblocks blocks of 8 words */
	size_t nblocks;   /* a power of two */
	int64_t gen;      /* the merges it has seen */
	int64_t keys, capacity;
	int64_t misses;   /* new subjects looked up in both tiers, since */
	bool checked;     /* gen compared in this transaction */
};

struct lite {
	sqlite3 *db;
	char path[SC_DIAG_SOURCE_MAX];
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt *runs[SC_ADD_RUN + 1]; /* [m]: files m records; NULL: not yet */
	int run_rows;                /* rows a run resolves at most, now */
	struct subj_slot *cache;
	struct subj_slot *last;      /* the slot the last lookup ended on */
	struct recent *recent;       /* RECENT_SLOTS */
	bool recent_any;             /* some slot is filled */
	struct intern types, sources;
	bool in_txn;
	bool unchecked;              /* an ingest batch: foreign keys off */
	int64_t cache_kib;           /* page cache now (KiB) */
	int64_t base_kib;            /* and outside ingest transactions */
	bool quiet;                  /* this commit changes no subject's file */
	struct sc_changes *changes;  /* NULL: none (:memory:, read-only dir) */
	struct sc_pairs pend;        /* records filed since the last commit */
	struct sc_ckpt *ckpt;        /* NULL: checkpoints in the commit hook */
	int wal_frames;              /* the WAL's frames at the last commit */
	bool subjects_new;           /* the last subject past the cache was new */
	int64_t counted[SC_COUNT_N]; /* rows added (removed) since the last commit */
	int page_size;
	struct sc_keyfilter filter;
	struct sc_lite_audit *audit; /* the open audit segment's keys; NULL: none yet */
	struct sc_lite_tree *tree;   /* the audit tree's statements; NULL: none yet */
};

enum sc_status sc_lite_db_err(struct lite *l, struct sc_diag *d, const char *what);
enum sc_status sc_lite_exec(struct lite *l, const char *sql, struct sc_diag *d);
/* A read transaction around several reads (one consistent view, one lock
 * round trip) unless one is open already: true when this call opened it,
 * to be passed to sc_lite_read_end. */
bool sc_lite_read_begin(struct lite *l);
void sc_lite_read_end(struct lite *l, bool own);
/* The first column of a one-row query (0 and *st set when it fails). */
int64_t sc_lite_int_query(struct lite *l, const char *sql, enum sc_status *st,
			  struct sc_diag *d);
/* Finds (or creates) a subject; *created when a row was inserted. */
enum sc_status sc_lite_subject_get(struct lite *l, struct sc_text id,
				   enum sc_kind kind, int64_t *sid,
				   bool *created, struct sc_diag *d);
/* Undoes the filing of subject sid, named id, for a record that was not
 * filed after all: its row, its key (in the small tier: merges come at
 * commits only) and its cache slot. */
enum sc_status sc_lite_subject_unfile(struct lite *l, struct sc_text id, int64_t sid,
				      struct sc_diag *d);
/* The id of a type or source name (t: l->types or l->sources), filed
 * with statement add when statement get finds none. */
enum sc_status sc_lite_intern(struct lite *l, struct intern *t, enum stmt_id get,
			      enum stmt_id add, struct sc_text name, int64_t *out,
			      struct sc_diag *d);
/* Binds a text, NULL when empty; borrowed until the statement's reset. */
static inline void sc_lite_bind_text(sqlite3_stmt *s, int i, struct sc_text t)
{
	if (t.n)
		sqlite3_bind_text(s, i, t.p, (int)t.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* sqlite_records.c: the store's record, event and consent row ops (their
 * rules are the store front's, front_records.c), and the transaction's
 * memory of its records (emptied at every begin, commit and rollback). */
enum sc_status sc_lite_record_add(void *impl, const struct sc_store_add *r,
				  sc_store_taken_fn taken, struct sc_diag *d);
enum sc_status sc_lite_record_add_run(void *impl, const struct sc_store_add *const *r,
				      size_t n, enum sc_status *out, struct sc_diag *ds,
				      size_t *done, sc_store_taken_fn taken, struct sc_diag *d);
enum sc_status sc_lite_record_find(void *impl, struct sc_text record_id,
				   struct sc_store_filed *f, struct sc_diag *d);
enum sc_status sc_lite_event_add(void *impl, const struct sc_store_filed *f,
				 const struct sc_store_event *e, struct sc_diag *d);
enum sc_status sc_lite_consent_last(void *impl, struct sc_text subject, enum sc_kind kind,
				    struct sc_text scorecard, sc_day date, int64_t *sid,
				    int *last, struct sc_diag *d);
enum sc_status sc_lite_consent_add(void *impl, int64_t sid, struct sc_text scorecard,
				   bool granted, sc_day date, struct sc_diag *d);
void sc_lite_recent_clear(struct lite *l);

/* A statement prepared for one use (caller finalizes); SC_ESTORE names the
 * problem. */
enum sc_status sc_lite_prepare(struct lite *l, const char *sql, sqlite3_stmt **s,
			       struct sc_diag *d);
/* Copies a text column ("" for NULL) into dst. */
void sc_lite_col(char *dst, size_t size, sqlite3_stmt *s, int col);
/* A prepared statement, reset and unbound. */
sqlite3_stmt *sc_lite_stmt(struct lite *l, enum stmt_id id);

/* sqlite_keys.c: subjects by ext_id. SC_SUBJECT_ID(p) is an SQL
 * expression: the id of the subject whose ext_id is the parameter p (NULL:
 * none), looked up in both tiers of keys. merge: moves the small tier into
 * the large one when it has grown past its share, before a COMMIT. */
#define SC_SUBJECT_ID(p)                                                   \
	"(SELECT id FROM subject_keys_new WHERE ext_id = " p                   \
	" UNION ALL SELECT id FROM subject_keys WHERE ext_id = " p ")"
/* the same, in the small tier only (the large one ruled out) */
#define SC_SUBJECT_ID_NEW(p) "(SELECT id FROM subject_keys_new WHERE ext_id = " p ")"
enum sc_status sc_lite_keys_merge(struct lite *l, struct sc_diag *d);
/* maybe_large: false when the ext_id is not in the large tier (the filter
 * rules it out), true when it may be; missed: a lookup of both tiers found
 * nothing (a new subject), which builds the filter once they are many */
bool sc_lite_keys_maybe_large(struct lite *l, struct sc_text id);
void sc_lite_keys_missed(struct lite *l);
/* keys in the small tier before any merge (a merge of fewer writes most of
 * the large tier's pages for little), and its share: it merges once it
 * holds a quarter of the large tier's keys */
#define SC_KEYS_MIN 65536
#define SC_KEYS_SHARE 4

/* sqlite_bysubject.c: the records' subject index. note: a record filed
 * in the open transaction; flush: writes them, before its COMMIT; drop:
 * forgets them (rollback); build: indexes every record (migration to 12);
 * register: the table-valued function subject_rids(subject) on l->db. */
enum sc_status sc_lite_bysubj_note(struct lite *l, int64_t sid, int64_t rid);
enum sc_status sc_lite_bysubj_flush(struct lite *l, struct sc_diag *d);
void sc_lite_bysubj_drop(struct lite *l);
enum sc_status sc_lite_bysubj_build(struct lite *l, struct sc_diag *d);
enum sc_status sc_lite_bysubj_register(struct lite *l, struct sc_diag *d);
/* Registers sc_name_key(text), a name's search key (sqlite_process.c), on
 * the connection: the names table's key column is made with it. */
enum sc_status sc_lite_names_register(struct lite *l, struct sc_diag *d);
/* SC_KIND_ORG in SQL text */
#define SC_KIND_ORG_STR "2"
_Static_assert(SC_KIND_ORG == 2, "SC_KIND_ORG_STR");

/* sqlite_ckpt.c: a checkpointer thread for an ingesting connection.
 * start: NULL when it cannot (checkpoints then stay in the hook); kick: a
 * commit to copy; wait: until it is idle; due: the WAL holds frames enough
 * that the writer should wait and copy the rest itself (last_commit: the
 * frames the last commit appended); stop: joins and frees (NULL: nothing). */
struct sc_ckpt;
struct sc_ckpt *sc_lite_ckpt_start(const char *path);
void sc_lite_ckpt_kick(struct sc_ckpt *c);
void sc_lite_ckpt_wait(struct sc_ckpt *c);
bool sc_lite_ckpt_due(int frames, int last_commit, int page_size);
void sc_lite_ckpt_stop(struct sc_ckpt *c);

enum sc_status sc_lite_subject_rows(void *impl, struct sc_text id,
				    const struct sc_file_sink *sink, void *ctx,
				    struct sc_diag *d);
/* sqlite_changes.c: where the ledger stands, and what changed since. */
enum sc_status sc_lite_mark(struct lite *l, struct sc_store_mark *m,
			    struct sc_diag *d);
enum sc_status sc_lite_changed_since(void *impl, const struct sc_store_mark *from,
				     struct sc_store_mark *to, sc_store_id_fn cb,
				     void *ctx, struct sc_diag *d);
bool sc_lite_change_count(void *impl, uint64_t *n);
enum sc_status sc_lite_identity(void *impl, char *ledger_id, int64_t *expired_max,
				struct sc_diag *d);
enum sc_status sc_lite_record_names(void *impl, const int64_t *rids, size_t n,
				    sc_store_record_name_fn cb, void *ctx, struct sc_diag *d);
/* sqlite.c: a write outside any transaction in one of its own. */
enum sc_status sc_lite_own_begin(struct lite *l, bool *own, struct sc_diag *d);
enum sc_status sc_lite_own_end(struct lite *l, bool own, enum sc_status st,
			       struct sc_diag *d);
/* sqlite_counts.c: the ledger's row counts, moved with each commit. */
void sc_lite_count(struct lite *l, enum sc_count_id k, int64_t n);
enum sc_status sc_lite_counts_flush(struct lite *l, struct sc_diag *d);
void sc_lite_counts_drop(struct lite *l);
/* One count as the open transaction sees it (written, plus noted since). */
enum sc_status sc_lite_count_now(struct lite *l, enum sc_count_id k, int64_t *n,
				 struct sc_diag *d);
enum sc_status sc_lite_counts(void *impl, struct sc_store_counts *c,
			      struct sc_diag *d);
enum sc_status sc_lite_run_save(void *impl, sc_day at, uint64_t subjects,
			       double seconds, const struct sc_run_tally *t,
			       size_t nt, const struct sc_run_list *ls, size_t nl,
			       int64_t *run, struct sc_diag *d);
enum sc_status sc_lite_pop_load(void *impl, const char *const *ids, size_t nids,
				int64_t new_after, struct sc_pop *out,
				struct sc_store_mark *mark, char *ledger_id,
				struct sc_diag *d);

enum sc_status sc_lite_key_add(void *impl, struct sc_key *k, struct sc_diag *d);
enum sc_status sc_lite_key_get(void *impl, int64_t id, struct sc_key *out,
			       struct sc_diag *d);
enum sc_status sc_lite_key_revoke(void *impl, int64_t id, bool force,
				   struct sc_diag *d);
enum sc_status sc_lite_key_list(void *impl, sc_store_key_fn cb, void *ctx,
				struct sc_diag *d);
void sc_lite_audit_free(struct sc_lite_audit *a);
enum sc_status sc_lite_audit_append(void *impl, struct sc_audit_entry *e,
				    size_t n, struct sc_diag *d);
enum sc_status sc_lite_audit_verify(void *impl, struct sc_audit_verdict *v, struct sc_diag *d);
enum sc_status sc_lite_audit_subject(void *impl, const char *subject,
				     sc_store_audit_fn cb, void *ctx,
				     struct sc_diag *d);
/* the Merkle tree (sqlite_merkle.c; the walk is sqlite_audit.c's) */
enum sc_status sc_lite_audit_walk(void *impl, int64_t from, int64_t to,
				  sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				  struct sc_diag *d);
enum sc_status sc_lite_audit_tree(void *impl, struct sc_merkle_frontier *f, struct sc_diag *d);
enum sc_status sc_lite_audit_prove(void *impl, int64_t seq, struct sc_audit_proof *p,
				   sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d);
/* An append's leaves, in its transaction: begin reads the tree (its size
 * must be first - 1) into the handle's (l->tree, made on first use, freed
 * with the handle by sc_lite_tree_free), add takes each entry's hash in
 * order, end writes the frontier. build: the tree of every entry so far
 * (the migration). */
struct sc_lite_tree;
enum sc_status sc_lite_tree_begin(struct lite *l, int64_t first, struct sc_lite_tree **t,
				  struct sc_diag *d);
enum sc_status sc_lite_tree_add(struct lite *l, struct sc_lite_tree *t, const char *hash_hex,
				struct sc_diag *d);
enum sc_status sc_lite_tree_end(struct lite *l, struct sc_lite_tree *t, struct sc_diag *d);
void sc_lite_tree_free(struct sc_lite_tree *t);
enum sc_status sc_lite_tree_build(struct lite *l, struct sc_diag *d);

enum sc_status sc_lite_tally(void *impl, enum sc_tally which,
			     sc_store_tally_fn cb, void *ctx, sc_day *run_at,
			     struct sc_diag *d);
enum sc_status sc_lite_expire(void *impl, const int64_t *rids, size_t n,
			      struct sc_diag *d);

#endif
