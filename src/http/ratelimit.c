/* Token buckets per client address, in a table of fixed size: memory does
 * not grow with the addresses an attacker can use. The table is
 * set-associative: an address's keyed hash (SipHash, with a key drawn at
 * creation, so no one can aim addresses at one set) picks a set of WAYS
 * buckets under one lock; a new address takes a free bucket of its set,
 * else one that has filled up again (forgetting it changes nothing), else
 * the one used longest ago. A client whose drained bucket is taken over
 * starts again with a full one: that needs WAYS other addresses hashed to
 * its set in the meantime, each limited in turn. */
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimit.h"

#define WAYS 8

struct bucket {
	unsigned char addr[16]; /* IPv6 form; an IPv6 address's /64 */
	bool used;
	double tokens, last;
};

struct set {
	pthread_mutex_t mu;
	struct bucket b[WAYS];
};

struct sc_ratelimit {
	double rate, burst;
	size_t nsets; /* a power of two */
	unsigned char key[crypto_shorthash_KEYBYTES];
	atomic_ulong evictions;
	struct set sets[];
};

struct sc_ratelimit *sc_ratelimit_new(double rate, double burst, size_t buckets)
{
	struct sc_ratelimit *rl;
	size_t nsets = 1;

	if (!(rate > 0) || !(burst >= 1) || sodium_init() < 0)
		return NULL;
	while (nsets * WAYS < buckets)
		nsets *= 2;
	if (!(rl = calloc(1, sizeof(*rl) + nsets * sizeof(struct set))))
		return NULL;
	rl->rate = rate;
	rl->burst = burst;
	rl->nsets = nsets;
	randombytes_buf(rl->key, sizeof(rl->key));
	for (size_t i = 0; i < nsets; i++)
		pthread_mutex_init(&rl->sets[i].mu, NULL);
	return rl;
}

void sc_ratelimit_free(struct sc_ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->nsets; i++)
		pthread_mutex_destroy(&rl->sets[i].mu);
	free(rl);
}

unsigned long sc_ratelimit_evictions(const struct sc_ratelimit *rl)
{
	return rl ? atomic_load(&rl->evictions) : 0;
}

/* The client's key: IPv4 as IPv4-mapped IPv6, IPv6 to its /64. */
static void client_key(const struct sockaddr *sa, unsigned char out[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		memcpy(out, mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		memcpy(out, a, !memcmp(a, mapped, 12) ? 16 : 8);
	}
}

/* The bucket for addr in set s (locked): found, or taken over. */
static struct bucket *bucket_of(struct sc_ratelimit *rl, struct set *s,
				const unsigned char addr[16], double now)
{
	struct bucket *free_b = NULL, *full = NULL, *oldest = NULL, *b;

	for (int i = 0; i < WAYS; i++) {
		b = &s->b[i];
		if (!b->used) {
			if (!free_b)
				free_b = b;
			continue;
		}
		if (!memcmp(b->addr, addr, 16))
			return b;
		if (!full && b->tokens + (now - b->last) * rl->rate >= rl->burst)
			full = b;
		if (!oldest || b->last < oldest->last)
			oldest = b;
	}
	b = free_b ? free_b : full ? full : oldest;
	if (!free_b && !full)
		atomic_fetch_add(&rl->evictions, 1);
	memcpy(b->addr, addr, 16);
	b->used = true;
	b->tokens = rl->burst;
	b->last = now;
	return b;
}

bool sc_ratelimit_take(struct sc_ratelimit *rl, const struct sockaddr *addr,
		       double now, unsigned *retry_after)
{
	unsigned char key[16], h[crypto_shorthash_BYTES];
	uint64_t hv;
	struct set *s;
	struct bucket *b;
	bool ok;

	client_key(addr, key);
	crypto_shorthash(h, key, sizeof(key), rl->key);
	memcpy(&hv, h, sizeof(hv));
	s = &rl->sets[hv & (rl->nsets - 1)];
	pthread_mutex_lock(&s->mu);
	b = bucket_of(rl, s, key, now);
	if (now > b->last)
		b->tokens = fmin(rl->burst, b->tokens + (now - b->last) * rl->rate);
	b->last = fmax(b->last, now);
	ok = b->tokens >= 1;
	if (ok) {
		b->tokens -= 1;
	} else {
		double wait = ceil((1 - b->tokens) / rl->rate);
		*retry_after = wait < 1 ? 1 : wait > 86400 ? 86400 : (unsigned)wait;
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}
