/* Bump arena: a list of chunks, newest first. */
#include "socred/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sc_arena_chunk {
	struct sc_arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t off;
	_Alignas(16) unsigned char data[];
};

void sc_arena_init(struct sc_arena *a, size_t chunk_size, size_t max_bytes)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
	a->max_bytes = max_bytes;
	a->used = 0;
}

void sc_arena_release(struct sc_arena *a)
{
	struct sc_arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

void sc_arena_clear(struct sc_arena *a)
{
	struct sc_arena_chunk *c, *keep;

	if (!a || !a->head)
		return;
	/* keep the oldest chunk (usually the default size) */
	keep = a->head;
	while (keep->next)
		keep = keep->next;
	for (c = a->head; c != keep;) {
		struct sc_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	keep->off = 0;
	a->head = keep;
	a->used = 0;
}

/* Rare path: a new chunk. */
static void *alloc_slow(struct sc_arena *a, size_t size)
{
	size_t want = size > a->chunk_size ? size : a->chunk_size;
	struct sc_arena_chunk *c;

	if (want > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + want);
	if (!c)
		return NULL;
	c->size = want;
	c->off = size;
	c->next = a->head;
	a->head = c;
	return c->data;
}

void *sc_arena_alloc(struct sc_arena *a, size_t size)
{
	struct sc_arena_chunk *c = a->head;

	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	if (a->max_bytes && (size > a->max_bytes || a->used > a->max_bytes - size))
		return NULL;
	a->used += size;
	if (c && c->size - c->off >= size) {
		void *p = c->data + c->off;
		c->off += size;
		return p;
	}
	return alloc_slow(a, size);
}

void *sc_arena_calloc(struct sc_arena *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = sc_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *sc_arena_strndup(struct sc_arena *a, const char *s, size_t len)
{
	char *p = sc_arena_alloc(a, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *sc_arena_strdup(struct sc_arena *a, const char *s)
{
	return sc_arena_strndup(a, s, strlen(s));
}

bool sc_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return false;
	*p = q;
	*cap = c;
	return true;
}
