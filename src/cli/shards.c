/* socred over a cluster map (--db shards:MAP, socred/shard.h).
 *
 * Each ledger of the map is a complete socred ledger; this file decides
 * what a command does over them:
 * - init, rulebook and audit verify run on every ledger in turn (init
 *   also makes the directory);
 * - ingest files each line on its subject's shard, in-process
 *   (cmd_ingest.c with an sc_ingest_route);
 * - run and whatif evaluate every ledger at once, one socred process per
 *   ledger (at most one per core), and sum their tallies;
 * - results and lists gather every ledger's lines and put them in the
 *   order one ledger would print them: by each subject's first filing,
 *   which the directory keeps; a ledger's lines about a subject the map
 *   gives to another ledger (left behind by a move) are left out;
 * - score, explain and check go to the subject's ledger;
 * - keys go to the home ledger, the map's first, where `serve` over the
 *   map reads them; serve routes each request itself (src/http).
 * The children are this program (cli->self) with --db LEDGER. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "socred/ledger_path.h"
#include "socred/limits.h"
#include "socred/shard.h"

#define PREFIX "shards:"

bool cli_sharded(const struct cli *cli)
{
	return !strncmp(cli->db, PREFIX, strlen(PREFIX));
}

int cli_shard_map(const struct cli *cli, struct sc_shard_map **m)
{
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_shard_map_load(cli->db + strlen(PREFIX), m, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	return EXIT_OK;
}

int cli_shard_self(const struct cli *cli, const char *map_path, struct sc_shard_map **m,
		   size_t *self)
{
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_shard_map_load(map_path, m, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	for (*self = 0; *self < (*m)->nledgers && strcmp((*m)->ledgers[*self], cli->db); (*self)++)
		;
	if (*self == (*m)->nledgers) {
		sc_shard_map_free(*m);
		*m = NULL;
		return cli_fail("--only-map %s: the map does not name %s", map_path, cli->db);
	}
	return EXIT_OK;
}

/* A ledger fit to print (a URI without its password), in one of two
 * buffers used in turn: enough for one message naming two ledgers. */
static const char *shown(const char *ledger)
{
	static char buf[2][SC_LIMIT_SHARD_LEDGER + 1];
	static int k;

	k ^= 1;
	sc_ledger_display(ledger, buf[k], sizeof(buf[k]));
	return buf[k];
}

/* Starts this program on ledger with args; its standard output goes to
 * out (-1: ours). The child's pid, or -1. */
static pid_t spawn(const char *self, const char *ledger, int argc, char **argv,
		   const char *const *extra, int out)
{
	char **args = calloc((size_t)argc + 16, sizeof(char *));
	int n = 0;
	pid_t pid;

	if (!args)
		return -1;
	args[n++] = "socred";
	args[n++] = "--db";
	args[n++] = (char *)ledger;
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	for (int i = 0; extra && extra[i]; i++)
		args[n++] = (char *)extra[i];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
			_exit(EXIT_FATAL);
		execv(self, args);
		fprintf(stderr, "socred: cannot start socred: %s\n", strerror(errno));
		_exit(EXIT_FATAL);
	}
	free(args);
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FATAL;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FATAL;
}

/* Runs argv on every ledger of m, at most `width` at once, each one's
 * standard output into outs[i] (a temporary file; NULL: ours). The worst
 * exit code. */
static int fan_out(const struct cli *cli, const struct sc_shard_map *m, int argc, char **argv,
		   const char *const *extra, size_t width, FILE **outs)
{
	pid_t *pids = calloc(m->nledgers, sizeof(pid_t));
	size_t started = 0, waited = 0;
	int worst = EXIT_OK;

	if (!pids)
		return cli_fail("out of memory");
	while (waited < m->nledgers) {
		while (started < m->nledgers && started - waited < width) {
			pids[started] = spawn(cli->self, m->ledgers[started], argc, argv, extra,
					      outs ? fileno(outs[started]) : -1);
			if (pids[started] < 0) {
				worst = cli_fail("cannot start socred: %s", strerror(errno));
				break;
			}
			started++;
		}
		if (waited == started)
			break;
		{
			int rc = wait_exit(pids[waited++]);
			if (rc > worst)
				worst = rc;
		}
	}
	free(pids);
	return worst;
}

