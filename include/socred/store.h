/* socred: the ledger, the system of record.
 *
 * Records are append-only: a correction is a new event (rectify, revoke),
 * never an update that loses history. The ledger sits behind an ops table
 * (src/store/store_impl.h); SQLite is built in. Nothing backend-specific is
 * visible here. An sc_store is used by one thread at a time. */
#ifndef SOCRED_STORE_H
#define SOCRED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/access.h"
#include "socred/arena.h"
#include "socred/date.h"
#include "socred/eval.h"
#include "socred/id.h"
#include "socred/record.h"
#include "socred/rulebook.h"
#include "socred/status.h"

struct sc_store;

#define SC_STORE_CREATE 1u /* create the ledger file if missing */
/* a connection that appends and reads little (the server's audit writer):
 * a small page cache. It would otherwise grow to the default, a fresh page
 * for every page the log gains, each one faulted in and zeroed */
#define SC_STORE_LEAN 2u

/* Opens the ledger at path (":memory:" for a private in-memory one).
 * SC_OK: *out is caller-owned, close with sc_store_close. SC_ESTORE with d
 * naming the file when it cannot be opened or is not a socred ledger. */
enum sc_status sc_store_open(const char *path, unsigned flags,
			     struct sc_store **out, struct sc_diag *d);
/* Told before each step that brings an older ledger's schema up to date,
 * each in its own transaction: from (the ledger's version before the
 * step) and to (this socred's). A step can take minutes on a large
 * ledger: schema 15 rewrites the subjects and sorts their keys. */
typedef void (*sc_store_upgrade_fn)(void *ctx, int from, int to);
/* sc_store_open, telling upgrade (may be NULL) with ctx of each step. */
enum sc_status sc_store_open_upgrading(const char *path, unsigned flags,
				       sc_store_upgrade_fn upgrade, void *ctx,
				       struct sc_store **out, struct sc_diag *d);
void sc_store_close(struct sc_store *st);

/* Rulebook versions. put: publishes rb, in force from `effective`
 * (SC_DAY_NONE: from the beginning), in its own transaction. get: the text
 * of the version in force at `at` (the latest effective date <= at; the
 * later published on a tie); at = SC_DAY_NONE: the latest published.
 * *text is caller-freed with free(); SC_ENOTFOUND when none is in force
 * (not initialised). */
enum sc_status sc_store_rulebook_put(struct sc_store *st,
				     const struct sc_rulebook *rb,
				     sc_day effective, struct sc_diag *d);
enum sc_status sc_store_rulebook_get(struct sc_store *st, sc_day at,
				     char **text, size_t *len,
				     struct sc_diag *d);
typedef enum sc_status (*sc_store_rulebook_fn)(void *ctx, int64_t id,
					       sc_day effective,
					       const char *text, size_t len,
					       const char *published);
/* Every version, oldest first. */
enum sc_status sc_store_rulebook_list(struct sc_store *st,
				      sc_store_rulebook_fn cb, void *ctx,
				      struct sc_diag *d);

/* Transactions around batches of writes. A crash before commit leaves the
 * ledger as it was at the last commit; so does a failed commit, which ends
 * the transaction (there is nothing to roll back after it). */
enum sc_status sc_store_begin(struct sc_store *st, struct sc_diag *d);
/* The same for a batch of ingested lines: every reference such a batch
 * writes (subject, type, source, record) is one it looked up or created in
 * the same transaction, so the ledger's own reference checks (SQLite's
 * foreign keys, three lookups per record) are skipped until the commit or
 * rollback. Every other write keeps them.
 * *lines is set to the number of lines the caller should put in this
 * transaction before it commits (between SC_LIMIT_INGEST_BATCH and
 * SC_LIMIT_INGEST_BATCH_MAX): the store's choice, as its indexes grow. */
enum sc_status sc_store_begin_ingest(struct sc_store *st, size_t *lines,
				     struct sc_diag *d);
