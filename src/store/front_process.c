/* The store front's due process: the rules of disputes, statements,
 * credit repair, shares and names, the same on every backend. A backend
 * reads and writes rows (struct sc_store_process_ops); what a decision
 * does to a record, who may make it and which records may be disputed or
 * repaired is decided here. A decision that changes a record does it with
 * an event (revoke, rectify) in the decision's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socred/record.h"
#include "store_impl.h"

#define P (st->ops->process)
#define HAS(op) (P && P->op)

/* The subject's record; SC_ENOTFOUND names the field. */
enum sc_status sc_front_record_find(struct sc_store *st, const char *subject,
				  const char *record_id, struct sc_proc_record *r,
				  struct sc_diag *d)
{
	enum sc_status s = P->record_find(st->impl, subject, record_id, r, d);

	if (s == SC_ENOTFOUND)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "record",
				   "subject '%.64s' has no record '%.64s'", subject, record_id);
	return s;
}

/* SC_ECONFLICT when the record has an undecided item in t. */
static enum sc_status none_open(struct sc_store *st, enum sc_proc_items t, int64_t rid,
				const char *record_id, const char *what, struct sc_diag *d)
{
	int64_t id = 0;
	enum sc_status s = P->open_item(st->impl, t, rid, &id, d);

	if (!s && id)
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				   "record '%.64s' has an open %s already (%lld)", record_id, what,
				   (long long)id);
	return s;
}

/* May `who` decide item `id` about a record of `source`, still undecided? */
static enum sc_status may_decide(const struct sc_decider *who, const char *what,
				 int64_t id, const char *source, sc_day decided,
				 const char *outcome, struct sc_diag *d)
{
	if (who->only_source && strcmp(who->only_source, source))
		return sc_diag_set(d, SC_EREFUSED, NULL, 0, 0, what,
				   "%s %lld is about a record of '%s': only its source or an admin decides",
				   what, (long long)id, source);
	if (decided != SC_DAY_NONE)
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, what,
				   "%s %lld was decided already (%s)", what, (long long)id, outcome);
	return SC_OK;
}

/* The event a decision makes: a revocation (unless revoked already) or a
 * rectification, never dated before the record. */
static enum sc_status decision_event(struct sc_store *st, const char *subject,
				     const char *record_id, enum sc_op op, sc_day date,
				     const char *ref, struct sc_diag *d)
{
	struct sc_proc_record r;
	enum sc_status s = sc_front_record_find(st, subject, record_id, &r, d);

	if (s || (op == SC_OP_REVOKE && r.revoked))
		return s;
	return P->event_add(st->impl, r.rid, op, date < r.date ? r.date : date, ref, d);
}

/* ---- disputes ---- */

static enum sc_status dispute_get(struct sc_store *st, int64_t id, struct sc_dispute *x,
				  struct sc_diag *d)
{
	enum sc_status s = P->dispute_get(st->impl, id, x, d);

	if (s == SC_ENOTFOUND)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "dispute", "no dispute %lld",
				   (long long)id);
	return s;
}

enum sc_status sc_store_dispute_open(struct sc_store *st, const char *subject,
				     const char *record_id, const char *reason,
				     sc_day opened, int32_t review_days,
				     struct sc_dispute *out, struct sc_diag *d)
{
	struct sc_proc_record r;
	int64_t id;
	enum sc_status s;

	if (!HAS(dispute_insert))
		return sc_store_missing(st, "dispute_open", d);
	if ((s = P->begin(st->impl, d)))
		return s;
	if ((s = sc_front_record_find(st, subject, record_id, &r, d)))
		goto end;
	if (r.revoked) {
		s = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				"record '%.64s' is revoked already", record_id);
		goto end;
	}
	if ((s = none_open(st, SC_PROC_DISPUTES, r.rid, record_id, "dispute", d)) ||
	    (s = P->dispute_insert(st->impl, r.rid, reason, opened,
				   sc_day_add(opened, review_days), &id, d)))
		goto end;
	s = dispute_get(st, id, out, d);
end:
	return P->end(st->impl, s, d);
}

enum sc_status sc_store_dispute_decide(struct sc_store *st, int64_t id, const char *outcome,
				       const char *note, sc_day date,
				       const struct sc_decider *who,
				       struct sc_dispute *out, struct sc_diag *d)
{
	struct sc_dispute *x;
	bool corrected = !strcmp(outcome, "corrected");
	char ref[64];
	enum sc_status s;

