/* socred: due process in the ledger: disputes, explanatory statements,
 * credit repair applications, share links and registered names. Strings in
 * the structs are copies; ids are the ledger's. */
#ifndef SOCRED_PROCESS_H
#define SOCRED_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "socred/date.h"
#include "socred/limits.h"
#include "socred/status.h"
#include "socred/store.h"

#define SC_LIMIT_PROCESS_TEXT 2000 /* reasons, statements, commitments */

/* A decision on a dispute or repair application, by whom. */
struct sc_decider {
	const char *by;           /* "admin key 4", "court key 2" */
	const char *only_source;  /* non-NULL: may decide on this source's records only */
};

struct sc_dispute {
	int64_t id;
	char record_id[SC_LIMIT_RECORD_ID + 1];
	char subject[SC_LIMIT_SUBJECT_ID + 1];
	char source[SC_LIMIT_NAME + 1];
	char reason[SC_LIMIT_PROCESS_TEXT + 1];
	sc_day opened, deadline, decided; /* decided: SC_DAY_NONE while open */
	char outcome[16];                 /* "upheld", "corrected", or "" */
	char decided_by[96];
	char note[SC_LIMIT_PROCESS_TEXT + 1];
	char opened_at[32], decided_at[32]; /* UTC timestamps, as the audit log's */
};

/* Opens a dispute of the subject's record, decided by `opened +
 * review_days`. SC_OK (*out filled), SC_ENOTFOUND (no such record of this
 * subject), SC_ECONFLICT (already disputed and open, or revoked). */
enum sc_status sc_store_dispute_open(struct sc_store *st, const char *subject,
				     const char *record_id, const char *reason,
				     sc_day opened, int32_t review_days,
				     struct sc_dispute *out, struct sc_diag *d);
/* outcome "upheld" or "corrected" (the record is revoked on `date`).
 * SC_OK, SC_ENOTFOUND, SC_ECONFLICT (already decided), SC_EREFUSED (another
 * source's record), SC_EINVAL (outcome). */
enum sc_status sc_store_dispute_decide(struct sc_store *st, int64_t id,
				       const char *outcome, const char *note,
				       sc_day date, const struct sc_decider *who,
				       struct sc_dispute *out, struct sc_diag *d);
typedef enum sc_status (*sc_store_dispute_fn)(void *ctx, const struct sc_dispute *x);
/* subject / source NULL: any. Oldest first. */
enum sc_status sc_store_dispute_list(struct sc_store *st, const char *subject,
				     const char *source, bool open_only,
				     sc_store_dispute_fn cb, void *ctx,
				     struct sc_diag *d);

struct sc_statement {
	int64_t id;
	char record_id[SC_LIMIT_RECORD_ID + 1];
	char text[SC_LIMIT_PROCESS_TEXT + 1];
	sc_day date;
};
/* SC_OK, SC_ENOTFOUND (no such record of this subject). */
enum sc_status sc_store_statement_add(struct sc_store *st, const char *subject,
				      const char *record_id, const char *text,
				      sc_day date, struct sc_statement *out,
				      struct sc_diag *d);
typedef enum sc_status (*sc_store_statement_fn)(void *ctx, const struct sc_statement *x);
enum sc_status sc_store_statement_list(struct sc_store *st, const char *subject,
				       sc_store_statement_fn cb, void *ctx,
				       struct sc_diag *d);

struct sc_repair {
	int64_t id;
	char record_id[SC_LIMIT_RECORD_ID + 1];
	char subject[SC_LIMIT_SUBJECT_ID + 1];
	char source[SC_LIMIT_NAME + 1];
	char commitment[SC_LIMIT_PROCESS_TEXT + 1];
	sc_day applied, decided;          /* decided: SC_DAY_NONE while open */
	char outcome[16];                 /* "approved", "refused", or "" */
	char reason[SC_LIMIT_PROCESS_TEXT + 1];
	char decided_by[96];
};
/* A credit repair application with a public credit commitment. SC_OK,
 * SC_ENOTFOUND, SC_ECONFLICT (one is open already; the record is rectified
 * or revoked). */
enum sc_status sc_store_repair_apply(struct sc_store *st, const char *subject,
				     const char *record_id, const char *commitment,
				     sc_day applied, struct sc_repair *out,
				     struct sc_diag *d);
/* outcome "approved" (a rectify event on `date`: the rulebook's
 * repair_min_days still holds) or "refused" (reason required). */
enum sc_status sc_store_repair_decide(struct sc_store *st, int64_t id,
				      const char *outcome, const char *reason,
				      sc_day date, const struct sc_decider *who,
				      struct sc_repair *out, struct sc_diag *d);
typedef enum sc_status (*sc_store_repair_fn)(void *ctx, const struct sc_repair *x);
enum sc_status sc_store_repair_list(struct sc_store *st, const char *subject,
				    const char *source, bool open_only,
				    sc_store_repair_fn cb, void *ctx,
				    struct sc_diag *d);

