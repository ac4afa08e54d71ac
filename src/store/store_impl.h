/* The storage ops table: one implementation per backend (sqlite.c now,
 * postgres.c later), like sqlite3_vfs. store.c dispatches to it. */
#ifndef SOCRED_STORE_IMPL_H
#define SOCRED_STORE_IMPL_H

#include "socred/process.h"
#include "socred/store.h"

#define SC_STORE_OPS_VERSION 3

/* Due process (socred/process.h) at the row level. The rules (who may
 * decide, what a decision does to the record, which records may be
 * disputed or repaired, the search semantics of names) are the store
 * front's (front_process.c); a backend reads and writes rows. Statuses:
 * SC_OK, SC_ESTORE (d set), and those named. */

/* A record as due process sees it. */
struct sc_proc_record {
	int64_t rid;
	char source[SC_LIMIT_NAME + 1];
	sc_day date;
	bool rectified, revoked; /* it has a rectify / revoke event */
};

/* The tables of items decided later. */
enum sc_proc_items { SC_PROC_DISPUTES, SC_PROC_REPAIRS };

/* One row of a name search. */
typedef enum sc_status (*sc_store_name_row_fn)(void *ctx, const char *subject,
					       const char *name);

struct sc_store_process_ops {
	/* A write transaction of its own (none may be open); end commits it
	 * on st == SC_OK, else rolls it back, and returns st or the commit's
	 * failure. */
	enum sc_status (*begin)(void *impl, struct sc_diag *d);
	enum sc_status (*end)(void *impl, enum sc_status st, struct sc_diag *d);
	/* The subject's record: SC_ENOTFOUND (d untouched) when the subject
	 * has no record record_id. */
	enum sc_status (*record_find)(void *impl, const char *subject, const char *record_id,
				      struct sc_proc_record *out, struct sc_diag *d);
	/* An undecided item of the record in table t: *id, 0 when none. */
	enum sc_status (*open_item)(void *impl, enum sc_proc_items t, int64_t rid,
				    int64_t *id, struct sc_diag *d);
	/* Appends an event (op SC_OP_RECTIFY or SC_OP_REVOKE) to a record. */
	enum sc_status (*event_add)(void *impl, int64_t rid, int op, sc_day date,
				    const char *ref, struct sc_diag *d);
	/* Disputes: a new row (*id its id), a row (SC_ENOTFOUND, d
	 * untouched), a decision written into a row (decided_at: now). */
	enum sc_status (*dispute_insert)(void *impl, int64_t rid, const char *reason,
					 sc_day opened, sc_day deadline, int64_t *id,
					 struct sc_diag *d);
	enum sc_status (*dispute_get)(void *impl, int64_t id, struct sc_dispute *out,
				      struct sc_diag *d);
	enum sc_status (*dispute_decided)(void *impl, int64_t id, sc_day date,
					  const char *outcome, const char *by,
					  const char *note, struct sc_diag *d);
	/* subject / source NULL: any; oldest first; a subject never filed has
	 * none */
	enum sc_status (*dispute_list)(void *impl, const char *subject,
				       const char *source, bool open_only,
				       sc_store_dispute_fn cb, void *ctx,
				       struct sc_diag *d);
	enum sc_status (*statement_insert)(void *impl, int64_t rid, const char *text,
					   sc_day date, int64_t *id, struct sc_diag *d);
	enum sc_status (*statement_list)(void *impl, const char *subject,
					 sc_store_statement_fn cb, void *ctx,
					 struct sc_diag *d);
	/* Repair applications, as disputes. */
	enum sc_status (*repair_insert)(void *impl, int64_t rid, const char *commitment,
					sc_day applied, int64_t *id, struct sc_diag *d);
	enum sc_status (*repair_get)(void *impl, int64_t id, struct sc_repair *out,
				     struct sc_diag *d);
	enum sc_status (*repair_decided)(void *impl, int64_t id, sc_day date,
					 const char *outcome, const char *reason,
					 const char *by, struct sc_diag *d);
	enum sc_status (*repair_list)(void *impl, const char *subject,
				      const char *source, bool open_only,
				      sc_store_repair_fn cb, void *ctx,
				      struct sc_diag *d);
	/* Shares: SC_ENOTFOUND (d untouched) when the subject has no file /
	 * there is no share with this hash. */
	enum sc_status (*share_add)(void *impl, const char *subject,
				    const unsigned char *hash, sc_day created,
				    sc_day expires, struct sc_diag *d);
	enum sc_status (*share_get)(void *impl, const unsigned char *hash,
				    char *subject, sc_day *expires,
				    struct sc_diag *d);
	/* Names: name_put files the subject if new (SC_ECONFLICT: of the
	 * other kind) and stores its name with its search key (key, n
	 * bytes; NULL: none), org following the subject's kind; SC_EDUPLICATE when the
	 * stored name is dated later or is the same name (nothing written). */
	enum sc_status (*name_put)(void *impl, struct sc_text subject,
				   enum sc_kind kind, struct sc_text name,
				   const char *key, size_t n, sc_day date,
				   struct sc_diag *d);
	/* SC_ENOTFOUND (d untouched) when none is registered; *date (date
	 * NULL: not wanted) the name's date. */
	enum sc_status (*name_get)(void *impl, const char *subject, char *name,
				   size_t size, sc_day *date, struct sc_diag *d);
	/* Rows found one way: SC_NAME_BY_ID, the subject whose id is a, with
	 * its name or ""; SC_NAME_BY_NAME, names whose key is a; and
	 * SC_NAME_BY_PREFIX, organisations' names whose key is in [a, b)
	 * (b.p NULL: no upper bound); a and b are UTF-8 texts.
	 * At most limit, in key order then filing order. */
	enum sc_status (*name_find)(void *impl, enum sc_name_match how, struct sc_text a,
				    struct sc_text b, size_t limit,
				    sc_store_name_row_fn cb, void *ctx, struct sc_diag *d);
	/* A subject's file as filed, to move it (socred/process.h, "a
	 * subject's due process as filed"): the events of its records in
	 * filing order; a dispute or repair row written whole (nothing but
	 * its id is chosen here); its share links by hash. A subject never
	 * filed has none. */
	enum sc_status (*event_list)(void *impl, const char *subject, sc_store_event_fn cb,
				     void *ctx, struct sc_diag *d);
	enum sc_status (*dispute_import)(void *impl, int64_t rid, const struct sc_dispute *x,
					 int64_t *id, struct sc_diag *d);
	enum sc_status (*repair_import)(void *impl, int64_t rid, const struct sc_repair *x,
					int64_t *id, struct sc_diag *d);
	enum sc_status (*share_list)(void *impl, const char *subject, sc_store_share_fn cb,
				     void *ctx, struct sc_diag *d);
};