	if (!HAS(dispute_decided))
		return sc_store_missing(st, "dispute_decide", d);
	if (!corrected && strcmp(outcome, "upheld"))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "outcome",
				   "outcome must be upheld or corrected");
	if (!(x = malloc(sizeof(*x))))
		return SC_ENOMEM;
	if ((s = P->begin(st->impl, d)))
		goto done;
	if ((s = dispute_get(st, id, x, d)) ||
	    (s = may_decide(who, "dispute", id, x->source, x->decided, x->outcome, d)) ||
	    (s = P->dispute_decided(st->impl, id, date, outcome, who->by, note ? note : "", d)))
		goto end;
	/* a corrected record is revoked: it no longer counts */
	snprintf(ref, sizeof(ref), "dispute %lld corrected", (long long)id);
	if (corrected &&
	    (s = decision_event(st, x->subject, x->record_id, SC_OP_REVOKE, date, ref, d)))
		goto end;
	s = dispute_get(st, id, out, d);
end:
	s = P->end(st->impl, s, d);
done:
	free(x);
	return s;
}

enum sc_status sc_store_dispute_list(struct sc_store *st, const char *subject,
				     const char *source, bool open_only,
				     sc_store_dispute_fn cb, void *ctx, struct sc_diag *d)
{
	if (!HAS(dispute_list))
		return sc_store_missing(st, "dispute_list", d);
	return P->dispute_list(st->impl, subject, source, open_only, cb, ctx, d);
}

/* ---- statements ---- */

enum sc_status sc_store_statement_add(struct sc_store *st, const char *subject,
				      const char *record_id, const char *text,
				      sc_day date, struct sc_statement *out,
				      struct sc_diag *d)
{
	struct sc_proc_record r;
	int64_t id;
	enum sc_status s;

	if (!HAS(statement_insert))
		return sc_store_missing(st, "statement_add", d);
	if ((s = P->begin(st->impl, d)))
		return s;
	/* any record of the subject's own may carry its statement */
	if ((s = sc_front_record_find(st, subject, record_id, &r, d)) ||
	    (s = P->statement_insert(st->impl, r.rid, text, date, &id, d)))
		goto end;
	out->id = id;
	snprintf(out->record_id, sizeof(out->record_id), "%s", record_id);
	snprintf(out->text, sizeof(out->text), "%s", text);
	out->date = date;
end:
	return P->end(st->impl, s, d);
}

enum sc_status sc_store_statement_list(struct sc_store *st, const char *subject,
				       sc_store_statement_fn cb, void *ctx, struct sc_diag *d)
{
	if (!HAS(statement_list))
		return sc_store_missing(st, "statement_list", d);
	return P->statement_list(st->impl, subject, cb, ctx, d);
}

/* ---- repair ---- */

static enum sc_status repair_get(struct sc_store *st, int64_t id, struct sc_repair *x,
				 struct sc_diag *d)
{
	enum sc_status s = P->repair_get(st->impl, id, x, d);

	if (s == SC_ENOTFOUND)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "repair",
				   "no repair application %lld", (long long)id);
	return s;
}

enum sc_status sc_store_repair_apply(struct sc_store *st, const char *subject,
				     const char *record_id, const char *commitment,
				     sc_day applied, struct sc_repair *out,
				     struct sc_diag *d)
{
	struct sc_proc_record r;
	int64_t id;
	enum sc_status s;

	if (!HAS(repair_insert))
		return sc_store_missing(st, "repair_apply", d);
	if ((s = P->begin(st->impl, d)))
		return s;
	if ((s = sc_front_record_find(st, subject, record_id, &r, d)))
		goto end;
	/* repair shortens a record's weight: one already rectified or
	 * revoked has nothing left to repair */
	if (r.rectified || r.revoked) {
		s = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "record",
				"record '%.64s' is %s already", record_id,
				r.revoked ? "revoked" : "rectified");
		goto end;
	}
	if ((s = none_open(st, SC_PROC_REPAIRS, r.rid, record_id, "repair application", d)) ||
	    (s = P->repair_insert(st->impl, r.rid, commitment, applied, &id, d)))
		goto end;
	s = repair_get(st, id, out, d);
end:
	return P->end(st->impl, s, d);
}

enum sc_status sc_store_repair_decide(struct sc_store *st, int64_t id, const char *outcome,
				      const char *reason, sc_day date,
				      const struct sc_decider *who,
				      struct sc_repair *out, struct sc_diag *d)
{
	struct sc_repair *x;
	bool approved = !strcmp(outcome, "approved");
	char ref[64];
	enum sc_status s;

