/* Commit notifications (sc_store_listen, sc_store_notified): a listening
 * connection is told of every committed write by another connection, with
 * its commit sequence number, never of a rolled-back one; a listening
 * connection that is cut off says so. A backend without notifications
 * (SQLite) refuses to listen. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "conf.h"
#include "socred/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Notifications until at least one came (bound: 10 s): how many, and the
 * highest sequence number. */
static uint64_t wait_told(struct sc_store *st, int fd, int64_t *seq)
{
	double end = now_s() + 10;
	uint64_t n = 0;
	struct sc_diag d;

	while (!n && now_s() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, 100);
		assert_int_equal(sc_store_notified(st, &n, seq, &d), SC_OK);
	}
	return n;
}

static void write_commit(struct sc_store *st)
{
	struct sc_diag d;

	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
}

static void told_of_commits(void **state)
{
	(void)state;
	for (enum conf_backend b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *w = NULL, *l = NULL;
		struct sc_diag d;
		int64_t seq = 0, first;
		uint64_t n = 0;
		int fd = -1;

		if (!conf_enabled(b))
			continue;
		assert_int_equal(conf_fresh(b, path, sizeof(path)), 0);
		assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &w, &d), SC_OK);
		assert_int_equal(sc_store_open(path, 0, &l, &d), SC_OK);
		if (b == CONF_SQLITE) {
			assert_int_equal(sc_store_listen(l, &fd, &d), SC_EREFUSED);
			goto next;
		}
		assert_int_equal(sc_store_listen(l, &fd, &d), SC_OK);
		assert_true(fd >= 0);
		assert_int_equal(sc_store_notified(l, &n, &seq, &d), SC_OK);
		assert_int_equal(n, 0);
		write_commit(w);
		assert_int_equal(wait_told(l, fd, &seq), 1);
		assert_true(seq > 0);
		first = seq;
		/* a rolled-back write is never told, nor takes a number */
		assert_int_equal(sc_store_begin(w, &d), SC_OK);
		sc_store_rollback(w);
		write_commit(w);
		assert_int_equal(wait_told(l, fd, &seq), 1);
		assert_int_equal(seq, first + 1);
		/* two commits before a look: both told, the later number */
		write_commit(w);
		write_commit(w);
		n = wait_told(l, fd, &seq);
		if (n == 1) { /* the second may come a moment later */
			int64_t more = 0;
			n += wait_told(l, fd, &more);
			seq = more;
		}
		assert_int_equal(n, 2);
		assert_int_equal(seq, first + 3);
	next:
		sc_store_close(l);
		sc_store_close(w);
		conf_drop(b, path);
	}
}

static void cut_off_says_so(void **state)
{
	char path[512], sql[640];
	struct sc_store *l = NULL;
	struct sc_diag d;
	double end;
	enum sc_status st = SC_OK;
	int fd = -1;

	(void)state;
	if (!conf_enabled(CONF_PG))
		return;
	assert_int_equal(conf_fresh(CONF_PG, path, sizeof(path)), 0);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &l, &d), SC_OK);
	assert_int_equal(sc_store_listen(l, &fd, &d), SC_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		 " WHERE datname = '%s' AND query LIKE 'LISTEN%%'", strrchr(path, '/') + 1);
	assert_int_equal(conf_admin(sql), 0);
	for (end = now_s() + 10; st == SC_OK && now_s() < end;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t n;
		int64_t seq;
		poll(&p, 1, 100);
		st = sc_store_notified(l, &n, &seq, &d);
	}
	assert_int_equal(st, SC_ESTORE);
	sc_store_close(l);
	conf_drop(CONF_PG, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(told_of_commits),
		cmocka_unit_test(cut_off_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