/* ---- records: the rules are the front's (front_records.c) ----
 *
 * A backend files and reads rows; what a line's outcome is (a duplicate, a
 * conflict naming its field, who may rectify or revoke, which dates, when
 * a consent repeats) is decided by the functions below, the same for every
 * backend. */

/* Events sc_store_filed holds: at most one of each op is ever filed. */
#define SC_STORE_FILED_EVENTS 4
/* A record as filed (texts one byte longer than any line may give, so a
 * longer stored text never compares equal). */
struct sc_store_filed {
	int64_t rid;
	sc_day date;
	int64_t amount; /* SC_AMOUNT_NONE when absent */
	char subject[SC_LIMIT_SUBJECT_ID + 2], type[SC_LIMIT_TYPE + 2];
	char source[SC_LIMIT_NAME + 2], ref[SC_LIMIT_REF + 2];
	size_t nev;     /* its events so far (record_find only) */
	struct sc_store_filed_event {
		enum sc_op op;
		sc_day date;
		char ref[SC_LIMIT_REF + 2];
	} ev[SC_STORE_FILED_EVENTS];
};

/* The outcome of filing r when its record_id is filed already as f:
 * SC_EDUPLICATE or SC_ECONFLICT naming the first field that differs.
 * Backends call it (as `taken`) where their insert finds the id taken. */