	if (!HAS(repair_decided))
		return sc_store_missing(st, "repair_decide", d);
	if (!approved && strcmp(outcome, "refused"))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "outcome",
				   "outcome must be approved or refused");
	if (!approved && (!reason || !*reason))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "reason",
				   "a refusal must give its reason");
	if (!(x = malloc(sizeof(*x))))
		return SC_ENOMEM;
	if ((s = P->begin(st->impl, d)))
		goto done;
	if ((s = repair_get(st, id, x, d)) ||
	    (s = may_decide(who, "repair", id, x->source, x->decided, x->outcome, d)) ||
	    (s = P->repair_decided(st->impl, id, date, outcome, reason ? reason : "", who->by, d)))
		goto end;
	/* an approved repair rectifies the record: the rulebook's
	 * repair_min_days still holds */
	snprintf(ref, sizeof(ref), "credit repair %lld approved", (long long)id);
	if (approved &&
	    (s = decision_event(st, x->subject, x->record_id, SC_OP_RECTIFY, date, ref, d)))
		goto end;
	s = repair_get(st, id, out, d);
end:
	s = P->end(st->impl, s, d);
done:
	free(x);
	return s;
}

enum sc_status sc_store_repair_list(struct sc_store *st, const char *subject,
				    const char *source, bool open_only,
				    sc_store_repair_fn cb, void *ctx, struct sc_diag *d)
{
	if (!HAS(repair_list))
		return sc_store_missing(st, "repair_list", d);
	return P->repair_list(st->impl, subject, source, open_only, cb, ctx, d);
}

/* ---- shares ---- */

enum sc_status sc_store_share_add(struct sc_store *st, const char *subject,
				  const unsigned char hash[SC_KEY_HASH_BYTES], sc_day created,
				  sc_day expires, struct sc_diag *d)
{
	enum sc_status s;

	if (!HAS(share_add))
		return sc_store_missing(st, "share_add", d);
	s = P->share_add(st->impl, subject, hash, created, expires, d);
	if (s == SC_ENOTFOUND)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "subject",
				   "subject '%.64s' has no file to share", subject);
	return s;
}

enum sc_status sc_store_share_get(struct sc_store *st, const unsigned char hash[SC_KEY_HASH_BYTES],
				  char subject[SC_LIMIT_SUBJECT_ID + 1], sc_day *expires,
				  struct sc_diag *d)
{
	enum sc_status s;

	if (!HAS(share_get))
		return sc_store_missing(st, "share_get", d);
	s = P->share_get(st->impl, hash, subject, expires, d);
	if (s == SC_ENOTFOUND)
		return sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "share", "no such share link");
	return s;
}

/* ---- names ---- */

enum sc_status sc_store_name_set(struct sc_store *st, struct sc_text subject, enum sc_kind kind,
				 struct sc_text name, sc_day date, struct sc_diag *d)
{
	char *key = NULL;
	size_t n = 0;
	enum sc_status s;

	if (!HAS(name_put))
		return sc_store_missing(st, "name_set", d);
	/* the search key: sc_text_fold's; none (NULL) for a text that has
	 * none (not UTF-8: the readers refuse such names before) */
	if ((s = sc_text_fold(name.p, name.n, &key, &n)) == SC_ENOMEM)
		return s;
	s = P->name_put(st->impl, subject, kind, name, key, n, date, d);
	free(key);
	return s;
}

enum sc_status sc_store_name_get(struct sc_store *st, const char *subject, char *name, size_t size,
				 struct sc_diag *d)
{
	if (!HAS(name_get))
		return sc_store_missing(st, "name_get", d);
	return P->name_get(st->impl, subject, name, size, NULL, d);
}

/* Subjects found by a search, each once, by its closest way. */
struct found {
	char *subject, *name;
	enum sc_name_match how;
};
struct finds {
	struct found *v;
	size_t n, cap;
	enum sc_name_match how; /* of the rows coming */
};

static enum sc_status find_row(void *ctx, const char *subject, const char *name)
{
	struct finds *f = ctx;
	struct found *x;

	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].subject, subject))
			return SC_OK; /* found a closer way already */
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct found *v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return SC_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	x->subject = strdup(subject);
	x->name = strdup(name);
	x->how = f->how;
	if (!x->subject || !x->name) {
		free(x->subject);
		free(x->name);
		return SC_ENOMEM;
	}
	f->n++;
	return SC_OK;
}

static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->how != y->how)
		return x->how < y->how ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

/* ASCII letters of s in upper case (up) or lower case, into out */
static void ascii_case(const char *s, char *out, size_t size, bool up)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++)
		out[i] = up && s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32)
			 : !up && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	out[i] = '\0';
}

