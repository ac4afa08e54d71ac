/* The per-address limiter (src/http/ratelimit.c): buckets refill at the
 * rate up to the burst; an IPv6 client is its /64; the table's memory is
 * fixed, a set takes over a refilled bucket before a drained one; threads
 * together never take more than the bucket holds. Times are given, not
 * read from a clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>

#include "http/ratelimit.h"

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return ss;
}

static bool take(struct sc_ratelimit *rl, const char *text, double now, unsigned *wait)
{
	struct sockaddr_storage ss = addr(text);
	unsigned w = 0;
	bool ok = sc_ratelimit_take(rl, (struct sockaddr *)&ss, now, &w);

	if (wait)
		*wait = w;
	return ok;
}

static void burst_then_rate(void **state)
{
	struct sc_ratelimit *rl = sc_ratelimit_new(2, 3, 64);
	unsigned wait;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 3; i++)
		assert_true(take(rl, "192.0.2.1", 100, NULL));
	assert_false(take(rl, "192.0.2.1", 100, &wait));
	assert_int_equal(wait, 1);
	/* half a second at 2 a second: one more */
	assert_true(take(rl, "192.0.2.1", 100.5, NULL));
	assert_false(take(rl, "192.0.2.1", 100.5, NULL));
	/* never more than the burst, however long the wait */
	for (int i = 0; i < 3; i++)
		assert_true(take(rl, "192.0.2.1", 10000, NULL));
	assert_false(take(rl, "192.0.2.1", 10000, NULL));
	/* another address is another bucket */
	assert_true(take(rl, "192.0.2.2", 10000, NULL));
	/* a time earlier than the last (another thread's) refills nothing */
	assert_false(take(rl, "192.0.2.1", 9000, NULL));
	sc_ratelimit_free(rl);
	/* a slow rate: the wait in whole seconds */
	rl = sc_ratelimit_new(0.1, 1, 64);
	assert_true(take(rl, "192.0.2.1", 0, NULL));
	assert_false(take(rl, "192.0.2.1", 1, &wait));
	assert_int_equal(wait, 9);
	sc_ratelimit_free(rl);
	assert_null(sc_ratelimit_new(0, 3, 64));
	assert_null(sc_ratelimit_new(1, 0.5, 64));
	sc_ratelimit_free(NULL);
}

static void ipv6_by_64_and_mapped_ipv4(void **state)
{
	struct sc_ratelimit *rl = sc_ratelimit_new(0.001, 2, 64);

	(void)state;
	assert_true(take(rl, "2001:db8:1:2::1", 0, NULL));
	assert_true(take(rl, "2001:db8:1:2:ffff:ffff:ffff:ffff", 0, NULL));
	assert_false(take(rl, "2001:db8:1:2:abcd::9", 0, NULL));
	assert_true(take(rl, "2001:db8:1:3::1", 0, NULL));
	/* an IPv4-mapped address is its IPv4 address */
	assert_true(take(rl, "198.51.100.7", 0, NULL));
	assert_true(take(rl, "::ffff:198.51.100.7", 0, NULL));
	assert_false(take(rl, "198.51.100.7", 0, NULL));
	assert_true(take(rl, "::ffff:198.51.100.8", 0, NULL));
	/* no address: one shared bucket */
	assert_true(sc_ratelimit_take(rl, NULL, 0, &(unsigned){0}));
	assert_true(sc_ratelimit_take(rl, NULL, 0, &(unsigned){0}));
	assert_false(sc_ratelimit_take(rl, NULL, 0, &(unsigned){0}));
	sc_ratelimit_free(rl);
}

/* One set of 8 buckets: a flood of new addresses takes over the refilled
 * buckets, not a drained one, until none is refilled. */
static void fixed_table_keeps_drained_buckets(void **state)
{
	struct sc_ratelimit *rl = sc_ratelimit_new(0.001, 2, 8);
	char a[32];

	(void)state;
	for (int i = 0; i < 7; i++) {
		snprintf(a, sizeof(a), "10.0.0.%d", i + 1);
		assert_true(take(rl, a, 0, NULL));
	}
	assert_true(take(rl, "192.0.2.1", 1000, NULL));
	assert_true(take(rl, "192.0.2.1", 1000, NULL));
	/* the 7 have refilled by 1000; each newcomer takes one of theirs */
	for (int i = 0; i < 7; i++) {
		snprintf(a, sizeof(a), "10.0.1.%d", i + 1);
		assert_true(take(rl, a, 1000, NULL));
	}
	assert_int_equal(sc_ratelimit_evictions(rl), 0);
	assert_false(take(rl, "192.0.2.1", 1000, NULL));
	/* 100,000 addresses later the table is the same size; the oldest
	 * buckets were taken over, each counted */
	for (int i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		take(rl, a, 1001, NULL);
	}
	assert_true(sc_ratelimit_evictions(rl) >= 99000);
	sc_ratelimit_free(rl);
}

struct hammer {
	struct sc_ratelimit *rl;
	int allowed;
};

static void *hammer(void *p)
{
	struct hammer *h = p;

	for (int i = 0; i < 5000; i++)
		if (take(h->rl, "203.0.113.5", 50, NULL))
			h->allowed++;
	return NULL;
}

static void threads_share_a_bucket(void **state)
{
	struct sc_ratelimit *rl = sc_ratelimit_new(0.001, 100, 1024);
	struct hammer h[4];
	pthread_t t[4];
	int total = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){rl, 0};
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += h[i].allowed;
	}
	assert_int_equal(total, 100);
	sc_ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(ipv6_by_64_and_mapped_ipv4),
		cmocka_unit_test(fixed_table_keeps_drained_buckets),
		cmocka_unit_test(threads_share_a_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
