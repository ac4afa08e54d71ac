/* The search key of a name or an id (see socred/record.h): what a person
 * would call the same text is the same key. libunistring does the Unicode
 * work: NFKC (full-width and half-width forms, composed and decomposed
 * forms alike), then case folding. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>

#include "socred/record.h"

/* Runs of spaces become one, none at either end: in place, returns the
 * new length. NFKC has already made every Unicode space U+0020. */
static size_t squeeze(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && (o == 0 || s[o - 1] == ' '))
			continue;
		s[o++] = s[i];
	}
	if (o && s[o - 1] == ' ')
		o--;
	return o;
}

enum sc_status sc_text_fold(const char *s, size_t len, char **out, size_t *outlen)
{
	uint8_t *nfkc, *folded;
	size_t n1 = 0, n2 = 0;
	enum sc_status st;

	if (sc_text_check(s, len, len, NULL))
		return SC_EINVAL;
	if (len == 0) {
		if (!(*out = calloc(1, 1)))
			return SC_ENOMEM;
		*outlen = 0;
		return SC_OK;
	}
	/* NFKC first: the case folding of a full-width letter is full-width */
	if (!(nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, len, NULL, &n1)))
		return errno == ENOMEM ? SC_ENOMEM : SC_EINVAL;
	folded = u8_casefold(nfkc, n1, NULL, UNINORM_NFKC, NULL, &n2);
	st = folded ? SC_OK : errno == ENOMEM ? SC_ENOMEM : SC_EINVAL;
	free(nfkc);
	if (st)
		return st;
	{
		char *r = realloc(folded, n2 + 1);
		if (!r) {
			free(folded);
			return SC_ENOMEM;
		}
		n2 = squeeze(r, n2);
		r[n2] = '\0';
		*out = r;
		*outlen = n2;
	}
	return SC_OK;
}
