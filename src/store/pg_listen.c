/* A PostgreSQL connection seen from outside: whether it still stands, and
 * commit notifications. Every write transaction notifies the
 * channel socred_changes with its commit sequence number as it commits
 * (pq_commit), and PostgreSQL delivers a notification only once its
 * transaction is visible. A listening connection sits idle between
 * notifications; its socket shows when one may have come. */
#include <poll.h>
#include <stdlib.h>

#include "pg_impl.h"

enum sc_status sc_pq_listen(void *impl, int *fd, struct sc_diag *d)
{
	struct pq *p = impl;
	enum sc_status st;
	int s;

	if (p->in_txn)
		return sc_diag_set(d, SC_ESTATE, p->where, 0, 0, NULL,
				   "cannot listen inside a transaction");
	if ((st = sc_pq_exec(p, "LISTEN socred_changes", d)))
		return st;
	if ((s = PQsocket(p->c)) < 0)
		return sc_pq_err(p, NULL, d, "cannot listen for commits");
	*fd = s;
	return SC_OK;
}

/* libpq learns that the server closed a connection only when it next
 * reads from it, so a pool would lend a dead connection once after every
 * restart or failover. An idle connection has nothing to read unless the
 * server sent something unasked: a notification (on a listening
 * connection, which PQnotifies then returns) or the end of the session,
 * which reading it here reveals. */
bool sc_pq_connected(void *impl)
{
	struct pq *p = impl;
	struct pollfd pf = {.fd = PQsocket(p->c), .events = POLLIN};

	if (PQstatus(p->c) != CONNECTION_OK || pf.fd < 0)
		return false;
	if (p->in_txn || PQtransactionStatus(p->c) != PQTRANS_IDLE || poll(&pf, 1, 0) <= 0)
		return true;
	if (!PQconsumeInput(p->c) || PQstatus(p->c) != CONNECTION_OK)
		return false;
	/* an error the server sent as it ended the session, unasked */
	if (!PQisBusy(p->c)) {
		PGresult *r = PQgetResult(p->c);
		if (r) {
			PQclear(r);
			while ((r = PQgetResult(p->c)))
				PQclear(r);
			return false;
		}
	}
	return PQstatus(p->c) == CONNECTION_OK;
}

enum sc_status sc_pq_notified(void *impl, uint64_t *n, int64_t *seq, struct sc_diag *d)
{
	struct pq *p = impl;
	PGnotify *nf;
	uint64_t count = 0;
	int64_t top = 0;

	/* reads what the socket holds; 0 when the connection broke */
	if (!PQconsumeInput(p->c) || PQstatus(p->c) != CONNECTION_OK)
		return sc_pq_err(p, NULL, d, "lost the connection listening for commits");
	while ((nf = PQnotifies(p->c))) {
		int64_t v = strtoll(nf->extra, NULL, 10);
		if (v > top)
			top = v;
		count++;
		PQfreemem(nf);
	}
	*n = count;
	*seq = top;
	return SC_OK;
}
