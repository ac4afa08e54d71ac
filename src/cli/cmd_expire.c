/* socred expire: remove the records whose last effect ended more than the
 * rulebook's retention_days ago, and say how many (also in the audit log).
 * Never ahead of the real date: a future --at is refused; --dry-run shows
 * what would go (--json: each record) and changes nothing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A record to expire, for --json. */
struct gone {
	int64_t rid;
	char *subject;
	int32_t type;  /* rulebook type index; -1: no rule or list uses it */
	sc_day date, end;
	const char *name; /* record_id, set from names */
};

struct ctx {
	const struct sc_rulebook *rb;
	sc_day cutoff;  /* a record whose effects ended before this is expired */
	int64_t *rids;
	struct gone *gone; /* --json only */
	size_t n, cap;
	uint64_t records;
	bool list;
	char **names;  /* record_ids of gone[], ascending rid */
};

static enum sc_status visit(void *vctx, int64_t sid, const char *id,
			    const struct sc_subject *s)
{
	struct ctx *c = vctx;

	(void)sid;
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
			if (c->list) {
				struct gone *g = realloc(c->gone, cap * sizeof(*g));
				if (!g)
					return SC_ENOMEM;
				c->gone = g;
			}
			c->cap = cap;
		}
		if (c->list) {
			c->gone[c->n] = (struct gone){.rid = s->recs[i].rid, .subject = strdup(id),
						      .type = s->recs[i].type,
						      .date = s->recs[i].date, .end = end};
			if (!c->gone[c->n].subject)
				return SC_ENOMEM;
		}
		c->rids[c->n++] = s->recs[i].rid;
	}
	return SC_OK;
}

static int cmp_gone(const void *a, const void *b)
{
	const struct gone *x = a, *y = b;

	return (x->rid > y->rid) - (x->rid < y->rid);
}

static enum sc_status named(void *vctx, size_t i, const char *name)
{
	struct ctx *c = vctx;

	c->names[i] = strdup(name);
	return c->names[i] ? SC_OK : SC_ENOMEM;
}

/* The records to expire, by record_id (read before any is removed). */
static json_t *gone_json(struct ctx *c, struct sc_store *st, struct sc_diag *d)
{
	json_t *arr = json_array();
	int64_t *rids = calloc(c->n ? c->n : 1, sizeof(*rids));
	char day[SC_DATE_LEN + 1], end[SC_DATE_LEN + 1];

	c->names = calloc(c->n ? c->n : 1, sizeof(*c->names));
	if (!arr || !rids || !c->names)
		goto fail;
	qsort(c->gone, c->n, sizeof(*c->gone), cmp_gone);
	for (size_t i = 0; i < c->n; i++)
		rids[i] = c->gone[i].rid;
	if (c->n && sc_store_record_names(st, rids, c->n, named, c, d))
		goto fail;
	for (size_t i = 0; i < c->n; i++) {
		const struct gone *g = &c->gone[i];
		sc_date_format(g->date, day);
		sc_date_format(g->end, end);
		if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s?,s:s,s:s}", "record",
							 c->names[i], "subject", g->subject,
							 "type", g->type >= 0 ? sc_rulebook_type_name(c->rb, g->type) : NULL,
							 "date", day, "ended", end)))
			goto fail;
	}
	free(rids);
	return arr;
fail:
	free(rids);
	json_decref(arr);
	return NULL;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL;
	bool dry = false, json = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--dry-run", NULL, &dry},
				   {"--json", NULL, &json}, {0}};
	struct ctx c = {.list = false};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	char day[SC_DATE_LEN + 1], today_s[SC_DATE_LEN + 1];
	json_t *list = NULL;
	sc_day at, today = sc_date_today();
	int n, rc = cli_parse(cli, &cmd_expire, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if ((rc = cli_at(at_s, &at)))
		return rc;
	if (at > today) {
		sc_date_format(today, today_s);
		return cli_fail("expire: --at %s is after today (%s): a record is removed only once its retention has ended",
				at_s, today_s);
	}
	if ((rc = cli_open(cli, at, &st, &rb)))
		return rc;
	c.rb = rb;
	c.list = json;
	c.cutoff = at - sc_rulebook_retention_days(rb);
	sc_diag_clear(&d);
	if (sc_store_scan(st, rb, visit, NULL, &c, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if (json && !(list = gone_json(&c, st, &d))) {
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
	if (json) {
		char at_day[SC_DATE_LEN + 1];
		json_t *o;
		sc_date_format(at, at_day);
		o = json_pack("{s:b,s:s,s:s,s:i,s:I,s:I,s:O}", "dry_run", dry, "at", at_day,
			      "cutoff", day, "retention_days", (int)sc_rulebook_retention_days(rb),
			      "records", (json_int_t)c.records, "expire", (json_int_t)c.n,
			      "list", list);
		rc = cli_emit(o, true, NULL);
		json_decref(o);
		goto out;
	}
	printf("%s %zu of %" PRIu64 " records: their effects ended before %s (retention %d days)\n",
	       dry ? "would expire" : "expired", c.n, c.records, day, sc_rulebook_retention_days(rb));
	rc = EXIT_OK;
out:
	json_decref(list);
	for (size_t i = 0; c.list && i < c.n; i++) {
		free(c.gone[i].subject);
		if (c.names)
			free(c.names[i]);
	}
	free(c.names);
	free(c.gone);
	free(c.rids);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_expire = {
	"expire", run, "expire [--at DATE] [--dry-run] [--json]",
	"Remove records kept longer than the rulebook's retention_days after their last\n"
	"      effect ended (with their events, disputes, statements), and log how many.\n"
	"      --at may not be after today; --dry-run shows what would go (--json: each\n"
	"      record) and changes nothing."};
