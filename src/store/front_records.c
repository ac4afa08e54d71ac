/* The rules of records, events and consents, the same for every backend:
 * what a line whose record_id is filed already is (a duplicate, or a
 * conflict naming the first field that differs), who may rectify or revoke
 * a record (its filing source), which dates an event may carry, which
 * events exclude which, and when a consent repeats the day's last act.
 * Backends (store_impl.h) only read and write the rows. */
#include <string.h>

#include "store_impl.h"

static bool text_is(const char *a, struct sc_text b)
{
	return strlen(a) == b.n && !memcmp(a, b.p, b.n);
}

enum sc_status sc_front_record_taken(const struct sc_store_add *r, const struct sc_store_filed *f,
				     struct sc_diag *d)
{
	const char *field = NULL;

	if (!text_is(f->subject, r->subject))
		field = "subject";
	else if (!text_is(f->type, r->type))
		field = "type";
	else if (f->date != r->date)
		field = "date";
	else if (f->amount != r->amount)
		field = "amount";
	else if (!text_is(f->source, r->source))
		field = "source";
	else if (!text_is(f->ref, r->ref))
		field = "ref";
	if (!field)
		return SC_EDUPLICATE;
	return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, field,
			   "record_id '%.*s' is already filed with a different %s",
			   (int)r->record_id.n, r->record_id.p, field);
}

enum sc_status sc_front_kind_conflict(struct sc_text id, enum sc_kind have, enum sc_kind want,
				      struct sc_diag *d)
{
	return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "kind",
			   "subject '%.*s' is filed as %s %s, not %s %s",
			   (int)id.n, id.p, have == SC_KIND_ORG ? "an" : "a",
			   sc_kind_name(have), want == SC_KIND_ORG ? "an" : "a",
			   sc_kind_name(want));
}

enum sc_status sc_front_record_add(const struct sc_store_ops *ops, void *impl,
				   const struct sc_store_add *r, struct sc_diag *d)
{
	bool own;
	enum sc_status st = ops->own_begin(impl, &own, d);

	if (!st)
		st = ops->record_add(impl, r, sc_front_record_taken, d);
	return ops->own_end(impl, own, st, d);
}

enum sc_status sc_front_record_add_run(const struct sc_store_ops *ops, void *impl,
				       const struct sc_store_add *const *r, size_t n,
				       enum sc_status *out, struct sc_diag *ds, size_t *done,
				       struct sc_diag *d)
{
	bool own;
	enum sc_status st = ops->own_begin(impl, &own, d);

	*done = 0;
	if (!st)
		st = ops->record_add_run(impl, r, n, out, ds, done, sc_front_record_taken, d);
	return ops->own_end(impl, own, st, d);
}

/* Whether record f admits event e: only its filing source may rectify or
 * revoke it (an event naming no source is the registry's own), never
 * dated before the record, not the same op again (the same line again is
 * a duplicate), no rectify after a revoke. */
enum sc_status sc_front_event_check(const struct sc_store_filed *f, const struct sc_store_event *e,
				    struct sc_diag *d)
{
	const char *verb = e->op == SC_OP_RECTIFY ? "rectified" : "revoked";
	char day[SC_DATE_LEN + 1];

	if (e->source.n && !text_is(f->source, e->source))
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "source",
				   "record '%.*s' was filed by '%s', not '%.*s': only the filing source may %s it",
				   (int)e->record_id.n, e->record_id.p, f->source,
				   (int)e->source.n, e->source.p, sc_op_name(e->op));
	if (e->date < f->date) {
		sc_date_format(f->date, day);
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "date",
				   "a %s cannot precede the record's date %s",
				   sc_op_name(e->op), day);
	}
	for (size_t i = 0; i < f->nev; i++) {
		const struct sc_store_filed_event *v = &f->ev[i];
		sc_date_format(v->date, day);
		if (v->op == e->op) {
			if (v->date == e->date && text_is(v->ref, e->ref))
				return SC_EDUPLICATE;
			return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "date",
					   "record '%.*s' was already %s on %s",
					   (int)e->record_id.n, e->record_id.p, verb, day);
		}
		if (v->op == SC_OP_REVOKE && e->op == SC_OP_RECTIFY)
			return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record_id",
					   "record '%.*s' was revoked on %s and cannot be rectified",
					   (int)e->record_id.n, e->record_id.p, day);
	}
	return SC_OK;
}

enum sc_status sc_front_event_unknown(const struct sc_store_event *e, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "record_id",
			   "unknown record_id '%.*s': a %s must follow the add of its record",
			   (int)e->record_id.n, e->record_id.p, sc_op_name(e->op));
}

enum sc_status sc_front_record_event(const struct sc_store_ops *ops, void *impl,
				     const struct sc_store_event *e, struct sc_diag *d)
{
	struct sc_store_filed f;
	bool own;
	enum sc_status st = ops->own_begin(impl, &own, d);

	if (st)
		return st;
	st = ops->record_find(impl, e->record_id, &f, d);
	if (st == SC_ENOTFOUND)
		st = sc_front_event_unknown(e, d);
	else if (!st && !(st = sc_front_event_check(&f, e, d)))
		st = ops->event_add(impl, &f, e, d);
	return ops->own_end(impl, own, st, d);
}

enum sc_status sc_front_consent(const struct sc_store_ops *ops, void *impl,
				struct sc_text subject, enum sc_kind kind, struct sc_text scorecard,
				bool granted, sc_day date, struct sc_diag *d)
{
	int64_t sid;
	int last;
	bool own;
	enum sc_status st = ops->own_begin(impl, &own, d);

	if (st)
		return st;
	/* a repeat of the day's last act for the scorecard changes nothing:
	 * consent, withdraw, consent on one day is three acts, the last in
	 * force (as the evaluator reads them: the later filed on a tie) */
	st = ops->consent_last(impl, subject, kind, scorecard, date, &sid, &last, d);
	if (!st)
		st = last == (int)granted ? SC_EDUPLICATE
					  : ops->consent_add(impl, sid, scorecard, granted, date, d);
	return ops->own_end(impl, own, st, d);
}
