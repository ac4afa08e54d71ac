/* The server's decision snapshot: which one is current, which subjects
 * changed since it was built, and the thread that builds the next one.
 * Internal to src/http. */
#ifndef SOCRED_HTTP_DECISIONS_H
#define SOCRED_HTTP_DECISIONS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "socred/snapshot.h"
#include "socred/store.h"

struct sc_server;
struct sc_part;

/* A set of subject ids (open addressing, strings owned). */
struct sc_idset {
	char **slots;
	size_t n, cap;
};

/* One mapped snapshot and the requests reading it. The manager holds one
 * reference while it is current; the last to let go unmaps it. */
struct sc_snapref {
	struct sc_snap *snap;
	atomic_int refs;
	unsigned char digest[SC_SNAP_DIGEST];
};

struct sc_decisions {
	pthread_mutex_t mu;          /* guards everything below but the counters */
	pthread_cond_t cv;
	struct sc_snapref *cur;      /* NULL: none yet, every check reads the ledger */
	struct sc_store_mark mark;   /* how far the ledger was looked at */
	struct sc_idset dirty;       /* changed after cur's mark */
	uint64_t seen;               /* the change counter at that look */
	double looked;               /* when (monotonic seconds) */
	const struct sc_rulebook *rb_checked; /* rb compared with cur's digest */
	bool rb_matches;
	bool want, stop, started;
	pthread_t builder;
	char path[4096];
	char db[4096];
	struct sc_server *srv;      /* its server, and the part it answers for */
	struct sc_part *part;
	/* figures for /metrics */
	atomic_ulong from_snapshot, from_ledger, builds, build_failures;
	atomic_ulong refreshes;
	atomic_ulong snap_subjects, snap_dirty; /* of the current one */
	atomic_int snap_day;     /* SC_DAY_NONE: none */
};

/* Maps <db>.snap of part's ledger when it is there and starts the builder
 * thread. A missing or stale file only means the first checks read the
 * ledger. With a cluster map, the snapshot holds the subjects the map
 * gives that ledger (as `run --only-map` writes it). */
enum sc_status sc_decisions_start(struct sc_server *srv, struct sc_part *part,
				  struct sc_diag *d);
void sc_decisions_stop(struct sc_decisions *dc);

/* The snapshot a check on `today` under rb may answer `subject` from, with
 * a reference the caller gives back with sc_decisions_release; NULL when
 * the ledger must answer (no snapshot for today or this rulebook yet, or
 * the subject's file changed since). st: the request's ledger connection,
 * to look at what changed when the change counter moved. */
struct sc_snapref *sc_decisions_get(struct sc_part *part, struct sc_store *st,
				    const char *subject, sc_day today,
				    const struct sc_rulebook *rb);
void sc_decisions_release(struct sc_decisions *dc, struct sc_snapref *ref);
/* Looks at the ledger now (after this server wrote to it), so the next
 * check sees the change. */
void sc_decisions_touch(struct sc_part *part, struct sc_store *st);

/* The id set. */
bool sc_idset_has(const struct sc_idset *s, const char *id);
enum sc_status sc_idset_add(struct sc_idset *s, const char *id);
void sc_idset_clear(struct sc_idset *s);

#endif