/* The same for an ingest that files its records, events and consents
 * through sc_store_lines only (names and everything else as usual). On a
 * ledger without records a backend may take the whole load as one
 * transaction (*lines is then SIZE_MAX: commit at the end of the input)
 * and defer the work a filled ledger needs until the commit: PostgreSQL
 * builds records' indexes then (src/store/pg_bulk.c). Such a load holds
 * the ledger's writer lock until it commits. */
enum sc_status sc_store_begin_lines(struct sc_store *st, size_t *lines,
				    struct sc_diag *d);
enum sc_status sc_store_commit(struct sc_store *st, struct sc_diag *d);
void sc_store_rollback(struct sc_store *st);

/* Text fields are borrowed (ptr, len) for the duration of the call. */
struct sc_text {
	const char *p;
	size_t n;
};

struct sc_store_add {
	struct sc_text record_id, subject, type, source, ref;
	enum sc_kind kind;  /* SC_KIND_NONE: unknown (consent before records) */
	sc_day date;
	int64_t amount;     /* SC_AMOUNT_NONE when absent */
};

/* Files a record. SC_OK (stored), SC_EDUPLICATE (the same record is already
 * filed: nothing changes), SC_ECONFLICT (a different record has this
 * record_id, or the subject is of the other kind; d names the field),
 * SC_ESTORE. */
enum sc_status sc_store_record_add(struct sc_store *st,
				   const struct sc_store_add *r,
				   struct sc_diag *d);

/* Files records r[0 .. n) in order, as n calls of sc_store_record_add
 * would: out[i] is record i's outcome, ds[i] its diagnostic when it is not
 * SC_OK. The same ledger results, with fewer statements: an ingest's lines
 * come as runs of records (bench/README.md). SC_OK once every record has
 * its outcome (*done == n); else the ledger's failure (SC_ESTORE,
 * SC_ENOMEM), in d, at record *done: the records before it have theirs,
 * and the caller rolls the transaction back. */
enum sc_status sc_store_record_add_run(struct sc_store *st,
				       const struct sc_store_add *const *r, size_t n,
				       enum sc_status *out, struct sc_diag *ds,
				       size_t *done, struct sc_diag *d);

struct sc_store_event {
	enum sc_op op;       /* SC_OP_RECTIFY or SC_OP_REVOKE */
	struct sc_text record_id, source, ref; /* source may be empty */
	sc_day date;
};

/* Rectifies or revokes a filed record. SC_OK, SC_EDUPLICATE, SC_ENOTFOUND
 * (no such record_id), SC_ECONFLICT (already rectified/revoked otherwise,
 * another source's record, or a date before the record's), SC_ESTORE. */
enum sc_status sc_store_record_event(struct sc_store *st,
				     const struct sc_store_event *e,
				     struct sc_diag *d);

/* Consent (granted) or its withdrawal for a scorecard. SC_OK, SC_EDUPLICATE,
 * SC_ECONFLICT (kind mismatch), SC_ESTORE. */
enum sc_status sc_store_consent(struct sc_store *st, struct sc_text subject,
				enum sc_kind kind, struct sc_text scorecard,
				bool granted, sc_day date, struct sc_diag *d);

/* One ingest line for sc_store_lines: op SC_OP_ADD (add), SC_OP_RECTIFY or
 * SC_OP_REVOKE (event), SC_OP_CONSENT or SC_OP_WITHDRAW (the consent
 * fields: subject, kind, scorecard, date). */
struct sc_store_line {
	enum sc_op op;
	const struct sc_store_add *add;
	const struct sc_store_event *event;
	struct sc_text subject, scorecard;
	enum sc_kind kind;
	sc_day date;
};

/* Whether the ledger files lines l[0 .. n) by sc_store_lines faster than
 * one by one (a server's ledger: a few statements per call). */
bool sc_store_lines_batched(const struct sc_store *st);

