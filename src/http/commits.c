/* Commits by other writers of the ledger, as this server learns of them.
 *
 * A SQLite ledger has a change counter every writer on the machine moves
 * (sc_store_change_count). A PostgreSQL ledger is written by nodes on other
 * machines: there a thread of the server listens on a connection of its
 * own (sc_store_listen) and moves `gen` at every commit it is told of.
 * While that connection is down (the primary failed over, say) the server
 * has no counter, and the decision snapshot looks at the ledger at every
 * check that finds its last look older than a few milliseconds; the
 * listener reconnects, and moves `gen` once it listens again, so what was
 * committed meanwhile is looked for. */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

#define RETRY_MS 250 /* between attempts to listen again */

/* A new connection listening, or NULL (*refused: the backend has no
 * notifications). */
static struct sc_store *listen_on(const char *db, int *fd, bool *refused)
{
	struct sc_store *st = NULL;
	struct sc_diag d;
	enum sc_status rc;

	*refused = false;
	if (sc_store_open(db, 0, &st, &d))
		return NULL;
	if ((rc = sc_store_listen(st, fd, &d))) {
		*refused = rc == SC_EREFUSED;
		sc_store_close(st);
		return NULL;
	}
	return st;
}

static void *listener(void *arg)
{
	struct sc_commits *c = arg;
	struct sc_store *st = c->st;
	int fd = c->fd;
	bool refused;

	c->st = NULL;
	for (;;) {
		struct pollfd p[2] = {{.fd = c->wake[0], .events = POLLIN},
				      {.fd = fd, .events = POLLIN}};
		uint64_t n = 0;
		int64_t seq = 0;

		if (poll(p, st ? 2 : 1, st ? -1 : RETRY_MS) < 0)
			continue;
		if (p[0].revents)
			break;
		if (!st) {
			if ((st = listen_on(c->db, &fd, &refused))) {
				atomic_store(&c->up, true);
				atomic_fetch_add(&c->gen, 1);
			}
			continue;
		}
		if (sc_store_notified(st, &n, &seq, NULL)) {
			atomic_store(&c->up, false);
			atomic_fetch_add(&c->lost, 1);
			sc_store_close(st);
			st = NULL;
			continue;
		}
		if (n) {
			atomic_fetch_add(&c->told, n);
			atomic_fetch_add(&c->gen, 1);
		}
	}
	atomic_store(&c->up, false);
	sc_store_close(st);
	return NULL;
}

enum sc_status sc_commits_start(struct sc_commits *c, const char *db, struct sc_diag *d)
{
	bool refused;

	memset(c, 0, sizeof(*c));
	snprintf(c->db, sizeof(c->db), "%s", db);
	/* listening before the first request is served; a ledger out of
	 * reach now is tried again by the thread */
	c->st = listen_on(db, &c->fd, &refused);
	if (refused)
		return SC_OK;
	atomic_init(&c->up, c->st != NULL);
	if (pipe(c->wake) != 0) {
		sc_store_close(c->st);
		return sc_diag_set(d, SC_EIO, NULL, 0, 0, NULL, "cannot make a pipe");
	}
	if (pthread_create(&c->thread, NULL, listener, c) != 0) {
		sc_store_close(c->st);
		close(c->wake[0]);
		close(c->wake[1]);
		return SC_ENOMEM;
	}
	c->started = true;
	return SC_OK;
}

void sc_commits_stop(struct sc_commits *c)
{
	if (!c->started)
		return;
	(void)!write(c->wake[1], "", 1);
	pthread_join(c->thread, NULL);
	close(c->wake[0]);
	close(c->wake[1]);
	c->started = false;
}

bool sc_part_change_count(struct sc_part *part, struct sc_store *st, uint64_t *n)
{
	if (sc_store_change_count(st, n))
		return true;
	if (!atomic_load(&part->commits.up))
		return false;
	*n = atomic_load(&part->commits.gen);
	return true;
}
