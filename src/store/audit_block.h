/* The audit log's block encoding, shared by the SQLite and PostgreSQL
 * backends: a batch of entries as one value, each entry's fields in turn,
 * every string as the length of the prefix it shares with the entry
 * before, the length of the rest and the rest (the key id a zigzag varint,
 * the role a byte). Consecutive checks share most of their stamp, action
 * and result, so an entry takes about 16 bytes. seq is implicit: the
 * block's first plus the entry's place in it. The subject indexes code
 * their sorted subjects the same way (sc_audit_block_put_str).
 * Not used outside src/store/. */
#ifndef SOCRED_AUDIT_BLOCK_H
#define SOCRED_AUDIT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "socred/store.h"

/* s after prev: false when out of memory */
bool sc_audit_block_put_str(struct sc_buf *b, const char *prev, const char *s);
/* e after prev (the block's first entry: after one of empty strings) */
bool sc_audit_block_put_entry(struct sc_buf *b, const struct sc_audit_entry *prev,
			      const struct sc_audit_entry *e);

struct sc_audit_field {
	char *s;
	size_t len, cap;
};

/* A block being read: its entries one by one. The strings handed out live
 * in the fields until the next entry. Zero it before the first start. */
struct sc_audit_dec {
	const unsigned char *p, *end;
	int64_t seq; /* of the entry last read */
	struct sc_audit_field f[4]; /* at, action, subject, result */
};

void sc_audit_dec_start(struct sc_audit_dec *x, int64_t first, const void *data, size_t len);
void sc_audit_dec_free(struct sc_audit_dec *x);
/* 1: the next entry in e (node 0); 0: the block's end; -1: damaged (or no
 * memory) */
int sc_audit_dec_next(struct sc_audit_dec *x, struct sc_audit_entry *e);
/* One string (after the one f holds) / one varint at x->p: false when
 * damaged or out of memory. */
bool sc_audit_dec_str(struct sc_audit_dec *x, struct sc_audit_field *f);
bool sc_audit_dec_varint(struct sc_audit_dec *x, uint64_t *v);

#endif
