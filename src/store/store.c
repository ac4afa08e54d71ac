/* The ledger front: picks a backend and forwards to its ops table. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store_impl.h"
#include "socred/ledger_path.h"

enum sc_status sc_store_missing(const struct sc_store *st, const char *op, struct sc_diag *d)
{
	return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, NULL,
			   "the %s ledger backend cannot do this yet (store op %s)", st->ops->name, op);
}

static enum sc_status missing(const struct sc_store *st, const char *op, struct sc_diag *d)
{
	return sc_store_missing(st, op, d);
}

enum sc_status sc_store_open(const char *path, unsigned flags,
			     struct sc_store **out, struct sc_diag *d)
{
	return sc_store_open_upgrading(path, flags, NULL, NULL, out, d);
}

enum sc_status sc_store_open_upgrading(const char *path, unsigned flags,
				       sc_store_upgrade_fn upgrade, void *ctx,
				       struct sc_store **out, struct sc_diag *d)
{
	struct sc_store *st = calloc(1, sizeof(*st));
	enum sc_status rc;

	if (!st)
		return SC_ENOMEM;
	st->ops = sc_ledger_is_pg(path) ? &sc_store_pg_ops : &sc_store_sqlite_ops;
	rc = st->ops->open(path, flags, upgrade, ctx, &st->impl, d);
	if (rc) {
		free(st);
		return rc;
	}
	*out = st;
	return SC_OK;
}

void sc_store_close(struct sc_store *st)
{
	if (!st)
		return;
	st->ops->close(st->impl);
	free(st);
}

enum sc_status sc_store_rulebook_put(struct sc_store *st, const struct sc_rulebook *rb,
				     sc_day effective, struct sc_diag *d)
{ return st->ops->rulebook_put ? st->ops->rulebook_put(st->impl, rb, effective, d) : missing(st, "rulebook_put", d); }
enum sc_status sc_store_rulebook_get(struct sc_store *st, sc_day at, char **text, size_t *len,
				     struct sc_diag *d)
{ return st->ops->rulebook_get ? st->ops->rulebook_get(st->impl, at, text, len, d) : missing(st, "rulebook_get", d); }
enum sc_status sc_store_rulebook_list(struct sc_store *st, sc_store_rulebook_fn cb, void *ctx,
				      struct sc_diag *d)
{ return st->ops->rulebook_list ? st->ops->rulebook_list(st->impl, cb, ctx, d) : missing(st, "rulebook_list", d); }
enum sc_status sc_store_begin(struct sc_store *st, struct sc_diag *d)
{ return st->ops->begin ? st->ops->begin(st->impl, NULL, d) : missing(st, "begin", d); }
enum sc_status sc_store_begin_ingest(struct sc_store *st, size_t *lines, struct sc_diag *d)
{ return st->ops->begin ? st->ops->begin(st->impl, lines, d) : missing(st, "begin", d); }
enum sc_status sc_store_begin_lines(struct sc_store *st, size_t *lines, struct sc_diag *d)
{ return st->ops->begin_lines ? st->ops->begin_lines(st->impl, lines, d) : sc_store_begin_ingest(st, lines, d); }
enum sc_status sc_store_commit(struct sc_store *st, struct sc_diag *d)
{ return st->ops->commit ? st->ops->commit(st->impl, d) : missing(st, "commit", d); }
void sc_store_rollback(struct sc_store *st)
{ st->ops->rollback(st->impl); }
/* Records, events and consents: their rules are the front's
 * (front_records.c), over the backend's row ops. */
