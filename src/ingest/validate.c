/* Validation of one input line against the rulebook: every field check
 * that needs no ledger, so that it can run ahead of the writes on another
 * thread (ingest.c), and the ledger call each valid line becomes. */
#include <stdio.h>
#include <string.h>

#include "socred/date.h"
#include "socred/id.h"
#include "socred/process.h"
#include "validate.h"

/* Field-level error: names the column. */
static enum sc_status ferr(enum sc_col c, struct sc_diag *d, enum sc_status st,
			   const char *msg)
{
	return sc_diag_set(d, st, NULL, 0, 0, sc_col_name(c), "%s", msg);
}

static enum sc_status unused(const struct sc_text *v, enum sc_op op,
			     const enum sc_col *cols, size_t n,
			     struct sc_diag *d)
{
	for (size_t i = 0; i < n; i++)
		if (v[cols[i]].n)
			return sc_diag_set(d, SC_EINVAL, NULL, 0, 0,
					   sc_col_name(cols[i]),
					   "field is not used by op '%s': leave it empty",
					   sc_op_name(op));
	return SC_OK;
}

static enum sc_status need(const struct sc_text *v, enum sc_col c,
			   enum sc_op op, struct sc_diag *d)
{
	if (v[c].n)
		return SC_OK;
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, sc_col_name(c),
			   "field is required for op '%s'", sc_op_name(op));
}

/* The line's date: a real day, not after today. */
static enum sc_status parse_date(const struct sc_text *v, sc_day today, struct sc_diag *d,
				 sc_day *out)
{
	char day[SC_DATE_LEN + 1];

	if (!sc_date_parse(v[SC_COL_DATE].p, v[SC_COL_DATE].n, out))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "date",
				   "invalid date '%.*s': expected a real day as YYYY-MM-DD",
				   (int)(v[SC_COL_DATE].n > 32 ? 32 : v[SC_COL_DATE].n),
				   v[SC_COL_DATE].p);
	if (*out <= today)
		return SC_OK;
	sc_date_format(today, day);
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "date",
			   "date %.10s is after today (%s): nothing is filed before it happens",
			   v[SC_COL_DATE].p, day);
}

/* A person's line dated before the birth its resident identity number
 * gives (kind: the subject's, from subject_kind). */
static enum sc_status after_birth(const struct sc_text *v, enum sc_kind kind, sc_day date,
				  struct sc_diag *d)
{
	char day[SC_DATE_LEN + 1];
	sc_day birth;

	if (kind != SC_KIND_PERSON ||
	    !sc_id_ric_birth(v[SC_COL_SUBJECT].p, v[SC_COL_SUBJECT].n, &birth) || date >= birth)
		return SC_OK;
	sc_date_format(birth, day);
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "date",
			   "date %.10s is before the subject's birth (%s, from the resident identity number)",
			   v[SC_COL_DATE].p, day);
}

/* A free-text field (ref, name): valid UTF-8, no control characters, at
 * most limit bytes; d names the column. */
static enum sc_status text_field(const struct sc_text *v, enum sc_col c, size_t limit,
				 struct sc_diag *d)
{
	enum sc_status st = sc_text_check(v[c].p, v[c].n, limit, d);

	if (st)
		snprintf(d->field, sizeof(d->field), "%s", sc_col_name(c));
	return st;
}

/* Subject id and kind under the rulebook's schemes. */
static enum sc_status subject_kind(const struct sc_rulebook *rb, sc_day today,
				   const struct sc_text *v, bool kind_required,
				   enum sc_kind *kind, struct sc_diag *d)
{
	unsigned schemes = sc_rulebook_id_schemes(rb);
	enum sc_status st;

