/* Refusals counted per client address in a bounded table (access.h). */
#include "socred/access.h"

#include <stdio.h>
#include <string.h>

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void sc_refusals_clear(struct sc_refusals *t)
{
	for (size_t i = 0; i < SC_LIMIT_REFUSAL_CLIENTS; i++)
		t->slot[i].n = 0;
	t->used = 0;
	t->other = 0;
}

void sc_refusals_add(struct sc_refusals *t, const char *addr)
{
	size_t i = (size_t)(fnv(addr) % SC_LIMIT_REFUSAL_CLIENTS);

	/* open addressing, linear probes; kept at most 3/4 full */
	for (;; i = (i + 1) % SC_LIMIT_REFUSAL_CLIENTS) {
		struct sc_refusal *s = &t->slot[i];
		if (!s->n) {
			if (4 * (t->used + 1) > 3 * SC_LIMIT_REFUSAL_CLIENTS) {
				t->other++;
				return;
			}
			snprintf(s->addr, sizeof(s->addr), "%s", addr);
			s->n = 1;
			t->used++;
			return;
		}
		if (!strcmp(s->addr, addr)) {
			if (s->n < UINT64_MAX)
				s->n++;
			return;
		}
	}
}

void sc_refusals_each(const struct sc_refusals *t, sc_refusals_fn cb, void *ctx)
{
	for (size_t i = 0; i < SC_LIMIT_REFUSAL_CLIENTS; i++)
		if (t->slot[i].n)
			cb(ctx, t->slot[i].addr, t->slot[i].n);
	if (t->other)
		cb(ctx, NULL, t->other);
}
