/* Per client address token buckets: the limit on keyless requests (see
 * ratelimit.c). Not installed. */
#ifndef SOCRED_RATELIMIT_H
#define SOCRED_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Buckets a limiter keeps, by default: its memory is fixed at creation
 * (45 bytes a bucket), whatever the number of addresses seen. */
#define SC_RATELIMIT_BUCKETS 65536

struct sc_ratelimit;

/* A limiter of `rate` requests a second (> 0) per client address, with
 * buckets of `burst` requests (>= 1), keeping `buckets` of them (rounded up
 * to a power of two, at least 8). Thread-safe. NULL: out of memory. Free
 * with sc_ratelimit_free. */
struct sc_ratelimit *sc_ratelimit_new(double rate, double burst, size_t buckets);
/* rl may be NULL. */
void sc_ratelimit_free(struct sc_ratelimit *rl);
/* Takes a request from the bucket of addr's client at `now` (seconds, any
 * monotonic origin): an IPv4 address, or an IPv6 address's /64 (an
 * IPv4-mapped one counts as its IPv4 address); NULL or another family
 * shares one bucket. true: allowed. false: over the limit; *retry_after
 * is the whole seconds (>= 1) until the bucket holds a request again. */
bool sc_ratelimit_take(struct sc_ratelimit *rl, const struct sockaddr *addr,
		       double now, unsigned *retry_after);
/* Buckets taken over from another address since creation (a full set). */
unsigned long sc_ratelimit_evictions(const struct sc_ratelimit *rl);

#endif
