/* socred whatif: the whole population under the rulebook in force and a
 * draft, in one pass over the ledger, and what would change: grade
 * transitions per scorecard, subjects joining and leaving each list, and
 * every decision's transitions per action (allow, deny, grant, standard:
 * allow->deny, deny->standard, grant->standard ...). Nothing is written to
 * the ledger.
 *
 * Scorecards, lists and actions are matched by name; one only the draft (or
 * only the active rulebook) has is shown against "-" on the other side. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/limits.h"
#include "socred/poprun.h"
#include "socred/shard.h"
#include "socred/report.h"

enum { ACTIVE = 0, DRAFT = 1 };

/* A scorecard on either side: grade indices, then one "-" for not scored
 * (no consent, not applicable, or no such scorecard on that side). */
struct card {
	const char *name;
	int sc[2];           /* -1: not on that side */
	size_t ng[2];        /* grades on each side (0 when absent) */
	uint64_t *m;         /* (ng[ACTIVE] + 1) x (ng[DRAFT] + 1) */
};

struct list {
	const char *name;
	int l[2];
	uint64_t on[2], joined, left;
};

struct action {
	const char *name;
	int a[2];
	uint64_t deny[2], grant[2];
	uint64_t to_deny, from_deny; /* subjects denied under one side only */
	/* subjects by decision in force (row) and under the draft (column) */
	uint64_t m[SC_DECISION_COUNT][SC_DECISION_COUNT];
};

/* The counts: the totals, or one thread's share of them. */
struct ctx {
	const struct sc_rulebook *rb[2];
	sc_day at;
	struct card cards[2 * SC_LIMIT_SCORECARDS];
	struct list lists[2 * SC_LIMIT_LISTS];
	struct action *actions;
	size_t ncards, nlists, nactions;
	uint64_t changed;
};

/* The population run's context: each thread's counts. */
struct pass {
	struct ctx *t; /* [nt] */
	size_t nt;
	struct progress prog;
	/* non-NULL: only the subjects this map gives to ledger `self` */
	const struct sc_shard_map *map;
	size_t self;
};

static bool keep(void *vctx, const char *id)
{
	const struct pass *p = vctx;

	return !p->map || sc_shard_ledger(p->map, id, strlen(id)) == p->self;
}

/* ---- matching names across the two rulebooks ---- */

/* The index of name among names[0..*n), appended when absent (*added). */
static int name_slot(const char **names, size_t *n, const char *name, bool *added)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i], name)) {
			*added = false;
			return (int)i;
		}
	*added = true;
	names[*n] = name;
	return (int)(*n)++;
}

static void match_cards(struct ctx *c)
{
	const char *names[2 * SC_LIMIT_SCORECARDS];
	bool added;

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sc_rulebook_scorecard_count(c->rb[k]); i++) {
			const char *name = sc_rulebook_scorecard_name(c->rb[k], (int)i);
			struct card *cd = &c->cards[name_slot(names, &c->ncards, name, &added)];
			if (added)
				*cd = (struct card){.name = name, .sc = {-1, -1}};
			cd->sc[k] = (int)i;
			cd->ng[k] = sc_rulebook_grade_count(c->rb[k], (int)i);
		}
}

static void match_lists(struct ctx *c)
{
	const char *names[2 * SC_LIMIT_LISTS];
	bool added;

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sc_rulebook_list_count(c->rb[k]); i++) {
			const char *name = sc_rulebook_list_name(c->rb[k], (int)i);
			struct list *l = &c->lists[name_slot(names, &c->nlists, name, &added)];
			if (added)
				*l = (struct list){.name = name, .l = {-1, -1}};
			l->l[k] = (int)i;
		}
}

static bool match_actions(struct ctx *c)
{
	size_t max = sc_rulebook_action_count(c->rb[ACTIVE]) + sc_rulebook_action_count(c->rb[DRAFT]);
	const char **names = calloc(max + 1, sizeof(*names));
	bool added;

	if (!names || !(c->actions = calloc(max + 1, sizeof(*c->actions)))) {
		free(names);
		return false;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sc_rulebook_action_count(c->rb[k]); i++) {
			const char *name = sc_rulebook_action_name(c->rb[k], (int)i);
			struct action *a = &c->actions[name_slot(names, &c->nactions, name, &added)];
			if (added)
				*a = (struct action){.name = name, .a = {-1, -1}};
			a->a[k] = (int)i;
		}
	free(names);
	return true;
}

