/* The HTTP service's internals, shared by the files of src/http. Not
 * installed: programs use socred/server.h. */
#ifndef SOCRED_HTTP_H
#define SOCRED_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "decisions.h"
#include "ratelimit.h"
#include "socred/access.h"
#include "socred/arena.h"
#include "socred/process.h"
#include "socred/rulebook.h"
#include "socred/server.h"
#include "socred/shard.h"
#include "socred/store.h"

#define SC_HTTP_BODY_MAX (16 * 1024 * 1024) /* a request body */
#define SC_HTTP_CONNECTIONS_MAX 4096        /* open at once, by default */
#define SC_HTTP_PATH_MAX 512
#define SC_ROUTES_MAX 63 /* routes in the table; metrics keep one more slot */

/* ---- ledger connections, one per worker thread at most ---- */

struct sc_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sc_store **free;
	size_t nfree, size;
	const char *db; /* borrowed from the server's options */
	int32_t node;   /* the audit chain its connections sign heads and prove on */
};

/* ---- the audit queue: entries are chained and written by one thread ---- */

struct sc_audit_item {
	char at[32];
	int64_t key_id;
	enum sc_role role;
	char action[96];
	char subject[72];
	char result[128];
};

struct sc_audit_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* the writer: entries queued, or stop */
	pthread_cond_t done_cv; /* waiters: a batch committed (or failed) */
	pthread_cond_t hurry;   /* the writer, gathering: a waiter waits */
	struct sc_audit_item *items;
	size_t n, cap;
	uint64_t pushed, done;  /* entries queued, and handled, since start */
	uint64_t batches_failed;
	/* the entries (first, last) of the last failed batches, a ring */
#define SC_AUDIT_FAILS_KEPT 16
	uint64_t fail_lo[SC_AUDIT_FAILS_KEPT], fail_hi[SC_AUDIT_FAILS_KEPT];
	unsigned waiting;       /* requests waiting for their entries */
	bool stop;
	pthread_t writer;
	struct sc_store *st;
	const char *db;         /* borrowed from the server's options */
	int32_t node;           /* this server's audit chain (0 on SQLite) */
	atomic_ulong written, failed;
	/* refusals without a valid key, counted per client and minute */
	pthread_mutex_t rmu;
	int64_t minute;         /* of the counts in refused */
	struct sc_refusals *refused;
	atomic_ulong refusals;  /* counted, since start */
};

/* ---- commits by other writers of the ledger (commits.c) ---- */

struct sc_commits {
	pthread_t thread;
	bool started;
	int wake[2];            /* a byte in wake[1] stops the thread */
	struct sc_store *st;    /* the first listening connection, for the thread */
	int fd;
	atomic_bool up;         /* listening now */
	atomic_ullong gen;      /* moves at every commit told, and when listening again */
	atomic_ulong told, lost; /* notifications; listening connections lost */
	char db[4096];
};

/* ---- metrics ---- */

#define SC_LAT_BUCKETS 12
struct sc_metrics {
	atomic_ulong requests[SC_ROUTES_MAX + 1][6]; /* route (last: unmatched) x status class */
	atomic_ulong lat_bucket[SC_LAT_BUCKETS + 1];
	atomic_ulong lat_count;
	atomic_ullong lat_sum_us;
	atomic_ulong decisions[SC_DECISION_COUNT]; /* allow, deny, grant, standard */
	atomic_ulong records_filed;
	atomic_ulong connections_open;    /* now */
	atomic_ulong connections_refused; /* beyond the limit, since start */
	atomic_ulong rate_limited;        /* keyless requests over --rate: 429 */
};

/* ---- keys read recently (see auth.c) ---- */

#define SC_KEYCACHE_SLOTS 256
struct sc_keyslot {
	bool valid;
	uint64_t gen;   /* the ledger's change counter when read */
	double current_at; /* monotonic seconds when last known current */
	struct sc_key key;
};
struct sc_keycache {
	pthread_mutex_t mu;
	struct sc_keyslot slots[SC_KEYCACHE_SLOTS];
};

/* A rulebook version and the day it takes effect (SC_DAY_NONE: always). */
struct sc_version {
	sc_day effective;
	struct sc_rulebook *rb;
};

/* One ledger the server answers from: the ledger itself (opts.db), or
 * one ledger of a cluster map (opts.map). Each has its connections, its
 * audit chain, its decision snapshot (of the subjects the map gives it)
 * and its listener for other writers' commits. */
