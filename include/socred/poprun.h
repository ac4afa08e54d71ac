/* socred: the population run, every subject of the ledger evaluated on one
 * day under one rulebook (or two, compared side by side): what `run`,
 * `whatif` and the server's snapshot builder do, and the one place that
 * does it.
 *
 * The subjects come either from the population image (socred/image.h),
 * brought up to date with the ledger first and evaluated on several
 * threads, or straight from the ledger in one read transaction on one
 * thread (the reference, and what leaves no image beside the ledger).
 * Every subject is evaluated under each rulebook, counted (struct
 * sc_poprun_tally), added to the decision snapshot under the first
 * rulebook when one is asked for (socred/snapshot.h, as of the ledger the
 * run saw), and handed to the caller's visitor when there is one. The
 * ledger is read only through the store (socred/store.h). */
#ifndef SOCRED_POPRUN_H
#define SOCRED_POPRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/date.h"
#include "socred/eval.h"
#include "socred/image.h"
#include "socred/limits.h"
#include "socred/rulebook.h"
#include "socred/snapshot.h"
#include "socred/status.h"
#include "socred/store.h"

#define SC_POPRUN_RULEBOOKS SC_STORE_SCAN_RULEBOOKS /* a what-if compares two */

/* What a progress report is about. */
enum sc_poprun_phase {
	SC_POPRUN_IMAGE = 0,    /* bringing the image up to date */
	SC_POPRUN_EVALUATE = 1, /* evaluating the subjects */
};
/* Called now and then from the calling thread: done of total. */
typedef void (*sc_poprun_progress_fn)(void *ctx, enum sc_poprun_phase phase,
				      uint64_t done, uint64_t total);

/* Called for every subject once it is evaluated, on one of the run's
 * threads (thread: 0 to sc_poprun_threads() - 1; each thread visits a
 * contiguous run of subjects in ledger order, and the threads' runs follow
 * one another in thread order; the threads run at the same time, so a
 * visitor keeps one context per thread). subjects[k] is the subject's file
 * resolved under rulebook k and evs[k] the evaluator holding its results
 * there (sc_eval_card, sc_eval_lists, sc_eval_check), all borrowed for the
 * call, as is id. SC_OK to go on; anything else stops the run and is
 * returned. */
typedef enum sc_status (*sc_poprun_visit_fn)(void *ctx, size_t thread, const char *id,
					     const struct sc_subject *subjects,
					     struct sc_eval *const *evs);

struct sc_poprun_opts {
	const struct sc_rulebook *rbs[SC_POPRUN_RULEBOOKS]; /* borrowed for the call */
	size_t nrb;              /* 1 or 2 */
	sc_day at;               /* the day every subject is evaluated on */
	/* The image's path (sc_image_path), brought up to date with the
	 * ledger (sc_image_sync with image_flags) and evaluated on `threads`
	 * threads (0: sc_image_threads()); NULL: read the ledger instead, on
	 * one thread. */
	const char *image;
	unsigned image_flags;
	size_t threads;
	/* Where to write the decision snapshot under rbs[0]; NULL: none.
	 * open_snapshot: also map the file written (result->snap). */
	const char *snapshot;
	bool open_snapshot;
	sc_poprun_progress_fn progress; /* may be NULL */
	sc_poprun_visit_fn visit;       /* may be NULL */
	void *ctx;                      /* for progress, visit and keep */
	/* may be NULL; false: the subject is left out of the run (a shard
	 * ledger still holds the subjects moved to another ledger) */
	bool (*keep)(void *ctx, const char *id);
};

/* A population's counts under one rulebook. */
struct sc_poprun_tally {
	/* subjects by scorecard and enum sc_card_status */
	uint64_t status[SC_LIMIT_SCORECARDS][3];
	/* scored subjects by scorecard and grade */
	uint64_t grades[SC_LIMIT_SCORECARDS][SC_LIMIT_GRADES];
	/* by list of the rulebook: subjects on it, and their entries */
	uint64_t *members, *entries;
	size_t nlists;
};

/* What a run did. Caller-owned storage, filled by sc_poprun on success;
 * sc_poprun_release frees what it holds. */
struct sc_poprun_result {
	const struct sc_rulebook *rbs[SC_POPRUN_RULEBOOKS]; /* the options', borrowed */
	size_t nrb;
	sc_day at;
	uint64_t subjects, records;
	struct sc_poprun_tally tally[SC_POPRUN_RULEBOOKS]; /* [nrb] */
	size_t threads;                /* the threads that evaluated */
	struct sc_store_mark mark;     /* where the ledger stood for the run */
	bool from_image;
	struct sc_image_info image;    /* from_image: what sc_image_sync did */
	/* with a snapshot: how its list entries' record ids were found
	 * (sc_snap_writer_ids) */
	uint64_t ids_carried, ids_looked_up;
	/* where the time went: the image brought up to date, the evaluation,
	 * the snapshot written */
	double image_seconds, evaluate_seconds, snapshot_seconds;
	/* open_snapshot: the snapshot written, mapped; the caller's once it
	 * takes it (set to NULL), else sc_poprun_release closes it */
	struct sc_snap *snap;
};

/* The threads a run with o evaluates on: what a visitor's contexts are
 * sized by. 1 without an image. */
size_t sc_poprun_threads(const struct sc_poprun_opts *o);

/* Runs the population as o says (see above). st: the ledger, borrowed.
 * SC_OK; SC_EINVAL (nrb not 1 or 2, threads over SC_IMAGE_THREADS_MAX);
 * SC_ENOMEM; sc_image_sync's, the store's and sc_snap_writer_finish's
 * errors; or what the visitor returned; d says what failed (the subject's
 * id when one did). On failure *out is left zeroed and nothing needs
 * releasing; no snapshot is written. */
enum sc_status sc_poprun(struct sc_store *st, const struct sc_poprun_opts *o,
			 struct sc_poprun_result *out, struct sc_diag *d);
void sc_poprun_release(struct sc_poprun_result *r);

/* Stores the run's tallies under its first rulebook in the ledger
 * (sc_store_run_save), as a run that took `seconds`: subjects per
 * scorecard, status and grade, members and entries per list. The rulebook
 * r names must still be alive. *run: the stored run's id. SC_OK,
 * SC_ENOMEM, SC_ESTORE. */
enum sc_status sc_poprun_save(struct sc_store *st, const struct sc_poprun_result *r,
			      double seconds, int64_t *run, struct sc_diag *d);

#endif