/* Files lines l[0 .. n) in order, as the calls of sc_store_record_add,
 * sc_store_record_event and sc_store_consent would one by one: out[i] is
 * line i's outcome, ds[i] its diagnostic when it is not SC_OK. In the
 * caller's transaction, or in one of their own. SC_OK once every line has
 * its outcome (*done == n); else the ledger's failure (SC_ESTORE,
 * SC_ENOMEM) in d, *done lines with theirs, and the caller rolls its
 * transaction back (their own is rolled back). */
enum sc_status sc_store_lines(struct sc_store *st, const struct sc_store_line *l, size_t n,
			      enum sc_status *out, struct sc_diag *ds, size_t *done,
			      struct sc_diag *d);

/* One subject's file, as loaded for evaluation and explanation. Everything
 * lives in `arena`; release with sc_loaded_release. Arrays are parallel to
 * view.recs (record_ids[i] belongs to view.recs[i]). */
struct sc_loaded {
	struct sc_arena arena;
	int64_t sid;
	const char *id;
	struct sc_subject view;
	const char **record_ids, **types, **sources, **refs;
};

/* Loads subject id under rb (types resolved). SC_OK, SC_ENOTFOUND (no record
 * or consent was ever filed for it), SC_ESTORE, SC_ENOMEM. `out` is
 * caller-owned storage. */
enum sc_status sc_store_subject_load(struct sc_store *st,
				     const struct sc_rulebook *rb,
				     struct sc_text id, struct sc_loaded *out,
				     struct sc_diag *d);
void sc_loaded_release(struct sc_loaded *l);
/* The kind of a subject id under rb's schemes. SC_EINVAL: an invalid id, d
 * says why (field "subject"). */
enum sc_status sc_subject_kind(const struct sc_rulebook *rb, const char *id,
			       enum sc_kind *kind, struct sc_diag *d);
/* As sc_store_subject_load, but a valid id (under rb's schemes) with no file
 * yet gives an empty file of the id's kind (SC_KIND_NONE for an opaque id).
 * SC_EINVAL: an invalid id, d says why (field "subject"). */
enum sc_status sc_store_subject_open(struct sc_store *st,
				     const struct sc_rulebook *rb,
				     const char *id, struct sc_loaded *out,
				     struct sc_diag *d);

/* Visits every subject in ledger order. cb returns SC_OK to go on. subject
 * and id are borrowed for the call. progress (may be NULL) is called now and
 * then with subjects done and total. */
typedef enum sc_status (*sc_store_visit_fn)(void *ctx, int64_t sid,
					    const char *id,
					    const struct sc_subject *subject);
typedef void (*sc_store_progress_fn)(void *ctx, uint64_t done, uint64_t total);
enum sc_status sc_store_scan(struct sc_store *st, const struct sc_rulebook *rb,
			     sc_store_visit_fn cb, sc_store_progress_fn progress,
			     void *ctx, struct sc_diag *d);

/* Where the ledger stands: a position in its commit order, the ledger as
 * it was after one commit (all zero: before the first). Derived data (a
 * decision snapshot, a population image) records the mark it was built at
 * and asks sc_store_changed_since from it.
 *
 * The words are the backend's own; callers store, copy and compare them for
 * equality, never read them. Writers take the ledger's write lock for the
 * whole transaction on every backend, so commits are totally ordered, and a
 * read transaction sees a prefix of that order: every commit up to some
 * point and none after it. A mark names that point (store_impl.h says how
 * each backend spells it).
 * A mark taken from one ledger means nothing on another (sc_store_identity
 * tells them apart). */
#define SC_STORE_MARK_WORDS 4
struct sc_store_mark {
	int64_t w[SC_STORE_MARK_WORDS];
};
/* As sc_store_scan, in one read transaction, and *mark (may be NULL) says
 * where the ledger stood when it began. */