static bool has_records(const struct sc_store *st)
{
	const struct sc_store_ops *o = st->ops;

	return o->own_begin && o->own_end && o->record_add && o->record_add_run &&
	       o->record_find && o->event_add && o->consent_last && o->consent_add;
}
enum sc_status sc_store_record_add(struct sc_store *st, const struct sc_store_add *r, struct sc_diag *d)
{ return has_records(st) ? sc_front_record_add(st->ops, st->impl, r, d) : missing(st, "record_add", d); }
enum sc_status sc_store_record_add_run(struct sc_store *st, const struct sc_store_add *const *r,
				       size_t n, enum sc_status *out, struct sc_diag *ds,
				       size_t *done, struct sc_diag *d)
{ return has_records(st) ? sc_front_record_add_run(st->ops, st->impl, r, n, out, ds, done, d) : missing(st, "record_add_run", d); }
enum sc_status sc_store_record_event(struct sc_store *st, const struct sc_store_event *e, struct sc_diag *d)
{ return has_records(st) ? sc_front_record_event(st->ops, st->impl, e, d) : missing(st, "record_event", d); }
enum sc_status sc_store_consent(struct sc_store *st, struct sc_text subject, enum sc_kind kind,
				struct sc_text scorecard, bool granted, sc_day date, struct sc_diag *d)
{ return has_records(st) ? sc_front_consent(st->ops, st->impl, subject, kind, scorecard, granted, date, d) : missing(st, "consent", d); }
bool sc_store_lines_batched(const struct sc_store *st)
{
	return has_records(st) && st->ops->lines;
}
/* One by one, for a backend without the op. */
static enum sc_status lines_each(struct sc_store *st, const struct sc_store_line *l, size_t n,
				 enum sc_status *out, struct sc_diag *ds, size_t *done,
				 struct sc_diag *d)
{
	for (*done = 0; *done < n; ++*done) {
		const struct sc_store_line *x = &l[*done];
		enum sc_status s;
		struct sc_diag *xd = &ds[*done];
		sc_diag_clear(xd);
		if (x->op == SC_OP_ADD)
			s = sc_store_record_add(st, x->add, xd);
		else if (x->op == SC_OP_RECTIFY || x->op == SC_OP_REVOKE)
			s = sc_store_record_event(st, x->event, xd);
		else
			s = sc_store_consent(st, x->subject, x->kind, x->scorecard,
					     x->op == SC_OP_CONSENT, x->date, xd);
		if (s == SC_ESTORE || s == SC_ENOMEM) {
			*d = *xd;
			return s;
		}
		out[*done] = s;
	}
	return SC_OK;
}
enum sc_status sc_store_lines(struct sc_store *st, const struct sc_store_line *l, size_t n,
			      enum sc_status *out, struct sc_diag *ds, size_t *done,
			      struct sc_diag *d)
{
	enum sc_status rc;
	bool own;

