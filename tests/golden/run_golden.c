/* The golden case runner. A case file holds sections:
 *
 *   %% rulebook [@FILE]     YAML inline, or a file relative to the case
 *   %% compile-error        the exact diagnostic the rulebook must fail with
 *   %% records              CSV lines to ingest (several sections: in order)
 *   %% records.jsonl        JSONL lines to ingest
 *   %% rejects              every reject and warning, exactly, in order
 *   %% summary              accepted=N duplicates=N rejected=N warnings=N
 *   %% expect               queries "QUERY = RESULT", one per line:
 *        score SUBJECT SCORECARD DATE = scored 995 A | no_consent | not_applicable
 *        lists SUBJECT DATE = LIST SINCE..UNTIL RECORD; ... | none
 *        check SUBJECT ACTION DATE = DECISION [terms="STANDARD TERMS"] [reason ...]
 *          (terms: a benefit action's, whatever the decision)
 *
 * Lines starting with '#' outside records are comments. Every mismatch is
 * printed with both sides; the exit code is the number of failures. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socred/eval.h"
#include "socred/ingest.h"
#include "socred/rulebook.h"
#include "socred/store.h"

struct section {
	char name[64];
	char arg[256];
	char *text;
	size_t len;
};

static int failures;
static char got_rejects[1 << 16];
static size_t got_len;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	failures++;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static size_t split(char *text, struct section *s, size_t max)
{
	size_t n = 0;
	char *p = text;

	while (p && *p) {
		char *eol = strchr(p, '\n');
		if (!strncmp(p, "%% ", 3) && n < max) {
			char *hdr = p + 3;
			if (eol)
				*eol = '\0';
			memset(&s[n], 0, sizeof(s[n]));
			sscanf(hdr, "%63s %255s", s[n].name, s[n].arg);
			s[n].text = eol ? eol + 1 : hdr + strlen(hdr);
			if (n)
				s[n - 1].len = (size_t)(p - s[n - 1].text);
			n++;
		}
		p = eol ? eol + 1 : NULL;
	}
	if (n)
		s[n - 1].len = strlen(s[n - 1].text);
	return n;
}

static void on_report(void *ctx, const struct sc_diag *d, const char *raw, size_t len)
{
	char line[1024];

	(void)ctx;
	(void)raw;
	(void)len;
	sc_diag_format(d, line, sizeof(line));
	got_len += (size_t)snprintf(got_rejects + got_len, sizeof(got_rejects) - got_len,
				    "%s\n", line);
}

/* Drops comment lines and trailing blank lines of an expected block. */
static void normalise(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		const char *eol = memchr(in + i, '\n', len - i);
		size_t l = eol ? (size_t)(eol - (in + i)) : len - i;
		if (l && in[i] != '#' && o + l + 2 < size) {
			memcpy(out + o, in + i, l);
			o += l;
			out[o++] = '\n';
		}
		i += l + 1;
	}
	out[o] = '\0';
}

static int load(struct sc_store *st, const struct sc_rulebook *rb, const char *id,
		struct sc_loaded *l)
{
	struct sc_diag d;
	struct sc_text t = {id, strlen(id)};
	enum sc_kind kind = SC_KIND_NONE;

	sc_diag_clear(&d);
	if (sc_store_subject_load(st, rb, t, l, &d) == SC_OK)
		return 0;
	sc_id_classify(sc_rulebook_id_schemes(rb), id, t.n, &kind, &d);
	memset(l, 0, sizeof(*l));
	sc_arena_init(&l->arena, 1024, 0);
	l->id = id;
	l->view.kind = kind;
	return 0;
}