enum sc_status sc_store_scan_marked(struct sc_store *st,
				    const struct sc_rulebook *rb,
				    sc_store_visit_fn cb,
				    sc_store_progress_fn progress, void *ctx,
				    struct sc_store_mark *mark,
				    struct sc_diag *d);
/* As sc_store_scan_marked under nrb rulebooks at once (1 to
 * SC_STORE_SCAN_RULEBOOKS; a policy what-if compares two): cb gets
 * subjects[nrb], the same records and consents resolved under each
 * rulebook (types it does not name are -1, consents for scorecards it does
 * not have are left out). SC_EINVAL for a bad nrb. */
#define SC_STORE_SCAN_RULEBOOKS 2
typedef enum sc_status (*sc_store_visit_multi_fn)(void *ctx, int64_t sid,
						  const char *id,
						  const struct sc_subject *subjects);
enum sc_status sc_store_scan_multi(struct sc_store *st,
				   const struct sc_rulebook *const *rbs,
				   size_t nrb, sc_store_visit_multi_fn cb,
				   sc_store_progress_fn progress, void *ctx,
				   struct sc_store_mark *mark,
				   struct sc_diag *d);
/* Calls cb with the id of every subject whose file was changed (records,
 * events, consents, disputes, kinds, removals) by a commit after `from`,
 * up to *to: where the ledger stands in the same read transaction. An id
 * may come more than once; a subject filed after `from` is reported too.
 * A mark ahead of the ledger (taken before a copy of the ledger was put
 * back, or from another ledger) reports every subject.
 * A reader that calls it again from each *to never misses a commit, however
 * many writers there are. SC_OK, SC_ESTORE, or what cb returned. */
typedef enum sc_status (*sc_store_id_fn)(void *ctx, const char *id);
enum sc_status sc_store_changed_since(struct sc_store *st,
				      const struct sc_store_mark *from,
				      struct sc_store_mark *to,
				      sc_store_id_fn cb, void *ctx,
				      struct sc_diag *d);
/* The ledger's change counter, shared by every process that writes it: it
 * moves after each commit that changes a subject's file or a key. false
 * when this ledger has none (then ask sc_store_changed_since): PostgreSQL
 * has none (a process shares no memory with the other nodes, and reading
 * the commit sequence costs the same round trip as the question it would
 * let a caller skip). */
bool sc_store_change_count(struct sc_store *st, uint64_t *n);

/* Notifications of commits, for a backend whose writers may sit on other
 * machines (PostgreSQL): what a server watches instead of the change
 * counter. listen: this connection is told of every later commit that
 * changes a subject's file or a key, by any writer of the ledger; it is
 * then used for nothing else. *fd (borrowed, valid until the store is
 * closed) becomes readable when a notification may have come. SC_OK;
 * SC_EREFUSED when the backend has none (SQLite: see
 * sc_store_change_count); SC_ESTORE. */
enum sc_status sc_store_listen(struct sc_store *st, int *fd, struct sc_diag *d);
/* Takes the notifications that came, without waiting: *n of them (0:
 * none), *seq the highest commit sequence number they carried. SC_OK;
 * SC_ESTORE when the connection is lost: commits may then go untold, so
 * the caller looks at the ledger and opens a new connection to listen. */
enum sc_status sc_store_notified(struct sc_store *st, uint64_t *n, int64_t *seq,
				 struct sc_diag *d);

/* false when st's connection to the ledger is lost (a PostgreSQL server
 * restarted or failed over): st is then of no more use but to close; open
 * the ledger again. Always true for a ledger file. */
bool sc_store_connected(struct sc_store *st);

/* The ledger's identity (SC_STORE_LEDGER_ID bytes, "" if it has none) and
 * the highest record row `expire` ever removed: SQLite may give a removed
 * highest row number to a later record, so a row above *expired_max has
 * held the same record since it was filed (INT64_MAX when unknown). A
 * ledger only moves forward: one restored from a copy must lose its
 * derived files (image, snapshot). SC_OK, SC_ESTORE. */
