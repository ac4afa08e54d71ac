/* The checkpointer of an ingesting connection: a thread with a connection
 * of its own that copies the WAL into the database file while the writer
 * fills its next transaction.
 *
 * A WAL checkpoint copies every frame a commit appended into the database
 * file and syncs it. Run from the commit hook, as SQLite's default does, it
 * stalls the writer: 7.7 of 26.8 s of an 11.2 M-line ingest
 * (bench/README.md, "Checkpoints off the writing thread"). Here the hook
 * only kicks this thread, which runs a PASSIVE checkpoint (it never waits
 * on, nor blocks, the writer or readers).
 *
 * SQLite restarts the WAL from its start only when a write transaction
 * begins with every frame copied, which a checkpointer one commit behind
 * never allows: the WAL would grow with the whole ingest. So once it holds
 * more than its bound (sc_lite_ckpt_due), the writer waits for this thread
 * and copies the rest itself, and its next transaction restarts the WAL.
 *
 * The thread is an optimisation: if it cannot start, checkpoints stay in
 * the hook. Shared state: the mutex guards kicked, busy and stop. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "sqlite_impl.h"

struct sc_ckpt {
	sqlite3 *db;                 /* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* kicked or stop set; busy cleared */
	bool kicked;                 /* a commit is waiting to be copied */
	bool busy;                   /* a checkpoint is running */
	bool stop;
};

static void *ckpt_main(void *arg)
{
	struct sc_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->kicked && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->kicked = false;
		c->busy = true;
		pthread_mutex_unlock(&c->mu);
		/* SQLITE_BUSY (another checkpoint runs) and I/O errors leave
		 * the frames in the WAL, where the next checkpoint (or the
		 * writer's own) copies them: nothing to report here */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->busy = false;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct sc_ckpt *sc_lite_ckpt_start(const char *path)
{
	struct sc_ckpt *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    /* a first read, which finds the WAL: until then a checkpoint
	     * takes the database for one in rollback mode and does nothing */
	    sqlite3_exec(c->db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_db;
	if (pthread_mutex_init(&c->mu, NULL))
		goto fail_db;
	if (pthread_cond_init(&c->cv, NULL))
		goto fail_mu;
	if (pthread_create(&c->thread, NULL, ckpt_main, c))
		goto fail_cv;
	return c;
fail_cv:
	pthread_cond_destroy(&c->cv);
fail_mu:
	pthread_mutex_destroy(&c->mu);
fail_db:
	sqlite3_close(c->db); /* NULL or a failed open: both allowed */
	free(c);
	return NULL;
}

void sc_lite_ckpt_kick(struct sc_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	c->kicked = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void sc_lite_ckpt_wait(struct sc_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->busy || c->kicked)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

bool sc_lite_ckpt_due(int frames, int last_commit, int page_size)
{
	/* at least SC_LIMIT_INGEST_WAL_MIB, and four commits of the size of the
	 * last, so three of every four are copied off the writer's thread */
	int64_t bound = (int64_t)SC_LIMIT_INGEST_WAL_MIB * 1024 * 1024 / (page_size > 0 ? page_size : 4096);

	if (bound < 4 * (int64_t)last_commit)
		bound = 4 * (int64_t)last_commit;
	return frames >= bound;
}

void sc_lite_ckpt_stop(struct sc_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
}
