/* socred lists [NAME]: the members of the lists at a date. */
#include <string.h>

#include "cli.h"
#include "socred/limits.h"
#include "socred/poprun.h"
#include "socred/report.h"

struct ctx {
	struct sc_store *st;
	const struct sc_rulebook *rb;
	int list;      /* -1: all */
	bool json;
	bool first;
	uint64_t members;
	struct progress prog;
};

static enum sc_status copy_name(void *vctx, size_t i, const char *name)
{
	(void)i;
	snprintf(vctx, SC_LIMIT_RECORD_ID + 1, "%s", name);
	return SC_OK;
}

/* One subject, evaluated (on the run's one thread: the ledger's order). */
static enum sc_status visit(void *vctx, size_t thread, const char *id,
			    const struct sc_subject *subjects, struct sc_eval *const *ev)
{
	struct ctx *c = vctx;
	const struct sc_subject *s = &subjects[0];
	const struct sc_list_hit *h;
	size_t n;
	enum sc_status st;
	struct sc_diag d;

	(void)thread;
	h = sc_eval_lists(ev[0], &n);
	for (size_t i = 0; i < n; i++) {
		char rec[SC_LIMIT_RECORD_ID + 1], a[16], b[16];
		if (c->list >= 0 && h[i].list != c->list)
			continue;
		sc_diag_clear(&d);
		if ((st = sc_store_record_names(c->st, &s->recs[h[i].record].rid, 1, copy_name,
						rec, &d)))
			return st;
		cli_day(h[i].since, a);
		cli_day(h[i].until, b);
		if (c->json)
			printf("%s{\"list\":\"%s\",\"subject\":\"%s\",\"since\":\"%s\",\"until\":%s%s%s,\"record\":\"%s\"}",
			       c->first ? "" : ",", sc_rulebook_list_name(c->rb, h[i].list), id, a,
			       h[i].until == SC_DAY_NONE ? "" : "\"",
			       h[i].until == SC_DAY_NONE ? "null" : b,
			       h[i].until == SC_DAY_NONE ? "" : "\"", rec);
		else
			printf("%s\t%s\t%s\t%s\t%s\n", sc_rulebook_list_name(c->rb, h[i].list), id,
			       a, h[i].until == SC_DAY_NONE ? "-" : b, rec);
		c->first = false;
		c->members++;
	}
	return SC_OK;
}

static void on_progress(void *vctx, enum sc_poprun_phase phase, uint64_t done, uint64_t total)
{
	struct ctx *c = vctx;

	(void)phase; /* no image: only the evaluation */

	progress_show(&c->prog, "lists", (double)done, (double)total, (double)done, "subjects");
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[1], *at_s = NULL;
	struct ctx c = {.list = -1, .first = true};
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &c.json}, {0}};
	struct sc_rulebook *rb = NULL;
	struct sc_poprun_opts po = {.nrb = 1, .progress = on_progress, .visit = visit, .ctx = &c};
	struct sc_poprun_result r = {0};
	struct sc_diag d;
	int n, rc = cli_parse(cli, &cmd_lists, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &po.at)))
		return rc;
	if ((rc = cli_open(cli, po.at, &c.st, &rb)))
		return rc;
	c.rb = po.rbs[0] = rb;
	if (n == 1 && (c.list = sc_rulebook_list_find(rb, pos[0], strlen(pos[0]))) < 0) {
		fprintf(stderr, "socred: unknown list '%s'; the rulebook has:", pos[0]);
		for (size_t i = 0; i < sc_rulebook_list_count(rb); i++)
			fprintf(stderr, " %s", sc_rulebook_list_name(rb, (int)i));
		fputc('\n', stderr);
		rc = EXIT_FATAL;
		goto out;
	}
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(po.at, day);
		if ((rc = cli_audit(c.st, "lists", NULL, "%s at %s",
				    c.list >= 0 ? sc_rulebook_list_name(rb, c.list) : "every list", day)))
			goto out;
	}
	progress_init(&c.prog);
	if (c.json)
		putchar('[');
	else
		printf("list\tsubject\tsince\tuntil\trecord\n");
	sc_diag_clear(&d);
	/* from the ledger, on one thread: the members come in ledger order */
	if (sc_poprun(c.st, &po, &r, &d)) {
		progress_end(&c.prog);
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	progress_end(&c.prog);
	if (c.json)
		printf("]\n");
	rc = EXIT_OK;
out:
	sc_poprun_release(&r);
	sc_store_close(c.st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_lists = {
	"lists", run, "lists [NAME] [--at DATE] [--json]",
	"Members of every list (or of list NAME) at a date, with since, until and record."};
