/* socred shards: the cluster map's own commands (--db shards:MAP).
 *   where ID         the subject's logical shard and ledger
 *   move N --to L    moves logical shard N to ledger L */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/ledger_path.h"
#include "socred/limits.h"
#include "socred/shard.h"

#define MOVE_BATCH 1000 /* subjects per transaction on the new ledger */

static int where(struct sc_shard_map *m, const char *id)
{
	uint32_t n = sc_shard_of(m, id, strlen(id));
	char shown[SC_LIMIT_SHARD_LEDGER + 1];

	sc_ledger_display(m->names[m->owner[n]], shown, sizeof(shown));
	printf("%s\tshard %u of %u\t%s\n", id, n, m->count, shown);
	return EXIT_OK;
}

/* The ids of logical shard n's subjects in ledger order (scan). */
struct collect {
	const struct sc_shard_map *m;
	uint32_t n;
	char **ids;
	size_t count, cap;
};

static enum sc_status collect(void *ctx, int64_t sid, const char *id, const struct sc_subject *s)
{
	struct collect *c = ctx;

	(void)sid;
	(void)s;
	if (sc_shard_of(c->m, id, strlen(id)) != c->n)
		return SC_OK;
	if (c->count == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char **grown = realloc(c->ids, cap * sizeof(*grown));
		if (!grown)
			return SC_ENOMEM;
		c->ids = grown;
		c->cap = cap;
	}
	if (!(c->ids[c->count] = strdup(id)))
		return SC_ENOMEM;
	c->count++;
	return SC_OK;
}

static struct sc_text text(const char *s)
{
	return (struct sc_text){s ? s : "", s ? strlen(s) : 0};
}

/* Files one subject's file l (from the old ledger) in st: its records in
 * ledger order, their rectifications and revocations, its consents. A
 * record, event or consent filed already is a duplicate (a move run
 * again after a failure). */
static enum sc_status copy_subject(struct sc_store *st, const struct sc_rulebook *rb,
				   const struct sc_loaded *l, struct sc_diag *d)
{
	const struct sc_subject *v = &l->view;
	enum sc_status s;

	for (size_t i = 0; i < v->nrecs; i++) {
		const struct sc_eval_record *r = &v->recs[i];
		struct sc_store_add a = {.record_id = text(l->record_ids[i]), .subject = text(l->id),
					 .type = text(l->types[i]), .source = text(l->sources[i]),
					 .ref = text(l->refs[i]), .kind = v->kind, .date = r->date,
					 .amount = r->amount};
		if ((s = sc_store_record_add(st, &a, d)) && s != SC_EDUPLICATE)
			return s;
	}
	for (size_t i = 0; i < v->nrecs; i++) {
		const struct sc_eval_record *r = &v->recs[i];
		const sc_day when[2] = {r->rectified, r->revoked};
		const enum sc_op ops[2] = {SC_OP_RECTIFY, SC_OP_REVOKE};
		for (int k = 0; k < 2; k++) {
			struct sc_store_event e = {.op = ops[k], .record_id = text(l->record_ids[i]),
						   .source = text(l->sources[i]), .ref = text(""),
						   .date = when[k]};
			if (when[k] == SC_DAY_NONE)
				continue;
			if ((s = sc_store_record_event(st, &e, d)) && s != SC_EDUPLICATE)
				return s;
		}
	}
	for (size_t i = 0; i < v->nconsents; i++) {
		const struct sc_eval_consent *c = &v->consents[i];
		s = sc_store_consent(st, text(l->id), v->kind,
				     text(sc_rulebook_scorecard_name(rb, c->scorecard)), c->granted,
				     c->date, d);
		if (s && s != SC_EDUPLICATE)
			return s;
	}
	return SC_OK;
}

