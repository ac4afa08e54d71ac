/* socred serve: the HTTP API. SIGTERM or SIGINT stop it gracefully: no new
 * connections, requests in flight finish, the audit log is flushed. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "socred/audit_key.h"
#include "socred/server.h"
#include "socred/shard.h"

/* Requests a second, and in a burst, per client address without an API
 * key, by default: a person at the portal never meets the limit; trying
 * resident ids at it takes longer than a year per address for as few as
 * 63 M ids (docs/socred.1). */
#define RATE_DEFAULT 2
#define BURST_DEFAULT 40
#define RATE_MAX 1e6

/* a number from lo to RATE_MAX, into *out; false if s is not one */
static bool parse_number(const char *s, double lo, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v <= RATE_MAX))
		return false;
	*out = v;
	return true;
}

/* A ledger the server answers from, made ready: an older one brought up
 * to date here, where it can be said, and the key GET /v1/audit/head
 * signs with made on first need. */
static int prepare(struct cli *cli)
{
	unsigned char sk[SC_HEAD_SECRET_BYTES];
	char path[4096];
	struct sc_store *st;
	struct sc_diag d;
	bool created;

	if (cli_store_open(cli, 0, &st))
		return EXIT_FATAL;
	sc_store_close(st);
	sc_diag_clear(&d);
	if (!sc_audit_key_path(cli->db, path, sizeof(path)))
		return cli_fail("the audit key's path is too long");
	if (sc_audit_key_load(path, true, sk, &created, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	if (created)
		fprintf(stderr, "socred: created the audit signing key %s (0600): keep it secret"
				" and keep a copy\n", path);
	return EXIT_OK;
}

extern const unsigned char sc_openapi_yaml[];
extern const unsigned long sc_openapi_yaml_len;

static int run(struct cli *cli, int argc, char **argv)
{
	const char *listen = "127.0.0.1:8080", *today = NULL, *threads = NULL, *maxconn = NULL,
		   *rate = NULL, *burst = NULL;
	bool ledger_only = false, reuse_port = false, metrics_key_only = false;
	const struct opt opts[] = {{"--listen", &listen, NULL}, {"--today", &today, NULL},
				   {"--threads", &threads, NULL},
				   {"--max-connections", &maxconn, NULL},
				   {"--rate", &rate, NULL}, {"--burst", &burst, NULL},
				   {"--no-snapshot", NULL, &ledger_only},
				   {"--reuse-port", NULL, &reuse_port},
				   {"--metrics-key-only", NULL, &metrics_key_only}, {0}};
	struct sc_server_opts so = {.db = cli->db, .today = SC_DAY_NONE,
				    .openapi = (const char *)sc_openapi_yaml,
				    .openapi_len = sc_openapi_yaml_len,
				    .rate = RATE_DEFAULT, .burst = BURST_DEFAULT};
	struct sc_server *srv = NULL;
	char host[64];
	const char *colon;
	sigset_t set;
	struct sc_diag d;
	struct sc_shard_map *map = NULL;
	int sig, n, rc = cli_parse(cli, &cmd_serve, argc, argv, opts, NULL, 0, &n);
	long port, nthreads = sysconf(_SC_NPROCESSORS_ONLN);

	if (rc >= 0)
		return rc;
	colon = strrchr(listen, ':');
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host))
		return cli_fail("--listen takes HOST:PORT, e.g. 127.0.0.1:8080");
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port < 0 || port > 65535)
		return cli_fail("--listen: port %ld is out of range", port);
	if (threads && (nthreads = strtol(threads, NULL, 10)) < 1)
		return cli_fail("--threads takes a whole number >= 1");
	if (maxconn && (strtol(maxconn, NULL, 10) < 1 || strtol(maxconn, NULL, 10) > 65536))
		return cli_fail("--max-connections takes a whole number from 1 to 65536");
	so.max_connections = maxconn ? (unsigned)strtol(maxconn, NULL, 10) : 0;
	if (rate && !parse_number(rate, 0, &so.rate))
		return cli_fail("--rate takes requests a second from 0 (no limit) to 1000000, e.g. 2 or 0.5");
	if (burst && !parse_number(burst, 1, &so.burst))
		return cli_fail("--burst takes a number of requests from 1 to 1000000");
	if (today && !sc_date_parse(today, strlen(today), &so.today))
		return cli_fail("--today '%s' is not a real day as YYYY-MM-DD", today);
	so.host = host;
	so.port = (uint16_t)port;
	so.threads = nthreads > 0 ? (unsigned)nthreads : 2;
	so.no_snapshot = ledger_only;
	so.reuse_port = reuse_port;
	so.metrics_key_only = metrics_key_only;
	/* signals are taken synchronously by this thread; workers never see them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cli_sharded(cli)) {
		if ((rc = cli_shard_map(cli, &map)))
			return rc;
		so.map = map;
		so.map_path = cli->db + strlen("shards:");
	}
	for (size_t i = 0; i < (map ? map->nledgers : 1); i++) {
		struct cli one = *cli;
		if (map)
			one.db = map->ledgers[i];
		if ((rc = prepare(&one))) {
			sc_shard_map_free(map);
			return rc;
		}
	}
	sc_diag_clear(&d);
	if (sc_server_start(&so, &srv, &d)) {
		cli_diag(&d);
		sc_shard_map_free(map);
		return EXIT_FATAL;
	}
	printf("socred: serving http://%s:%u/ (ledger %s, %u threads%s%s)\n", host,
	       (unsigned)sc_server_port(srv), cli_where(cli), so.threads, today ? ", today " : "",
	       today ? today : "");
	fflush(stdout);
	sigwait(&set, &sig);
	fprintf(stderr, "socred: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sc_server_stop(srv);
	sc_shard_map_free(map);
	return EXIT_OK;
}

const struct cmd cmd_serve = {
	"serve", run, "serve [--listen HOST:PORT] [--threads N] [--today DATE] [--no-snapshot]\n"
	"      [--max-connections N] [--rate N] [--burst N] [--reuse-port] [--metrics-key-only]",
	"Serve the HTTP API (default 127.0.0.1:8080; port 0 picks a free one). --today\n"
	"      fixes the date for demos and tests. Checks are answered from the decision\n"
	"      snapshot (<ledger>.snap, built by `socred run` or by the server) for\n"
	"      subjects unchanged since it was built; --no-snapshot reads the ledger for\n"
	"      every check. Beyond --max-connections open at once (default 4096) a new\n"
	"      connection is closed at once. Requests without a valid API key are\n"
	"      limited per client address (IPv4, IPv6 /64), loopback included, to\n"
	"      --rate a second (default 2; 0: no limit) in bursts of up to --burst\n"
	"      (default 40); beyond, 429 with Retry-After. A port in use is an error\n"
	"      (\"address already in use\"); --reuse-port shares it with other servers\n"
	"      started with --reuse-port (the kernel splits connections among them).\n"
	"      /metrics answers an admin or monitor key, or a request from loopback\n"
	"      without a key; --metrics-key-only asks for a key from loopback too\n"
	"      (behind a reverse proxy on this host, every client comes from\n"
	"      loopback). Over a cluster map (--db shards:MAP) it answers for every\n"
	"      ledger of the map: each subject from its ledger and snapshot, keys from\n"
	"      the map's first ledger (restart it after `shards move`). SIGTERM stops\n"
	"      it gracefully."};
