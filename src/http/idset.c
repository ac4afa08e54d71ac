/* A set of subject ids: open addressing, linear probing, half full. */
#include <stdlib.h>
#include <string.h>

#include "decisions.h"

static uint64_t hash(const char *p)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
	return h ^ (h >> 29);
}

bool sc_idset_has(const struct sc_idset *s, const char *id)
{
	size_t i;

	if (!s->n)
		return false;
	for (i = hash(id) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (!strcmp(s->slots[i], id))
			return true;
	return false;
}

static void put(char **slots, size_t cap, char *id)
{
	size_t i = hash(id) & (cap - 1);

	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = id;
}

enum sc_status sc_idset_add(struct sc_idset *s, const char *id)
{
	char *copy;

	if (sc_idset_has(s, id))
		return SC_OK;
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return SC_ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				put(slots, cap, s->slots[i]);
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	if (!(copy = strdup(id)))
		return SC_ENOMEM;
	put(s->slots, s->cap, copy);
	s->n++;
	return SC_OK;
}

void sc_idset_clear(struct sc_idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
