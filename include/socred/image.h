/* socred: the population image, what `run` and `whatif` evaluate instead of
 * reading SQL.
 *
 * One file next to the ledger (<ledger>.image): every subject's file as
 * compact binary rows grouped by subject (24 bytes a record, the rare
 * rectify, revoke and suspension dates in a side table), mapped read-only.
 * It is derived data, like an index: the header names the ledger (its
 * identity) and the mark it was made at. sc_image_sync brings it up to
 * date before use: subjects whose file changed since the mark are re-read
 * from the ledger and laid over the file; when they are many, or the file
 * is missing, unreadable, damaged (it carries a CRC-32 per 256 KiB block,
 * checked when it is opened) or of another ledger, the image is rebuilt (a
 * temporary made with mkstemp, 0600, fsync, rename: readers see the old
 * file or the new one). A symbolic link in its place is refused.
 *
 * sc_image_scan evaluates the population on several threads, each over a
 * contiguous run of subjects in ledger order, with one context per thread. */
#ifndef SOCRED_IMAGE_H
#define SOCRED_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/eval.h"
#include "socred/rulebook.h"
#include "socred/status.h"
#include "socred/store.h"

struct sc_image; /* an up-to-date view: immutable, shareable by threads */

/* The image's place next to the ledger: "<db>.image". */
void sc_image_path(const char *db, char *buf, size_t size);

/* What sc_image_sync did. */
struct sc_image_info {
	bool built;       /* written anew from the whole ledger */
	bool rewritten;   /* the changes folded into a new file */
	uint64_t reread;  /* subjects re-read from the ledger */
	uint64_t subjects, records;
	uint64_t bytes;   /* the file's size */
	char why[160];    /* why it was built, when it was */
};

/* Flags for sc_image_sync. */
#define SC_IMAGE_REBUILD 1u /* ignore the file; build from the whole ledger */
#define SC_IMAGE_FOLD 2u    /* write any change into a new file, however small */

/* Opens path and brings it up to date with st (see above). progress (may
 * be NULL) is called while a build reads the ledger. SC_OK; SC_ESTORE,
 * SC_EIO (d names the file), SC_EREFUSED (path is a symbolic link),
 * SC_ENOMEM, SC_ELIMIT. */
enum sc_status sc_image_sync(struct sc_store *st, const char *path, unsigned flags,
			     struct sc_image **out, struct sc_image_info *info,
			     sc_store_progress_fn progress, void *ctx,
			     struct sc_diag *d);
void sc_image_close(struct sc_image *img);

/* Where the ledger stood for this view: a snapshot made from it is as of
 * this mark. */
void sc_image_mark(const struct sc_image *img, struct sc_store_mark *m);
uint64_t sc_image_subjects(const struct sc_image *img);

/* Called for each subject on one of the scan's threads: tctx is that
 * thread's context; subjects[nrb] as sc_store_scan_multi gives them. */
typedef enum sc_status (*sc_image_visit_fn)(void *tctx, int64_t sid,
					    const char *id,
					    const struct sc_subject *subjects);
/* Visits every subject under nrb rulebooks (1 to SC_STORE_SCAN_RULEBOOKS)
 * on nthreads threads (1 to SC_IMAGE_THREADS_MAX); thread t visits a
 * contiguous run of subjects, in ledger order, with tctx[t], and the runs
 * follow one another in t's order. progress (may be NULL) is called from
 * the calling thread. The first error stops every thread and is returned. */
#define SC_IMAGE_THREADS_MAX 64
enum sc_status sc_image_scan(const struct sc_image *img,
			     const struct sc_rulebook *const *rbs, size_t nrb,
			     size_t nthreads, sc_image_visit_fn cb,
			     void *const *tctx, sc_store_progress_fn progress,
			     void *ctx, struct sc_diag *d);

/* The number of threads a scan uses by default: the cores online. */
size_t sc_image_threads(void);

#endif
