/* The socred command: shared helpers for the cmd_*.c files. Programs may
 * print and exit; the library never does. */
#ifndef SOCRED_CLI_H
#define SOCRED_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "socred/access.h"
#include "socred/date.h"
#include "socred/eval.h"
#include "socred/rulebook.h"
#include "socred/status.h"
#include "socred/store.h"

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_SOME 1  /* some lines rejected; deny decision */
#define EXIT_FATAL 2 /* usage or fatal error */

struct cli {
	const char *db;      /* ledger path or PostgreSQL URI */
	const char *prog;
	const char *self;    /* this program's path for children (argv[0] with a '/',
			      * else /proc/self/exe) */
	char shown[512];     /* db fit to print (cli_where) */
	/* keys over a cluster map: db is its home ledger, and a subject's key
	 * is audited in its subject's ledger's log (borrowed; NULL: none) */
	const struct sc_shard_map *map;
};

/* The ledger fit to print: a PostgreSQL URI without its password. */
const char *cli_where(struct cli *cli);

struct cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;   /* "score ID [--scorecard NAME] [--at DATE] [--json]" */
	const char *summary;
};

/* Command options: a small table-driven parser. */
struct opt {
	const char *name;    /* "--at" */
	const char **value;  /* takes a value when non-NULL */
	bool *flag;          /* a switch when non-NULL */
};

/* Parses argv[1..]: options from opts, --db, --help; the rest into pos[]
 * (at most npos). Returns -1 on success, or an exit code to return now
 * (usage printed). *npos_out receives the positional count. */
int cli_parse(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
	      const struct opt *opts, const char **pos, int npos,
	      int *npos_out);

/* Prints "socred: <diag>" to stderr. */
void cli_diag(const struct sc_diag *d);
/* Prints "socred: <fmt>" to stderr; returns EXIT_FATAL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));


/* Opens the ledger (flags: SC_STORE_*), saying on stderr when it brings
 * an older ledger's schema up to date. Prints errors: EXIT_OK or
 * EXIT_FATAL. */
int cli_store_open(struct cli *cli, unsigned flags, struct sc_store **st);
/* Opens the ledger (cli_store_open) and compiles the rulebook in force at
 * `at`. Prints errors. */
int cli_open(struct cli *cli, sc_day at, struct sc_store **st,
	     struct sc_rulebook **rb);

/* Appends an entry to the audit log for an operator's act at the command
 * line: role admin, key 0, action "cli ACTION by os:USER" (the OS user
 * running socred, cli_os_user), the subject read or changed ("" or NULL:
 * none), the result. Every command that reads a subject's data or changes
 * the ledger writes one before it prints its answer. Prints errors:
 * EXIT_OK or EXIT_FATAL. */
int cli_audit(struct sc_store *st, const char *action, const char *subject,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The OS user running socred into buf: the effective uid's name from the
 * password database, else $USER with the uid, else the uid. */
const char *cli_os_user(char buf[64]);

/* Peak resident memory in MiB. */
double cli_peak_mib(void);
double cli_now(void);

/* A progress line on stderr when it is a terminal. */
struct progress {
	bool on;
	double start, last;
};
void progress_init(struct progress *p);
/* done/total of unit (percent when total > 0), rate in units/s, ETA. */
void progress_show(struct progress *p, const char *what, double done,
		   double total, double count, const char *unit);
void progress_end(struct progress *p);

/* Text of a day ("2026-01-31"), or "open" for SC_DAY_NONE; buf >= 11. */
const char *cli_day(sc_day d, char *buf);

/* A subject loaded for evaluation: from the ledger, or an empty file for a
 * valid id that has none yet. */
int cli_load_subject(struct sc_store *st, const struct sc_rulebook *rb,
		     const char *id, struct sc_loaded *out);

/* One subject evaluated at a date: what score, explain and check share. */
struct cli_subject {
	struct sc_store *st;
	struct sc_rulebook *rb;
	struct sc_eval *ev;
	struct sc_loaded l;
};
/* Opens the ledger, loads id and evaluates it at `at` (SC_EVAL_* flags).
 * Returns EXIT_OK, or an exit code after printing the error; either way
 * release with cli_subject_close. */
int cli_subject_open(struct cli *cli, const char *id, sc_day at,
		     unsigned flags, struct cli_subject *s);
void cli_subject_close(struct cli_subject *s);

/* --at: the date, or today when absent. Prints the error: EXIT_FATAL. */
int cli_at(const char *s, sc_day *out);
/* A string member of a JSON object, "-" when absent or not a string. */
const char *cli_str(json_t *o, const char *key);
/* One compact line, keys in insertion order. */
void cli_json_print(json_t *o);
/* A command's result: o as JSON (json) or through print_text. EXIT_OK, or
 * the out-of-memory failure when o is NULL (a report that could not be
 * built). o stays the caller's. */
int cli_emit(json_t *o, bool json, void (*print_text)(json_t *o));

/* A run's summary as text (cmd_run.c). */
void cli_run_print(json_t *o);

/* ---- a cluster map (--db shards:MAP; shards.c) ---- */
struct sc_shard_map;
/* true when the ledger is a cluster map */
bool cli_sharded(const struct cli *cli);
/* Loads the cluster map. Prints errors: EXIT_OK or EXIT_FATAL. */
int cli_shard_map(const struct cli *cli, struct sc_shard_map **m);
/* --only-map MAP of a command run on one ledger of a map: the map, and
 * the index of cli->db among its ledgers. Prints errors. */
int cli_shard_self(const struct cli *cli, const char *map_path, struct sc_shard_map **m,
		   size_t *self);
/* A whatif's summary as text (cmd_whatif.c). */
void cli_whatif_print(json_t *o);
/* Runs cmd over the map's ledgers (what each command does: shards.c). */
int cli_shards_dispatch(struct cli *cli, const struct cmd *cmd, int argc, char **argv);

extern const struct cmd cmd_init, cmd_rulebook, cmd_ingest, cmd_score,
	cmd_explain, cmd_check, cmd_lists, cmd_run, cmd_results, cmd_generate, cmd_keys,
	cmd_audit, cmd_serve, cmd_expire, cmd_whatif, cmd_shards;

/* socred shards move N --to LEDGER over map m (cli->db is "shards:PATH"):
 * prints its outcome or errors; EXIT_OK or EXIT_FATAL (shards_move.c). */
struct sc_shard_map;
int cli_shards_move(struct cli *cli, struct sc_shard_map *m, const char *nstr, const char *to);

#endif
