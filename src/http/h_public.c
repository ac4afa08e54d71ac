/* Public search of the public lists (like Credit China): by id or by a
 * registered name's prefix. Each entry shows the finding, the issuing body,
 * the case number, since, until and the list's basis. Persons' names and
 * ids are masked unless the list says `disclose: full`; organisations are
 * shown in full. */
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/report.h"

#define SEARCH_MATCHES_MAX 50
#define SEARCH_QUERY_MIN 2

/* "360426199101010071" -> "3604**********0071" */
static void mask_id(const char *id, char *out, size_t size)
{
	size_t n = strlen(id);

	snprintf(out, size, "%s", id);
	for (size_t i = 4; i + 4 < n && i < size - 1; i++)
		out[i] = '*';
}

/* Keeps the first character (UTF-8 aware), one '*' for each of the rest. */
static void mask_name(const char *name, char *out, size_t size)
{
	size_t i = 0, o = 0;

	if (!*name || size < 8) {
		if (size)
			out[0] = '\0';
		return;
	}
	do
		out[o++] = name[i++];
	while (name[i] && ((unsigned char)name[i] & 0xC0) == 0x80 && o < size - 1);
	for (; name[i] && o < size - 1; i++)
		if (((unsigned char)name[i] & 0xC0) != 0x80 && name[i] != ' ')
			out[o++] = '*';
	out[o] = '\0';
}

struct search {
	struct sc_req *r;
	struct sc_store *st;
	int list;            /* -1: every public list */
	json_t *results;
	struct sc_eval *ev;
	size_t seen;
};

static enum sc_status visit(void *ctx, const char *subject, const char *name)
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
			mask_id(subject, id, sizeof(id));
			mask_name(name, nm, sizeof(nm));
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

static void search(struct sc_req *r, struct sc_store *st, int list)
{
	const char *q = sc_req_query(r, "q");
	struct search s = {.r = r, .st = st, .list = list, .results = json_array(),
			   .ev = sc_eval_new(r->rb)};
	struct sc_diag d;

	if (!q || strlen(q) < SEARCH_QUERY_MIN || strlen(q) > SC_LIMIT_PERSON_NAME) {
		sc_reply_errorf(r, 400, "q", "query parameter 'q' is required: an id or the start of a name, %d to %d bytes",
				SEARCH_QUERY_MIN, SC_LIMIT_PERSON_NAME);
		goto out;
	}
	sc_diag_clear(&d);
	if (sc_text_check(q, strlen(q), SC_LIMIT_PERSON_NAME, &d)) {
		sc_reply_errorf(r, 400, "q", "query parameter 'q': %s", d.message);
		goto out;
	}
	if (!s.ev || sc_store_name_search(st, q, SEARCH_MATCHES_MAX + 1, visit, &s, &d)) {
		sc_reply_errorf(r, 500, NULL, "cannot search");
		goto out;
	}
	sc_reply_json(r, 200, json_pack("{s:s,s:o,s:O,s:b}", "q", q,
					"at", sc_report_day(sc_req_today(r)), "results", s.results,
					"truncated", s.seen > SEARCH_MATCHES_MAX));
out:
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
