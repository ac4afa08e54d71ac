/* The server's decision snapshot (see decisions.h).
 *
 * A check may answer from the snapshot only when the snapshot was built
 * for today, under the rulebook in force today, and the subject's file has
 * not changed since the snapshot's mark. Changes are found by asking the
 * ledger what changed after the last mark looked at; that question is put
 * when the ledger's change counter moved (any socred process that writes a
 * SQLite ledger moves it after its commit; on PostgreSQL, commits.c counts
 * the commits the ledger tells of), when this server wrote, and at least
 * once a second regardless. Everything else reads the ledger, as before:
 * the snapshot makes checks fast, never different, but for one bounded
 * case: while the ledger's connection is lost, the last look stands for a
 * while (fresh()), so a failover of the ledger does not stop checks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "socred/poprun.h"

#define LOOK_EVERY_S 1.0        /* look at the ledger at least this often */
#define LOOK_NO_COUNTER_S 0.05  /* ... when the ledger has no change counter */
#define RETRY_BUILD_S 5.0       /* after a failed build */
#define DIRTY_MIN 65536         /* rebuild past this many changed subjects */
#define STALE_MAX_S 30.0        /* after the last look, while the ledger's connection is lost */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sc_snapref *ref_new(struct sc_snap *snap)
{
	struct sc_snapref *ref = calloc(1, sizeof(*ref));

	if (!ref) {
		sc_snap_close(snap);
		return NULL;
	}
	ref->snap = snap;
	atomic_init(&ref->refs, 1);
	memcpy(ref->digest, sc_snap_rulebook(snap), SC_SNAP_DIGEST);
	return ref;
}

void sc_decisions_release(struct sc_decisions *dc, struct sc_snapref *ref)
{
	(void)dc;
	if (ref && atomic_fetch_sub(&ref->refs, 1) == 1) {
		sc_snap_close(ref->snap);
		free(ref);
	}
}

static enum sc_status add_dirty(void *ctx, const char *id)
{
	return sc_idset_add(ctx, id);
}

/* Under dc->mu: what changed since the last look. On failure the mark
 * stays, so the next check looks again; meanwhile nothing is answered from
 * the snapshot (dc->looked stays stale). */
static bool look(struct sc_decisions *dc, struct sc_store *st, uint64_t counter,
		 bool has_counter)
{
	struct sc_store_mark to;

	if (sc_store_changed_since(st, &dc->mark, &to, add_dirty, &dc->dirty, NULL))
		return false;
	dc->mark = to;
	dc->seen = has_counter ? counter : 0;
	dc->looked = mono();
	atomic_fetch_add(&dc->refreshes, 1);
	atomic_store(&dc->snap_dirty, dc->dirty.n);
	return true;
}

/* Under dc->mu: brings the view of the ledger up to date. */
static bool fresh(struct sc_decisions *dc, struct sc_store *st)
{
	uint64_t counter = 0;
	bool has = sc_part_change_count(dc->part, st, &counter);
	double age = mono() - dc->looked;

	if ((has && counter == dc->seen && age < LOOK_EVERY_S) ||
	    (!has && age < LOOK_NO_COUNTER_S))
		return true;
	if (look(dc, st, counter, has))
		return true;
	/* The connection is lost (a PostgreSQL primary failing over): nothing
	 * commits until a standby is promoted, and the node reconnects soon
	 * after; the last look stands for STALE_MAX_S, so checks of subjects
	 * not changed by then keep their answers from the snapshot. */
	return !sc_store_connected(st) && age < STALE_MAX_S;
}

static void want_build(struct sc_decisions *dc)
{
	if (!dc->want) {
		dc->want = true;
		pthread_cond_signal(&dc->cv);
	}
}

struct sc_snapref *sc_decisions_get(struct sc_part *part, struct sc_store *st,
				    const char *subject, sc_day today,
				    const struct sc_rulebook *rb)
{
	struct sc_decisions *dc = &part->decisions;
	struct sc_snapref *ref = NULL;
	bool ok;

	if (!dc->started) {
		atomic_fetch_add(&dc->from_ledger, 1);
		return NULL;
	}
	pthread_mutex_lock(&dc->mu);
	ok = fresh(dc, st) && dc->cur && sc_snap_day(dc->cur->snap) == today;
	if (ok && rb != dc->rb_checked) {
		unsigned char dg[SC_SNAP_DIGEST];
		sc_snap_digest(rb, dg);
		dc->rb_checked = rb;
		dc->rb_matches = !memcmp(dg, dc->cur->digest, SC_SNAP_DIGEST);
	}
	ok = ok && dc->rb_matches;
	if (!ok || dc->dirty.n > DIRTY_MIN + sc_snap_count(dc->cur->snap) / 16)
		want_build(dc);
	if (ok && !sc_idset_has(&dc->dirty, subject)) {
		ref = dc->cur;
		atomic_fetch_add(&ref->refs, 1);
	}
	pthread_mutex_unlock(&dc->mu);
	atomic_fetch_add(ref ? &dc->from_snapshot : &dc->from_ledger, 1);
	return ref;
}

void sc_decisions_touch(struct sc_part *part, struct sc_store *st)
{
	struct sc_decisions *dc = &part->decisions;
	uint64_t counter = 0;
	bool has;

	if (!dc->started)
		return;
	has = sc_part_change_count(part, st, &counter);
	pthread_mutex_lock(&dc->mu);
	look(dc, st, counter, has);
	pthread_mutex_unlock(&dc->mu);
}