struct sc_part {
	const char *db;                /* borrowed from the options or the map */
	size_t index;                  /* in the server's parts */
	struct sc_pool pool;
	struct sc_audit_queue audit;
	struct sc_decisions decisions;
	struct sc_commits commits;
};

struct sc_server {
	struct MHD_Daemon *mhd;
	struct sc_server_opts opts;
	pthread_mutex_t vmu;           /* guards the versions array */
	struct sc_version *versions;   /* ordered by effective date */
	size_t nversions, capversions;
	/* parts[0] is the home ledger: API keys, rulebooks, and the audit
	 * entries about no subject; with a map, each subject's requests go to
	 * the part holding its logical shard */
	struct sc_part *parts;
	size_t nparts;
	struct sc_shard_dir *dir;      /* with a map: its record-id directory */
	pthread_mutex_t dir_mu;        /* one filing over the map at a time */
	pthread_mutex_t map_mu;        /* guards map_watch */
	struct sc_shard_set map_watch; /* opts.map_path, its stamp when last found the same */
	struct sc_metrics metrics;
	struct sc_keycache keys;
	unsigned max_conns;            /* --max-connections */
	struct sc_ratelimit *rl;       /* keyless requests per address; NULL: none */
	char *openapi;
	size_t openapi_len;
};

/* What a keep-alive connection keeps between its requests: the last
 * request's memory (its struct and its arena's one 16 KiB chunk, when the
 * request needed no more), and an evaluator for the rulebook it last used.
 * One worker serves a connection at a time, so none of it is shared.
 * Freed when the connection closes. */
struct sc_conn {
	struct sc_req *spare;
	struct sc_eval *ev;
	const struct sc_rulebook *ev_rb;
};

/* One request, from its first byte to its response. */
struct sc_req {
	struct sc_server *srv;
	struct sc_conn *cx;     /* NULL: the connection could not get one */
	struct MHD_Connection *conn;
	struct sc_arena arena;  /* everything of this request */
	const char *method;
	char path[SC_HTTP_PATH_MAX];
	char *body;
	size_t body_len, body_cap;
	bool too_large;
	unsigned retry_after;   /* seconds, for a 429's Retry-After; 0: none */
	double start;
	int route;              /* index into the route table, for metrics */
	const struct sc_rulebook *rb; /* the version in force on the request's day */
	struct sc_part *part;   /* the ledger the request is about (home: none) */
	struct sc_store **held; /* [nparts] with a map: connections lent (sc_req_ledger) */
	/* who is asking */
	struct sc_key key;      /* key.id 0: no key */
	enum sc_role role;
	/* filled by the handler */
	unsigned status;
	const char *content_type;
	char *out;
	size_t out_len;
	const char *audit_subject; /* the handler sets it to audit the request */
	const char *audit_action;  /* default "METHOD path" */
	char audit_result[128];
	uint64_t audit_ticket;     /* of its last entry queued on part's chain; 0: none */
	uint64_t *tickets;         /* [nparts] with a map, once an entry goes elsewhere */
	bool audit_dropped;        /* an entry of it could not be queued */
};

typedef void (*sc_handler)(struct sc_req *r, struct sc_store *st,
			   const char *const *params);

/* Where a route goes over a cluster map. */
enum sc_route_shard {
	SC_SHARD_HOME = 0,  /* the home ledger (parts[0]) */
	SC_SHARD_SUBJECT,   /* the ledger of the subject: the first {} or ?subject= */
	SC_SHARD_EVERY,     /* the handler asks the ledgers it needs (sc_req_ledger) */
};

struct sc_route {
	const char *method;
	const char *pattern;    /* "/v1/subjects/{}/report": {} is a parameter */
	sc_handler handler;
	unsigned roles;         /* bit set of (1u << enum sc_role) */
	const char *name;       /* metrics label */
	enum sc_route_shard shard;
};

extern const struct sc_route sc_routes[];
extern const size_t sc_nroutes;

/* Responses. The body is copied into the request's arena. */
void sc_reply(struct sc_req *r, unsigned status, const char *type,
	      const char *body, size_t len);
/* An evaluator for rb: the connection's, kept for its next request, or
 * (without one) a new one that the caller frees with sc_req_eval_done.
 * NULL when out of memory. */
struct sc_eval *sc_req_eval(struct sc_req *r, const struct sc_rulebook *rb);
void sc_req_eval_done(struct sc_req *r, struct sc_eval *ev);

