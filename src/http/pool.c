/* A fixed pool of ledger connections: SQLite handles are used by one thread
 * at a time, so a request borrows one for the time of its handler. A
 * connection found lost (a PostgreSQL server restarted or failed over) is
 * replaced when it is next lent out; when the ledger is still out of
 * reach, the lost one is lent and the request fails as it would have. */
#include <stdlib.h>

#include "http.h"

enum sc_status sc_pool_init(struct sc_pool *p, const char *db, size_t size,
			    struct sc_diag *d)
{
	enum sc_status st;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->free = calloc(size, sizeof(*p->free));
	p->size = size;
	p->nfree = 0;
	p->db = db;
	if (!p->free)
		return SC_ENOMEM;
	for (size_t i = 0; i < size; i++) {
		if ((st = sc_store_open(db, 0, &p->free[i], d)))
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
		if (!sc_store_open(p->db, 0, &again, NULL)) {
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
