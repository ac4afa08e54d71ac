/* socred: what a record is made of, and the parsing of its fields. */
#ifndef SOCRED_RECORD_H
#define SOCRED_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "socred/status.h"

/* Amounts are fixed-point: SC_AMOUNT_SCALE units of the last decimal. */
#define SC_AMOUNT_SCALE 10000
#define SC_AMOUNT_NONE (-1)

enum sc_op {
	SC_OP_ADD = 0,
	SC_OP_RECTIFY = 1,
	SC_OP_REVOKE = 2,
	SC_OP_CONSENT = 3,
	SC_OP_WITHDRAW = 4,
	SC_OP_REGISTER = 5, /* a subject's name, for public search */
};

/* "add", "rectify", ...; never NULL for a valid op. */
const char *sc_op_name(enum sc_op op);
/* Parses an op (empty means add). SC_OK or SC_EINVAL with the reason. */
enum sc_status sc_op_parse(const char *s, size_t len, enum sc_op *op,
			   struct sc_diag *d);

/* Parses a decimal >= 0 with at most SC_LIMIT_AMOUNT_DIGITS integer and
 * SC_LIMIT_AMOUNT_DECIMALS fractional digits ("12", "12.5", "0.0001").
 * SC_OK, or SC_EINVAL / SC_ELIMIT with the reason in d. */
enum sc_status sc_amount_parse(const char *s, size_t len, int64_t *out,
			       struct sc_diag *d);
/* Writes the shortest decimal form ("12.5") into buf (>= 24 bytes). */
void sc_amount_format(int64_t amount, char *buf, size_t size);

/* record_id: 1-64 characters of [A-Za-z0-9._:/-]. SC_OK or SC_EINVAL. */
enum sc_status sc_record_id_check(const char *s, size_t len,
				  struct sc_diag *d);
/* Replaces, in place, every byte of s that does not begin a valid UTF-8
 * sequence with '?': a message quoting bad input can still be sent as JSON.
 * Returns how many bytes it replaced. */
size_t sc_text_repair(char *s, size_t len);
/* Free text (ref): valid UTF-8, no control characters, <= max bytes. */
enum sc_status sc_text_check(const char *s, size_t len, size_t max,
			     struct sc_diag *d);
/* The search key of a name or an id (len bytes): Unicode NFKC with case
 * folding, so that full-width and half-width forms, composed and decomposed
 * forms, and upper and lower case give the same key; runs of spaces (any
 * Unicode space) as one, none at either end. SC_OK: *out (caller frees
 * with free()) holds *outlen bytes and a NUL. SC_EINVAL (not UTF-8 text
 * without control characters), SC_ENOMEM. */
enum sc_status sc_text_fold(const char *s, size_t len, char **out,
			    size_t *outlen);

#endif
