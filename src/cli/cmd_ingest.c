/* socred ingest FILE... [--rejects FILE]: file records into the ledger. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "socred/ingest.h"
#include "socred/shard.h"
#include "socred/sidefile.h"

#define SHOW_MAX 10 /* rejects and warnings echoed on stderr */

struct ctx {
	const char *rejects_path;
	bool rejects_named; /* --rejects: a link there is followed, as asked */
	FILE *rejects;
	bool rejects_failed;
	uint64_t shown_rejects, shown_warnings;
	struct progress prog;
	double file_total;  /* bytes of the current file (0 unknown) */
	double bytes_before; /* bytes of earlier files */
	double all_total;
};

/* CSV field with quotes doubled. */
static void csv_field(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}

static void on_report(void *vctx, const struct sc_diag *d, const char *raw,
		      size_t len)
{
	struct ctx *c = vctx;
	char msg[1024];

	sc_diag_format(d, msg, sizeof(msg));
	if (d->warning) {
		if (c->shown_warnings++ < SHOW_MAX)
			fprintf(stderr, "%s%s\n", c->prog.on ? "\r" : "", msg);
		return;
	}
	if (c->shown_rejects++ < SHOW_MAX)
		fprintf(stderr, "%s%s\n", c->prog.on ? "\r" : "", msg);
	if (!c->rejects && !c->rejects_failed) {
		/* the rows hold people's data: owner-only; the default name is
		 * never written through a link (one named with --rejects is) */
		int fd = open(c->rejects_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (c->rejects_named ? 0 : O_NOFOLLOW),
			      SC_SIDE_MODE);
		struct stat sb;
		if (fd >= 0 && ((fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
				 fchmod(fd, SC_SIDE_MODE) != 0) ||
				!(c->rejects = fdopen(fd, "w"))))
			close(fd);
		if (!c->rejects) {
			c->rejects_failed = true;
			fprintf(stderr, "socred: cannot write rejects to %s: %s\n", c->rejects_path,
				errno == ELOOP ? "it is a symbolic link" : strerror(errno));
			return;
		}
		fputs("file,line,field,reason,original\n", c->rejects);
	}
	if (c->rejects) {
		csv_field(c->rejects, d->source, strlen(d->source));
		fprintf(c->rejects, ",%lu,", d->line);
		csv_field(c->rejects, d->field, strlen(d->field));
		fputc(',', c->rejects);
		csv_field(c->rejects, d->message, strlen(d->message));
		fputc(',', c->rejects);
		csv_field(c->rejects, raw, len);
		fputc('\n', c->rejects);
	}
}

static void on_progress(void *vctx, const struct sc_ingest_stats *s)
{
	struct ctx *c = vctx;

	progress_show(&c->prog, "ingest", c->bytes_before + (double)s->bytes_done,
		      c->all_total, (double)s->lines, "lines");
}

/* The ingest's entry in the audit log: its files and what was stored
 * (over a cluster map, in every ledger's log: set non-NULL). */