	st = sc_id_classify_at(schemes, v[SC_COL_SUBJECT].p, v[SC_COL_SUBJECT].n, today, kind, d);
	if (st) {
		snprintf(d->field, sizeof(d->field), "subject");
		return st;
	}
	if (d->warning) {
		snprintf(d->field, sizeof(d->field), "subject");
		d->source[0] = '\0';
	}
	if (!(schemes & SC_SCHEME_ANY)) {
		if (v[SC_COL_KIND].n)
			return ferr(SC_COL_KIND, d, SC_EINVAL,
				    "kind is only used with the 'any' id scheme: the id says the kind");
		return SC_OK;
	}
	if (!v[SC_COL_KIND].n) {
		if (kind_required)
			return ferr(SC_COL_KIND, d, SC_EINVAL,
				    "kind (person or org) is required with the 'any' id scheme");
		return SC_OK;
	}
	*kind = sc_kind_parse(v[SC_COL_KIND].p, v[SC_COL_KIND].n);
	if (*kind == SC_KIND_NONE)
		return ferr(SC_COL_KIND, d, SC_EINVAL, "kind must be person or org");
	return SC_OK;
}

static enum sc_status check_source(const struct sc_rulebook *rb, struct sc_text s,
				   struct sc_diag *d, int *out)
{
	int src = sc_rulebook_source_find(rb, s.p, s.n);

	if (src < 0) {
		char known[512];
		size_t k = 0;
		for (size_t i = 0; i < sc_rulebook_source_count(rb) && k < sizeof(known); i++)
			k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s",
					      i ? ", " : "", sc_rulebook_source_name(rb, (int)i));
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
				   "unknown source '%.*s': the rulebook registers %s",
				   (int)(s.n > 64 ? 64 : s.n), s.p, known);
	}
	*out = src;
	return SC_OK;
}

/* A type the rulebook's catalogue holds; otherwise refused, with the
 * nearest known type when it looks like a typo of one. */
static enum sc_status check_catalogue(const struct sc_rulebook *rb, struct sc_text t,
				      struct sc_diag *d)
{
	const char *near;

	if (sc_rulebook_type_known(rb, t.p, t.n))
		return SC_OK;
	near = sc_rulebook_type_suggest(rb, t.p, t.n);
	if (near)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "unknown record type '%.*s': not in the rulebook's catalogue; did you mean '%s'?",
				   (int)t.n, t.p, near);
	return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
			   "unknown record type '%.*s': not in the rulebook's catalogue (socred rulebook show lists it)",
			   (int)t.n, t.p);
}

/* A provider's batch: its own source only. An empty source on a rectify or
 * revoke becomes the provider's, so the ledger checks it filed the record. */
static enum sc_status own_source(const char *src, enum sc_op op,
				 struct sc_text *v, struct sc_diag *d)
{
	size_t n = strlen(src);

	if (op == SC_OP_CONSENT || op == SC_OP_WITHDRAW || op == SC_OP_REGISTER)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "op",
				   "a source's key cannot file a %s: the subject's own acts come through the subject",
				   sc_op_name(op));
	if (!v[SC_COL_SOURCE].n && op != SC_OP_ADD) {
		v[SC_COL_SOURCE] = (struct sc_text){src, n};
		return SC_OK;
	}
	if (v[SC_COL_SOURCE].n != n || memcmp(v[SC_COL_SOURCE].p, src, n))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "source",
				   "this key files for source '%s' only, not '%.*s'", src,
				   (int)(v[SC_COL_SOURCE].n > 64 ? 64 : v[SC_COL_SOURCE].n),
				   v[SC_COL_SOURCE].p);
	return SC_OK;
}

static enum sc_status check_add(const struct sc_rulebook *rb, sc_day today,
				const struct sc_text *v, struct sc_store_add *a,
				struct sc_diag *d)
{
	enum sc_status st;
	int src, type;
	struct sc_diag warn;