/* ---- the pass ---- */

/* One subject, evaluated under both rulebooks, counted in its thread's
 * share. */
static enum sc_status visit(void *vctx, size_t thread, const char *id,
			    const struct sc_subject *subjects, struct sc_eval *const *ev)
{
	struct ctx *c = &((struct pass *)vctx)->t[thread];
	enum sc_status st;
	bool changed = false;

	(void)id;
	(void)subjects;
	for (size_t i = 0; i < c->ncards; i++) {
		struct card *cd = &c->cards[i];
		size_t g[2];
		for (int k = 0; k < 2; k++) {
			const struct sc_card_result *r =
				cd->sc[k] >= 0 ? sc_eval_card(ev[k], cd->sc[k]) : NULL;
			g[k] = r && r->status == SC_CARD_SCORED ? (size_t)r->grade : cd->ng[k];
		}
		cd->m[g[ACTIVE] * (cd->ng[DRAFT] + 1) + g[DRAFT]]++;
		/* grades are compared by name: the draft may reorder them */
		if ((g[ACTIVE] == cd->ng[ACTIVE]) != (g[DRAFT] == cd->ng[DRAFT]) ||
		    (g[ACTIVE] < cd->ng[ACTIVE] &&
		     strcmp(sc_rulebook_grade_name(c->rb[ACTIVE], cd->sc[ACTIVE], (int)g[ACTIVE]),
			    sc_rulebook_grade_name(c->rb[DRAFT], cd->sc[DRAFT], (int)g[DRAFT]))))
			changed = true;
	}
	for (size_t i = 0; i < c->nlists; i++) {
		struct list *l = &c->lists[i];
		bool on[2];
		for (int k = 0; k < 2; k++) {
			on[k] = l->l[k] >= 0 && sc_eval_listed(ev[k], l->l[k]);
			l->on[k] += on[k];
		}
		l->joined += !on[ACTIVE] && on[DRAFT];
		l->left += on[ACTIVE] && !on[DRAFT];
		changed |= on[ACTIVE] != on[DRAFT];
	}
	for (size_t i = 0; i < c->nactions; i++) {
		struct action *a = &c->actions[i];
		enum sc_decision dec[2];
		for (int k = 0; k < 2; k++) {
			const struct sc_reason *why;
			size_t n;
			dec[k] = SC_DECISION_ALLOW; /* no measure for the action: allowed */
			if (a->a[k] >= 0 && (st = sc_eval_check(ev[k], a->a[k], &dec[k], &why, &n)))
				return st;
			a->deny[k] += dec[k] == SC_DECISION_DENY;
			a->grant[k] += dec[k] == SC_DECISION_GRANT;
		}
		a->m[dec[ACTIVE]][dec[DRAFT]]++;
		a->to_deny += dec[ACTIVE] != SC_DECISION_DENY && dec[DRAFT] == SC_DECISION_DENY;
		a->from_deny += dec[ACTIVE] == SC_DECISION_DENY && dec[DRAFT] != SC_DECISION_DENY;
		changed |= dec[ACTIVE] != dec[DRAFT];
	}
	c->changed += changed;
	return SC_OK;
}

static void on_progress(void *vctx, enum sc_poprun_phase phase, uint64_t done, uint64_t total)
{
	struct pass *p = vctx;

	if (phase == SC_POPRUN_EVALUATE)
		progress_show(&p->prog, "whatif", (double)done, (double)total, (double)done,
			      "subjects");
}

/* ---- one context per thread ---- */

/* A copy of c with zeroed counts. */
static bool ctx_clone(struct ctx *t, const struct ctx *c)
{
	*t = *c;
	t->changed = 0;
	t->actions = calloc(c->nactions + 1, sizeof(*t->actions));
	for (size_t i = 0; i < c->ncards; i++)
		t->cards[i].m = calloc((c->cards[i].ng[ACTIVE] + 1) * (c->cards[i].ng[DRAFT] + 1),
				       sizeof(uint64_t));
	for (size_t i = 0; i < c->nlists; i++) {
		t->lists[i].on[0] = t->lists[i].on[1] = 0;
		t->lists[i].joined = t->lists[i].left = 0;
	}
	if (!t->actions)
		return false;
	for (size_t i = 0; i < c->nactions; i++)
		t->actions[i] = (struct action){.name = c->actions[i].name,
						.a = {c->actions[i].a[0], c->actions[i].a[1]}};
	for (size_t i = 0; i < c->ncards; i++)
		if (!t->cards[i].m)
			return false;
	return true;
}