static void answer(struct sc_store *st, const struct sc_rulebook *rb,
		   struct sc_eval *ev, char *q, char *out, size_t size)
{
	char verb[16], subj[80], a[80], b[80];
	struct sc_loaded l;
	sc_day at;
	size_t o = 0;
	int n = sscanf(q, "%15s %79s %79s %79s", verb, subj, a, b);

#define OUT(...) (o += (size_t)snprintf(out + o, size - o, __VA_ARGS__))
	out[0] = '\0';
	if (n < 3) {
		OUT("bad query");
		return;
	}
	if (!sc_date_parse(n == 4 ? b : a, strlen(n == 4 ? b : a), &at)) {
		OUT("bad date in query");
		return;
	}
	load(st, rb, subj, &l);
	if (sc_eval_subject(ev, &l.view, at, 0)) {
		OUT("evaluation failed");
		goto done;
	}
	if (!strcmp(verb, "score") && n == 4) {
		int sc = sc_rulebook_scorecard_find(rb, a, strlen(a));
		const struct sc_card_result *c;
		if (sc < 0) {
			OUT("unknown scorecard");
			goto done;
		}
		c = sc_eval_card(ev, sc);
		if (c->status == SC_CARD_SCORED)
			OUT("scored %d %s", c->score, sc_rulebook_grade_name(rb, sc, c->grade));
		else
			OUT("%s", sc_card_status_name(c->status));
	} else if (!strcmp(verb, "lists") && n == 3) {
		size_t nh;
		const struct sc_list_hit *h = sc_eval_lists(ev, &nh);
		char x[16], y[16];
		if (!nh)
			OUT("none");
		for (size_t i = 0; i < nh; i++) {
			sc_date_format(h[i].since, x);
			if (h[i].until == SC_DAY_NONE)
				strcpy(y, "open");
			else
				sc_date_format(h[i].until, y);
			OUT("%s%s %s..%s %s", i ? "; " : "", sc_rulebook_list_name(rb, h[i].list),
			    x, y, l.record_ids[h[i].record]);
		}
	} else if (!strcmp(verb, "check") && n == 4) {
		int act = sc_rulebook_action_find(rb, a, strlen(a));
		enum sc_decision dec;
		const struct sc_reason *r;
		size_t nr;
		if (act < 0 || sc_eval_check(ev, act, &dec, &r, &nr)) {
			OUT("unknown action");
			goto done;
		}
		OUT("%s", sc_decision_name(dec));
		if (sc_rulebook_action_is_benefit(rb, act))
			OUT(" terms=\"%s\"", sc_rulebook_action_standard_terms(rb, act));
		for (size_t i = 0; i < nr; i++) {
			const char *sc = r[i].scorecard >= 0 ? sc_rulebook_scorecard_name(rb, r[i].scorecard) : "";
			const char *have = r[i].grade >= 0 ? sc_rulebook_grade_name(rb, r[i].scorecard, r[i].grade) : "-";
			switch (r[i].kind) {
			case SC_REASON_LISTED:
				OUT(" listed:%s:%s", sc_rulebook_list_name(rb, r[i].list),
				    l.record_ids[r[i].record]);
				break;
			case SC_REASON_GRADE:
				OUT(" grade:%s:%s>=%s", sc, have,
				    sc_rulebook_grade_name(rb, r[i].scorecard, r[i].need));
				break;
			case SC_REASON_GRADE_BELOW:
				OUT(" grade_below:%s:%s<%s", sc, have,
				    sc_rulebook_grade_name(rb, r[i].scorecard, r[i].need));
				break;
			case SC_REASON_NOT_LISTED:
				OUT(" not_listed:%s", sc_rulebook_list_name(rb, r[i].list));
				break;
			case SC_REASON_NO_CONSENT:
				OUT(" no_consent:%s", sc);
				break;
			case SC_REASON_NOT_APPLICABLE:
				OUT(" not_applicable:%s", sc);
				break;
			}
		}
	} else {
		OUT("bad query");
	}
done:
	sc_loaded_release(&l);
#undef OUT
}