enum sc_status sc_front_record_taken(const struct sc_store_add *r, const struct sc_store_filed *f,
				     struct sc_diag *d);
typedef enum sc_status (*sc_store_taken_fn)(const struct sc_store_add *r,
					    const struct sc_store_filed *f, struct sc_diag *d);
/* SC_ECONFLICT: subject id is filed as kind have, the line says want. */
enum sc_status sc_front_kind_conflict(struct sc_text id, enum sc_kind have, enum sc_kind want,
				      struct sc_diag *d);
/* Whether record f admits event e (the front's event rules): SC_OK,
 * SC_EDUPLICATE or SC_ECONFLICT naming the field. */
/* The subject's record by the process ops (front_process.c);
 * SC_ENOTFOUND names the field 'record'. */
enum sc_status sc_front_record_find(struct sc_store *st, const char *subject,
				    const char *record_id, struct sc_proc_record *r,
				    struct sc_diag *d);
enum sc_status sc_front_event_check(const struct sc_store_filed *f, const struct sc_store_event *e,
				    struct sc_diag *d);
/* SC_ENOTFOUND for event e, whose record_id is not filed. */
enum sc_status sc_front_event_unknown(const struct sc_store_event *e, struct sc_diag *d);

/* The store front's record, event and consent entry points
 * (front_records.c), called by store.c. */
struct sc_store_ops;
enum sc_status sc_front_record_add(const struct sc_store_ops *ops, void *impl,
				   const struct sc_store_add *r, struct sc_diag *d);
enum sc_status sc_front_record_add_run(const struct sc_store_ops *ops, void *impl,
				       const struct sc_store_add *const *r, size_t n,
				       enum sc_status *out, struct sc_diag *ds, size_t *done,
				       struct sc_diag *d);
enum sc_status sc_front_record_event(const struct sc_store_ops *ops, void *impl,
				     const struct sc_store_event *e, struct sc_diag *d);
enum sc_status sc_front_consent(const struct sc_store_ops *ops, void *impl,
				struct sc_text subject, enum sc_kind kind, struct sc_text scorecard,
				bool granted, sc_day date, struct sc_diag *d);

/* ---- the reads above the seam (front_file.c, front_pop.c) ---- */

/* A mark's words per backend (socred/store.h defines what a mark is):
 * - PostgreSQL: w[0] the commit sequence number (meta.commit_seq, every
 *   row's cseq) of the last commit the read sees; w[1..3] 0.
 * - SQLite: the last row of records, events, consents and changes: each
 *   commit's rows get ids above every earlier commit's (one writer), but
 *   for records and events filed after an expire that removed the highest
 *   ones: those take ids from just above the rows it left, which table
 *   expiries notes for changed_since (sqlite_changes.c). */

/* A subject's file as a backend gives it, row by row; text borrowed for
 * the call. Records come first (in the file's order: date, then rid), each
 * with the dates of its rectify and revoke events (SC_DAY_NONE: none);
 * then every dispute of its records, oldest first (decided SC_DAY_NONE:
 * open); then its consents in filing order. */
struct sc_file_rec {
	int64_t rid;
	struct sc_text record_id, type, source, ref;
	sc_day date, rectified, revoked;
	int64_t amount; /* SC_AMOUNT_NONE when absent */
};
struct sc_file_sink {
	enum sc_status (*subject)(void *ctx, int64_t sid, enum sc_kind kind);
	enum sc_status (*record)(void *ctx, const struct sc_file_rec *r);
	enum sc_status (*dispute)(void *ctx, int64_t rid, sc_day deadline, sc_day decided);
	enum sc_status (*consent)(void *ctx, struct sc_text scorecard, bool granted,
				  sc_day date);
};

/* The dispute-suspension rule, one dispute at a time (oldest first): a
 * dispute left undecided past its review deadline, or decided after it,
 * suspends its record from the deadline until the decision (SC_DAY_NONE:
 * still open); a later such dispute replaces an earlier one's period. */
void sc_file_dispute(struct sc_eval_record *r, sc_day deadline, sc_day decided);
/* An event's date on its record (op SC_OP_RECTIFY or SC_OP_REVOKE). */
void sc_file_event(struct sc_eval_record *r, int op, sc_day date);

