/* Resident identity numbers (GB 11643) and unified social credit codes
 * (GB 32100-2015). */
#include "socred/id.h"

#include <string.h>

#include "socred/date.h"
#include "socred/limits.h"

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const char *sc_kind_name(enum sc_kind k)
{
	switch (k) {
	case SC_KIND_PERSON:
		return "person";
	case SC_KIND_ORG:
		return "org";
	case SC_KIND_NONE:
		break;
	}
	return NULL;
}

enum sc_kind sc_kind_parse(const char *s, size_t len)
{
	if (len == 6 && !memcmp(s, "person", 6))
		return SC_KIND_PERSON;
	if (len == 3 && !memcmp(s, "org", 3))
		return SC_KIND_ORG;
	return SC_KIND_NONE;
}

char sc_id_ric_check(const char *s)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6,
				  3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

static int uscc_value(char c)
{
	const char *p = c ? strchr(uscc_alphabet, c) : NULL;

	return p ? (int)(p - uscc_alphabet) : -1;
}

char sc_id_uscc_check(const char *s)
{
	int sum = 0, w = 1;

	for (int i = 0; i < 17; i++) {
		int v = uscc_value(s[i]);
		if (v < 0)
			return 0;
		sum += v * w;
		w = w * 3 % 31;
	}
	return uscc_alphabet[(31 - sum % 31) % 31];
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A resident identity number attempt: 17 digits, then a digit or X, whose
 * characters 7-14 could be a birth date: YYYYMMDD with 1900 <= YYYY <= 2099,
 * MM 01-12 and DD 01-31, the day not yet checked against its month. Such an
 * id is never taken for an organisation: its birth date must be a real day
 * not after today and its check character must hold. Years from 2100 are an
 * all-digit unified social credit code's region and code
 * (913604260002237818: 2600-02-23). The window is fixed, not "up to next
 * year", so that an id classifies the same way whatever the year. */
static bool looks_like_ric(const char *id, size_t len)
{
	int y, m, d;

	if (len != 18 || !all_digits(id, 17) ||
	    !((id[17] >= '0' && id[17] <= '9') || id[17] == 'X'))
		return false;
	y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
	m = (id[10] - '0') * 10 + (id[11] - '0');
	d = (id[12] - '0') * 10 + (id[13] - '0');
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

bool sc_id_ric_birth(const char *id, size_t len, sc_day *out)
{
	char date[SC_DATE_LEN];

	if (!looks_like_ric(id, len))
		return false;
	memcpy(date, id + 6, 4);
	date[4] = '-';
	memcpy(date + 5, id + 10, 2);
	date[7] = '-';
	memcpy(date + 8, id + 12, 2);
	return sc_date_parse(date, SC_DATE_LEN, out);
}

static bool looks_like_uscc(const char *id, size_t len)
{
	if (len != 18 || !strchr("159Y", id[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (uscc_value(id[i]) < 0)
			return false;
	return true;
}

static bool opaque_ok(const char *id, size_t len)
{
	if (len < 1 || len > SC_LIMIT_SUBJECT_ID)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}

enum sc_status sc_id_classify(unsigned schemes, const char *id, size_t len,
			      enum sc_kind *kind, struct sc_diag *d)
{
	return sc_id_classify_at(schemes, id, len, sc_date_today(), kind, d);
}

enum sc_status sc_id_classify_at(unsigned schemes, const char *id, size_t len, sc_day today,
				 enum sc_kind *kind, struct sc_diag *d)
{
	if (len == 0)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
				   "subject id is empty");
	if (schemes & SC_SCHEME_ANY) {
		if (!opaque_ok(id, len))
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "invalid subject id '%.*s': expected 1-64 characters of [A-Za-z0-9._:-]",
					   (int)(len > 64 ? 64 : len), id);
		*kind = SC_KIND_NONE;
		return SC_OK;
	}
	if ((schemes & SC_SCHEME_CN_RIC) && looks_like_ric(id, len)) {
		/* a resident identity number attempt, even if the string
		 * could pass as a unified social credit code */
		char want = sc_id_ric_check(id);
		sc_day birth;
		if (!sc_id_ric_birth(id, len, &birth))
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "resident identity number '%.18s' has an impossible birth date: %.4s-%.2s-%.2s",
					   id, id + 6, id + 10, id + 12);
		if (birth > today)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "resident identity number '%.18s' has a birth date in the future: %.4s-%.2s-%.2s",
					   id, id + 6, id + 10, id + 12);
		if (want != id[17])
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
					   "resident identity number '%.18s' has a wrong check character: '%c', expected '%c'",
					   id, id[17], want);
		*kind = SC_KIND_PERSON;
		return SC_OK;
	}
	if ((schemes & SC_SCHEME_CN_USCC) && looks_like_uscc(id, len)) {
		char want = sc_id_uscc_check(id);
		*kind = SC_KIND_ORG;
		if (want != id[17]) {
			sc_diag_set(d, SC_OK, NULL, 0, 0, NULL,
				    "unified social credit code '%.18s' has a wrong check character: '%c', expected '%c' (accepted: early pilot codes fail the checksum)",
				    id, id[17], want);
			if (d)
				d->warning = 1;
		}
		return SC_OK;
	}
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
			   "invalid subject id '%.*s': not a resident identity number (17 digits, birth date, check character) nor a unified social credit code (18 characters starting 1, 5, 9 or Y)",
			   (int)(len > 64 ? 64 : len), id);
}
