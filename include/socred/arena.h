/* socred: bump arenas for units of work (a compiled rulebook, an ingest
 * batch, one evaluation). Everything allocated from an arena is freed at once
 * by sc_arena_release() or recycled by sc_arena_clear(). And the one growth
 * rule for heap arrays (sc_grow). */
#ifndef SOCRED_ARENA_H
#define SOCRED_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct sc_arena_chunk;

/* Caller-owned storage; initialise with sc_arena_init. */
struct sc_arena {
	struct sc_arena_chunk *head;
	size_t chunk_size;
	size_t max_bytes; /* 0: unlimited; otherwise allocations beyond fail */
	size_t used;
};

void sc_arena_init(struct sc_arena *a, size_t chunk_size, size_t max_bytes);
/* Frees every chunk. a may be NULL. */
void sc_arena_release(struct sc_arena *a);
/* Keeps the first chunk for reuse, frees the rest. */
void sc_arena_clear(struct sc_arena *a);
/* 16-byte aligned memory valid until clear/release; NULL when out of
 * memory or over max_bytes. */
void *sc_arena_alloc(struct sc_arena *a, size_t size);
void *sc_arena_calloc(struct sc_arena *a, size_t n, size_t size);
/* Copy of s (len bytes, NUL added); NULL on failure. */
char *sc_arena_strndup(struct sc_arena *a, const char *s, size_t len);
char *sc_arena_strdup(struct sc_arena *a, const char *s);

/* Grows the heap array *p (*cap elements of size bytes) to hold at least
 * need, doubling from 16; *p and *cap change only on success. false when
 * out of memory (the array is left as it was). */
bool sc_grow(void **p, size_t *cap, size_t need, size_t size);

#endif
