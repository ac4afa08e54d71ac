/* Helpers for the commands: options, errors, ledger opening, progress. */
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "socred/ledger_path.h"

static void usage(const struct cli *cli, const struct cmd *cmd, FILE *out)
{
	fprintf(out, "usage: %s [--db PATH] %s\n\n%s\n", cli->prog, cmd->usage,
		cmd->summary);
}

int cli_parse(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
	      const struct opt *opts, const char **pos, int npos,
	      int *npos_out)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(cli, cmd, stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "--db")) {
			if (i + 1 >= argc)
				goto missing;
			cli->db = argv[++i];
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			for (const struct opt *p = opts; p && p->name; p++)
				if (!strcmp(p->name, a))
					o = p;
			if (!o) {
				fprintf(stderr, "%s %s: unknown option '%s'\n", cli->prog,
					cmd->name, a);
				usage(cli, cmd, stderr);
				return EXIT_FATAL;
			}
			if (o->flag) {
				*o->flag = true;
			} else {
				if (i + 1 >= argc)
					goto missing;
				*o->value = argv[++i];
			}
			continue;
		}
		if (n >= npos) {
			fprintf(stderr, "%s %s: unexpected argument '%s'\n", cli->prog,
				cmd->name, a);
			usage(cli, cmd, stderr);
			return EXIT_FATAL;
		}
		pos[n++] = a;
		continue;
missing:
		fprintf(stderr, "%s %s: option '%s' needs a value\n", cli->prog,
			cmd->name, a);
		return EXIT_FATAL;
	}
	*npos_out = n;
	return -1;
}

void cli_diag(const struct sc_diag *d)
{
	char buf[1024];

	sc_diag_format(d, buf, sizeof(buf));
	fprintf(stderr, "socred: %s\n", buf);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("socred: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FATAL;
}

int cli_at(const char *s, sc_day *out)
{
	if (!s) {
		*out = sc_date_today();
		return EXIT_OK;
	}
	if (sc_date_parse(s, strlen(s), out))
		return EXIT_OK;
	return cli_fail("--at '%s' is not a real day as YYYY-MM-DD", s);
}

const char *cli_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

void cli_json_print(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
}

int cli_emit(json_t *o, bool json, void (*print_text)(json_t *o))
{
	if (!o)
		return cli_fail("out of memory");
	if (json)
		cli_json_print(o);
	else
		print_text(o);
	return EXIT_OK;
}

int cli_subject_open(struct cli *cli, const char *id, sc_day at,
		     unsigned flags, struct cli_subject *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = cli_open(cli, at, &s->st, &s->rb)))
		return rc;
	if ((rc = cli_load_subject(s->st, s->rb, id, &s->l)))
		return rc;
	s->ev = sc_eval_new(s->rb);
	if (!s->ev || sc_eval_subject(s->ev, &s->l.view, at, flags))
		return cli_fail("cannot evaluate '%s': out of memory or too many records", id);
	return EXIT_OK;
}

void cli_subject_close(struct cli_subject *s)
{
	sc_eval_free(s->ev);
	sc_loaded_release(&s->l);
	sc_store_close(s->st);
	sc_rulebook_free(s->rb);
}

const char *cli_where(struct cli *cli)
{
	sc_ledger_display(cli->db, cli->shown, sizeof(cli->shown));
	return cli->shown;
}

/* A line per step, before it: a step can take minutes (store.h). */
static void on_upgrade(void *ctx, int from, int to)
{
	fprintf(stderr, "socred: ledger %s: upgrading its schema from version %d to %d (of %d), once\n",
		cli_where(ctx), from, from + 1, to);
}

int cli_store_open(struct cli *cli, unsigned flags, struct sc_store **st)
{
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_store_open_upgrading(cli->db, flags, on_upgrade, cli, st, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	return EXIT_OK;
}

int cli_open(struct cli *cli, sc_day at, struct sc_store **st,
	     struct sc_rulebook **rb)
{
	struct sc_diag d;
	char *text = NULL;
	size_t len;

	if (cli_store_open(cli, 0, st))
		return EXIT_FATAL;
	sc_diag_clear(&d);
	if (sc_store_rulebook_get(*st, at, &text, &len, &d) ||
	    sc_rulebook_compile_flags(text, len, "ledger rulebook", SC_RULEBOOK_STORED, rb, &d)) {
		cli_diag(&d);
		free(text);
		sc_store_close(*st);
		return EXIT_FATAL;
	}
	free(text);
	return EXIT_OK;
}

int cli_load_subject(struct sc_store *st, const struct sc_rulebook *rb,
		     const char *id, struct sc_loaded *out)
{
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_store_subject_open(st, rb, id, out, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	return EXIT_OK;
}

const char *cli_os_user(char buf[64])
{
	struct passwd *pw = getpwuid(geteuid());
	const char *env = getenv("USER");

	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(buf, 64, "%.60s", pw->pw_name);
	else if (env && *env)
		snprintf(buf, 64, "%.40s (uid %u)", env, (unsigned)geteuid());
	else
		snprintf(buf, 64, "uid %u", (unsigned)geteuid());
	return buf;
}

int cli_audit(struct sc_store *st, const char *action, const char *subject,
	      const char *fmt, ...)
{
	char at[32], raw[256], user[64], act[96], subj[72], result[128];
	struct sc_audit_entry e = {.at = at, .role = SC_ROLE_ADMIN, .action = act,
				   .subject = subj, .result = result};
	struct sc_diag d;
	va_list ap;

	sc_time_now_iso(at);
	snprintf(raw, sizeof(raw), "cli %s by os:%s", action, cli_os_user(user));
	sc_audit_field(act, sizeof(act), raw, strlen(raw));
	sc_audit_field(subj, sizeof(subj), subject ? subject : "", subject ? strlen(subject) : 0);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	sc_audit_field(result, sizeof(result), raw, strlen(raw));
	sc_diag_clear(&d);
	if (sc_store_audit_append(st, &e, 1, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	return EXIT_OK;
}

double cli_peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p)
{
	p->on = isatty(STDERR_FILENO);
	p->start = p->last = cli_now();
}

void progress_show(struct progress *p, const char *what, double done,
		   double total, double count, const char *unit)
{
	double now = cli_now(), el = now - p->start, rate;
	char bar[31];
	int fill;

	if (!p->on || now - p->last < 0.1)
		return;
	p->last = now;
	rate = el > 0 ? count / el : 0;
	if (total > 0) {
		double frac = done / total > 1 ? 1 : done / total;
		double eta = frac > 0 ? el * (1 - frac) / frac : 0;
		fill = (int)(frac * 30);
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(30 - fill));
		bar[30] = '\0';
		fprintf(stderr, "\r%s [%s] %5.1f%%  %.0f %s/s  ETA %.0fs   ", what,
			bar, frac * 100, rate, unit, eta);
	} else {
		fprintf(stderr, "\r%s %.0f %s  %.0f %s/s   ", what, count, unit,
			rate, unit);
	}
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\r%80s\r", "");
}

const char *cli_day(sc_day d, char *buf)
{
	if (d == SC_DAY_NONE)
		return strcpy(buf, "open");
	sc_date_format(d, buf);
	return buf;
}