	*done = 0;
	if (!has_records(st))
		return missing(st, "lines", d);
	if (!st->ops->lines)
		return lines_each(st, l, n, out, ds, done, d);
	/* outside a transaction, in one of their own */
	if (!(rc = st->ops->own_begin(st->impl, &own, d)))
		rc = st->ops->lines(st->impl, l, n, out, ds, done, d);
	return st->ops->own_end(st->impl, own, rc, d);
}
enum sc_status sc_store_subject_load(struct sc_store *st, const struct sc_rulebook *rb,
				     struct sc_text id, struct sc_loaded *out, struct sc_diag *d)
{ return sc_file_load(st->ops, st->impl, rb, id, out, d); }
/* The one-rulebook scans through the multi-rulebook one. */
struct one_rb {
	sc_store_visit_fn cb;
	sc_store_progress_fn progress;
	void *ctx;
};
static void progress_one(void *ctx, uint64_t done, uint64_t total)
{
	struct one_rb *o = ctx;
	o->progress(o->ctx, done, total);
}
static enum sc_status visit_one(void *ctx, int64_t sid, const char *id,
				const struct sc_subject *subjects)
{
	struct one_rb *o = ctx;
	return o->cb(o->ctx, sid, id, &subjects[0]);
}
enum sc_status sc_store_scan(struct sc_store *st, const struct sc_rulebook *rb, sc_store_visit_fn cb,
			     sc_store_progress_fn progress, void *ctx, struct sc_diag *d)
{ return sc_store_scan_marked(st, rb, cb, progress, ctx, NULL, d); }
enum sc_status sc_store_scan_marked(struct sc_store *st, const struct sc_rulebook *rb,
				    sc_store_visit_fn cb, sc_store_progress_fn progress,
				    void *ctx, struct sc_store_mark *mark, struct sc_diag *d)
{
	struct one_rb o = {cb, progress, ctx};
	return sc_store_scan_multi(st, &rb, 1, visit_one, progress ? progress_one : NULL,
				   &o, mark, d);
}
enum sc_status sc_store_scan_multi(struct sc_store *st, const struct sc_rulebook *const *rbs,
				   size_t nrb, sc_store_visit_multi_fn cb,
				   sc_store_progress_fn progress, void *ctx,
				   struct sc_store_mark *mark, struct sc_diag *d)
{
	if (nrb < 1 || nrb > SC_STORE_SCAN_RULEBOOKS)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL,
				   "a scan takes 1 to %d rulebooks", SC_STORE_SCAN_RULEBOOKS);
	return sc_file_scan(st, rbs, nrb, cb, progress, ctx, mark, d);
}
enum sc_status sc_store_changed_since(struct sc_store *st, const struct sc_store_mark *from,
				      struct sc_store_mark *to, sc_store_id_fn cb, void *ctx,
				      struct sc_diag *d)
{ return st->ops->changed_since ? st->ops->changed_since(st->impl, from, to, cb, ctx, d) : missing(st, "changed_since", d); }
bool sc_store_change_count(struct sc_store *st, uint64_t *n)
{ return st->ops->change_count && st->ops->change_count(st->impl, n); }
enum sc_status sc_store_listen(struct sc_store *st, int *fd, struct sc_diag *d)
{ return st->ops->listen ? st->ops->listen(st->impl, fd, d) : missing(st, "listen", d); }
enum sc_status sc_store_notified(struct sc_store *st, uint64_t *n, int64_t *seq, struct sc_diag *d)
{ return st->ops->notified ? st->ops->notified(st->impl, n, seq, d) : missing(st, "notified", d); }
bool sc_store_connected(struct sc_store *st)
{ return !st->ops->connected || st->ops->connected(st->impl); }
enum sc_status sc_store_identity(struct sc_store *st, char *ledger_id, int64_t *expired_max,
				 struct sc_diag *d)
{ return st->ops->identity ? st->ops->identity(st->impl, ledger_id, expired_max, d) : missing(st, "identity", d); }
enum sc_status sc_store_record_names(struct sc_store *st, const int64_t *rids, size_t n,
				     sc_store_record_name_fn cb, void *ctx, struct sc_diag *d)
{ return st->ops->record_names ? st->ops->record_names(st->impl, rids, n, cb, ctx, d) : missing(st, "record_names", d); }
enum sc_status sc_store_counts(struct sc_store *st, struct sc_store_counts *c, struct sc_diag *d)
{ return st->ops->counts ? st->ops->counts(st->impl, c, d) : missing(st, "counts", d); }
enum sc_status sc_store_run_save(struct sc_store *st, sc_day at, uint64_t subjects, double seconds,
				 const struct sc_run_tally *t, size_t nt, const struct sc_run_list *ls,
				 size_t nl, int64_t *run, struct sc_diag *d)
{ return st->ops->run_save ? st->ops->run_save(st->impl, at, subjects, seconds, t, nt, ls, nl, run, d) : missing(st, "run_save", d); }
enum sc_status sc_store_pop_load(struct sc_store *st, const char *const *ids, size_t nids,
				 int64_t new_after, struct sc_pop *out, struct sc_store_mark *mark,
				 char *ledger_id, struct sc_diag *d)
{ return st->ops->pop_load ? st->ops->pop_load(st->impl, ids, nids, new_after, out, mark, ledger_id, d) : missing(st, "pop_load", d); }

enum sc_status sc_store_key_add(struct sc_store *st, struct sc_key *k, struct sc_diag *d)
{ return st->ops->key_add ? st->ops->key_add(st->impl, k, d) : missing(st, "key_add", d); }
enum sc_status sc_store_key_get(struct sc_store *st, int64_t id, struct sc_key *out, struct sc_diag *d)
{ return st->ops->key_get ? st->ops->key_get(st->impl, id, out, d) : missing(st, "key_get", d); }
enum sc_status sc_store_key_revoke(struct sc_store *st, int64_t id, bool force,
				   struct sc_diag *d)
{ return st->ops->key_revoke ? st->ops->key_revoke(st->impl, id, force, d) : missing(st, "key_revoke", d); }
enum sc_status sc_store_key_list(struct sc_store *st, sc_store_key_fn cb, void *ctx, struct sc_diag *d)
{ return st->ops->key_list ? st->ops->key_list(st->impl, cb, ctx, d) : missing(st, "key_list", d); }
enum sc_status sc_store_audit_append(struct sc_store *st, struct sc_audit_entry *e, size_t n,
				     struct sc_diag *d)
{ return st->ops->audit_append ? st->ops->audit_append(st->impl, e, n, d) : missing(st, "audit_append", d); }
enum sc_status sc_store_audit_verify_chains(struct sc_store *st, struct sc_audit_verdict *v,
					    struct sc_diag *d)
{
	*v = (struct sc_audit_verdict){0};
	return st->ops->audit_verify ? st->ops->audit_verify(st->impl, v, d) : missing(st, "audit_verify", d);
}
enum sc_status sc_store_audit_verify(struct sc_store *st, uint64_t *count, int64_t *bad,
				     struct sc_diag *d)
{
	struct sc_audit_verdict v;
	enum sc_status rc = sc_store_audit_verify_chains(st, &v, d);

