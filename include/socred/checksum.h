/* socred: checksums of the files socred derives from the ledger (the
 * decision snapshot, the population image). A file's body is cut into
 * blocks of SC_SUM_BLOCK bytes, each with its CRC-32 (zlib's), kept in a
 * table at the end of the file; the header carries the CRC-32 of itself
 * and of that table. A reader checks the header, the table and every block
 * before it uses a byte of the file, so a damaged file is refused, never
 * read: a random change of any length is missed with odds of 2^-32. */
#ifndef SOCRED_CHECKSUM_H
#define SOCRED_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_SUM_BLOCK (256u << 10)

/* CRC-32 of p[0..n), continuing from crc (0 to start). */
uint32_t sc_crc32(uint32_t crc, const void *p, size_t n);

/* The block sums of a body being written, fed in order in pieces of any
 * size. Zero-initialise; free with sc_sum_release. */
struct sc_sum {
	uint32_t crc;    /* of the block being filled */
	uint64_t fill;   /* its bytes so far */
	uint64_t len;    /* the body's bytes so far */
	uint32_t *sums;  /* one per finished block */
	size_t n, cap;
	bool nomem;
};
void sc_sum_feed(struct sc_sum *s, const void *p, size_t n);
/* Ends the body: the last, partial block gets its sum. false: out of
 * memory at some point (the sums are incomplete). */
bool sc_sum_end(struct sc_sum *s);
void sc_sum_release(struct sc_sum *s);

/* How many blocks a body of len bytes has. */
uint64_t sc_sum_blocks(uint64_t len);
/* Whether body[0..len) matches sums[sc_sum_blocks(len)]. */
bool sc_sum_check(const unsigned char *body, uint64_t len, const uint32_t *sums);

#endif
