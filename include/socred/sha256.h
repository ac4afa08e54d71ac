/* socred: SHA-256, for the audit chain, API key checks and rulebook
 * digests. OpenSSL's libcrypto: its SHA-NI and AVX2 code hashes an audit
 * entry in a third of libsodium's time, and both run on every request. */
#ifndef SOCRED_SHA256_H
#define SOCRED_SHA256_H

#include <stddef.h>

#define SC_SHA256_BYTES 32

/* A piece of a message. */
struct sc_bytes {
	const void *p;
	size_t n;
};

/* out = SHA-256 of the n parts, in order, as one message. Thread-safe. */
void sc_sha256_parts(const struct sc_bytes *parts, size_t n,
		     unsigned char out[SC_SHA256_BYTES]);
/* out = SHA-256 of p[0..n). */
void sc_sha256(const void *p, size_t n, unsigned char out[SC_SHA256_BYTES]);

#endif