/* Population rows grouped into a struct sc_pop (front_pop.c), for a
 * backend's pop_load. Feed, in this order: types; records (sid < 2^32;
 * in rid order is fastest); then events and disputes (each naming a record by rid,
 * in filing order; rows for records not fed are ignored); consents in
 * filing order; then subjects in ascending sid order; then end. On
 * failure, release (it frees what was built). */
struct sc_pop_build {
	struct sc_pop *p;
	struct sc_eval_record *recs;
	uint32_t *rsubj, *csubj;
	struct sc_pop_consent *cons;
	size_t n, cap, nc, capc, capsub, capids;
	uint64_t maxkey;
	int64_t last_rid, max_rid;
	bool unsorted; /* records came out of rid order: sorted before use */
	bool ready;    /* sorted, and byrid made when rids are dense */
	uint32_t *byrid; /* [max_rid + 1]: a rid's record (UINT32_MAX: none) */
	uint32_t *order, *corder;
	uint64_t *off, *coff;
	bool grouped;
};
void sc_pop_build_init(struct sc_pop_build *b, struct sc_pop *out);
/* Room for about nrec records and ncons consents (an estimate). */
enum sc_status sc_pop_build_reserve(struct sc_pop_build *b, size_t nrec, size_t ncons);
enum sc_status sc_pop_build_type(struct sc_pop_build *b, int64_t id, const char *name,
				 size_t len);
enum sc_status sc_pop_build_record(struct sc_pop_build *b, int64_t sid,
				   const struct sc_eval_record *r);
void sc_pop_build_event(struct sc_pop_build *b, int64_t rid, int op, sc_day date);
void sc_pop_build_dispute(struct sc_pop_build *b, int64_t rid, sc_day deadline, sc_day decided);
enum sc_status sc_pop_build_consent(struct sc_pop_build *b, int64_t sid, const char *card,
				    size_t len, bool granted, sc_day date);
enum sc_status sc_pop_build_subject(struct sc_pop_build *b, int64_t sid, const char *id,
				    size_t len, int kind);
enum sc_status sc_pop_build_end(struct sc_pop_build *b);
void sc_pop_build_release(struct sc_pop_build *b);
/* The pieces, for a backend that appends subject by subject: subject sid
 * (ascending) with no records or consents yet (its offsets follow each
 * append); a scorecard's index in p->cards (added when new; -1: no
 * memory); the type table (ids up to max_id, NULL where none). */
enum sc_status sc_pop_push_subject(struct sc_pop *p, size_t *capsub, size_t *capids,
				   int64_t sid, const char *id, size_t len, int kind);
int32_t sc_pop_card(struct sc_pop *p, const char *name, size_t len);
enum sc_status sc_pop_types_init(struct sc_pop *p, int64_t max_id);
/* Every offset array holds its one 0 when no subject was pushed. */
enum sc_status sc_pop_finish(struct sc_pop *p);

struct sc_store_ops;
/* sc_store_subject_load through ops->subject_rows, and
 * sc_store_scan_multi through sc_store_pop_load (front_file.c). */
enum sc_status sc_file_load(const struct sc_store_ops *ops, void *impl,
			    const struct sc_rulebook *rb, struct sc_text id,
			    struct sc_loaded *out, struct sc_diag *d);
enum sc_status sc_file_scan(struct sc_store *st, const struct sc_rulebook *const *rbs,
			    size_t nrb, sc_store_visit_multi_fn cb,
			    sc_store_progress_fn progress, void *ctx,
			    struct sc_store_mark *mark, struct sc_diag *d);