static void run_case(const char *path)
{
	struct section s[32];
	size_t len, n;
	char *text = slurp(path, &len), dir[512], *slash;
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_eval *ev = NULL;
	struct sc_ingest_stats stats = {0};
	struct sc_diag d;
	char *rbtext = NULL;
	size_t rblen = 0;
	const struct section *rbs = NULL, *cerr = NULL;

	if (!text) {
		fail("%s: cannot read\n", path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	n = split(text, s, 32);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s[i].name, "rulebook"))
			rbs = &s[i];
		if (!strcmp(s[i].name, "compile-error"))
			cerr = &s[i];
	}
	if (!rbs) {
		fail("%s: no rulebook section\n", path);
		goto out;
	}
	if (rbs->arg[0] == '@') {
		char p[1024];
		snprintf(p, sizeof(p), "%s%s", dir, rbs->arg + 1);
		rbtext = slurp(p, &rblen);
		if (!rbtext) {
			fail("%s: cannot read %s\n", path, p);
			goto out;
		}
	} else {
		rblen = rbs->len;
		rbtext = malloc(rblen + 1);
		memcpy(rbtext, rbs->text, rblen);
		rbtext[rblen] = '\0';
	}
	sc_diag_clear(&d);
	if (sc_rulebook_compile(rbtext, rblen, "rulebook", &rb, &d)) {
		char got[1024], want[1024];
		sc_diag_format(&d, got, sizeof(got));
		if (!cerr) {
			fail("%s: rulebook does not compile: %s\n", path, got);
			goto out;
		}
		normalise(cerr->text, cerr->len, want, sizeof(want));
		if (want[0])
			want[strlen(want) - 1] = '\0';
		if (strcmp(got, want))
			fail("%s: compile error differs\n  want: %s\n  got:  %s\n", path, want, got);
		goto out;
	}
	if (cerr) {
		fail("%s: rulebook compiled, but a compile error was expected\n", path);
		goto out;
	}
	if (sc_store_open(":memory:", SC_STORE_CREATE, &st, &d) ||
	    sc_store_rulebook_put(st, rb, SC_DAY_NONE, &d) || !(ev = sc_eval_new(rb))) {
		fail("%s: cannot set up the ledger\n", path);
		goto out;
	}
	got_len = 0;
	got_rejects[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct sc_ingest_opts o = {.report = on_report};
		FILE *f;
		bool jsonl = !strcmp(s[i].name, "records.jsonl");
		if (strcmp(s[i].name, "records") && !jsonl)
			continue;
		o.format = jsonl ? SC_FORMAT_JSONL : SC_FORMAT_CSV;
		f = fmemopen(s[i].text, s[i].len ? s[i].len : 1, "rb");
		if (!f) {
			fail("%s: fmemopen failed\n", path);
			goto out;
		}
		if (!s[i].len)
			fgetc(f);
		sc_diag_clear(&d);
		if (sc_ingest_stream(st, rb, f, s[i].name, &o, &stats, &d)) {
			char msg[1024];
			sc_diag_format(&d, msg, sizeof(msg));
			got_len += (size_t)snprintf(got_rejects + got_len, sizeof(got_rejects) - got_len,
						    "fatal: %s\n", msg);
		}
		fclose(f);
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s[i].name, "rejects")) {
			static char want[1 << 16];
			normalise(s[i].text, s[i].len, want, sizeof(want));
			if (strcmp(want, got_rejects))
				fail("%s: rejects differ\n--- want\n%s--- got\n%s", path, want, got_rejects);
		} else if (!strcmp(s[i].name, "summary")) {
			char want[256], got[256];
			normalise(s[i].text, s[i].len, want, sizeof(want));
			snprintf(got, sizeof(got), "accepted=%llu duplicates=%llu rejected=%llu warnings=%llu\n",
				 (unsigned long long)stats.accepted, (unsigned long long)stats.duplicates,
				 (unsigned long long)stats.rejected, (unsigned long long)stats.warnings);
			if (strcmp(want, got))
				fail("%s: summary differs\n  want: %s  got:  %s", path, want, got);
		} else if (!strcmp(s[i].name, "expect")) {
			char *p = s[i].text, *end = s[i].text + s[i].len;
			while (p < end) {
				char *eol = memchr(p, '\n', (size_t)(end - p));
				char line[512], got[2048], *eq;
				size_t l = eol ? (size_t)(eol - p) : (size_t)(end - p);
				snprintf(line, sizeof(line), "%.*s", (int)l, p);
				p += l + 1;
				if (!line[0] || line[0] == '#')
					continue;
				eq = strstr(line, " = ");
				if (!eq) {
					fail("%s: query without ' = ': %s\n", path, line);
					continue;
				}
				*eq = '\0';
				answer(st, rb, ev, line, got, sizeof(got));
				if (strcmp(got, eq + 3))
					fail("%s: %s\n  want: %s\n  got:  %s\n", path, line, eq + 3, got);
			}
		}
	}
out:
	sc_eval_free(ev);
	sc_store_close(st);
	sc_rulebook_free(rb);
	free(rbtext);
	free(text);
}

int main(int argc, char **argv)
{
	int cases = 0;

	for (int i = 1; i < argc; i++, cases++) {
		int before = failures;
		run_case(argv[i]);
		printf("%s %s\n", failures == before ? "ok  " : "FAIL", argv[i]);
	}
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
