/* socred: subject identifiers and their schemes. */
#ifndef SOCRED_ID_H
#define SOCRED_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "socred/date.h"
#include "socred/status.h"

enum sc_kind {
	SC_KIND_NONE = 0,
	SC_KIND_PERSON = 1,
	SC_KIND_ORG = 2,
};

/* Bit set of the id schemes a rulebook accepts. */
enum sc_id_scheme {
	SC_SCHEME_CN_RIC = 1u << 0,  /* resident identity number (GB 11643) */
	SC_SCHEME_CN_USCC = 1u << 1, /* unified social credit code (GB 32100) */
	SC_SCHEME_ANY = 1u << 2,     /* opaque [A-Za-z0-9._:-]{1,64}, kind given */
};

/* "person" / "org"; NULL for SC_KIND_NONE. */
const char *sc_kind_name(enum sc_kind k);
/* Parses "person" / "org" (len bytes); SC_KIND_NONE otherwise. */
enum sc_kind sc_kind_parse(const char *s, size_t len);

/* Classifies id (len bytes) under the schemes in `schemes`.
 * SC_OK: *kind is set (SC_KIND_NONE under SC_SCHEME_ANY: the caller supplies
 * it); d->warning is 1 when the id is accepted with a warning (a USCC whose
 * check character is wrong, as legal early pilot codes are).
 * SC_EINVAL: not a valid id; d->message says why. */
enum sc_status sc_id_classify(unsigned schemes, const char *id, size_t len,
			      enum sc_kind *kind, struct sc_diag *d);
/* The same, with `today` for the birth date check (sc_id_classify: the
 * real date, sc_date_today()).
 *
 * Under cn_ric, 18 characters of 17 digits and a digit or X whose
 * characters 7-14 could be a birth date (YYYYMMDD: 1900 <= YYYY <= 2099,
 * MM 01-12, DD 01-31) are a resident identity number attempt, never an
 * organisation: SC_EINVAL when the birth date is no real day (19900230),
 * is after today, or the check character is wrong. */
enum sc_status sc_id_classify_at(unsigned schemes, const char *id, size_t len, sc_day today,
				 enum sc_kind *kind, struct sc_diag *d);
/* The birth date of a resident identity number attempt (len bytes) whose
 * characters 7-14 are a real day; false otherwise. The check character is
 * not checked. */
bool sc_id_ric_birth(const char *id, size_t len, sc_day *out);

/* The ISO 7064 MOD 11-2 check character of 17 digits. */
char sc_id_ric_check(const char *first17);
/* The GB 32100 check character of 17 USCC characters; 0 if one is outside
 * the 31-symbol alphabet. */
char sc_id_uscc_check(const char *first17);

#endif