struct sc_store_ops {
	int version;
	const char *name;
	enum sc_status (*open)(const char *path, unsigned flags,
			       sc_store_upgrade_fn upgrade, void *ctx, void **impl,
			       struct sc_diag *d);
	void (*close)(void *impl);
	enum sc_status (*rulebook_put)(void *impl, const struct sc_rulebook *rb,
				       sc_day effective, struct sc_diag *d);
	enum sc_status (*rulebook_get)(void *impl, sc_day at, char **text,
				       size_t *len, struct sc_diag *d);
	enum sc_status (*rulebook_list)(void *impl, sc_store_rulebook_fn cb,
					void *ctx, struct sc_diag *d);
	/* lines: NULL for a plain transaction; for an ingest one, set to
	 * the lines it should hold */
	enum sc_status (*begin)(void *impl, size_t *lines, struct sc_diag *d);
	enum sc_status (*commit)(void *impl, struct sc_diag *d);
	void (*rollback)(void *impl);
	/* A write outside any transaction in one of its own: own_begin sets
	 * *own when it opened one; own_end(own, st) ends it: rolled back on
	 * SC_ESTORE or SC_ENOMEM, else committed (a refused line changed
	 * nothing, or only what it may keep: a subject's kind); st or the
	 * commit's failure. */
	enum sc_status (*own_begin)(void *impl, bool *own, struct sc_diag *d);
	enum sc_status (*own_end)(void *impl, bool own, enum sc_status st, struct sc_diag *d);
	/* Files record r (its subject found or filed by ext_id, its type
	 * and source interned): SC_OK; when its record_id is taken, taken's
	 * outcome for the filed record (nothing of r is kept but its
	 * subject's kind); SC_ECONFLICT for a subject of the other kind
	 * (sc_front_kind_conflict); SC_ESTORE. Inside a transaction. */
	enum sc_status (*record_add)(void *impl, const struct sc_store_add *r,
				     sc_store_taken_fn taken, struct sc_diag *d);
	/* r[0 .. n) as n record_add calls would, as sc_store_record_add_run
	 * says. Inside a transaction. */
	enum sc_status (*record_add_run)(void *impl, const struct sc_store_add *const *r,
					 size_t n, enum sc_status *out,
					 struct sc_diag *ds, size_t *done,
					 sc_store_taken_fn taken, struct sc_diag *d);
	/* The record with this record_id: rid, date, source and its events
	 * (the other texts may be left empty). SC_OK, SC_ENOTFOUND (nothing
	 * in d), SC_ESTORE. */
	enum sc_status (*record_find)(void *impl, struct sc_text record_id,
				      struct sc_store_filed *f, struct sc_diag *d);
	/* Files event e of record f (as record_find gave it). */
	enum sc_status (*event_add)(void *impl, const struct sc_store_filed *f,
				    const struct sc_store_event *e, struct sc_diag *d);
	/* Finds or files the subject (kind rules as record_add), then the
	 * last act filed for scorecard on date: *last 1 (granted), 0
	 * (withdrawn), -1 (none). *sid is the subject for consent_add. */
	enum sc_status (*consent_last)(void *impl, struct sc_text subject, enum sc_kind kind,
				       struct sc_text scorecard, sc_day date, int64_t *sid,
				       int *last, struct sc_diag *d);
	enum sc_status (*consent_add)(void *impl, int64_t sid, struct sc_text scorecard,
				      bool granted, sc_day date, struct sc_diag *d);
	/* Lines l[0 .. n) as sc_store_lines says, deciding each line by the
	 * front's rules (sc_front_record_taken, sc_front_kind_conflict,
	 * sc_front_event_check, a consent repeating the day's last act is a
	 * duplicate). NULL: the lines are filed one by one. */
	enum sc_status (*lines)(void *impl, const struct sc_store_line *l, size_t n,
				enum sc_status *out, struct sc_diag *ds, size_t *done,
				struct sc_diag *d);
	/* As begin with lines, for a transaction that files records,
	 * events and consents through lines only (sc_store_begin_lines).
	 * NULL: begin. */
	enum sc_status (*begin_lines)(void *impl, size_t *lines, struct sc_diag *d);
	/* one subject's file as rows (front_file.c assembles it): SC_OK,
	 * SC_ENOTFOUND (no such subject; d untouched), SC_ESTORE, or what a
	 * sink call returned */
	enum sc_status (*subject_rows)(void *impl, struct sc_text id,
				       const struct sc_file_sink *sink, void *ctx,
				       struct sc_diag *d);
	enum sc_status (*changed_since)(void *impl,
					const struct sc_store_mark *from,
					struct sc_store_mark *to,
					sc_store_id_fn cb, void *ctx,
					struct sc_diag *d);
	bool (*change_count)(void *impl, uint64_t *n);
	/* commit notifications (NULL: none; store.h sc_store_listen) */
	enum sc_status (*listen)(void *impl, int *fd, struct sc_diag *d);
	enum sc_status (*notified)(void *impl, uint64_t *n, int64_t *seq, struct sc_diag *d);
	bool (*connected)(void *impl); /* NULL: always */
	enum sc_status (*identity)(void *impl, char *ledger_id, int64_t *expired_max,
				   struct sc_diag *d);
	enum sc_status (*record_names)(void *impl, const int64_t *rids, size_t n,
				       sc_store_record_name_fn cb, void *ctx, struct sc_diag *d);
	enum sc_status (*counts)(void *impl, struct sc_store_counts *c,
				 struct sc_diag *d);
	enum sc_status (*run_save)(void *impl, sc_day at, uint64_t subjects,
				   double seconds, const struct sc_run_tally *t,
				   size_t nt, const struct sc_run_list *ls,
				   size_t nl, int64_t *run, struct sc_diag *d);
	enum sc_status (*pop_load)(void *impl, const char *const *ids, size_t nids,
				   int64_t new_after, struct sc_pop *out,
				   struct sc_store_mark *mark, char *ledger_id,
				   struct sc_diag *d);
	enum sc_status (*key_add)(void *impl, struct sc_key *k, struct sc_diag *d);
	enum sc_status (*key_get)(void *impl, int64_t id, struct sc_key *out,
				  struct sc_diag *d);
	enum sc_status (*key_revoke)(void *impl, int64_t id, bool force,
				     struct sc_diag *d);
	enum sc_status (*key_list)(void *impl, sc_store_key_fn cb, void *ctx,
				   struct sc_diag *d);
	enum sc_status (*audit_append)(void *impl, struct sc_audit_entry *e,
				       size_t n, struct sc_diag *d);
	enum sc_status (*audit_verify)(void *impl, struct sc_audit_verdict *v,
				       struct sc_diag *d);
	enum sc_status (*audit_subject)(void *impl, const char *subject,
					sc_store_audit_fn cb, void *ctx,
					struct sc_diag *d);
	const struct sc_store_process_ops *process;
	enum sc_status (*expire)(void *impl, const int64_t *rids, size_t n,
				 struct sc_diag *d);
	enum sc_status (*tally)(void *impl, enum sc_tally which,
				sc_store_tally_fn cb, void *ctx, sc_day *run_at,
				struct sc_diag *d);
	/* the audit log's Merkle tree */
	enum sc_status (*audit_walk)(void *impl, int64_t from, int64_t to,
				     sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				     struct sc_diag *d);
	enum sc_status (*audit_tree)(void *impl, struct sc_merkle_frontier *f,
				     struct sc_diag *d);
	enum sc_status (*audit_prove)(void *impl, int64_t seq, struct sc_audit_proof *p,
				      sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d);
	/* the audit log's chains: register a new one for the handle, or
	 * select one (NULL: one chain, node 0 only) */
	enum sc_status (*audit_node)(void *impl, const char *name, int32_t *id,
				     struct sc_diag *d);
	enum sc_status (*audit_chain)(void *impl, int32_t node, struct sc_diag *d);
};

extern const struct sc_store_ops sc_store_sqlite_ops;
extern const struct sc_store_ops sc_store_pg_ops;
extern const struct sc_store_process_ops sc_store_sqlite_process_ops;
extern const struct sc_store_process_ops sc_store_pg_process_ops;

/* The ledger front's handle (store.c). */
struct sc_store {
	const struct sc_store_ops *ops;
	void *impl;
};

/* SC_EREFUSED: the ledger's backend has no op `op` (store.c). */
enum sc_status sc_store_missing(const struct sc_store *st, const char *op, struct sc_diag *d);

#endif
