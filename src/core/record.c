/* Record field parsing: ops, amounts, record ids, free text, categories. */
#include "socred/record.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "socred/limits.h"
#include "socred/rulebook.h"

static const char *const op_names[] = {"add", "rectify", "revoke", "consent",
				       "withdraw", "register"};
#define NOPS (sizeof(op_names) / sizeof(op_names[0]))

const char *sc_op_name(enum sc_op op)
{
	return (unsigned)op < NOPS ? op_names[op] : "?";
}

enum sc_status sc_op_parse(const char *s, size_t len, enum sc_op *op,
			   struct sc_diag *d)
{
	if (len == 0) {
		*op = SC_OP_ADD;
		return SC_OK;
	}
	for (unsigned i = 0; i < NOPS; i++) {
		if (strlen(op_names[i]) == len && !memcmp(s, op_names[i], len)) {
			*op = (enum sc_op)i;
			return SC_OK;
		}
	}
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "op",
			   "unknown op '%.*s': expected add, rectify, revoke, consent, withdraw or register",
			   (int)(len > 32 ? 32 : len), s);
}

enum sc_status sc_amount_parse(const char *s, size_t len, int64_t *out,
			       struct sc_diag *d)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, nint = 0, nfrac = 0;
	int show = (int)(len > 32 ? 32 : len);

	if (len && s[0] == '-')
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "amount",
				   "amount '%.*s' is negative", show, s);
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nint++) {
		if (nint >= SC_LIMIT_AMOUNT_DIGITS)
			return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "amount",
					   "amount '%.*s' is too large: at most %d integer digits",
					   show, s, SC_LIMIT_AMOUNT_DIGITS);
		whole = whole * 10 + (s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nfrac++) {
			if (nfrac >= SC_LIMIT_AMOUNT_DECIMALS)
				return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "amount",
						   "amount '%.*s' has more than %d decimal places",
						   show, s, SC_LIMIT_AMOUNT_DECIMALS);
			frac = frac * 10 + (s[i] - '0');
		}
		if (nfrac == 0)
			nint = 0; /* "12." is malformed */
	}
	if (i != len || nint == 0)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "amount",
				   "amount '%.*s' is not a decimal number >= 0",
				   show, s);
	for (; nfrac < SC_LIMIT_AMOUNT_DECIMALS; nfrac++)
		frac *= 10;
	*out = whole * SC_AMOUNT_SCALE + frac;
	return SC_OK;
}

void sc_amount_format(int64_t a, char *buf, size_t size)
{
	int64_t whole = a / SC_AMOUNT_SCALE, frac = a % SC_AMOUNT_SCALE;
	int n;

	n = snprintf(buf, size, "%lld", (long long)whole);
	if (frac && n > 0 && (size_t)n < size) {
		char f[8];
		int k = snprintf(f, sizeof(f), "%04lld", (long long)frac);
		while (k > 0 && f[k - 1] == '0')
			f[--k] = '\0';
		snprintf(buf + n, size - (size_t)n, ".%s", f);
	}
}

enum sc_status sc_record_id_check(const char *s, size_t len, struct sc_diag *d)
{
	if (len == 0)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "record_id",
				   "record_id is empty");
	if (len > SC_LIMIT_RECORD_ID)
		return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "record_id",
				   "record_id is %zu characters long: at most %d",
				   len, SC_LIMIT_RECORD_ID);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '/' || c == '-'))
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "record_id",
					   "record_id '%.*s' has a character outside [A-Za-z0-9._:/-]",
					   (int)len, s);
	}
	return SC_OK;
}

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		k = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		k = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return k;
}

size_t sc_text_repair(char *s, size_t len)
{
	unsigned char *u = (unsigned char *)s;
	size_t bad = 0;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_len(u + i, len - i);
		if (k == 0) {
			u[i++] = '?';
			bad++;
		} else {
			i += k;
		}
	}
	return bad;
}

enum sc_status sc_text_check(const char *s, size_t len, size_t max,
			     struct sc_diag *d)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len > max)
		return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, NULL,
				   "text is %zu bytes long: at most %zu", len, max);
	for (size_t i = 0; i < len;) {
		size_t k = utf8_len(u + i, len - i);
		if (k == 0)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "invalid UTF-8 at byte %zu", i + 1);
		if (u[i] < 0x20 || u[i] == 0x7F)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "control character 0x%02x at byte %zu",
					   u[i], i + 1);
		i += k;
	}
	return SC_OK;
}

/* ---- categories: what socred scores, and what it refuses to ---- */

static const char *const known_categories[] = {
	"court", "contract", "bank", "lending", "commerce", "tax",
	"utility", "traffic", "admin", "civic", "org"};
/* Each refused category with the reason its message gives. */
#define BELIEFS "socred does not score speech, political opinion, religion, ethnicity or relationships"
static const struct {
	const char *name;
	const char *why;
} refused_categories[] = {
	{"speech", BELIEFS},
	{"political", BELIEFS},
	{"religion", BELIEFS},
	{"ethnicity", BELIEFS},
	{"relationship", BELIEFS},
	{"consumption", "socred does not score what a person buys, which is not a finding of any authority"},
	{"leisure", "socred does not score what a person does in free time, which is not a finding of any authority"},
	{"family", "socred does not score family life: a family duty counts only through a court's judgment (an unpaid support order is a 'court' finding)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

enum sc_status sc_type_check(const char *t, size_t len, struct sc_diag *d)
{
	const char *dot = memchr(t, '.', len);
	size_t clen;
	int show = (int)(len > SC_LIMIT_TYPE ? SC_LIMIT_TYPE : len);

	if (len > SC_LIMIT_TYPE)
		return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "type",
				   "type '%.*s...' is longer than %d characters",
				   show, t, SC_LIMIT_TYPE);
	if (!dot || dot == t || dot == t + len - 1)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "type '%.*s' is not of the form category.name",
				   show, t);
	for (size_t i = 0; i < len; i++)
		if (t + i != dot && !name_char(t[i]))
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
					   "type '%.*s' has a character outside [a-z0-9_.]",
					   show, t);
	clen = (size_t)(dot - t);
	for (size_t i = 0; i < COUNT(refused_categories); i++)
		if (strlen(refused_categories[i].name) == clen &&
		    !memcmp(t, refused_categories[i].name, clen))
			return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, "type",
					   "category '%.*s' is refused: %s",
					   (int)clen, t, refused_categories[i].why);
	for (size_t i = 0; i < COUNT(known_categories); i++)
		if (strlen(known_categories[i]) == clen &&
		    !memcmp(t, known_categories[i], clen))
			return SC_OK;
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
			   "unknown category '%.*s': expected one of court, contract, bank, lending, commerce, tax, utility, traffic, admin, civic, org",
			   (int)clen, t);
}

enum sc_status sc_type_check_effect(const char *t, bool gain,
				    struct sc_diag *d)
{
	if (gain && !strncmp(t, "commerce.", 9))
		return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, "type",
				   "type '%s' rewards a subject: commerce records are findings of commercial dishonesty (fraud, counterfeit goods) and may only cost points or enter a black list; socred does not reward what a person buys",
				   t);
	if (!gain && !strncmp(t, "civic.", 6))
		return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, "type",
				   "type '%s' penalises a subject: civic records are recognised civic acts (volunteering, blood donation, honours) and may only earn points or enter a red list; socred does not penalise free time, and a legal duty counts only through a court's judgment",
				   t);
	return SC_OK;
}