	*count = v.count;
	*bad = v.bad;
	return rc;
}
/* One chain, node 0, where the backend keeps no others. */
enum sc_status sc_store_audit_node(struct sc_store *st, const char *name, int32_t *id,
				   struct sc_diag *d)
{
	if (st->ops->audit_node)
		return st->ops->audit_node(st->impl, name, id, d);
	*id = 0;
	return SC_OK;
}
enum sc_status sc_store_audit_chain(struct sc_store *st, int32_t node, struct sc_diag *d)
{
	if (st->ops->audit_chain)
		return st->ops->audit_chain(st->impl, node, d);
	return node ? sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "node",
				  "no audit chain of node %d: this ledger keeps one, node 0", (int)node)
		    : SC_OK;
}
enum sc_status sc_store_audit_subject(struct sc_store *st, const char *subject,
				      sc_store_audit_fn cb, void *ctx, struct sc_diag *d)
{ return st->ops->audit_subject ? st->ops->audit_subject(st->impl, subject, cb, ctx, d) : missing(st, "audit_subject", d); }
enum sc_status sc_store_audit_walk(struct sc_store *st, int64_t from, int64_t to,
				   sc_store_audit_chain_fn cb, void *ctx, int64_t *bad,
				   struct sc_diag *d)
{ return st->ops->audit_walk ? st->ops->audit_walk(st->impl, from, to, cb, ctx, bad, d) : missing(st, "audit_walk", d); }
enum sc_status sc_store_audit_tree(struct sc_store *st, struct sc_merkle_frontier *f,
				   struct sc_diag *d)
{ return st->ops->audit_tree ? st->ops->audit_tree(st->impl, f, d) : missing(st, "audit_tree", d); }
enum sc_status sc_store_audit_prove(struct sc_store *st, int64_t seq, struct sc_audit_proof *p,
				    sc_store_audit_chain_fn cb, void *ctx, struct sc_diag *d)
{ return st->ops->audit_prove ? st->ops->audit_prove(st->impl, seq, p, cb, ctx, d) : missing(st, "audit_prove", d); }

enum sc_status sc_store_expire(struct sc_store *st, const int64_t *rids, size_t n,
			       struct sc_diag *d)
{ return st->ops->expire ? st->ops->expire(st->impl, rids, n, d) : missing(st, "expire", d); }

enum sc_status sc_store_tally(struct sc_store *st, enum sc_tally which, sc_store_tally_fn cb,
			      void *ctx, sc_day *run_at, struct sc_diag *d)
{ return st->ops->tally ? st->ops->tally(st->impl, which, cb, ctx, run_at, d) : missing(st, "tally", d); }


void sc_loaded_release(struct sc_loaded *l)
{
	if (l)
		sc_arena_release(&l->arena);
}

enum sc_status sc_subject_kind(const struct sc_rulebook *rb, const char *id,
			       enum sc_kind *kind, struct sc_diag *d)
{
	unsigned schemes = sc_rulebook_id_schemes(rb);
	size_t len = strlen(id);
	enum sc_status rc = sc_id_classify(schemes, id, len, kind, d);

	/* An all-digit unified social credit code shaped like a resident id
	 * is refused at ingest now, but one filed before that rule is read
	 * as the organisation it was filed as */
	if (rc && (schemes & SC_SCHEME_CN_USCC) && len == 18 &&
	    strspn(id, "0123456789") == 18 && sc_id_uscc_check(id) == id[17]) {
		*kind = SC_KIND_ORG;
		return SC_OK;
	}
	if (rc && d)
		snprintf(d->field, sizeof(d->field), "subject");
	return rc;
}

enum sc_status sc_store_subject_open(struct sc_store *st,
				     const struct sc_rulebook *rb,
				     const char *id, struct sc_loaded *out,
				     struct sc_diag *d)
{
	struct sc_text t = {id, strlen(id)};
	enum sc_kind kind;
	enum sc_status rc;

	if ((rc = sc_subject_kind(rb, id, &kind, d)))
		return rc;
	rc = sc_store_subject_load(st, rb, t, out, d);
	if (rc != SC_ENOTFOUND)
		return rc;
	/* a valid id with no file yet (of unknown kind under the 'any' scheme) */
	memset(out, 0, sizeof(*out));
	sc_arena_init(&out->arena, 1024, 0);
	out->id = sc_arena_strdup(&out->arena, id);
	out->view.kind = kind;
	return out->id ? SC_OK : SC_ENOMEM;
}