enum sc_status sc_store_identity(struct sc_store *st, char *ledger_id,
				 int64_t *expired_max, struct sc_diag *d);

/* The record_id of each of n ledger rows (rids, ascending), read in one
 * read transaction: cb(ctx, i, name) for rids[i], name borrowed for the
 * call. SC_OK, SC_ENOTFOUND (a row is gone: d names it), SC_ESTORE, or
 * what cb returned. */
typedef enum sc_status (*sc_store_record_name_fn)(void *ctx, size_t i, const char *name);
enum sc_status sc_store_record_names(struct sc_store *st, const int64_t *rids,
				     size_t n, sc_store_record_name_fn cb, void *ctx,
				     struct sc_diag *d);

/* Counts for summaries. */
struct sc_store_counts {
	uint64_t subjects, records, events, consents;
};
enum sc_status sc_store_counts(struct sc_store *st, struct sc_store_counts *c,
			       struct sc_diag *d);

/* Stored population runs: the run's row and its tallies (subjects per
 * scorecard, status and grade; members and entries per list), written in
 * one short transaction when the run is done. Per-subject results live in
 * the decision snapshot, not the ledger, so a run never holds the ledger's
 * write lock while it evaluates. */
struct sc_run_tally {
	const char *scorecard, *status, *grade; /* grade NULL: none */
	uint64_t subjects;
};
struct sc_run_list {
	const char *list;
	uint64_t members, entries;
};
/* *run: the new run's id. SC_OK or SC_ESTORE (nothing stored). */
enum sc_status sc_store_run_save(struct sc_store *st, sc_day at,
				 uint64_t subjects, double seconds,
				 const struct sc_run_tally *tallies, size_t ntallies,
				 const struct sc_run_list *lists, size_t nlists,
				 int64_t *run, struct sc_diag *d);

/* ---- the population as rows, for derived images ---- */

/* The ledger's subject files before any rulebook reads them: what a
 * population image (socred/image.h) is made of. Subject i (sid[i]
 * ascending) has records recs[roff[i] .. roff[i + 1]) in ledger (rid)
 * order, with `type` the ledger's type id (its name: types[type]), and
 * consents cons[coff[i] .. coff[i + 1]) in filing order, naming their
 * scorecard by index into cards. Every array is malloc'd; sc_pop_free. */
struct sc_pop_consent {
	sc_day date;
	int32_t card;
	bool granted;
};
struct sc_pop {
	uint64_t nsub, nrec, ncons;
	int64_t *sid;
	uint8_t *kind;
	uint64_t *idoff; /* [nsub + 1] into ids: subject i's id, NUL-terminated */
	char *ids;
	uint64_t *roff, *coff; /* [nsub + 1] */
	struct sc_eval_record *recs;
	struct sc_pop_consent *cons;
	char **types; /* [ntypes]: NULL where the ledger has no such id */
	size_t ntypes;
	char **cards;
	size_t ncards;
};
void sc_pop_free(struct sc_pop *p);
/* Loads, in one read transaction, every subject's file (new_after < 0;
 * ids is then ignored), or only the subjects named in ids[nids] (NULL when
 * nids is 0) and every subject whose ledger id is above new_after (those
 * filed since an image was made); a named id with no file is left out.
 * The whole type table is always loaded. *mark:
 * where the ledger stood; *ledger_id: the ledger's identity (33 bytes),
 * which a copy of another ledger at the same path would not share.
 * SC_OK, SC_ENOMEM, SC_ESTORE. */
enum sc_status sc_store_pop_load(struct sc_store *st, const char *const *ids,
				 size_t nids, int64_t new_after,
				 struct sc_pop *out, struct sc_store_mark *mark,
				 char *ledger_id, struct sc_diag *d);
#define SC_STORE_LEDGER_ID 33