/* Share links: only the hash of the token is stored. */
enum sc_status sc_store_share_add(struct sc_store *st, const char *subject,
				  const unsigned char hash[SC_KEY_HASH_BYTES],
				  sc_day created, sc_day expires,
				  struct sc_diag *d);
/* SC_OK (subject and expiry), SC_ENOTFOUND. */
enum sc_status sc_store_share_get(struct sc_store *st,
				  const unsigned char hash[SC_KEY_HASH_BYTES],
				  char subject[SC_LIMIT_SUBJECT_ID + 1],
				  sc_day *expires, struct sc_diag *d);

/* Names, for public search (the `register` op). */
enum sc_status sc_store_name_set(struct sc_store *st, struct sc_text subject,
				 enum sc_kind kind, struct sc_text name,
				 sc_day date, struct sc_diag *d);
/* SC_OK or SC_ENOTFOUND (none registered). */
enum sc_status sc_store_name_get(struct sc_store *st, const char *subject,
				 char *name, size_t size, struct sc_diag *d);
/* How a search found a subject: what the caller supplied of it. */
enum sc_name_match {
	SC_NAME_BY_ID = 0,     /* q is its id */
	SC_NAME_BY_NAME = 1,   /* q is its whole name (the same search key) */
	SC_NAME_BY_PREFIX = 2, /* an organisation whose name starts with q */
};
typedef enum sc_status (*sc_store_name_fn)(void *ctx, const char *subject,
					   const char *name,
					   enum sc_name_match how);
/* Subjects found by q (at most `limit`, each once, by its first way here):
 * the subject whose id is q (as given, or folded by sc_text_fold with its
 * ASCII letters in upper or in lower case); every subject whose registered
 * name has q's search key (sc_text_fold); organisations whose name's key
 * starts with q's. Never a person by the start of its name or id. */
enum sc_status sc_store_name_search(struct sc_store *st, const char *q,
				    size_t limit, sc_store_name_fn cb, void *ctx,
				    struct sc_diag *d);

/* ---- a subject's due process as filed (front_import.c), to move its
 * file to another ledger (socred shards move) ----
 *
 * The lists read what a ledger holds; the imports file an item read from
 * another ledger as it was: its dates, state, decision, decider and time
 * stamps kept, nothing done to its record (a decision's event is an event
 * of its own, sc_store_event_import). An imported dispute, statement or
 * repair application gets this ledger's next id. Each import runs in the
 * caller's transaction when one is open, else in one of its own. SC_OK,
 * SC_ENOTFOUND (the subject has no such record here), SC_ESTORE,
 * SC_EREFUSED (the backend cannot). */

/* An event of a subject's record, as filed. */
struct sc_event_row {
	char record_id[SC_LIMIT_RECORD_ID + 1];
	int op;                          /* SC_OP_RECTIFY or SC_OP_REVOKE */
	sc_day date;
	char ref[SC_LIMIT_REF + 1];      /* "" when none */
};
typedef enum sc_status (*sc_store_event_fn)(void *ctx, const struct sc_event_row *e);
/* The events of the subject's records, in filing order. */
enum sc_status sc_store_event_list(struct sc_store *st, const char *subject,
				   sc_store_event_fn cb, void *ctx, struct sc_diag *d);
/* Files e on the subject's record: SC_EDUPLICATE when the record has an
 * event of e's op already (nothing written). */
enum sc_status sc_store_event_import(struct sc_store *st, const char *subject,
				     const struct sc_event_row *e, struct sc_diag *d);
/* x's subject, record_id, reason, dates, outcome, decided_by, note,
 * opened_at and decided_at; *id: its id here. */
enum sc_status sc_store_dispute_import(struct sc_store *st, const struct sc_dispute *x,
				       int64_t *id, struct sc_diag *d);
enum sc_status sc_store_statement_import(struct sc_store *st, const char *subject,
					 const struct sc_statement *x, int64_t *id,
					 struct sc_diag *d);
enum sc_status sc_store_repair_import(struct sc_store *st, const struct sc_repair *x,
				      int64_t *id, struct sc_diag *d);
/* A share link of a subject, as stored (the hash of its token). */
struct sc_share_row {
	unsigned char hash[SC_KEY_HASH_BYTES];
	sc_day created, expires;
};
typedef enum sc_status (*sc_store_share_fn)(void *ctx, const struct sc_share_row *x);
/* The subject's share links, by hash. */
enum sc_status sc_store_share_list(struct sc_store *st, const char *subject,
				   sc_store_share_fn cb, void *ctx, struct sc_diag *d);
/* sc_store_name_get with the name's date (what sc_store_name_set was given). */
enum sc_status sc_store_name_dated(struct sc_store *st, const char *subject, char *name,
				   size_t size, sc_day *date, struct sc_diag *d);

#endif
