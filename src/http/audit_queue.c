/* The audit writer: requests push entries; one thread appends them in
 * batches (one transaction per batch, every 20 ms at most), chaining each
 * entry's hash to the one before. Stopping flushes what is queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#define AUDIT_QUEUE_MAX 65536 /* entries waiting; beyond, pushes wait */
#define AUDIT_BUSY_TRIES 12   /* of 5 s each, for the ledger's write lock */

static void *writer(void *arg)
{
	struct sc_audit_queue *q = arg;
	struct sc_audit_item *batch = NULL;
	struct sc_audit_entry *e = NULL;
	size_t bcap = 0, ecap = 0;

	for (;;) {
		size_t n;
		struct timespec ts;
		pthread_mutex_lock(&q->mu);
		while (q->n == 0 && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->n == 0 && q->stop) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		/* take the queue's buffer whole and leave it the spare one: no
		 * copy while requests wait for the lock */
		{
			struct sc_audit_item *full = q->items;
			size_t fcap = q->cap;
			n = q->n;
			if (batch) {
				q->items = batch;
				q->cap = bcap;
			} else if ((q->items = malloc(1024 * sizeof(*q->items)))) {
				q->cap = 1024;
			} else {
				q->items = full; /* no spare: drop this batch, keep the buffer */
				q->failed += n;
				q->n = 0;
				pthread_cond_broadcast(&q->cv);
				pthread_mutex_unlock(&q->mu);
				continue;
			}
			batch = full;
			bcap = fcap;
		}
		q->n = 0;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (n > ecap) {
			void *ne = realloc(e, n * sizeof(*e));
			if (!ne) {
				q->failed += n;
				continue;
			}
			e = ne;
			ecap = n;
		}
		for (size_t i = 0; i < n; i++)
			e[i] = (struct sc_audit_entry){
				.at = batch[i].at, .key_id = batch[i].key_id,
				.role = batch[i].role, .action = batch[i].action,
				.subject = batch[i].subject, .result = batch[i].result};
		/* another connection (an ingest) kept the write lock past the
		 * wait: the batch is kept and tried again, for a minute at
		 * most; requests go on queueing meanwhile */
		{
			enum sc_status s;
			int tries = 0;
			while ((s = sc_store_audit_append(q->st, e, n, NULL)) == SC_EBUSY &&
			       ++tries < AUDIT_BUSY_TRIES)
				;
			if (s)
				q->failed += n;
			else
				q->written += n;
		}
		/* let a batch gather */
		ts.tv_sec = 0;
		ts.tv_nsec = 20 * 1000 * 1000;
		if (!q->stop)
			nanosleep(&ts, NULL);
	}
	free(batch);
	free(e);
	return NULL;
}

enum sc_status sc_audit_queue_start(struct sc_audit_queue *q, const char *db,
				    struct sc_diag *d)
{
	enum sc_status st;

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->cap = 1024;
	q->items = malloc(q->cap * sizeof(*q->items));
	if (!q->items)
		return SC_ENOMEM;
	if ((st = sc_store_open(db, SC_STORE_LEAN, &q->st, d)))
		return st;
	if (pthread_create(&q->writer, NULL, writer, q)) {
		sc_store_close(q->st);
		q->st = NULL;
		return sc_diag_set(d, SC_ENOMEM, NULL, 0, 0, NULL, "cannot start the audit writer");
	}
	return SC_OK;
}

/* s into dst[size], cut to fit, NUL-terminated */
static void copy(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

void sc_audit_queue_push(struct sc_audit_queue *q, const struct sc_req *r,
			 const char *action, const char *subject,
			 const char *result)
{
	struct sc_audit_item item, *it;

	/* everything but the copy outside the lock */
	sc_time_now_iso(item.at);
	item.key_id = r->key.id;
	item.role = r->role;
	copy(item.action, sizeof(item.action), action);
	copy(item.subject, sizeof(item.subject), subject ? subject : "");
	copy(item.result, sizeof(item.result), result);
	pthread_mutex_lock(&q->mu);
	while (q->n >= AUDIT_QUEUE_MAX && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->n == q->cap) {
		void *p = realloc(q->items, 2 * q->cap * sizeof(*q->items));
		if (!p) {
			q->failed++;
			pthread_mutex_unlock(&q->mu);
			return;
		}
		q->items = p;
		q->cap *= 2;
	}
	it = &q->items[q->n++];
	*it = item;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void sc_audit_queue_stop(struct sc_audit_queue *q)
{
	if (!q->items)
		return;
	if (q->st) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->writer, NULL);
		sc_store_close(q->st);
	}
	free(q->items);
	q->items = NULL;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}