/* Removes records past retention, with their events, disputes, statements
 * and repair applications, in one transaction: the only deletion the
 * append-only ledger allows. rids: ledger rows (from a scan). SC_OK or
 * SC_ESTORE (nothing removed). */
enum sc_status sc_store_expire(struct sc_store *st, const int64_t *rids,
			       size_t n, struct sc_diag *d);

/* Counts for the operators' statistics. */
enum sc_tally {
	SC_TALLY_RECORDS_BY_SOURCE = 0, /* k1 source */
	SC_TALLY_GRADES = 1,            /* latest run: k1 scorecard, k2 grade */
	SC_TALLY_LISTS = 2,             /* latest run: k1 list (subjects) */
	SC_TALLY_STATUS = 3,            /* latest run: k1 scorecard, k2 status */
};
typedef enum sc_status (*sc_store_tally_fn)(void *ctx, const char *k1,
					    const char *k2, int64_t count);
/* Calls cb per group. *run_at: the latest run's date (SC_DAY_NONE: none). */
enum sc_status sc_store_tally(struct sc_store *st, enum sc_tally which,
			      sc_store_tally_fn cb, void *ctx, sc_day *run_at,
			      struct sc_diag *d);

/* ---- API keys ---- */

#define SC_LIMIT_BINDING 1024 /* a source, actions "a,b,...", or a subject id */

struct sc_key {
	int64_t id;
	enum sc_role role;
	char name[SC_DIAG_FIELD_MAX];        /* who holds it: "China Eastern" */
	char binding[SC_LIMIT_BINDING + 1];
	unsigned char hash[SC_KEY_HASH_BYTES];
	bool revoked;
	char created[32];
};

/* Stores k (k->id is set). SC_OK or SC_ESTORE. */
enum sc_status sc_store_key_add(struct sc_store *st, struct sc_key *k,
				struct sc_diag *d);
/* SC_OK, SC_ENOTFOUND, SC_ESTORE. */
enum sc_status sc_store_key_get(struct sc_store *st, int64_t id,
				struct sc_key *out, struct sc_diag *d);
/* Revokes key id. The last active admin key is kept unless force: without
 * one, nobody can manage keys over HTTP. SC_OK (also when already
 * revoked), SC_ENOTFOUND, SC_ECONFLICT (the last admin key), SC_ESTORE. */
enum sc_status sc_store_key_revoke(struct sc_store *st, int64_t id, bool force,
				   struct sc_diag *d);
typedef enum sc_status (*sc_store_key_fn)(void *ctx, const struct sc_key *k);
enum sc_status sc_store_key_list(struct sc_store *st, sc_store_key_fn cb,
				 void *ctx, struct sc_diag *d);

/* ---- the audit trail ---- */

/* Appends n entries to the handle's chain in one transaction: assigns each
 * its seq (and node) and chains its hash to the previous entry's. SC_OK, SC_EBUSY (another connection kept
 * the write lock past the wait: nothing written, try again) or
 * SC_ESTORE. */
enum sc_status sc_store_audit_append(struct sc_store *st,
				     struct sc_audit_entry *e, size_t n,
				     struct sc_diag *d);
/* Recomputes the whole chain. SC_OK (*count entries, all intact), or
 * SC_ECORRUPT with *bad the seq of the first entry whose hash does not
 * match (an altered, inserted or removed row). */
enum sc_status sc_store_audit_verify(struct sc_store *st, uint64_t *count,
				     int64_t *bad, struct sc_diag *d);
/* Every chain checked (sc_store_audit_verify_chains). */
struct sc_audit_verdict {
	uint64_t count;  /* entries in every chain */
	uint32_t chains; /* chains checked */
	int32_t node;    /* SC_ECORRUPT: the chain found broken */
	int64_t bad;     /* ... its first entry whose hash does not match, or 0:
			  * its Merkle tree does not match it (d says how) */
};
/* Recomputes every chain (in node order) and, where the backend keeps a
 * tree per chain (PostgreSQL), checks each chain's tree against it: its
 * size and frontier. SC_OK, SC_ECORRUPT (v->node, v->bad and d name the
 * first failure), SC_ESTORE. sc_store_audit_verify is this without the
 * node. SQLite: one chain, node 0; its tree is not checked here. */
