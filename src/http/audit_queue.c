/* The audit writer: requests push entries; one thread appends them in
 * batches (one transaction per batch, gathered for 20 ms at most), chaining
 * each entry's hash to the one before. A write waits for its entries to be
 * committed before it is answered (sc_audit_queue_wait), and the writer
 * stops gathering while one waits; a read's entry is committed within a
 * batch's gathering and writing. Refusals of requests without a valid key
 * are counted per client and minute and written as one entry each when
 * the minute is over. Stopping flushes what is queued and counted. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "http.h"

#define AUDIT_QUEUE_MAX 65536 /* entries waiting; beyond, pushes wait */
#define AUDIT_BUSY_TRIES 12   /* of 5 s each, for the ledger's write lock */
#define AUDIT_GATHER_MS 20    /* a batch gathers at most this long */

static void deadline_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static int64_t minute_now(void)
{
	return (int64_t)time(NULL) / 60;
}

/* ---- queueing (q->mu held) ---- */

/* it into the queue; false when there is no memory for it. A request
 * waits while the queue is full; the refusals' summaries never do (the
 * writer itself writes them, and they are bounded: a few thousand a
 * minute), they go beyond the bound instead. */
static bool enqueue(struct sc_audit_queue *q, const struct sc_audit_item *it, bool may_wait)
{
	while (may_wait && q->n >= AUDIT_QUEUE_MAX && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->n == q->cap) {
		void *p = realloc(q->items, 2 * q->cap * sizeof(*q->items));
		if (!p) {
			q->failed++;
			return false;
		}
		q->items = p;
		q->cap *= 2;
	}
	q->items[q->n++] = *it;
	q->pushed++;
	pthread_cond_signal(&q->cv);
	return true;
}

static void item_fill(struct sc_audit_item *it, const char *action, const char *subject,
		      const char *result)
{
	sc_time_now_iso(it->at);
	sc_audit_field(it->action, sizeof(it->action), action, strlen(action));
	sc_audit_field(it->subject, sizeof(it->subject), subject, strlen(subject));
	sc_audit_field(it->result, sizeof(it->result), result, strlen(result));
}

/* ---- refusals per client and minute ---- */

struct summary {
	struct sc_audit_queue *q;
	char minute[24];
};

static void summary_entry(void *ctx, const char *addr, uint64_t n)
{
	struct summary *s = ctx;
	struct sc_audit_item it = {.key_id = 0, .role = SC_ROLE_PUBLIC};
	char action[96], result[128];

	snprintf(action, sizeof(action), "refused without a valid key, from %s",
		 addr ? addr : "other clients");
	snprintf(result, sizeof(result), "401 x %llu in the minute from %s", (unsigned long long)n,
		 s->minute);
	item_fill(&it, action, "", result);
	pthread_mutex_lock(&s->q->mu);
	enqueue(s->q, &it, false);
	pthread_mutex_unlock(&s->q->mu);
}

/* The counts of a minute before `now` (all: also of this one) into the
 * queue as entries, and the table cleared. q->rmu held, q->mu not. */
static void refusals_flush(struct sc_audit_queue *q, int64_t now, bool all)
{
	struct summary s = {.q = q};
	time_t t = (time_t)(q->minute * 60);
	struct tm tm;

	if (!q->refused || (!all && q->minute == now) || (!q->refused->used && !q->refused->other))
		return;
	gmtime_r(&t, &tm);
	strftime(s.minute, sizeof(s.minute), "%Y-%m-%dT%H:%MZ", &tm);
	sc_refusals_each(q->refused, summary_entry, &s);
	sc_refusals_clear(q->refused);
}

void sc_audit_queue_refused(struct sc_audit_queue *q, const struct sc_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "unknown";
	int64_t now = minute_now();

	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  addr, sizeof(addr));
	}
	atomic_fetch_add(&q->refusals, 1);
	pthread_mutex_lock(&q->rmu);
	if (q->refused) {
		if (q->minute != now) {
			refusals_flush(q, now, false);
			q->minute = now;
		}
		sc_refusals_add(q->refused, addr);
	}
	pthread_mutex_unlock(&q->rmu);
}

/* ---- the writer ---- */

/* The batch of the next n entries (q->done + 1 .. q->done + n) was not
 * written: its range is kept for the waiters (q->mu held). */