static size_t cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

/* Temporary files, one per ledger. */
static FILE **temps(size_t n)
{
	FILE **t = calloc(n, sizeof(FILE *));

	for (size_t i = 0; t && i < n; i++)
		if (!(t[i] = tmpfile())) {
			for (size_t k = 0; k < i; k++)
				fclose(t[k]);
			free(t);
			return NULL;
		}
	return t;
}

static void temps_free(FILE **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		if (t[i])
			fclose(t[i]);
	free(t);
}

/* A temporary file's whole text (malloc'd, NUL-terminated). */
static char *slurp(FILE *f, size_t *len)
{
	long n;
	char *s;

	fflush(f);
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(s = malloc((size_t)n + 1)))
		return NULL;
	if (fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

/* ---- init, rulebook, audit verify: every ledger in turn ---- */

static int every_ledger(struct cli *cli, const struct cmd *cmd, int argc, char **argv)
{
	struct sc_shard_map *m = NULL;
	struct sc_shard_dir *dir = NULL;
	struct sc_diag d;
	int rc;

	if ((rc = cli_shard_map(cli, &m)))
		return rc;
	if (!strcmp(cmd->name, "audit"))
		printf("%zu ledgers, each with its own audit log:\n", m->nledgers);
	if (!strcmp(cmd->name, "init")) {
		sc_diag_clear(&d);
		if (sc_shard_dir_open(m->directory, 1, &dir, &d)) {
			cli_diag(&d);
			sc_shard_map_free(m);
			return EXIT_FATAL;
		}
		sc_shard_dir_close(dir);
	}
	if (!strcmp(cmd->name, "audit")) {
		/* each answer under the ledger it is about */
		rc = EXIT_OK;
		for (size_t i = 0; i < m->nledgers; i++) {
			pid_t pid;
			int one;
			printf("%s:\n", shown(m->ledgers[i]));
			if ((pid = spawn(cli->self, m->ledgers[i], argc, argv, NULL, -1)) < 0)
				one = cli_fail("cannot start socred: %s", strerror(errno));
			else
				one = wait_exit(pid);
			if (one > rc)
				rc = one;
		}
	} else {
		rc = fan_out(cli, m, argc, argv, NULL, 1, NULL);
	}
	sc_shard_map_free(m);
	return rc;
}

/* ---- results and lists: every ledger's lines in one ledger's order ---- */

struct item {
	const char *p;
	size_t n;
	int64_t order;
	size_t seq; /* ledger-major arrival: keeps a subject's lines in order */
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The subject of a text line: its second tab-separated field. */
static bool text_subject(const char *p, size_t n, const char **s, size_t *sl)
{
	const char *t = memchr(p, '\t', n), *e;

	if (!t)
		return false;
	*s = t + 1;
	e = memchr(*s, '\t', (size_t)(p + n - *s));
	*sl = e ? (size_t)(e - *s) : (size_t)(p + n - *s);
	return true;
}

/* The subject of a JSON list entry: its "subject" member. */
static bool json_subject(const char *p, size_t n, const char **s, size_t *sl)
{
	static const char key[] = "\"subject\":\"";
	const char *k = memmem(p, n, key, sizeof(key) - 1), *e;

	if (!k)
		return false;
	*s = k + sizeof(key) - 1;
	e = memchr(*s, '"', (size_t)(p + n - *s));
	if (!e)
		return false;
	*sl = (size_t)(e - *s);
	return true;
}

struct gather {
	const struct sc_shard_map *m;
	struct sc_shard_dir *dir;
	struct item *items;
	size_t n, cap;
	const char *head;  /* the first ledger's header */
	size_t head_len;
	const char *last;  /* the subject of the last line added */
	size_t last_len;
};

/* Adds one line (or entry) of ledger li, unless its subject belongs to
 * another ledger. */
static int gather_add(struct gather *g, size_t li, const char *p, size_t n, bool json)
{
	const char *s;
	size_t sl;
	int64_t order = INT64_MAX;
	struct sc_diag d;

	if (!(json ? json_subject(p, n, &s, &sl) : text_subject(p, n, &s, &sl)))
		return cli_fail("%s: a line without a subject: %.*s", shown(g->m->ledgers[li]),
				(int)(n > 80 ? 80 : n), p);
	if (sc_shard_ledger(g->m, s, sl) != li)
		return EXIT_OK;
	/* a subject's lines come together: its order is looked up once */
	if (g->n && g->last_len == sl && !memcmp(g->last, s, sl)) {
		order = g->items[g->n - 1].order;
	} else {
		sc_diag_clear(&d);
		switch (sc_shard_dir_order(g->dir, s, sl, &order, &d)) {
		case SC_OK:
		case SC_ENOTFOUND:
			break;
		default:
			cli_diag(&d);
			return EXIT_FATAL;
		}
		g->last = s;
		g->last_len = sl;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 1024;
		struct item *grown = realloc(g->items, cap * sizeof(*grown));
		if (!grown)
			return cli_fail("out of memory");
		g->items = grown;
		g->cap = cap;
	}
	g->items[g->n] = (struct item){p, n, order, g->n};
	g->n++;
	return EXIT_OK;
}

/* One ledger's output: header lines (starting with '#' or the lists
 * header) compared with the first ledger's, then its lines or entries. */
static int gather_text(struct gather *g, size_t li, const char *t, size_t len, size_t nhead)
{
	const char *p = t, *end = t + len;
	size_t h = 0;
	int rc;

	while (h < nhead && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
		h++;
	}
	if (li == 0) {
		g->head = t;
		g->head_len = (size_t)(p - t);
	} else if ((size_t)(p - t) != g->head_len || memcmp(t, g->head, g->head_len)) {
		return cli_fail("%s: another header than %s's: the ledgers were not run on the"
				" same day under the same rulebook", shown(g->m->ledgers[li]),
				shown(g->m->ledgers[0]));
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((rc = gather_add(g, li, p, (size_t)(le - p), false)))
			return rc;
		p = nl ? nl + 1 : end;
	}
	return EXIT_OK;
}

static int gather_json(struct gather *g, size_t li, const char *t, size_t len)
{
	const char *p = t, *end = t + len;
	int rc;

	while (end > p && (end[-1] == '\n' || end[-1] == ']'))
		end--;
	if (p < end && *p == '[')
		p++;
	/* entries are flat objects: one ends at "}," before the next "{" */
	while (p < end) {
		const char *e = p;
		while (e < end && !(e[0] == '}' && (e + 1 == end || (e[1] == ',' && e[2] == '{'))))
			e++;
		if (e < end)
			e++;
		if ((rc = gather_add(g, li, p, (size_t)(e - p), true)))
			return rc;
		p = e < end && *e == ',' ? e + 1 : e;
	}
	return EXIT_OK;
}

static int merged(struct cli *cli, int argc, char **argv)
{
	struct sc_shard_map *m = NULL;
	struct gather g = {0};
	struct sc_diag d;
	FILE **outs = NULL;
	char **texts = NULL;
	size_t *lens = NULL;
	bool json = false;
	int rc;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = true;
	if ((rc = cli_shard_map(cli, &m)))
		return rc;
	g.m = m;
	sc_diag_clear(&d);
	if (sc_shard_dir_open(m->directory, 0, &g.dir, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	texts = calloc(m->nledgers, sizeof(char *));
	lens = calloc(m->nledgers, sizeof(size_t));
	if (!texts || !lens || !(outs = temps(m->nledgers))) {
		rc = cli_fail("out of memory or no temporary files");
		goto out;
	}
	if ((rc = fan_out(cli, m, argc, argv, NULL, cores(), outs)))
		goto out;
	for (size_t i = 0; i < m->nledgers; i++) {
		if (!(texts[i] = slurp(outs[i], &lens[i]))) {
			rc = cli_fail("cannot read back %s's output", shown(m->ledgers[i]));
			goto out;
		}
		rc = json ? gather_json(&g, i, texts[i], lens[i])
			  : gather_text(&g, i, texts[i], lens[i], 1);
		if (rc)
			goto out;
	}
	qsort(g.items, g.n, sizeof(*g.items), item_cmp);
	if (json)
		putchar('[');
	else
		fwrite(g.head, 1, g.head_len, stdout);
	for (size_t i = 0; i < g.n; i++) {
		if (json && i)
			putchar(',');
		fwrite(g.items[i].p, 1, g.items[i].n, stdout);
		if (!json)
			putchar('\n');
	}
	if (json)
		printf("]\n");
out:
	for (size_t i = 0; texts && i < m->nledgers; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(g.items);
	temps_free(outs, m ? m->nledgers : 0);
	sc_shard_dir_close(g.dir);
	sc_shard_map_free(m);
	return rc;
}

/* ---- run and whatif: every ledger at once, the tallies summed ---- */

/* Adds the integers of b into a, member by member (objects and arrays of
 * the same shape; a member only b has is copied; other values are a's). */
static void add_counts(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(a)) {
		json_object_foreach(a, k, v) {
			json_t *w = json_object_get(b, k);
			if (json_is_integer(v) && json_is_integer(w) && strcmp(k, "run"))
				json_integer_set(v, json_integer_value(v) + json_integer_value(w));
			else
				add_counts(v, w);
		}
		json_object_foreach(b, k, v)
			if (!json_object_get(a, k))
				json_object_set(a, k, v);
	} else if (json_is_array(a)) {
		json_array_foreach(a, i, v)
			add_counts(v, json_array_get(b, i));
	}
}

/* true when a and b have the same member k, or neither has one */
static bool same_member(json_t *a, json_t *b, const char *k)
{
	json_t *x = json_object_get(a, k), *y = json_object_get(b, k);

	return (!x && !y) || (x && y && json_equal(x, y));
}

/* A whatif's decision transitions ("deny->standard": n) in the order one
 * ledger gives them (sc_decision order), after add_counts appended some. */
static void order_transitions(json_t *sum)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(sum, "actions"), i, a) {
		json_t *t = json_object_get(a, "transitions"), *o = json_object();
		for (int x = 0; x < SC_DECISION_COUNT; x++)
			for (int y = 0; y < SC_DECISION_COUNT; y++) {
				char key[64];
				json_t *v;
				snprintf(key, sizeof(key), "%s->%s", sc_decision_name((enum sc_decision)x),
					 sc_decision_name((enum sc_decision)y));
				if ((v = json_object_get(t, key)))
					json_object_set(o, key, v);
			}
		json_object_set_new(a, "transitions", o);
	}
}

static int tallied(struct cli *cli, bool whatif, int argc, char **argv)
{
	struct sc_shard_map *m = NULL;
	FILE **outs = NULL;
	json_t *sum = NULL, *runs = json_array();
	bool json = false, threads = false;
	char nthreads[24];
	const char *extra[6] = {"--json", "--only-map", cli->db + strlen(PREFIX), NULL, NULL, NULL};
	double t0 = cli_now();
	size_t width;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--threads"))
			threads = true;
	}
	if ((rc = cli_shard_map(cli, &m)))
		return rc;
	width = m->nledgers < cores() ? m->nledgers : cores();
	if (!threads) {
		/* the cores shared by the ledgers run at once */
		snprintf(nthreads, sizeof(nthreads), "%zu", cores() / width ? cores() / width : 1);
		extra[3] = "--threads";
		extra[4] = nthreads;
	}
	if (!runs || !(outs = temps(m->nledgers))) {
		rc = cli_fail("out of memory or no temporary files");
		goto out;
	}
	if (whatif) {
		extra[3] = NULL; /* whatif takes no --threads */
		width = m->nledgers < cores() ? m->nledgers : cores();
	}
	if ((rc = fan_out(cli, m, argc, argv, extra, width, outs)))
		goto out;
	for (size_t i = 0; i < m->nledgers; i++) {
		json_error_t e;
		json_t *o;
		rewind(outs[i]);
		if (!(o = json_loadf(outs[i], 0, &e)) || !json_is_object(o)) {
			json_decref(o);
			rc = cli_fail("%s: cannot read its summary: %s", shown(m->ledgers[i]), e.text);
			goto out;
		}
		json_array_append_new(runs, json_pack("{s:s,s:O?,s:O}", "ledger", shown(m->names[i]),
						      "run", json_object_get(o, "run"), "seconds",
						      json_object_get(o, "seconds")));
		if (!sum)
			sum = o;
		else {
			if (!same_member(o, sum, "at") || !same_member(o, sum, "version") ||
			    !same_member(o, sum, "active") || !same_member(o, sum, "draft")) {
				json_decref(o);
				rc = cli_fail("%s: run under another day or rulebook than %s",
					      shown(m->ledgers[i]), shown(m->ledgers[0]));
				goto out;
			}
			add_counts(sum, o);
			json_decref(o);
		}
	}
	json_object_set_new(sum, "seconds", json_real(cli_now() - t0));
	json_object_set_new(sum, "peak_mib", json_real(cli_peak_mib()));
	if (whatif) {
		order_transitions(sum);
	} else {
		json_object_set_new(sum, "snapshot", json_string("one per ledger, next to it"));
		json_object_del(sum, "image");
		json_object_del(sum, "phases");
		json_object_del(sum, "record_ids");
		json_object_del(sum, "threads");
	}
	json_object_set(sum, "shards", runs);
	rc = cli_emit(sum, json, whatif ? cli_whatif_print : cli_run_print);
out:
	json_decref(sum);
	json_decref(runs);
	temps_free(outs, m ? m->nledgers : 0);
	sc_shard_map_free(m);
	return rc;
}

/* ---- score, explain, check: the subject's ledger ---- */

static int by_subject(struct cli *cli, const struct cmd *cmd, int argc, char **argv)
{
	static const char *const valued[] = {"--at", "--scorecard", "--db", NULL};
	struct sc_shard_map *m = NULL;
	const char *id = NULL;
	static char ledger[SC_LIMIT_SHARD_LEDGER + 1];
	int rc;

	for (int i = 1; i < argc && !id; i++) {
		bool takes = false;
		for (int k = 0; valued[k]; k++)
			takes |= !strcmp(argv[i], valued[k]);
		if (takes)
			i++;
		else if (strncmp(argv[i], "--", 2))
			id = argv[i];
	}
	if (!id)
		return cmd->run(cli, argc, argv); /* its usage */
	if ((rc = cli_shard_map(cli, &m)))
		return rc;
	snprintf(ledger, sizeof(ledger), "%s", m->ledgers[sc_shard_ledger(m, id, strlen(id))]);
	sc_shard_map_free(m);
	cli->db = ledger;
	return cmd->run(cli, argc, argv);
}

/* ---- keys: the home ledger (the map's first), where serve reads them ---- */

static int on_home(struct cli *cli, const struct cmd *cmd, int argc, char **argv)
{
	struct sc_shard_map *m = NULL;
	static char ledger[SC_LIMIT_SHARD_LEDGER + 1];
	int rc;

	if ((rc = cli_shard_map(cli, &m)))
		return rc;
	snprintf(ledger, sizeof(ledger), "%s", m->ledgers[0]);
	cli->db = ledger;
	cli->map = m;
	rc = cmd->run(cli, argc, argv);
	cli->map = NULL;
	sc_shard_map_free(m);
	return rc;
}

int cli_shards_dispatch(struct cli *cli, const struct cmd *cmd, int argc, char **argv)
{
	const char *name = cmd->name;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cmd->run(cli, argc, argv); /* its usage, once */
	if (!strcmp(name, "init") || !strcmp(name, "rulebook") ||
	    (!strcmp(name, "audit") && argc == 2 && !strcmp(argv[1], "verify")))
		return every_ledger(cli, cmd, argc, argv);
	if (!strcmp(name, "results") || !strcmp(name, "lists"))
		return merged(cli, argc, argv);
	if (!strcmp(name, "run") || !strcmp(name, "whatif"))
		return tallied(cli, !strcmp(name, "whatif"), argc, argv);
	if (!strcmp(name, "score") || !strcmp(name, "explain") || !strcmp(name, "check"))
		return by_subject(cli, cmd, argc, argv);
	if (!strcmp(name, "ingest") || !strcmp(name, "generate") || !strcmp(name, "shards") ||
	    !strcmp(name, "serve"))
		return cmd->run(cli, argc, argv);
	if (!strcmp(name, "keys"))
		return on_home(cli, cmd, argc, argv);
	return cli_fail("%s: not available over a cluster map yet; run it with --db on each"
			" ledger the map names", name);
}