enum sc_status sc_store_audit_verify_chains(struct sc_store *st, struct sc_audit_verdict *v,
					    struct sc_diag *d);

/* The chains of the audit log. A ledger's command-line processes append
 * to node 0; each server process registers a node of its own when it
 * starts (a new id each time, never reused: docs/internals/merkle.md).
 * A handle appends to, walks, proves and signs the head of one chain: node
 * 0 until it registers or selects another.
 *
 * node: registers a new chain named name (what started it: host, port,
 * pid) and makes it this handle's; *id set. SQLite keeps one chain: *id =
 * 0, nothing registered. SC_OK, SC_ESTORE.
 * chain: makes existing chain `node` this handle's. SC_OK, SC_ENOTFOUND
 * (no such chain), SC_ESTORE. */
enum sc_status sc_store_audit_node(struct sc_store *st, const char *name, int32_t *id,
				   struct sc_diag *d);
enum sc_status sc_store_audit_chain(struct sc_store *st, int32_t node, struct sc_diag *d);

/* Entries about one subject (subject "": every entry), in a stable order:
 * by time stamp, then node, then seq (on one chain: oldest first, the
 * inquiries of a report). */
typedef enum sc_status (*sc_store_audit_fn)(void *ctx,
					    const struct sc_audit_entry *e);
enum sc_status sc_store_audit_subject(struct sc_store *st, const char *subject,
				      sc_store_audit_fn cb, void *ctx,
				      struct sc_diag *d);

/* ---- the audit log's Merkle tree (sqlite_merkle.c, docs/internals/merkle.md) ---- */

struct sc_merkle_frontier;

/* An entry with the chain's hashes before and at it (hex, borrowed until
 * the callback returns). */
typedef enum sc_status (*sc_store_audit_chain_fn)(void *ctx, const struct sc_audit_entry *e,
						  const char *prev_hex, const char *hash_hex);
/* Entries from..to (seqs, inclusive; to < 0: to the end) in order, each
 * with its chain hash, recomputed from the stored fields and checked
 * against the hashes stored (each block's last, each old row's). SC_OK;
 * SC_ECORRUPT with *bad the first entry of the block (or the row) whose
 * chain breaks, or the first seq missing; SC_ENOTFOUND with *bad the first
 * seq missing before `to`; cb's status; SC_ESTORE. bad NULL: the stored
 * hashes are not compared (the chain is recomputed from the fields). */
enum sc_status sc_store_audit_walk(struct sc_store *st, int64_t from, int64_t to,
				   sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				   struct sc_diag *d);
/* The tree as the last append left it: its size and frontier. */
enum sc_status sc_store_audit_tree(struct sc_store *st, struct sc_merkle_frontier *f,
				   struct sc_diag *d);
/* An inclusion proof: entry seq is leaf seq - 1 of the tree (its size and
 * frontier, from which the head follows), leaf = sc_merkle_audit_leaf of
 * its hash, path RFC 9162's audit path. */
struct sc_audit_proof {
	struct sc_merkle_frontier *tree; /* caller's storage */
	unsigned char leaf[32];
	unsigned char path[64][32];
	unsigned npath;
};
/* The proof of entry seq in the current tree, in one read transaction;
 * cb (may be NULL) is given the entry. SC_ENOTFOUND (no such entry),
 * SC_ECORRUPT, SC_ESTORE. */
enum sc_status sc_store_audit_prove(struct sc_store *st, int64_t seq, struct sc_audit_proof *p,
				    sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d);

#endif
