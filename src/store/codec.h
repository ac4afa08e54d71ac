/* Growable byte buffers and LEB128 varints, for the SQLite backend's
 * blob formats (the audit log's blocks, the records' subject index).
 * Not used outside src/store/. */
#ifndef SOCRED_STORE_CODEC_H
#define SOCRED_STORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/arena.h"

/* Owns p (free it); len bytes used of cap. */
struct sc_buf {
	unsigned char *p;
	size_t len, cap;
};

/* Room for `more` bytes past len; false when out of memory (b unchanged). */
static inline bool sc_buf_room(struct sc_buf *b, size_t more)
{
	return sc_grow((void **)&b->p, &b->cap, b->len + more, 1);
}

/* Appends v; the caller made room for 10 bytes. */
static inline void sc_buf_varint(struct sc_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->p[b->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (unsigned char)v;
}

/* Reads a varint at *p, before end; false when it runs past end or 64 bits. */
static inline bool sc_varint_get(const unsigned char **p, const unsigned char *end,
				 uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

#endif
