/* Public search of the public lists (like Credit China): by an id, by a
 * whole name, or by the start of an organisation's name. Each entry shows
 * the finding, the issuing body, the case number, since, until and the
 * list's basis. Organisations are shown in full (their records are public
 * by law), and so are persons on a list that says `disclose: full`. Other
 * persons are masked: an anonymous caller learns nothing of them that it
 * did not supply. A person is found only by the whole id or the whole
 * name (sc_text_fold: any case, width or Unicode form), never by a
 * prefix, and a masked entry shows a fixed mask in place of the id, and of
 * the name the first character of the caller's own query, when the query
 * was the name: neither the name's length nor any digit of the id.
 * Over a cluster map every ledger is searched and their finds merged in
 * the order one ledger gives (the same answer when no more than the
 * limit are found). */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/record.h"
#include "socred/report.h"

#define SEARCH_MATCHES_MAX 50
#define MASK "\xc2\xb7" /* U+00B7 middle dot: what is withheld */

/* The masked name: the first character of q (UTF-8), then the mask. */
static void mask_name(const char *q, enum sc_name_match how, char *out, size_t size)
{
	size_t k = 0;

	while (q[k] == ' ')
		q++;
	if (how == SC_NAME_BY_NAME && q[k])
		do
			k++;
		while (((unsigned char)q[k] & 0xC0) == 0x80);
	snprintf(out, size, "%.*s" MASK, (int)k, q);
}

struct search {
	struct sc_req *r;
	struct sc_store *st;
	int list;            /* -1: every public list */
	json_t *results;
	struct sc_eval *ev;
	size_t seen;
	const char *q;
};

static enum sc_status visit(void *ctx, const char *subject, const char *name,
			    enum sc_name_match how)
{
	struct search *s = ctx;
	const struct sc_rulebook *rb = s->r->rb;
	struct sc_loaded l;
	size_t n;
	const struct sc_list_hit *h;

	if (++s->seen > SEARCH_MATCHES_MAX)
		return SC_OK;
	if (sc_store_subject_open(s->st, rb, subject, &l, NULL))
		return SC_OK;
	if (sc_eval_subject(s->ev, &l.view, sc_req_today(s->r), 0)) {
		sc_loaded_release(&l);
		return SC_OK;
	}
	h = sc_eval_lists(s->ev, &n);
	for (size_t i = 0; i < n; i++) {
		struct sc_list_info li;
		char id[80], nm[SC_LIMIT_PERSON_NAME + 1];
		int src;
		bool mask;
		if ((s->list >= 0 && h[i].list != s->list) || !sc_rulebook_list_public(rb, h[i].list))
			continue;
		sc_rulebook_list_info(rb, h[i].list, &li);
		mask = l.view.kind != SC_KIND_ORG && !li.disclose_full;
		if (mask) {
			snprintf(id, sizeof(id), MASK);
			mask_name(s->q, how, nm, sizeof(nm));
		} else {
			snprintf(id, sizeof(id), "%s", subject);
			snprintf(nm, sizeof(nm), "%s", name);
		}
		src = sc_rulebook_source_find(rb, l.sources[h[i].record], strlen(l.sources[h[i].record]));
		json_array_append_new(s->results, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}",
			"list", li.name, "label", li.label ? li.label : li.name,
			"subject", id, "name", nm,
			"finding", l.types[h[i].record],
			"issued_by", src >= 0 && sc_rulebook_source_label(rb, src)
					     ? sc_rulebook_source_label(rb, src) : l.sources[h[i].record],
			"case", l.refs[h[i].record],
			"since", sc_report_day(h[i].since), "until", sc_report_day(h[i].until),
			"basis", li.basis));
	}
	sc_loaded_release(&l);
	return SC_OK;
}

/* ---- over a cluster map: every ledger's finds, in one ledger's order ---- */

struct find {
	char *subject, *name;
	enum sc_name_match how;
	size_t ledger;
};

struct finds {
	struct sc_server *srv;
	size_t ledger; /* of the finds coming */
	struct find *v;
	size_t n, cap;
	bool failed;
};