static void ctx_free_clone(struct ctx *t)
{
	free(t->actions);
	for (size_t i = 0; i < t->ncards; i++)
		free(t->cards[i].m);
}

/* t's counts added to c's. */
static void ctx_add(struct ctx *c, const struct ctx *t)
{
	c->changed += t->changed;
	for (size_t i = 0; i < c->ncards; i++)
		for (size_t k = 0; k < (c->cards[i].ng[ACTIVE] + 1) * (c->cards[i].ng[DRAFT] + 1); k++)
			c->cards[i].m[k] += t->cards[i].m[k];
	for (size_t i = 0; i < c->nlists; i++) {
		for (int k = 0; k < 2; k++)
			c->lists[i].on[k] += t->lists[i].on[k];
		c->lists[i].joined += t->lists[i].joined;
		c->lists[i].left += t->lists[i].left;
	}
	for (size_t i = 0; i < c->nactions; i++) {
		for (int k = 0; k < 2; k++) {
			c->actions[i].deny[k] += t->actions[i].deny[k];
			c->actions[i].grant[k] += t->actions[i].grant[k];
		}
		c->actions[i].to_deny += t->actions[i].to_deny;
		c->actions[i].from_deny += t->actions[i].from_deny;
		for (int x = 0; x < SC_DECISION_COUNT; x++)
			for (int y = 0; y < SC_DECISION_COUNT; y++)
				c->actions[i].m[x][y] += t->actions[i].m[x][y];
	}
}

/* ---- the report ---- */

static const char *grade_label(const struct ctx *c, const struct card *cd, int k, size_t g)
{
	return g < cd->ng[k] ? sc_rulebook_grade_name(c->rb[k], cd->sc[k], (int)g) : "-";
}

/* Every pair of decisions some subject moved between, "deny->standard": n
 * (a subject whose decision is unchanged is not counted). */
static json_t *transitions(const struct action *a)
{
	json_t *o = json_object();

	for (int x = 0; x < SC_DECISION_COUNT; x++)
		for (int y = 0; y < SC_DECISION_COUNT; y++) {
			char key[64];
			if (x == y || !a->m[x][y])
				continue;
			snprintf(key, sizeof(key), "%s->%s", sc_decision_name((enum sc_decision)x),
				 sc_decision_name((enum sc_decision)y));
			json_object_set_new(o, key, json_integer((json_int_t)a->m[x][y]));
		}
	return o;
}

static json_t *summary(struct ctx *c, const struct sc_poprun_result *r, double secs)
{
	json_t *cards = json_array(), *lists = json_array(), *actions = json_array();

	for (size_t i = 0; i < c->ncards; i++) {
		const struct card *cd = &c->cards[i];
		json_t *rows = json_array();
		for (size_t a = 0; a <= cd->ng[ACTIVE]; a++) {
			json_t *row = json_object();
			for (size_t b = 0; b <= cd->ng[DRAFT]; b++)
				json_object_set_new(row, grade_label(c, cd, DRAFT, b),
					json_integer((json_int_t)cd->m[a * (cd->ng[DRAFT] + 1) + b]));
			json_array_append_new(rows, json_pack("{s:s,s:o}", "active",
				grade_label(c, cd, ACTIVE, a), "draft", row));
		}
		json_array_append_new(cards, json_pack("{s:s,s:b,s:b,s:o}", "scorecard", cd->name,
			"in_active", cd->sc[ACTIVE] >= 0, "in_draft", cd->sc[DRAFT] >= 0,
			"transitions", rows));
	}
	for (size_t i = 0; i < c->nlists; i++) {
		const struct list *l = &c->lists[i];
		json_array_append_new(lists, json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I}",
			"list", l->name, "in_active", l->l[ACTIVE] >= 0, "in_draft", l->l[DRAFT] >= 0,
			"active", (json_int_t)l->on[ACTIVE], "draft", (json_int_t)l->on[DRAFT],
			"joined", (json_int_t)l->joined, "left", (json_int_t)l->left));
	}
	for (size_t i = 0; i < c->nactions; i++) {
		const struct action *a = &c->actions[i];
		json_array_append_new(actions, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
			"action", a->name,
			"deny_active", (json_int_t)a->deny[ACTIVE], "deny_draft", (json_int_t)a->deny[DRAFT],
			"newly_denied", (json_int_t)a->to_deny, "no_longer_denied", (json_int_t)a->from_deny,
			"grant_active", (json_int_t)a->grant[ACTIVE], "grant_draft", (json_int_t)a->grant[DRAFT],
			"transitions", transitions(a)));
	}
	return json_pack("{s:o,s:{s:s,s:s},s:{s:s,s:s},s:I,s:I,s:I,s:f,s:f,s:o,s:o,s:o}",
		"at", sc_report_day(c->at),
		"active", "rulebook", sc_rulebook_name(c->rb[ACTIVE]), "version", sc_rulebook_version(c->rb[ACTIVE]),
		"draft", "rulebook", sc_rulebook_name(c->rb[DRAFT]), "version", sc_rulebook_version(c->rb[DRAFT]),
		"subjects", (json_int_t)r->subjects, "records", (json_int_t)r->records,
		"changed", (json_int_t)c->changed, "seconds", secs, "peak_mib", cli_peak_mib(),
		"scorecards", cards, "lists", lists, "actions", actions);
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

