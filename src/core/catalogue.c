/* The rulebook's catalogue of record types: lookups, and the nearest known
 * type for a refused one (edit distance). */
#include <string.h>

#include "rulebook_impl.h"
#include "socred/limits.h"

static int cat_cmp(const char *a, const char *b, size_t blen)
{
	int r = strncmp(a, b, blen);
	return r ? r : (a[blen] ? 1 : 0);
}

bool sc_rulebook_type_known(const struct sc_rulebook *rb, const char *type, size_t len)
{
	size_t lo = 0, hi = rb->ncatalogue;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cat_cmp(rb->catalogue[mid], type, len);
		if (!r)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool sc_rulebook_types_declared(const struct sc_rulebook *rb) { return rb->catalogue_declared; }
size_t sc_rulebook_catalogue_count(const struct sc_rulebook *rb) { return rb->ncatalogue; }
const char *sc_rulebook_catalogue_type(const struct sc_rulebook *rb, size_t i)
{
	return i < rb->ncatalogue ? rb->catalogue[i] : NULL;
}

/* Levenshtein distance of a (an bytes) and b, both at most SC_LIMIT_TYPE
 * bytes: two rows on the stack. */
static size_t distance(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b), row[2][SC_LIMIT_TYPE + 1];

	if (an > SC_LIMIT_TYPE || bn > SC_LIMIT_TYPE)
		return SIZE_MAX;
	for (size_t j = 0; j <= bn; j++)
		row[0][j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];
		cur[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[an & 1][bn];
}

const char *sc_rulebook_type_suggest(const struct sc_rulebook *rb, const char *type,
				     size_t len)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = len / 4 > 3 ? len / 4 : 3;

	for (uint32_t i = 0; i < rb->ncatalogue; i++) {
		size_t d = distance(type, len, rb->catalogue[i]);
		if (d < best_d) {
			best_d = d;
			best = rb->catalogue[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