static int audit(struct sc_store *st, const struct sc_shard_set *set, const char *const *files,
		 int n, const struct sc_ingest_stats *stats, bool stopped)
{
	if (set) {
		int rc = EXIT_OK;
		for (size_t i = 0; i < set->map->nledgers && !rc; i++)
			rc = audit(set->stores[i], NULL, files, n, stats, stopped);
		return rc;
	}
	return cli_audit(st, "ingest", NULL, "%.60s%s: accepted %llu, duplicates %llu, rejected %llu%s",
			 strcmp(files[0], "-") ? files[0] : "<stdin>", n > 1 ? " and more" : "",
			 (unsigned long long)stats->accepted, (unsigned long long)stats->duplicates,
			 (unsigned long long)stats->rejected, stopped ? ", stopped" : "");
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[256], *rejects = NULL;
	const struct opt opts[] = {{"--rejects", &rejects, NULL}, {0}};
	struct ctx c = {0};
	struct sc_ingest_opts io = {.report = on_report, .progress = on_progress, .ctx = &c};
	struct sc_ingest_stats stats = {0};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_shard_map *map = NULL;
	struct sc_shard_set set = {0};
	struct sc_ingest_route route;
	char defrej[512];
	double t0;
	int n, rc = cli_parse(cli, &cmd_ingest, argc, argv, opts, pos, 256, &n);

	if (rc >= 0)
		return rc;
	if (n == 0)
		return cli_fail("ingest: name at least one FILE (or - for standard input)");
	c.rejects_named = rejects != NULL;
	if (!rejects) {
		char copy[400];
		snprintf(copy, sizeof(copy), "%s", strcmp(pos[0], "-") ? pos[0] : "stdin");
		snprintf(defrej, sizeof(defrej), "%s.rejects.csv", basename(copy));
		rejects = defrej;
	}
	c.rejects_path = rejects;
	if (cli_sharded(cli)) {
		/* every line to its subject's ledger; the rulebook of the first */
		struct cli first = *cli;
		struct sc_diag d;
		struct sc_store *rst;
		if ((rc = cli_shard_map(cli, &map)))
			return rc;
		first.db = map->ledgers[0];
		if ((rc = cli_open(&first, sc_date_today(), &rst, &rb)))
			goto out;
		sc_store_close(rst);
		sc_diag_clear(&d);
		if (sc_shard_set_open(map, 0, &set, &d)) {
			cli_diag(&d);
			rc = EXIT_FATAL;
			goto out;
		}
		sc_shard_set_route(&set, &route);
		/* a map rewritten under the ingest (shards move) stops it */
		sc_shard_set_watch(&set, cli->db + strlen("shards:"), &route);
		io.route = &route;
	} else if ((rc = cli_open(cli, sc_date_today(), &st, &rb))) {
		return rc;
	}
	for (int i = 0; i < n; i++) {
		struct stat sb;
		if (strcmp(pos[i], "-") && stat(pos[i], &sb) == 0)
			c.all_total += (double)sb.st_size;
	}
	progress_init(&c.prog);
	t0 = cli_now();
	for (int i = 0; i < n; i++) {
		bool is_stdin = !strcmp(pos[i], "-");
		FILE *in = is_stdin ? stdin : fopen(pos[i], "rb");
		struct sc_diag d;
		uint64_t before = stats.bytes_done;
		enum sc_status s;

		if (!in) {
			rc = cli_fail("cannot open %s: %s", pos[i], strerror(errno));
			goto out;
		}
		sc_diag_clear(&d);
		stats.bytes_done = 0;
		s = sc_ingest_stream(st, rb, in, is_stdin ? "<stdin>" : pos[i], &io, &stats, &d);
		c.bytes_before += (double)stats.bytes_done;
		stats.bytes_done += before;
		if (!is_stdin)
			fclose(in);
		if (s) {
			progress_end(&c.prog);
			cli_diag(&d);
			audit(st, set.stores ? &set : NULL, pos, n, &stats, true); /* the batches stored before */
			if (s == SC_ESTORE || s == SC_ESTATE)
				fprintf(stderr, "socred: ingest of %s stopped: the batch being written was"
					" rolled back, earlier batches are stored; run the same ingest again"
					"%s (stored lines then count as duplicates)\n",
					is_stdin ? "<stdin>" : pos[i],
					s == SC_ESTORE ? " once this is fixed" : "");
			rc = EXIT_FATAL;
			goto out;
		}
	}
	progress_end(&c.prog);
	if ((rc = audit(st, set.stores ? &set : NULL, pos, n, &stats, false)))
		goto out;
	{
		double el = cli_now() - t0;
		printf("ingested %llu lines in %.2f s (%.0f lines/s): accepted %llu, duplicates %llu, rejected %llu, warnings %llu; peak memory %.1f MiB\n",
		       (unsigned long long)stats.lines, el,
		       el > 0 ? (double)stats.lines / el : 0.0,
		       (unsigned long long)stats.accepted,
		       (unsigned long long)stats.duplicates,
		       (unsigned long long)stats.rejected,
		       (unsigned long long)stats.warnings, cli_peak_mib());
		if (stats.rejected > SHOW_MAX || stats.warnings > SHOW_MAX)
			fprintf(stderr, "socred: %llu rejects and %llu warnings (first %d of each shown above)\n",
				(unsigned long long)stats.rejected,
				(unsigned long long)stats.warnings, SHOW_MAX);
		if (stats.rejected)
			printf("rejected lines, with reasons: %s\n", rejects);
	}
	rc = stats.rejected ? EXIT_SOME : EXIT_OK;
out:
	if (c.rejects && fclose(c.rejects) != 0)
		rc = cli_fail("cannot write rejects to %s", rejects);
	sc_store_close(st);
	sc_shard_set_close(&set);
	sc_shard_map_free(map);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_ingest = {
	"ingest", run, "ingest FILE... [--rejects FILE]",
	"File records (CSV with a header, or JSONL) into the ledger. Bad lines go to the\n"
	"      rejects file (default ./NAME.rejects.csv) with file, line, field and reason.\n"
	"      Exit 0: all stored; 1: some lines rejected; 2: fatal."};