static void batch_failed(struct sc_audit_queue *q, size_t n)
{
	unsigned i = (unsigned)(q->batches_failed % SC_AUDIT_FAILS_KEPT);

	q->fail_lo[i] = q->done + 1;
	q->fail_hi[i] = q->done + n;
	q->failed += n;
	q->done += n;
	q->batches_failed++;
	pthread_cond_broadcast(&q->done_cv);
}

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
		while (q->n == 0 && !q->stop) {
			/* wakes each second to write the counts of a minute past */
			deadline_ms(&ts, 1000);
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			if (q->n == 0 && !q->stop) {
				pthread_mutex_unlock(&q->mu);
				pthread_mutex_lock(&q->rmu);
				refusals_flush(q, minute_now(), false);
				pthread_mutex_unlock(&q->rmu);
				pthread_mutex_lock(&q->mu);
			}
		}
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
				q->n = 0;
				batch_failed(q, n);
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
				pthread_mutex_lock(&q->mu);
				batch_failed(q, n);
				pthread_mutex_unlock(&q->mu);
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
			if (s && !sc_store_connected(q->st)) {
				/* the connection was lost: the next batch goes
				 * through a new one (this batch has failed) */
				struct sc_store *again = NULL;
				if (!sc_store_open(q->db, SC_STORE_LEAN, &again, NULL) &&
				    !sc_store_audit_chain(again, q->node, NULL)) {
					sc_store_close(q->st);
					q->st = again;
				} else {
					sc_store_close(again);
				}
			}
			pthread_mutex_lock(&q->mu);
			if (s) {
				batch_failed(q, n);
			} else {
				q->written += n;
				q->done += n;
				pthread_cond_broadcast(&q->done_cv);
			}
		}
		/* let a batch gather, unless a write waits for its entry */
		if (!q->stop && !q->waiting) {
			deadline_ms(&ts, AUDIT_GATHER_MS);
			pthread_cond_timedwait(&q->hurry, &q->mu, &ts);
		}
		pthread_mutex_unlock(&q->mu);
	}
	free(batch);
	free(e);
	return NULL;
}

enum sc_status sc_audit_queue_start(struct sc_audit_queue *q, const char *db, const char *name,
				    struct sc_diag *d)
{
	enum sc_status st;

	pthread_mutex_init(&q->mu, NULL);
	pthread_mutex_init(&q->rmu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_cond_init(&q->done_cv, NULL);
	pthread_cond_init(&q->hurry, NULL);
	q->cap = 1024;
	q->items = malloc(q->cap * sizeof(*q->items));
	q->refused = calloc(1, sizeof(*q->refused));
	q->minute = minute_now();
	if (!q->items || !q->refused)
		return SC_ENOMEM;
	q->db = db;
	if ((st = sc_store_open(db, SC_STORE_LEAN, &q->st, d)))
		return st;
	/* a chain of its own: the nodes sharing a ledger append side by side */
	if ((st = sc_store_audit_node(q->st, name, &q->node, d))) {
		sc_store_close(q->st);
		q->st = NULL;
		return st;
	}
	if (pthread_create(&q->writer, NULL, writer, q)) {
		sc_store_close(q->st);
		q->st = NULL;
		return sc_diag_set(d, SC_ENOMEM, NULL, 0, 0, NULL, "cannot start the audit writer");
	}
	return SC_OK;
}

uint64_t sc_audit_queue_push(struct sc_audit_queue *q, const struct sc_req *r,
			     const char *action, const char *subject,
			     const char *result)
{
	struct sc_audit_item item;
	uint64_t ticket = 0;

	/* everything but the copy outside the lock */
	item.key_id = r->key.id;
	item.role = r->role;
	item_fill(&item, action, subject ? subject : "", result);
	pthread_mutex_lock(&q->mu);
	if (enqueue(q, &item, true))
		ticket = q->pushed;
	pthread_mutex_unlock(&q->mu);
	return ticket;
}

bool sc_audit_queue_wait(struct sc_audit_queue *q, uint64_t ticket)
{
	bool ok = true;
	uint64_t kept;

	if (!ticket)
		return false;
	pthread_mutex_lock(&q->mu);
	q->waiting++;
	pthread_cond_signal(&q->hurry);
	while (q->done < ticket)
		pthread_cond_wait(&q->done_cv, &q->mu);
	q->waiting--;
	/* was the entry in a failed batch (whenever it failed)? Only the last
	 * SC_AUDIT_FAILS_KEPT are kept: a ticket older than all of them, with
	 * more failed than kept, counts as failed */
	kept = q->batches_failed < SC_AUDIT_FAILS_KEPT ? q->batches_failed : SC_AUDIT_FAILS_KEPT;
	for (uint64_t k = 0; ok && k < kept; k++) {
		unsigned i = (unsigned)((q->batches_failed - 1 - k) % SC_AUDIT_FAILS_KEPT);
		if (ticket >= q->fail_lo[i] && ticket <= q->fail_hi[i])
			ok = false;
		else if (k == kept - 1 && q->batches_failed > kept && ticket < q->fail_lo[i])
			ok = false;
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

void sc_audit_queue_stop(struct sc_audit_queue *q)
{
	if (!q->items)
		return;
	if (q->st) {
		pthread_mutex_lock(&q->rmu);
		refusals_flush(q, minute_now(), true);
		pthread_mutex_unlock(&q->rmu);
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_cond_broadcast(&q->hurry);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->writer, NULL);
		sc_store_close(q->st);
	}
	free(q->items);
	q->items = NULL;
	free(q->refused);
	q->refused = NULL;
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->done_cv);
	pthread_cond_destroy(&q->hurry);
	pthread_mutex_destroy(&q->mu);
	pthread_mutex_destroy(&q->rmu);
}
