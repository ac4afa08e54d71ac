/* The store front's reads and imports of a subject's due process as
 * filed (socred/process.h): what moving a subject's file to another
 * ledger needs beyond its records and consents. An import writes rows as
 * they were read; the only rule applied is that the subject's record must
 * be here. Each runs in the caller's transaction, or one of its own
 * (ops->own_begin). */
#include <string.h>

#include "socred/record.h"
#include "store_impl.h"

#define P (st->ops->process)
#define HAS(op) (P && P->op)

/* What an import does between own_begin and own_end. */
enum what { EVENT, DISPUTE, STATEMENT, REPAIR };

struct item {
	enum what what;
	const char *subject, *record_id;
	const void *x;
	int64_t *id;
};

static enum sc_status write_item(struct sc_store *st, const struct item *it,
				 struct sc_diag *d)
{
	struct sc_proc_record r;
	enum sc_status s = sc_front_record_find(st, it->subject, it->record_id, &r, d);
	const struct sc_event_row *e = it->x;
	const struct sc_statement *t = it->x;

	if (s)
		return s;
	switch (it->what) {
	case EVENT:
		if ((e->op == SC_OP_RECTIFY && r.rectified) || (e->op == SC_OP_REVOKE && r.revoked))
			return SC_EDUPLICATE;
		return P->event_add(st->impl, r.rid, e->op, e->date, e->ref, d);
	case DISPUTE:
		return P->dispute_import(st->impl, r.rid, it->x, it->id, d);
	case STATEMENT:
		return P->statement_insert(st->impl, r.rid, t->text, t->date, it->id, d);
	case REPAIR:
		return P->repair_import(st->impl, r.rid, it->x, it->id, d);
	}
	return SC_EINVAL;
}

static enum sc_status import(struct sc_store *st, const struct item *it, struct sc_diag *d)
{
	bool own = false;
	enum sc_status s, w;

	if ((s = st->ops->own_begin(st->impl, &own, d)))
		return s;
	w = write_item(st, it, d);
	/* a duplicate wrote nothing: the transaction ends as a success */
	s = st->ops->own_end(st->impl, own, w == SC_EDUPLICATE ? SC_OK : w, d);
	return s ? s : w;
}

enum sc_status sc_store_event_list(struct sc_store *st, const char *subject,
				   sc_store_event_fn cb, void *ctx, struct sc_diag *d)
{
	if (!HAS(event_list))
		return sc_store_missing(st, "event_list", d);
	return P->event_list(st->impl, subject, cb, ctx, d);
}

enum sc_status sc_store_event_import(struct sc_store *st, const char *subject,
				     const struct sc_event_row *e, struct sc_diag *d)
{
	struct item it = {EVENT, subject, e->record_id, e, NULL};

	if (!HAS(event_add) || !st->ops->own_begin)
		return sc_store_missing(st, "event_import", d);
	if (e->op != SC_OP_RECTIFY && e->op != SC_OP_REVOKE)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "op", "not an event: op %d", e->op);
	return import(st, &it, d);
}

enum sc_status sc_store_dispute_import(struct sc_store *st, const struct sc_dispute *x,
				       int64_t *id, struct sc_diag *d)
{
	struct item it = {DISPUTE, x->subject, x->record_id, x, id};

	if (!HAS(dispute_import) || !st->ops->own_begin)
		return sc_store_missing(st, "dispute_import", d);
	return import(st, &it, d);
}

enum sc_status sc_store_statement_import(struct sc_store *st, const char *subject,
					 const struct sc_statement *x, int64_t *id,
					 struct sc_diag *d)
{
	struct item it = {STATEMENT, subject, x->record_id, x, id};

	if (!HAS(statement_insert) || !st->ops->own_begin)
		return sc_store_missing(st, "statement_import", d);
	return import(st, &it, d);
}

enum sc_status sc_store_repair_import(struct sc_store *st, const struct sc_repair *x,
				      int64_t *id, struct sc_diag *d)
{
	struct item it = {REPAIR, x->subject, x->record_id, x, id};

	if (!HAS(repair_import) || !st->ops->own_begin)
		return sc_store_missing(st, "repair_import", d);
	return import(st, &it, d);
}

enum sc_status sc_store_share_list(struct sc_store *st, const char *subject,
				   sc_store_share_fn cb, void *ctx, struct sc_diag *d)
{
	if (!HAS(share_list))
		return sc_store_missing(st, "share_list", d);
	return P->share_list(st->impl, subject, cb, ctx, d);
}

enum sc_status sc_store_name_dated(struct sc_store *st, const char *subject, char *name,
				   size_t size, sc_day *date, struct sc_diag *d)
{
	if (!HAS(name_get))
		return sc_store_missing(st, "name_get", d);
	return P->name_get(st->impl, subject, name, size, date, d);
}