void cli_whatif_print(json_t *o)
{
	json_t *card, *row, *l, *a, *v;
	size_t i, j;
	const char *g;
	double secs = json_real_value(json_object_get(o, "seconds"));

	printf("whatif at %s: rulebook %s %s in force, draft %s %s\n",
	       cli_str(o, "at"), cli_str(json_object_get(o, "active"), "rulebook"),
	       cli_str(json_object_get(o, "active"), "version"),
	       cli_str(json_object_get(o, "draft"), "rulebook"),
	       cli_str(json_object_get(o, "draft"), "version"));
	printf("%lld subjects, %lld records in %.2f s; peak memory %.1f MiB\n"
	       "%lld subjects would change grade, list or a decision\n",
	       num(o, "subjects"), num(o, "records"), secs,
	       json_real_value(json_object_get(o, "peak_mib")), num(o, "changed"));
	json_array_foreach(json_object_get(o, "scorecards"), i, card) {
		json_t *rows = json_object_get(card, "transitions");
		printf("\nscorecard %s%s: grades in force (rows) -> under the draft (columns);"
		       " - is not scored\n       ", cli_str(card, "scorecard"),
		       !json_is_true(json_object_get(card, "in_draft")) ? " (not in the draft)" :
		       !json_is_true(json_object_get(card, "in_active")) ? " (new in the draft)" : "");
		json_object_foreach(json_object_get(json_array_get(rows, 0), "draft"), g, v)
			printf(" %9s", g);
		putchar('\n');
		json_array_foreach(rows, j, row) {
			printf("  %-4s ", cli_str(row, "active"));
			json_object_foreach(json_object_get(row, "draft"), g, v)
				printf(" %9lld", (long long)json_integer_value(v));
			putchar('\n');
		}
	}
	printf("\nlists:                        in force     draft    joined      left\n");
	json_array_foreach(json_object_get(o, "lists"), i, l)
		printf("  %-24s %12lld %9lld %9lld %9lld%s\n", cli_str(l, "list"), num(l, "active"),
		       num(l, "draft"), num(l, "joined"), num(l, "left"),
		       !json_is_true(json_object_get(l, "in_draft")) ? "  (not in the draft)" :
		       !json_is_true(json_object_get(l, "in_active")) ? "  (new in the draft)" : "");
	printf("\nactions:                    denied in force     draft  newly denied  no longer"
	       "  granted in force  draft\n");
	json_array_foreach(json_object_get(o, "actions"), i, a)
		printf("  %-28s %12lld %9lld %13lld %10lld %17lld %6lld\n", cli_str(a, "action"),
		       num(a, "deny_active"), num(a, "deny_draft"), num(a, "newly_denied"),
		       num(a, "no_longer_denied"), num(a, "grant_active"), num(a, "grant_draft"));
	printf("\ndecisions that change (subjects, in force -> draft):\n");
	json_array_foreach(json_object_get(o, "actions"), i, a) {
		json_t *t = json_object_get(a, "transitions");
		const char *k;
		bool first = true;
		if (!json_object_size(t))
			continue;
		printf("  %-28s", cli_str(a, "action"));
		json_object_foreach(t, k, v) {
			printf("%s %s %lld", first ? "" : ",", k, (long long)json_integer_value(v));
			first = false;
		}
		putchar('\n');
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *at_s = NULL, *pos[1], *map_s = NULL;
	struct sc_shard_map *map = NULL;
	bool json = false, from_ledger = false;
	const struct opt opts[] = {{"--at", &at_s, NULL}, {"--json", NULL, &json},
				   {"--from-ledger", NULL, &from_ledger},
				   {"--only-map", &map_s, NULL}, {0}};
	struct ctx c = {0};
	struct pass pass = {0};
	struct sc_store *st = NULL;
	struct sc_rulebook *active = NULL, *draft = NULL;
	struct sc_poprun_opts po = {.nrb = 2, .progress = on_progress, .visit = visit,
				    .ctx = &pass, .keep = keep};
	struct sc_poprun_result r = {0};
	struct sc_diag d;
	char path[4096];
	json_t *o = NULL;
	double t0;
	int n, rc = cli_parse(cli, &cmd_whatif, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1)
		return cli_fail("usage: socred %s", cmd_whatif.usage);
	if ((rc = cli_at(at_s, &c.at)))
		return rc;
	/* a ledger of a cluster map, run by `socred --db shards:MAP whatif` */
	if (map_s && (rc = cli_shard_self(cli, map_s, &map, &pass.self)))
		return rc;
	pass.map = map;
	sc_diag_clear(&d);
	if (sc_rulebook_load(pos[0], &draft, &d)) {
		sc_shard_map_free(map);
		cli_diag(&d);
		return EXIT_FATAL;
	}
	if ((rc = cli_open(cli, c.at, &st, &active)))
		goto out;
	{
		char day[SC_DATE_LEN + 1];
		sc_date_format(c.at, day);
		if ((rc = cli_audit(st, "whatif", NULL, "every subject at %s under %.40s %.40s", day,
				    sc_rulebook_name(draft), sc_rulebook_version(draft))))
			goto out;
	}
	c.rb[ACTIVE] = po.rbs[ACTIVE] = active;
	c.rb[DRAFT] = po.rbs[DRAFT] = draft;
	po.at = c.at;
	sc_image_path(cli->db, path, sizeof(path));
	po.image = from_ledger ? NULL : path;
	match_cards(&c);
	match_lists(&c);
	if (!match_actions(&c)) {
		rc = cli_fail("out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.ncards; i++)
		if (!(c.cards[i].m = calloc((c.cards[i].ng[ACTIVE] + 1) * (c.cards[i].ng[DRAFT] + 1),
					    sizeof(uint64_t)))) {
			rc = cli_fail("out of memory");
			goto out;
		}
	/* each thread counts into its own copy of c */
	if (!(pass.t = calloc(sc_poprun_threads(&po), sizeof(*pass.t)))) {
		rc = cli_fail("out of memory");
		goto out;
	}
	for (; pass.nt < sc_poprun_threads(&po); pass.nt++)
		if (!ctx_clone(&pass.t[pass.nt], &c)) {
			pass.nt++;
			rc = cli_fail("out of memory");
			goto out;
		}
	progress_init(&pass.prog);
	t0 = cli_now();
	if (sc_poprun(st, &po, &r, &d)) {
		progress_end(&pass.prog);
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	progress_end(&pass.prog);
	for (size_t i = 0; i < pass.nt; i++)
		ctx_add(&c, &pass.t[i]);
	o = summary(&c, &r, cli_now() - t0);
	rc = cli_emit(o, json, cli_whatif_print);
out:
	json_decref(o);
	sc_shard_map_free(map);
	for (size_t i = 0; i < pass.nt; i++)
		ctx_free_clone(&pass.t[i]);
	free(pass.t);
	sc_poprun_release(&r);
	for (size_t i = 0; i < c.ncards; i++)
		free(c.cards[i].m);
	free(c.actions);
	sc_store_close(st);
	sc_rulebook_free(active);
	sc_rulebook_free(draft);
	return rc;
}

const struct cmd cmd_whatif = {
	"whatif", run, "whatif DRAFT.yaml [--at DATE] [--from-ledger] [--json]",
	"Evaluate every subject under the rulebook in force and a draft together and\n"
	"      report what would change: grade transitions per scorecard, subjects joining\n"
	"      and leaving each list, denials and grants per action, and every decision's\n"
	"      transitions (allow->deny, deny->standard, grant->standard ...). Reads the\n"
	"      population image on every core, as run does (--from-ledger: the ledger,\n"
	"      one thread). Writes nothing to the ledger."};