static enum sc_status collect(void *ctx, const char *subject, const char *name,
			      enum sc_name_match how)
{
	struct finds *f = ctx;
	struct find *x;

	/* a ledger still holds the subjects moved off it: the map says whose */
	if (sc_server_part_of(f->srv, subject, strlen(subject))->index != f->ledger)
		return SC_OK;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct find *v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return SC_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	*x = (struct find){strdup(subject), strdup(name), how, f->ledger};
	if (!x->subject || !x->name) {
		free(x->subject);
		free(x->name);
		return SC_ENOMEM;
	}
	f->n++;
	return SC_OK;
}

/* sc_store_name_search's order: by how found, then by id */
static int find_cmp(const void *a, const void *b)
{
	const struct find *x = a, *y = b;

	if (x->how != y->how)
		return x->how < y->how ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

/* Every ledger's first `limit` finds, merged in the order one ledger
 * gives its own, the first `limit` of them visited, each on its ledger. */
static enum sc_status search_map(struct search *s, const char *q, size_t limit,
				 struct sc_diag *d)
{
	struct finds f = {.srv = s->r->srv};
	enum sc_status rc = SC_OK;

	for (size_t i = 0; !rc && i < f.srv->nparts; i++) {
		struct sc_store *one = sc_req_ledger(s->r, i);
		f.ledger = i;
		rc = one ? sc_store_name_search(one, q, limit, collect, &f, d) : SC_ENOMEM;
	}
	if (!rc && f.n)
		qsort(f.v, f.n, sizeof(*f.v), find_cmp);
	for (size_t i = 0; !rc && i < f.n && i < limit; i++) {
		s->st = sc_req_ledger(s->r, f.v[i].ledger);
		rc = visit(s, f.v[i].subject, f.v[i].name, f.v[i].how);
	}
	for (size_t i = 0; i < f.n; i++) {
		free(f.v[i].subject);
		free(f.v[i].name);
	}
	free(f.v);
	return rc;
}

static void search(struct sc_req *r, struct sc_store *st, int list)
{
	const char *q = sc_req_query(r, "q");
	struct search s = {.r = r, .st = st, .list = list, .results = json_array(),
			   .ev = sc_eval_new(r->rb), .q = q};
	struct sc_diag d;
	char *key = NULL;
	size_t n = 0;

	if (!q || strlen(q) > SC_LIMIT_PERSON_NAME) {
		sc_reply_errorf(r, 400, "q", "query parameter 'q' is required: an id, a whole name or the"
				" start of an organisation's name, 1 to %d bytes", SC_LIMIT_PERSON_NAME);
		goto out;
	}
	sc_diag_clear(&d);
	if (sc_text_check(q, strlen(q), SC_LIMIT_PERSON_NAME, &d)) {
		sc_reply_errorf(r, 400, "q", "query parameter 'q': %s", d.message);
		goto out;
	}
	if (sc_text_fold(q, strlen(q), &key, &n) || n == 0) {
		sc_reply_errorf(r, 400, "q", "query parameter 'q' is blank: give an id, a whole name or the"
				" start of an organisation's name");
		goto out;
	}
	if (!s.ev || (r->srv->opts.map ? search_map(&s, q, SEARCH_MATCHES_MAX + 1, &d)
				       : sc_store_name_search(st, q, SEARCH_MATCHES_MAX + 1, visit, &s, &d))) {
		sc_reply_errorf(r, 500, NULL, "cannot search");
		goto out;
	}
	sc_reply_json(r, 200, json_pack("{s:s,s:o,s:O,s:b}", "q", q,
					"at", sc_report_day(sc_req_today(r)), "results", s.results,
					"truncated", s.seen > SEARCH_MATCHES_MAX));
out:
	free(key);
	json_decref(s.results);
	sc_eval_free(s.ev);
}

void sc_h_list_search(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	int l = sc_rulebook_list_find(r->rb, p[0], strlen(p[0]));

	if (l < 0 || !sc_rulebook_list_public(r->rb, l)) {
		sc_reply_errorf(r, 404, NULL, "no public list '%.64s'", p[0]);
		return;
	}
	search(r, st, l);
}

void sc_h_search(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)p;
	search(r, st, -1);
}