	for (enum sc_col c = SC_COL_RECORD_ID; c <= SC_COL_SOURCE; c++)
		if (c != SC_COL_AMOUNT && (st = need(v, c, SC_OP_ADD, d)))
			return st;
	if (v[SC_COL_NAME].n)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "name",
				   "field is not used by op 'add': leave it empty (names come with op 'register')");
	if ((st = sc_record_id_check(v[SC_COL_RECORD_ID].p, v[SC_COL_RECORD_ID].n, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(rb, today, v, true, &a->kind, &warn))) {
		*d = warn;
		return st;
	}
	if ((st = sc_type_check(v[SC_COL_TYPE].p, v[SC_COL_TYPE].n, d)) ||
	    (st = check_catalogue(rb, v[SC_COL_TYPE], d)))
		return st;
	if ((st = check_source(rb, v[SC_COL_SOURCE], d, &src)))
		return st;
	if (!sc_rulebook_source_may_file(rb, src, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "source '%s' has no mandate to file '%.*s'",
				   sc_rulebook_source_name(rb, src),
				   (int)v[SC_COL_TYPE].n, v[SC_COL_TYPE].p);
	if ((st = parse_date(v, today, d, &a->date)) ||
	    (st = after_birth(v, a->kind, a->date, d)))
		return st;
	a->amount = SC_AMOUNT_NONE;
	if (v[SC_COL_AMOUNT].n &&
	    (st = sc_amount_parse(v[SC_COL_AMOUNT].p, v[SC_COL_AMOUNT].n, &a->amount, d)))
		return st;
	type = sc_rulebook_type_find(rb, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n);
	if (a->amount == SC_AMOUNT_NONE && type >= 0 &&
	    sc_rulebook_type_needs_amount(rb, type))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "amount",
				   "type '%.*s' is scored per unit: amount is required",
				   (int)v[SC_COL_TYPE].n, v[SC_COL_TYPE].p);
	if ((st = text_field(v, SC_COL_REF, SC_LIMIT_REF, d)))
		return st;
	a->record_id = v[SC_COL_RECORD_ID];
	a->subject = v[SC_COL_SUBJECT];
	a->type = v[SC_COL_TYPE];
	a->source = v[SC_COL_SOURCE];
	a->ref = v[SC_COL_REF];
	if (warn.warning)
		*d = warn; /* accepted, with a warning, once the ledger takes it */
	return SC_OK;
}

static enum sc_status check_event(const struct sc_rulebook *rb, sc_day today, enum sc_op op,
				  const struct sc_text *v, struct sc_store_event *e,
				  struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_SUBJECT, SC_COL_TYPE,
						  SC_COL_AMOUNT, SC_COL_KIND, SC_COL_NAME};
	enum sc_status st;
	int src;

	e->op = op;
	if ((st = need(v, SC_COL_RECORD_ID, op, d)) || (st = need(v, SC_COL_DATE, op, d)) ||
	    (st = unused(v, op, unused_cols, 5, d)) ||
	    (st = sc_record_id_check(v[SC_COL_RECORD_ID].p, v[SC_COL_RECORD_ID].n, d)) ||
	    (st = parse_date(v, today, d, &e->date)))
		return st;
	if (v[SC_COL_SOURCE].n && (st = check_source(rb, v[SC_COL_SOURCE], d, &src)))
		return st;
	if ((st = text_field(v, SC_COL_REF, SC_LIMIT_REF, d)))
		return st;
	e->record_id = v[SC_COL_RECORD_ID];
	e->source = v[SC_COL_SOURCE];
	e->ref = v[SC_COL_REF];
	return SC_OK;
}

static enum sc_status check_consent(const struct sc_rulebook *rb, sc_day today, enum sc_op op,
				    const struct sc_text *v, struct sc_prep *p,
				    struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_RECORD_ID, SC_COL_AMOUNT,
						  SC_COL_SOURCE, SC_COL_REF, SC_COL_NAME};
	enum sc_kind kind = SC_KIND_NONE;
	struct sc_diag warn;
	enum sc_status st;
	int sc;

	if ((st = need(v, SC_COL_SUBJECT, op, d)) || (st = need(v, SC_COL_TYPE, op, d)) ||
	    (st = need(v, SC_COL_DATE, op, d)) || (st = unused(v, op, unused_cols, 5, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(rb, today, v, false, &kind, &warn))) {
		*d = warn;
		return st;
	}
	sc = sc_rulebook_scorecard_find(rb, v[SC_COL_TYPE].p, v[SC_COL_TYPE].n);
	if (sc < 0)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "unknown scorecard '%.*s': a %s names a scorecard in 'type'",
				   (int)(v[SC_COL_TYPE].n > 64 ? 64 : v[SC_COL_TYPE].n),
				   v[SC_COL_TYPE].p, sc_op_name(op));
	if (kind != SC_KIND_NONE && !sc_rulebook_scorecard_applies(rb, sc, kind))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "type",
				   "scorecard '%s' does not apply to %s subjects",
				   sc_rulebook_scorecard_name(rb, sc), sc_kind_name(kind));
	if ((st = parse_date(v, today, d, &p->u.consent.date)) ||
	    (st = after_birth(v, kind, p->u.consent.date, d)))
		return st;
	p->u.consent.subject = v[SC_COL_SUBJECT];
	p->u.consent.scorecard = v[SC_COL_TYPE];
	p->u.consent.kind = kind;
	return SC_OK;
}