static bool same_text(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* true when two loads of one subject hold the same file. */
static bool same_file(const struct sc_loaded *a, const struct sc_loaded *b)
{
	const struct sc_subject *x = &a->view, *y = &b->view;

	if (x->kind != y->kind || x->nrecs != y->nrecs || x->nconsents != y->nconsents)
		return false;
	for (size_t i = 0; i < x->nrecs; i++) {
		const struct sc_eval_record *r = &x->recs[i], *s = &y->recs[i];
		if (r->date != s->date || r->amount != s->amount || r->type != s->type ||
		    r->rectified != s->rectified || r->revoked != s->revoked ||
		    !same_text(a->record_ids[i], b->record_ids[i]) ||
		    !same_text(a->sources[i], b->sources[i]) || !same_text(a->refs[i], b->refs[i]))
			return false;
	}
	for (size_t i = 0; i < x->nconsents; i++)
		if (x->consents[i].date != y->consents[i].date ||
		    x->consents[i].scorecard != y->consents[i].scorecard ||
		    x->consents[i].granted != y->consents[i].granted)
			return false;
	return true;
}

static int move(struct cli *cli, struct sc_shard_map *m, const char *nstr, const char *to)
{
	struct collect c = {.m = m};
	struct cli old = *cli, neu = *cli;
	struct sc_store *from = NULL, *dest = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	char *end;
	unsigned long n = strtoul(nstr, &end, 10);
	size_t moved_recs = 0;
	int rc;

	if (*end || !*nstr || n >= m->count)
		return cli_fail("shards move: '%s' is not a logical shard (0 to %u)", nstr, m->count - 1);
	c.n = (uint32_t)n;
	old.db = m->ledgers[m->owner[n]];
	neu.db = to;
	if (!strcmp(m->names[m->owner[n]], to) || !strcmp(old.db, to)) {
		printf("logical shard %lu is on %s already\n", n, cli_where(&neu));
		return EXIT_OK;
	}
	if ((rc = cli_open(&old, SC_DAY_NONE, &from, &rb)) || (rc = cli_store_open(&neu, 0, &dest)))
		goto out;
	sc_diag_clear(&d);
	if (sc_store_scan(from, rb, collect, NULL, &c, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	/* copy, in ledger order, a batch of subjects per transaction */
	for (size_t i = 0; i < c.count; i++) {
		struct sc_loaded l;
		enum sc_status s;
		if (i % MOVE_BATCH == 0 &&
		    ((i > 0 && sc_store_commit(dest, &d)) || sc_store_begin(dest, &d))) {
			cli_diag(&d);
			rc = EXIT_FATAL;
			goto out;
		}
		if ((rc = cli_load_subject(from, rb, c.ids[i], &l)))
			goto out;
		s = copy_subject(dest, rb, &l, &d);
		moved_recs += l.view.nrecs;
		sc_loaded_release(&l);
		if (s) {
			sc_store_rollback(dest);
			cli_diag(&d);
			rc = cli_fail("shards move: subject '%s' could not be copied; the map is unchanged",
				      c.ids[i]);
			goto out;
		}
	}
	if (c.count && sc_store_commit(dest, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	/* verify: every subject's file reads the same on both */
	for (size_t i = 0; i < c.count; i++) {
		struct sc_loaded a, b;
		bool same;
		if ((rc = cli_load_subject(from, rb, c.ids[i], &a)))
			goto out;
		if ((rc = cli_load_subject(dest, rb, c.ids[i], &b))) {
			sc_loaded_release(&a);
			goto out;
		}
		same = same_file(&a, &b);
		sc_loaded_release(&a);
		sc_loaded_release(&b);
		if (!same) {
			rc = cli_fail("shards move: subject '%s' reads differently on %s; the map is"
				      " unchanged", c.ids[i], cli_where(&neu));
			goto out;
		}
	}
	sc_diag_clear(&d);
	if (sc_shard_map_assign(m, (uint32_t)n, to, &d) ||
	    sc_shard_map_save(m, cli->db + strlen("shards:"), &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if ((rc = cli_audit(from, "shards move", NULL, "shard %lu to %.60s: %zu subjects", n,
			    cli_where(&neu), c.count)) ||
	    (rc = cli_audit(dest, "shards move", NULL, "shard %lu from %.60s: %zu subjects", n,
			    cli_where(&old), c.count)))
		goto out;
	printf("moved logical shard %lu: %zu subjects, %zu records, copied and verified; the map"
	       " names %s\n", n, c.count, moved_recs, cli_where(&neu));
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < c.count; i++)
		free(c.ids[i]);
	free(c.ids);
	sc_store_close(from);
	sc_store_close(dest);
	sc_rulebook_free(rb);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *to = NULL;
	const struct opt opts[] = {{"--to", &to, NULL}, {0}};
	struct sc_shard_map *m = NULL;
	int n, rc = cli_parse(cli, &cmd_shards, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (!cli_sharded(cli))
		return cli_fail("shards: the ledger is not a cluster map (--db shards:MAP)");
	if (n == 2 && !strcmp(pos[0], "where")) {
		if ((rc = cli_shard_map(cli, &m)))
			return rc;
		rc = where(m, pos[1]);
	} else if (n == 2 && !strcmp(pos[0], "move") && to) {
		if ((rc = cli_shard_map(cli, &m)))
			return rc;
		rc = move(cli, m, pos[1], to);
	} else {
		return cli_fail("usage: socred --db shards:MAP shards where ID | move N --to LEDGER");
	}
	sc_shard_map_free(m);
	return rc;
}

const struct cmd cmd_shards = {
	"shards", run, "shards where ID | move N --to LEDGER",
	"Over a cluster map (--db shards:MAP): where a subject's file lives, or move\n"
	"      logical shard N to another ledger (initialised with the same rulebook):\n"
	"      its subjects' files are copied, verified, then the map is rewritten at once."};
