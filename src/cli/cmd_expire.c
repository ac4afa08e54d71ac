/* socred expire: remove the records whose last effect ended more than the
 * rulebook's retention_days ago, and say how many (also in the audit log). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct ctx {
	const struct sc_rulebook *rb;
	sc_day cutoff;  /* a record whose effects ended before this is expired */
	int64_t *rids;
	size_t n, cap;
	uint64_t records;
};

static enum sc_status visit(void *vctx, int64_t sid, const char *id,
			    const struct sc_subject *s)
{
	struct ctx *c = vctx;

	(void)sid;
	(void)id;
	for (size_t i = 0; i < s->nrecs; i++) {
		sc_day end = sc_eval_record_end(c->rb, s->kind, &s->recs[i]);
		c->records++;
		if (end == SC_DAY_NONE || end >= c->cutoff)
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			int64_t *p = realloc(c->rids, cap * sizeof(*p));
			if (!p)
				return SC_ENOMEM;
			c->rids = p;
			c->cap = cap;
		}
		c->rids[c->n++] = s->recs[i].rid;
	}
	return SC_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL;
	bool dry = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--dry-run", NULL, &dry}, {0}};
	struct ctx c = {0};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	char day[SC_DATE_LEN + 1];
	sc_day at;
	int n, rc = cli_parse(cli, &cmd_expire, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &at)) || (rc = cli_open(cli, at, &st, &rb)))
		return rc;
	c.rb = rb;
	c.cutoff = at - sc_rulebook_retention_days(rb);
	sc_diag_clear(&d);
	if (sc_store_scan(st, rb, visit, NULL, &c, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	sc_date_format(c.cutoff, day);
	if (!dry && c.n && sc_store_expire(st, c.rids, c.n, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	/* also when nothing went, and for a dry run: it read every file */
	if ((rc = cli_audit(st, dry ? "expire --dry-run" : "expire", NULL,
			    "%zu records whose effects ended before %s", c.n, day)))
		goto out;
	printf("%s %zu of %" PRIu64 " records: their effects ended before %s (retention %d days)\n",
	       dry ? "would expire" : "expired", c.n, c.records, day, sc_rulebook_retention_days(rb));
	rc = EXIT_OK;
out:
	free(c.rids);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_expire = {
	"expire", run, "expire [--at DATE] [--dry-run]",
	"Remove records kept longer than the rulebook's retention_days after their last\n"
	"      effect ended (with their events, disputes, statements), and log how many."};