static enum sc_status check_register(const struct sc_rulebook *rb, sc_day today,
				     const struct sc_text *v, struct sc_prep *p,
				     struct sc_diag *d)
{
	static const enum sc_col unused_cols[] = {SC_COL_RECORD_ID, SC_COL_TYPE,
						  SC_COL_AMOUNT, SC_COL_SOURCE, SC_COL_REF};
	enum sc_kind kind = SC_KIND_NONE;
	struct sc_diag warn;
	enum sc_status st;

	if ((st = need(v, SC_COL_SUBJECT, SC_OP_REGISTER, d)) ||
	    (st = need(v, SC_COL_NAME, SC_OP_REGISTER, d)) ||
	    (st = need(v, SC_COL_DATE, SC_OP_REGISTER, d)) ||
	    (st = unused(v, SC_OP_REGISTER, unused_cols, 5, d)))
		return st;
	sc_diag_clear(&warn);
	if ((st = subject_kind(rb, today, v, false, &kind, &warn))) {
		*d = warn;
		return st;
	}
	if ((st = text_field(v, SC_COL_NAME, SC_LIMIT_PERSON_NAME, d)))
		return st;
	if ((st = parse_date(v, today, d, &p->u.reg.date)) ||
	    (st = after_birth(v, kind, p->u.reg.date, d)))
		return st;
	p->u.reg.subject = v[SC_COL_SUBJECT];
	p->u.reg.name = v[SC_COL_NAME];
	p->u.reg.kind = kind;
	return SC_OK;
}

enum sc_status sc_line_validate(const struct sc_rulebook *rb, const char *only_source,
				sc_day today, struct sc_text *v, struct sc_prep *p,
				struct sc_diag *d)
{
	enum sc_status st;

	for (int c = 0; c < SC_COL_COUNT; c++)
		if (v[c].n > SC_LIMIT_FIELD_BYTES)
			return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, sc_col_name((enum sc_col)c),
					   "field is %zu bytes long: at most %d",
					   v[c].n, SC_LIMIT_FIELD_BYTES);
	if ((st = sc_op_parse(v[SC_COL_OP].p, v[SC_COL_OP].n, &p->op, d)))
		return st;
	if (only_source && (st = own_source(only_source, p->op, v, d)))
		return st;
	switch (p->op) {
	case SC_OP_ADD:
		return check_add(rb, today, v, &p->u.add, d);
	case SC_OP_RECTIFY:
	case SC_OP_REVOKE:
		return check_event(rb, today, p->op, v, &p->u.event, d);
	case SC_OP_CONSENT:
	case SC_OP_WITHDRAW:
		return check_consent(rb, today, p->op, v, p, d);
	case SC_OP_REGISTER:
		return check_register(rb, today, v, p, d);
	}
	return SC_EINVAL;
}

enum sc_status sc_prep_apply(struct sc_store *st, const struct sc_prep *p,
			     struct sc_diag *d)
{
	switch (p->op) {
	case SC_OP_ADD:
		return sc_store_record_add(st, &p->u.add, d);
	case SC_OP_RECTIFY:
	case SC_OP_REVOKE:
		return sc_store_record_event(st, &p->u.event, d);
	case SC_OP_CONSENT:
	case SC_OP_WITHDRAW:
		return sc_store_consent(st, p->u.consent.subject, p->u.consent.kind,
					p->u.consent.scorecard, p->op == SC_OP_CONSENT,
					p->u.consent.date, d);
	case SC_OP_REGISTER:
		return sc_store_name_set(st, p->u.reg.subject, p->u.reg.kind, p->u.reg.name,
					 p->u.reg.date, d);
	}
	return SC_EINVAL;
}