/* The same with a body already in the request's arena (not copied). */
void sc_reply_arena(struct sc_req *r, unsigned status, const char *type,
		    char *body, size_t len);
/* Takes a reference to o (decrefs it). */
void sc_reply_json(struct sc_req *r, unsigned status, json_t *o);
/* {"error": {"status", "message", "field", "line"}}. */
void sc_reply_error(struct sc_req *r, unsigned status, const struct sc_diag *d);
void sc_reply_errorf(struct sc_req *r, unsigned status, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The body as a JSON object (new reference), or NULL after replying 400
 * with the parser's line and column. */
json_t *sc_req_json(struct sc_req *r);
/* A string member of o: NULL after replying 400 naming the field when it is
 * required and absent, empty, not a string, longer than max bytes, or not
 * one line of UTF-8 text. Borrowed from o. */
const char *sc_req_str(struct sc_req *r, json_t *o, const char *key, size_t max,
		       bool required);
/* Replies with the status a store error maps to (404, 409, 403, 400, 500). */
void sc_reply_store_error(struct sc_req *r, enum sc_status st,
			  const struct sc_diag *d);
/* The subject's own key (for routes on /v1/subjects/{id}); replies 403 and
 * returns false otherwise. */
bool sc_req_own_subject(struct sc_req *r, const char *id);
/* A query parameter (borrowed), or NULL. */
const char *sc_req_query(struct sc_req *r, const char *name);
/* Today for this server (--today, or the clock). */
sc_day sc_req_today(const struct sc_req *r);
/* A connection to part i's ledger for the rest of the request (the one
 * the handler was given when i is the request's part), or NULL when out
 * of memory. For SC_SHARD_EVERY routes. */
struct sc_store *sc_req_ledger(struct sc_req *r, size_t i);
/* Over a map read from a file (opts.map_path): SC_OK while the file gives
 * every logical shard the ledger this server serves it from; SC_ESTATE
 * (d names the shard moved) once a move rewrote it; SC_EIO. */
enum sc_status sc_server_map_current(struct sc_server *srv, struct sc_diag *d);
/* The part a subject id belongs to (the home part without a map). */
struct sc_part *sc_server_part_of(struct sc_server *srv, const char *id, size_t len);
/* Queues an audit entry for r on part's chain; a write waits for it
 * before its answer. */
void sc_req_audit(struct sc_req *r, struct sc_part *part, const char *action,
		  const char *subject, const char *result);

/* Today for the server (--today, or the clock). */
sc_day sc_server_today(const struct sc_server *srv);
/* The rulebook version in force on `at` (NULL: none). Versions live until
 * the server stops. */
const struct sc_rulebook *sc_server_rulebook_at(struct sc_server *srv, sc_day at);
/* Adds a compiled version (ownership transferred). SC_OK or SC_ENOMEM. */
enum sc_status sc_server_version_add(struct sc_server *srv, sc_day effective,
				     struct sc_rulebook *rb);

/* Auth: resolves the Authorization header into r->key / r->role. st: a
 * connection to the home ledger (the keys are there). Returns 0, 401 when
 * a key is presented but unknown, revoked or malformed, or 503 when the
 * ledger could not be asked. */
unsigned sc_auth_resolve(struct sc_req *r, struct sc_store *st);

/* Pool. */
/* node: the audit chain each connection works on (sc_store_audit_chain). */
enum sc_status sc_pool_init(struct sc_pool *p, const char *db, int32_t node, size_t size,
			    struct sc_diag *d);
struct sc_store *sc_pool_get(struct sc_pool *p);
void sc_pool_put(struct sc_pool *p, struct sc_store *st);
void sc_pool_release(struct sc_pool *p);

/* Audit queue. */
/* Registers this server's audit chain, named name (host, port, pid), and
 * starts the writer, which appends to it: q->node. */
enum sc_status sc_audit_queue_start(struct sc_audit_queue *q, const char *db, const char *name,
				    struct sc_diag *d);
/* Queues an entry for r's key and role, its fields made safe with
 * sc_audit_field (escaped, secrets redacted, cut to fit). Returns its
 * ticket for sc_audit_queue_wait, 0 when it was dropped (no memory). */
uint64_t sc_audit_queue_push(struct sc_audit_queue *q, const struct sc_req *r,
			     const char *action, const char *subject,
			     const char *result);
/* Waits until the entry of `ticket` and all before it are committed: true
 * when they are (false: ticket 0, or a batch failed meanwhile). What a
 * write waits for before its answer. */
bool sc_audit_queue_wait(struct sc_audit_queue *q, uint64_t ticket);
/* Counts a refusal of r (401: no valid key) against its client address:
 * one entry per client and minute, "401 x N", written when the minute is
 * over or the server stops. */
void sc_audit_queue_refused(struct sc_audit_queue *q, const struct sc_req *r);
/* Flushes and stops the writer. */
void sc_audit_queue_stop(struct sc_audit_queue *q);

/* Commits: listens for other writers' commits when the ledger's backend
 * tells of them (PostgreSQL); nothing to do otherwise. SC_OK also when the
 * ledger is out of reach now (the thread keeps trying). */
enum sc_status sc_commits_start(struct sc_commits *c, const char *db, struct sc_diag *d);
void sc_commits_stop(struct sc_commits *c);
/* The part's ledger's change counter as this server sees it: the
 * ledger's shared counter, or the commits told while listening. false
 * when there is none now: then only a look at the ledger tells what
 * changed. st: a connection to that ledger. */
bool sc_part_change_count(struct sc_part *part, struct sc_store *st, uint64_t *n);

/* Metrics. */
void sc_metrics_observe(struct sc_metrics *m, int route, unsigned status,
			double seconds);
/* stores: a connection to each part's ledger (NULL: not counted) */
char *sc_metrics_render(const struct sc_server *srv, struct sc_store *const *stores,
			size_t *len);

/* Handlers. */
void sc_h_healthz(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_metrics(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_openapi(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_rulebook(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_check(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_records_post(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_report(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_dispute_open(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_dispute_list(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_dispute_decide(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_statement_add(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_repair_apply(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_repair_list(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_repair_decide(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_consent(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_share_add(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_share_get(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_list_search(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_search(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_stats(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_web(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_me(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_rulebook_publish(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_rulebook_versions(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_key_add(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_key_list(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_key_revoke(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_audit_head(struct sc_req *r, struct sc_store *st, const char *const *p);
void sc_h_inquiry_proof(struct sc_req *r, struct sc_store *st, const char *const *p);

/* Ids of disputes, repair applications and statements (ids.c): over a
 * cluster map the registry's, from the map's directory; else the
 * ledger's own, untouched. */
/* o's "id" (its ledger's, part's) made the registry's; subject: o's
 * subject (NULL: its "subject" member). SC_OK, SC_EINVAL, SC_ESTORE. */
enum sc_status sc_ids_out(struct sc_server *srv, enum sc_shard_item kind,
			  const struct sc_part *part, const char *subject, json_t *o,
			  struct sc_diag *d);
/* The same for every object of arr, all of part's ledger. */
enum sc_status sc_ids_out_all(struct sc_server *srv, enum sc_shard_item kind,
			      const struct sc_part *part, json_t *arr, struct sc_diag *d);
/* A dispute or repair application by id: the part holding it, a
 * connection to its ledger for the rest of r (sc_req_ledger) and its id
 * there. SC_OK; SC_ENOTFOUND with one ledger's message (also for an item
 * left on a ledger that no longer holds its subject); SC_ESTORE;
 * SC_ENOMEM. */
enum sc_status sc_ids_in(struct sc_req *r, enum sc_shard_item kind, int64_t id,
			 struct sc_part **part, struct sc_store **st, int64_t *local,
			 struct sc_diag *d);
/* arr's objects by their "id", ascending. SC_OK, SC_ENOMEM. */
enum sc_status sc_ids_sort(json_t *arr);
/* Every dispute (kind SC_SHARD_DISPUTE) or repair application of the
 * registry, of source's records only (NULL: all), open ones only, as JSON
 * objects appended to arr in id order: the ledger's, or every ledger's of
 * a map merged, with registry-wide ids. */
enum sc_status sc_req_items(struct sc_req *r, enum sc_shard_item kind, const char *source,
			    bool open_only, json_t *arr, struct sc_diag *d);

/* JSON of due-process items, shared by the handlers and the report. */
json_t *sc_json_dispute(const struct sc_dispute *x);
json_t *sc_json_repair(const struct sc_repair *x);
/* Store-listing callbacks that append to a JSON array (arr). */
enum sc_status sc_json_append_dispute(void *arr, const struct sc_dispute *x);
enum sc_status sc_json_append_repair(void *arr, const struct sc_repair *x);

#endif
