/* The audit log's block encoding (audit_block.h). */
#include <stdlib.h>
#include <string.h>

#include "audit_block.h"

bool sc_audit_block_put_str(struct sc_buf *b, const char *prev, const char *s)
{
	size_t shared = 0, len = strlen(s);

	while (prev[shared] && prev[shared] == s[shared])
		shared++;
	if (!sc_buf_room(b, 20 + len - shared))
		return false;
	sc_buf_varint(b, shared);
	sc_buf_varint(b, len - shared);
	memcpy(b->p + b->len, s + shared, len - shared);
	b->len += len - shared;
	return true;
}

bool sc_audit_block_put_entry(struct sc_buf *b, const struct sc_audit_entry *prev,
			      const struct sc_audit_entry *e)
{
	uint64_t key = ((uint64_t)e->key_id << 1) ^ (uint64_t)(e->key_id >> 63);

	if (!sc_audit_block_put_str(b, prev->at, e->at) || !sc_buf_room(b, 11))
		return false;
	sc_buf_varint(b, key);
	b->p[b->len++] = (unsigned char)e->role;
	return sc_audit_block_put_str(b, prev->action, e->action) &&
	       sc_audit_block_put_str(b, prev->subject, e->subject) &&
	       sc_audit_block_put_str(b, prev->result, e->result);
}

bool sc_audit_dec_varint(struct sc_audit_dec *x, uint64_t *v)
{
	return sc_varint_get(&x->p, x->end, v);
}

bool sc_audit_dec_str(struct sc_audit_dec *x, struct sc_audit_field *f)
{
	uint64_t shared, rest;

	if (!sc_audit_dec_varint(x, &shared) || !sc_audit_dec_varint(x, &rest) ||
	    shared > f->len || rest > (uint64_t)(x->end - x->p))
		return false;
	if (shared + rest + 1 > f->cap) {
		size_t cap = shared + rest + 64;
		char *s = realloc(f->s, cap);
		if (!s)
			return false;
		f->s = s;
		f->cap = cap;
	}
	memcpy(f->s + shared, x->p, rest);
	x->p += rest;
	f->len = shared + rest;
	f->s[f->len] = '\0';
	return true;
}

void sc_audit_dec_start(struct sc_audit_dec *x, int64_t first, const void *data, size_t len)
{
	x->p = data;
	x->end = x->p + len;
	x->seq = first - 1;
	for (int i = 0; i < 4; i++) {
		x->f[i].len = 0;
		if (x->f[i].s)
			x->f[i].s[0] = '\0';
	}
}

void sc_audit_dec_free(struct sc_audit_dec *x)
{
	for (int i = 0; i < 4; i++)
		free(x->f[i].s);
}

int sc_audit_dec_next(struct sc_audit_dec *x, struct sc_audit_entry *e)
{
	uint64_t key;

	if (x->p == x->end)
		return 0;
	if (!sc_audit_dec_str(x, &x->f[0]) || !sc_audit_dec_varint(x, &key) || x->p == x->end)
		return -1;
	e->role = (enum sc_role)*x->p++;
	if (!sc_audit_dec_str(x, &x->f[1]) || !sc_audit_dec_str(x, &x->f[2]) ||
	    !sc_audit_dec_str(x, &x->f[3]))
		return -1;
	e->seq = ++x->seq;
	e->node = 0;
	e->key_id = (int64_t)(key >> 1) ^ -(int64_t)(key & 1);
	e->at = x->f[0].s;
	e->action = x->f[1].s;
	e->subject = x->f[2].s;
	e->result = x->f[3].s;
	return 1;
}