/* Under dc->mu: makes ref current (NULL: keep none). */
static void install(struct sc_decisions *dc, struct sc_snapref *ref)
{
	struct sc_snapref *old = dc->cur;

	dc->cur = ref;
	sc_idset_clear(&dc->dirty);
	atomic_store(&dc->snap_subjects, ref ? sc_snap_count(ref->snap) : 0);
	atomic_store(&dc->snap_day, ref ? sc_snap_day(ref->snap) : SC_DAY_NONE);
	if (ref)
		sc_snap_mark(ref->snap, &dc->mark);
	dc->looked = -1e9; /* look again from the new mark */
	dc->rb_checked = NULL;
	sc_decisions_release(dc, old);
}

/* With a cluster map: is the subject the map's for this part's ledger? */
static bool keep(void *ctx, const char *id)
{
	struct sc_decisions *dc = ctx;

	return sc_shard_ledger(dc->srv->opts.map, id, strlen(id)) == dc->part->index;
}

/* The snapshot of the ledger on `today` under rb, read in one transaction
 * (a population run from the ledger), written to path and mapped (*snap).
 * With a map, of the subjects it gives this ledger. */
static enum sc_status build(struct sc_decisions *dc, struct sc_store *st,
			    const struct sc_rulebook *rb, sc_day today,
			    const char *path, struct sc_snap **snap, struct sc_diag *d)
{
	struct sc_poprun_opts o = {.rbs = {rb}, .nrb = 1, .at = today, .snapshot = path,
				   .open_snapshot = true, .ctx = dc,
				   .keep = dc->srv->opts.map ? keep : NULL};
	struct sc_poprun_result r;
	enum sc_status rc;

	if ((rc = sc_poprun(st, &o, &r, d)))
		return rc;
	*snap = r.snap;
	r.snap = NULL;
	sc_poprun_release(&r);
	return SC_OK;
}

static void *builder(void *arg)
{
	struct sc_decisions *dc = arg;
	struct sc_server *srv = dc->srv;
	struct sc_store *st = NULL;
	double next_try = 0;

	pthread_mutex_lock(&dc->mu);
	for (;;) {
		struct sc_snap *snap = NULL;
		struct sc_snapref *ref;
		struct sc_diag d;
		sc_day today;
		const struct sc_rulebook *rb;
		enum sc_status rc;

		while (!dc->stop && (!dc->want || mono() < next_try)) {
			if (dc->want) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&dc->cv, &dc->mu, &ts);
			} else {
				pthread_cond_wait(&dc->cv, &dc->mu);
			}
		}
		if (dc->stop)
			break;
		pthread_mutex_unlock(&dc->mu);

		today = sc_server_today(srv);
		rb = sc_server_rulebook_at(srv, today);
		sc_diag_clear(&d);
		rc = !rb ? SC_ENOTFOUND
			 : st || !(rc = sc_store_open(dc->db, 0, &st, &d))
			 ? build(dc, st, rb, today, dc->path, &snap, &d)
			 : rc;
		ref = rc ? NULL : ref_new(snap);
		if (rc && st && !sc_store_connected(st)) {
			sc_store_close(st); /* lost: the next try opens another */
			st = NULL;
		}

		pthread_mutex_lock(&dc->mu);
		if (ref) {
			install(dc, ref);
			atomic_fetch_add(&dc->builds, 1);
			next_try = 0;
		} else {
			atomic_fetch_add(&dc->build_failures, 1);
			next_try = mono() + RETRY_BUILD_S;
		}
		/* wanted again only if a check finds it stale after this one */
		dc->want = false;
	}
	pthread_mutex_unlock(&dc->mu);
	sc_store_close(st);
	return NULL;
}

enum sc_status sc_decisions_start(struct sc_server *srv, struct sc_part *part,
				  struct sc_diag *d)
{
	struct sc_decisions *dc = &part->decisions;
	struct sc_snap *snap = NULL;
	enum sc_status rc;

	if (srv->opts.no_snapshot)
		return SC_OK;
	pthread_mutex_init(&dc->mu, NULL);
	pthread_cond_init(&dc->cv, NULL);
	dc->srv = srv;
	dc->part = part;
	snprintf(dc->db, sizeof(dc->db), "%s", part->db);
	sc_snap_path(part->db, dc->path, sizeof(dc->path));
	dc->looked = -1e9;
	atomic_init(&dc->snap_day, SC_DAY_NONE);
	/* a snapshot left by `socred run` or an earlier server, if any; a
	 * stale or damaged one is replaced by the builder when the first
	 * check sees it; a link in its place stops the server */
	if ((rc = sc_snap_open(dc->path, &snap, d)) == SC_OK) {
		install(dc, ref_new(snap));
	} else if (rc == SC_EREFUSED) {
		pthread_cond_destroy(&dc->cv);
		pthread_mutex_destroy(&dc->mu);
		return rc;
	} else {
		sc_diag_clear(d);
		dc->want = true;
	}
	if (pthread_create(&dc->builder, NULL, builder, dc) != 0)
		return SC_ENOMEM;
	dc->started = true;
	return SC_OK;
}

void sc_decisions_stop(struct sc_decisions *dc)
{
	if (!dc->started)
		return;
	pthread_mutex_lock(&dc->mu);
	dc->stop = true;
	pthread_cond_signal(&dc->cv);
	pthread_mutex_unlock(&dc->mu);
	pthread_join(dc->builder, NULL);
	install(dc, NULL);
	pthread_cond_destroy(&dc->cv);
	pthread_mutex_destroy(&dc->mu);
	dc->started = false;
}
