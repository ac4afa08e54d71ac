/* socred: streaming ingestion of records (CSV with a header, or JSONL with
 * the same field names) into the ledger.
 *
 * Memory stays flat whatever the input size: two batches of lines (one
 * being validated on a second thread while the other is filed) and the
 * ledger's transaction. A bad line is reported and skipped; valid lines are
 * stored. Lines apply, and are reported, in file order; the callbacks are
 * called on the caller's thread. */
#ifndef SOCRED_INGEST_H
#define SOCRED_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "socred/rulebook.h"
#include "socred/status.h"
#include "socred/store.h"

enum sc_format { SC_FORMAT_AUTO = 0, SC_FORMAT_CSV = 1, SC_FORMAT_JSONL = 2 };

struct sc_ingest_stats {
	uint64_t lines;      /* data lines read */
	uint64_t accepted;   /* stored */
	uint64_t duplicates; /* already in the ledger, unchanged */
	uint64_t rejected;
	uint64_t warnings;   /* accepted with a warning */
	uint64_t bytes_done, bytes_total; /* bytes_total 0 when unknown */
};

/* Called for every rejected line (d->warning == 0) and every warning
 * (d->warning == 1). raw is the line as read (without its newline),
 * borrowed for the call. */
typedef void (*sc_ingest_report_fn)(void *ctx, const struct sc_diag *d,
				     const char *raw, size_t raw_len);
/* Called now and then with the running totals. */
typedef void (*sc_ingest_progress_fn)(void *ctx,
				      const struct sc_ingest_stats *s);

enum sc_line_status {
	SC_LINE_ACCEPTED = 0,
	SC_LINE_DUPLICATE = 1,
	SC_LINE_REJECTED = 2,
	SC_LINE_WARNING = 3, /* accepted with a warning */
};

/* Called for every data line with its outcome. d describes a reject or a
 * warning (NULL otherwise); subject is the line's subject field (may be
 * empty) and record_id its record_id field, both borrowed for the call. */
typedef void (*sc_ingest_line_fn)(void *ctx, unsigned long line,
				  enum sc_line_status status,
				  const struct sc_diag *d, struct sc_text subject,
				  struct sc_text record_id);

/* Lines spread over several ledgers (the shards of socred/shard.h): each
 * line goes to the store pick names; a run of records goes to one store
 * in one call. Every store has its own transaction per batch; at a batch's
 * end commit is called first, then each store commits in order. */
struct sc_ingest_route {
	struct sc_store *const *stores;
	size_t nstores;
	/* the store for a valid line: op, its subject (empty for rectify and
	 * revoke) and record_id. SC_OK with *store set; a refusal of the line
	 * (SC_ECONFLICT ..., d names the field); SC_ESTORE stops the ingest */
	enum sc_status (*pick)(void *ctx, enum sc_op op, struct sc_text subject,
			       struct sc_text record_id, size_t *store, struct sc_diag *d);
	/* a line filed (stored or a duplicate) on store; SC_ESTORE stops */
	enum sc_status (*filed)(void *ctx, enum sc_op op, struct sc_text subject,
				struct sc_text record_id, size_t store, struct sc_diag *d);
	enum sc_status (*begin)(void *ctx, struct sc_diag *d);
	/* NULL, or called when a batch has begun on every store: SC_OK, or a
	 * failure that stops the ingest (the batch rolled back) */
	enum sc_status (*settled)(void *ctx, struct sc_diag *d);
	enum sc_status (*commit)(void *ctx, struct sc_diag *d);
	void (*rollback)(void *ctx);
	void *ctx;
};

struct sc_ingest_opts {
	enum sc_format format;           /* AUTO: by name, then by content */
	sc_ingest_report_fn report;      /* may be NULL */
	sc_ingest_progress_fn progress;  /* may be NULL */
	sc_ingest_line_fn line;          /* may be NULL */
	/* non-NULL: a provider's batch; every line must be this source's
	 * record or event, and consents are refused (the subject gives them) */
	const char *only_source;
	/* lines dated after it are refused; 0: today (sc_date_today) */
	sc_day today;
	/* non-NULL: the lines go to route's stores, and sc_ingest_stream's
	 * st is not used (may be NULL) */
	const struct sc_ingest_route *route;
	void *ctx;
};

/* Ingests one stream. name is used in diagnostics. stats accumulate (the
 * caller zeroes them), so several files can share one summary.
 * SC_OK (all lines read; some may be rejected), SC_ESYNTAX (bad header: the
 * file is not read), SC_EIO, SC_ESTORE (the ledger failed: the current batch
 * is rolled back, earlier batches stay), SC_ENOMEM. */
enum sc_status sc_ingest_stream(struct sc_store *st,
				const struct sc_rulebook *rb, FILE *in,
				const char *name,
				const struct sc_ingest_opts *opts,
				struct sc_ingest_stats *stats,
				struct sc_diag *d);

/* The input columns, in a fixed order. */
enum sc_col {
	SC_COL_OP, SC_COL_RECORD_ID, SC_COL_SUBJECT, SC_COL_TYPE, SC_COL_DATE,
	SC_COL_AMOUNT, SC_COL_SOURCE, SC_COL_REF, SC_COL_KIND, SC_COL_NAME,
	SC_COL_COUNT
};
/* "op", "record_id", ... */
const char *sc_col_name(enum sc_col c);
/* Column of a header name (len bytes); -1 when unknown. */
int sc_col_find(const char *name, size_t len);

#endif