/* The least text above every text that starts with the UTF-8 text p (n
 * bytes): p with its last character one code point up (past the
 * surrogates), that character dropped first while it is the last code
 * point. Byte order is code point order in UTF-8, so the texts starting
 * with p are exactly those in [p, above). Into out (n + 1 bytes at most);
 * its length, 0 when there is none (every text from p on). */
static size_t prefix_above(const char *p, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)p;

	while (n) {
		size_t i = n - 1;
		uint32_t c;

		while (i && (u[i] & 0xc0) == 0x80)
			i--;
		c = u[i] < 0x80 ? u[i] : u[i] < 0xe0 ? u[i] & 0x1f : u[i] < 0xf0 ? u[i] & 0x0f
										 : u[i] & 0x07;
		for (size_t k = i + 1; k < n; k++)
			c = c << 6 | (u[k] & 0x3f);
		c = c + 1 == 0xd800 ? 0xe000 : c + 1;
		if (c > 0x10ffff) {
			n = i;
			continue;
		}
		memcpy(out, p, i);
		if (c < 0x80) {
			out[i++] = (char)c;
		} else if (c < 0x800) {
			out[i++] = (char)(0xc0 | c >> 6);
			out[i++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[i++] = (char)(0xe0 | c >> 12);
			out[i++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[i++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[i++] = (char)(0xf0 | c >> 18);
			out[i++] = (char)(0x80 | (c >> 12 & 0x3f));
			out[i++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[i++] = (char)(0x80 | (c & 0x3f));
		}
		return i;
	}
	return 0;
}

static struct sc_text text_of(const char *s, size_t n)
{
	struct sc_text t = {s, n};
	return t;
}

enum sc_status sc_store_name_search(struct sc_store *st, const char *q, size_t limit,
				    sc_store_name_fn cb, void *ctx, struct sc_diag *d)
{
	struct finds f = {0};
	struct sc_text none = {NULL, 0};
	char *key = NULL, *above = NULL, up[SC_LIMIT_SUBJECT_ID + 1], low[SC_LIMIT_SUBJECT_ID + 1];
	size_t n = 0;
	enum sc_status s = SC_OK;

	if (!HAS(name_find))
		return sc_store_missing(st, "name_search", d);
	/* longer than any name or id, or no text: none */
	if (strlen(q) > SC_LIMIT_PERSON_NAME || sc_text_fold(q, strlen(q), &key, &n))
		return SC_OK;
	/* an id as given, and its key in upper and in lower case (ids are
	 * ASCII: the key of a full-width id is the id); a key longer than
	 * any id is no id (its cut copies must not match) */
	f.how = SC_NAME_BY_ID;
	s = P->name_find(st->impl, SC_NAME_BY_ID, text_of(q, strlen(q)), none, limit, find_row, &f, d);
	if (!s && n <= SC_LIMIT_SUBJECT_ID) {
		ascii_case(key, up, sizeof(up), true);
		ascii_case(key, low, sizeof(low), false);
		s = P->name_find(st->impl, SC_NAME_BY_ID, text_of(up, strlen(up)), none, limit,
				 find_row, &f, d);
		if (!s)
			s = P->name_find(st->impl, SC_NAME_BY_ID, text_of(low, strlen(low)), none,
					 limit, find_row, &f, d);
	}
	/* a name's whole key (persons and organisations), or the start of an
	 * organisation's (never a person by the start of its name) */
	if (!s && n > 0) {
		f.how = SC_NAME_BY_NAME;
		s = P->name_find(st->impl, SC_NAME_BY_NAME, text_of(key, n), none, limit, find_row,
				 &f, d);
	}
	if (!s && n > 0) {
		size_t an;
		if (!(above = malloc(n + 1))) {
			s = SC_ENOMEM;
			goto out;
		}
		an = prefix_above(key, n, above);
		f.how = SC_NAME_BY_PREFIX;
		s = P->name_find(st->impl, SC_NAME_BY_PREFIX, text_of(key, n),
				 text_of(an ? above : NULL, an), limit, find_row, &f, d);
	}
	if (s)
		goto out;
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), found_cmp);
	for (size_t i = 0; !s && i < f.n && i < limit; i++)
		s = cb(ctx, f.v[i].subject, f.v[i].name, f.v[i].how);
out:
	for (size_t i = 0; i < f.n; i++) {
		free(f.v[i].subject);
		free(f.v[i].name);
	}
	free(f.v);
	free(above);
	free(key);
	return s;
}
