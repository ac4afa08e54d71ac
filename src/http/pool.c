/* A fixed pool of ledger connections: SQLite handles are used by one thread
 * at a time, so a request borrows one for the time of its handler. A
 * connection found lost (a PostgreSQL server restarted or failed over) is
 * replaced when it is next lent out; when the ledger is still out of
 * reach, the lost one is lent and the request fails as it would have. */
#include <stdlib.h>

#include "http.h"

/* A new connection working on the pool's audit chain. */
static enum sc_status pool_open(const struct sc_pool *p, struct sc_store **out,
				struct sc_diag *d)
{
	struct sc_store *st = NULL;
	enum sc_status rc;

	if ((rc = sc_store_open(p->db, 0, &st, d)))
		return rc;
	if (p->node && (rc = sc_store_audit_chain(st, p->node, d))) {
		sc_store_close(st);
		return rc;
	}
	*out = st;
	return SC_OK;
}

enum sc_status sc_pool_init(struct sc_pool *p, const char *db, int32_t node, size_t size,
			    struct sc_diag *d)
{
	enum sc_status st;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->free = calloc(size, sizeof(*p->free));
	p->size = size;
	p->nfree = 0;
	p->db = db;
	p->node = node;
	if (!p->free)
		return SC_ENOMEM;
	for (size_t i = 0; i < size; i++) {
		if ((st = pool_open(p, &p->free[i], d)))
			return st;
		p->nfree++;
	}
	return SC_OK;
}

struct sc_store *sc_pool_get(struct sc_pool *p)
{
	struct sc_store *st;

	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	st = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	if (!sc_store_connected(st)) {
		struct sc_store *again = NULL;
		if (!pool_open(p, &again, NULL)) {
			sc_store_close(st);
			st = again;
		}
	}
	return st;
}

void sc_pool_put(struct sc_pool *p, struct sc_store *st)
{
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void sc_pool_release(struct sc_pool *p)
{
	if (!p->free)
		return;
	for (size_t i = 0; i < p->nfree; i++)
		sc_store_close(p->free[i]);
	free(p->free);
	p->free = NULL;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}
