/* socred: the HTTP service (libmicrohttpd, epoll, a thread pool). */
#ifndef SOCRED_SERVER_H
#define SOCRED_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "socred/date.h"
#include "socred/status.h"

struct sc_server;
struct sc_shard_map;

struct sc_server_opts {
	const char *db;           /* the ledger (unused with a map) */
	/* non-NULL: serve the registry of a cluster map (socred/shard.h),
	 * borrowed until sc_server_stop: each subject's requests go to its
	 * ledger, filings go through the map's directory, keys and rulebooks
	 * are read from the map's first ledger (docs/socred.1) */
	const struct sc_shard_map *map;
	/* with map: its file (borrowed). Once a move rewrites it, writes are
	 * refused with 503 (a filing at its next batch, with every ledger's
	 * write lock held): restart the server. NULL: not watched */
	const char *map_path;
	const char *host;         /* "127.0.0.1" */
	uint16_t port;            /* 0: any free port (see sc_server_port) */
	unsigned threads;         /* worker threads, >= 1 */
	sc_day today;             /* SC_DAY_NONE: the clock's date */
	bool no_snapshot;         /* checks read the ledger (to compare, to measure) */
	unsigned max_connections; /* open at once; beyond, refused (0: 4096) */
	/* requests without a valid API key, per client address (IPv4, IPv6
	 * /64): rate a second, in bursts of up to burst (>= 1); beyond, 429
	 * with Retry-After. rate 0: no limit */
	double rate, burst;
	bool reuse_port;          /* SO_REUSEPORT: share the port with other servers */
	bool metrics_key_only;    /* /metrics needs a key from loopback too */
	const char *openapi;      /* the OpenAPI document (borrowed) */
	size_t openapi_len;
};

/* Starts serving. SC_OK: *out is running, stop with sc_server_stop.
 * SC_ESTORE (the ledger), SC_EIO (cannot listen: the port is taken by a
 * server that did not ask to share it, "address already in use"),
 * SC_ENOMEM. */
enum sc_status sc_server_start(const struct sc_server_opts *opts,
			       struct sc_server **out, struct sc_diag *d);
/* The port actually bound. */
uint16_t sc_server_port(const struct sc_server *s);
/* Stops accepting, finishes requests in flight, flushes the audit log,
 * closes the ledger. s may be NULL. */
void sc_server_stop(struct sc_server *s);

#endif
