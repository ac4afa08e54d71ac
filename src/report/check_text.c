/* The enforcer's answer to a check, written straight as JSON text: the hot
 * path of GET /v1/check (see socred/report.h). No tree and no heap: a
 * measured 1.5 us a check went to building a jansson tree and dumping it.
 * The output is byte for byte json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER)
 * of sc_report_check's object less the fields an enforcer may not learn;
 * tests/unit/test_report.c compares the two on many subjects. */
#include <stdio.h>
#include <string.h>

#include "socred/record.h"
#include "socred/report.h"

/* A writer that counts what does not fit, so one pass sizes the next. */
struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n <= o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define PUT(o, lit) put((o), (lit), sizeof(lit) - 1)

/* A JSON string, escaped as jansson does without JSON_ENSURE_ASCII: the
 * quote, the backslash and control characters; other bytes as they are
 * (the rulebook's text is UTF-8, checked when it is loaded; ids are
 * ASCII). */
static void str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;

	PUT(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6];
		size_t n = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(o, esc, n);
	}
	put(o, run, (size_t)(s - run));
	PUT(o, "\"");
}

static void day(struct out *o, sc_day d)
{
	char b[SC_DATE_LEN + 3];

	if (d == SC_DAY_NONE) {
		PUT(o, "null");
		return;
	}
	b[0] = '"';
	sc_date_format(d, b + 1);
	b[SC_DATE_LEN + 1] = '"';
	put(o, b, SC_DATE_LEN + 2);
}

/* One reason, in reason_json's order (src/report/json.c), without record,
 * record_type, source, ref and grade. */
static void reason(struct out *o, const struct sc_rulebook *rb, const struct sc_reason *r)
{
	PUT(o, "{\"reason\":");
	str(o, sc_reason_kind_name(r->kind));
	PUT(o, ",\"measure\":");
	str(o, sc_rulebook_measure_action(rb, r->measure));
	PUT(o, ",\"issued_by\":");
	str(o, sc_rulebook_measure_issuer(rb, r->measure));
	PUT(o, ",\"basis\":");
	str(o, sc_rulebook_measure_basis(rb, r->measure));
	if (r->list >= 0) {
		PUT(o, ",\"list\":");
		str(o, sc_rulebook_list_name(rb, r->list));
		PUT(o, ",\"list_basis\":");
		str(o, sc_rulebook_list_basis(rb, r->list));
	}
	if (r->record >= 0) {
		PUT(o, ",\"since\":");
		day(o, r->since);
		PUT(o, ",\"until\":");
		day(o, r->until);
	}
	if (r->scorecard >= 0) {
		PUT(o, ",\"scorecard\":");
		str(o, sc_rulebook_scorecard_name(rb, r->scorecard));
		PUT(o, ",\"required\":");
		str(o, sc_rulebook_grade_name(rb, r->scorecard, r->need));
	}
	PUT(o, "}");
}

static void answer(struct out *o, const struct sc_rulebook *rb, const char *id,
		   int action, sc_day at, enum sc_decision decision,
		   const struct sc_reason *rs, size_t n)
{
	PUT(o, "{\"subject\":");
	str(o, id);
	PUT(o, ",\"action\":");
	str(o, sc_rulebook_action_name(rb, action));
	PUT(o, ",\"at\":");
	day(o, at);
	PUT(o, ",\"decision\":");
	str(o, sc_decision_name(decision));
	if (sc_rulebook_action_is_benefit(rb, action)) {
		PUT(o, ",\"standard_terms\":");
		str(o, sc_rulebook_action_standard_terms(rb, action));
	}
	PUT(o, ",\"reasons\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			PUT(o, ",");
		reason(o, rb, &rs[i]);
	}
	PUT(o, "]}");
}

enum sc_status sc_report_check_text(const struct sc_rulebook *rb, const char *id,
				    struct sc_eval *ev, int action, sc_day at,
				    struct sc_arena *a, struct sc_check_text *out)
{
	char buf[2048];
	struct out o = {buf, 0, sizeof(buf)};
	enum sc_status s;

	if ((s = sc_eval_check(ev, action, &out->decision, &out->reasons, &out->nreasons)))
		return s;
	answer(&o, rb, id, action, at, out->decision, out->reasons, out->nreasons);
	if (!(out->text = sc_arena_alloc(a, o.len + 1)))
		return SC_ENOMEM;
	if (o.len <= sizeof(buf)) {
		memcpy(out->text, buf, o.len);
	} else {
		o = (struct out){out->text, 0, o.len};
		answer(&o, rb, id, action, at, out->decision, out->reasons, out->nreasons);
	}
	out->text[o.len] = '\0';
	out->len = o.len;
	return SC_OK;
}
