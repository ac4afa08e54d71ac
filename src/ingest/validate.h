/* One input line checked against the rulebook, ready for the ledger: what
 * ingest does without the ledger, so that it can run on another thread
 * than the writes. Not installed. */
#ifndef SOCRED_VALIDATE_H
#define SOCRED_VALIDATE_H

#include "socred/ingest.h"
#include "socred/record.h"
#include "socred/rulebook.h"

/* A valid line: the ledger call it becomes. Texts point into the line's
 * fields (borrowed from the caller of sc_line_validate). */
struct sc_prep {
	enum sc_op op;
	union {
		struct sc_store_add add;     /* SC_OP_ADD */
		struct sc_store_event event; /* SC_OP_RECTIFY, SC_OP_REVOKE */
		struct {                     /* SC_OP_CONSENT, SC_OP_WITHDRAW */
			struct sc_text subject, scorecard;
			enum sc_kind kind;
			sc_day date;
		} consent;
		struct {                     /* SC_OP_REGISTER */
			struct sc_text subject, name;
			enum sc_kind kind;
			sc_day date;
		} reg;
	} u;
};

/* Checks the fields v of one line (v[c] for every column; an absent one
 * empty) under rb. only_source: a provider's batch (NULL otherwise); an
 * empty source on its rectify or revoke becomes only_source, in v. A line
 * dated after `today`, or a person's dated before the birth its resident
 * identity number gives, is refused.
 * SC_OK fills *p, and d->warning is 1 when the line is to be accepted with
 * a warning (d says why); otherwise d names the field at fault. Pure:
 * safe on any thread. */
enum sc_status sc_line_validate(const struct sc_rulebook *rb, const char *only_source,
				sc_day today, struct sc_text *v, struct sc_prep *p,
				struct sc_diag *d);

/* Files a validated line in the ledger: SC_OK, SC_EDUPLICATE, or the
 * ledger's refusal (d says why). */
enum sc_status sc_prep_apply(struct sc_store *st, const struct sc_prep *p,
			     struct sc_diag *d);

#endif
