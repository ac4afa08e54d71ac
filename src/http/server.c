/* The HTTP server: libmicrohttpd with epoll and a thread pool. Each request
 * gets an arena, a ledger connection from the pool for the time of its
 * handler, the shared compiled rulebook, and an audit entry when it reads a
 * subject's data, changes something, or is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "http.h"
#include "socred/record.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

sc_day sc_server_today(const struct sc_server *srv)
{
	return srv->opts.today == SC_DAY_NONE ? sc_date_today() : srv->opts.today;
}

struct sc_eval *sc_req_eval(struct sc_req *r, const struct sc_rulebook *rb)
{
	struct sc_conn *cx = r->cx;

	if (!cx)
		return sc_eval_new(rb);
	/* a rulebook lives as long as the server, so its address names it */
	if (cx->ev && cx->ev_rb != rb) {
		sc_eval_free(cx->ev);
		cx->ev = NULL;
	}
	if (!cx->ev && (cx->ev = sc_eval_new(rb)))
		cx->ev_rb = rb;
	return cx->ev;
}

void sc_req_eval_done(struct sc_req *r, struct sc_eval *ev)
{
	if (!r->cx)
		sc_eval_free(ev);
}

sc_day sc_req_today(const struct sc_req *r)
{
	return sc_server_today(r->srv);
}

const char *sc_req_query(struct sc_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void sc_reply(struct sc_req *r, unsigned status, const char *type,
	      const char *body, size_t len)
{
	char *copy = sc_arena_strndup(&r->arena, body, len);

	sc_reply_arena(r, status, type, copy, copy ? len : 0);
}

void sc_reply_arena(struct sc_req *r, unsigned status, const char *type,
		    char *body, size_t len)
{
	r->status = status;
	r->content_type = type;
	r->out = body;
	r->out_len = len;
}

void sc_reply_json(struct sc_req *r, unsigned status, json_t *o)
{
	static const char oom[] = "{\"error\":{\"status\":500,\"message\":\"out of memory\"}}";
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (!s) {
		sc_reply(r, 500, "application/json", oom, sizeof(oom) - 1);
	} else {
		sc_reply(r, status, "application/json", s, strlen(s));
		free(s);
	}
	json_decref(o);
}

void sc_reply_error(struct sc_req *r, unsigned status, const struct sc_diag *d)
{
	char msg[sizeof(d->message)];
	json_t *e;

	/* a message may quote the request's bytes: JSON strings are UTF-8
	 * (found by fuzzing: such a message once became a 500) */
	snprintf(msg, sizeof(msg), "%s", d->message);
	sc_text_repair(msg, strlen(msg));
	e = json_pack("{s:i,s:s}", "status", (int)status, "message", msg);

	if (e && d->field[0])
		json_object_set_new(e, "field", json_string(d->field));
	if (e && d->line)
		json_object_set_new(e, "line", json_integer((json_int_t)d->line));
	if (e && d->column)
		json_object_set_new(e, "column", json_integer((json_int_t)d->column));
	sc_reply_json(r, status, json_pack("{s:o}", "error", e ? e : json_object()));
}

void sc_reply_errorf(struct sc_req *r, unsigned status, const char *field,
		     const char *fmt, ...)
{
	struct sc_diag d;
	va_list ap;

	sc_diag_clear(&d);
	if (field)
		snprintf(d.field, sizeof(d.field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	sc_reply_error(r, status, &d);
}

json_t *sc_req_json(struct sc_req *r)
{
	json_error_t e;
	json_t *o = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e) : NULL;
	struct sc_diag d;

	if (o && json_is_object(o))
		return o;
	sc_diag_clear(&d);
	if (!r->body_len) {
		snprintf(d.message, sizeof(d.message), "the request body is empty: send a JSON object");
	} else if (!o) {
		snprintf(d.message, sizeof(d.message), "invalid JSON: %s", e.text);
		d.line = (unsigned long)(e.line > 0 ? e.line : 0);
		d.column = (unsigned long)(e.column > 0 ? e.column : 0);
	} else {
		snprintf(d.message, sizeof(d.message), "expected a JSON object");
	}
	json_decref(o);
	sc_reply_error(r, 400, &d);
	return NULL;
}

const char *sc_req_str(struct sc_req *r, json_t *o, const char *key, size_t max,
		       bool required)
{
	json_t *v = json_object_get(o, key);
	struct sc_diag d;

	if (!v && !required)
		return "";
	if (!json_is_string(v) || json_string_length(v) == 0) {
		sc_reply_errorf(r, 400, key, "'%s' is required: a non-empty string", key);
		return NULL;
	}
	sc_diag_clear(&d);
	if (sc_text_check(json_string_value(v), json_string_length(v), max, &d)) {
		snprintf(d.field, sizeof(d.field), "%s", key);
		sc_reply_error(r, 400, &d);
		return NULL;
	}
	return json_string_value(v);
}

void sc_reply_store_error(struct sc_req *r, enum sc_status st,
			  const struct sc_diag *d)
{
	unsigned code = st == SC_ENOTFOUND   ? 404
			: st == SC_ECONFLICT ? 409
			: st == SC_EREFUSED  ? 403
			: st == SC_EINVAL    ? 400
					     : 500;

	sc_reply_error(r, code, d);
}

bool sc_req_own_subject(struct sc_req *r, const char *id)
{
	if (r->role == SC_ROLE_SUBJECT && !strcmp(r->key.binding, id))
		return true;
	sc_reply_errorf(r, 403, NULL, "only the subject's own key may do this");
	r->audit_subject = sc_arena_strdup(&r->arena, id);
	snprintf(r->audit_result, sizeof(r->audit_result), "403");
	return false;
}

static bool is_read(const struct sc_req *r)
{
	return !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
}

/* A read that failed on a connection the ledger closed under it (a restart
 * or a failover that came after the pool's check when it lent it) runs
 * once more on a fresh connection; when the ledger is still out of reach
 * the answer is 503, to be tried again, not a server error. Its new
 * connection. */
static struct sc_store *read_again(struct sc_req *r, const struct sc_route *rt,
				   struct sc_store *st, const char *const *params)
{
	size_t k = r->part->index;

	r->status = 0;
	r->out = NULL;
	r->out_len = 0;
	r->content_type = NULL;
	r->audit_subject = r->audit_action = NULL;
	r->audit_result[0] = '\0';
	sc_pool_put(&r->part->pool, st);
	st = r->held[k] = sc_pool_get(&r->part->pool);
	if (sc_store_connected(st))
		rt->handler(r, st, params);
	if (!sc_store_connected(st) && (!r->status || r->status >= 500)) {
		sc_reply_errorf(r, 503, NULL, "the ledger is out of reach: try again");
		r->retry_after = 1;
	}
	return st;
}

/* Matches path against a pattern with {} segments; params point into buf. */
static bool match(const char *pattern, const char *path, char *buf, size_t size,
		  const char **params, int max)
{
	int np = 0;
	size_t o = 0;

	while (*pattern && *path) {
		if (pattern[0] == '{' && pattern[1] == '}') {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);
			if (n == 0 || np >= max || o + n + 1 > size)
				return false;
			memcpy(buf + o, path, n);
			buf[o + n] = '\0';
			params[np++] = buf + o;
			o += n + 1;
			pattern += 2;
			path += n;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return !*pattern && !*path;
}

/* "METHOD path" whole: secrets in it are redacted before it is cut to
 * the entry's size (sc_audit_field) */
static void method_path(const struct sc_req *r, char *buf, size_t size)
{
	snprintf(buf, size, "%.8s %s", r->method, r->path);
}

void sc_req_audit(struct sc_req *r, struct sc_part *part, const char *action,
		  const char *subject, const char *result)
{
	size_t n = r->srv->nparts;
	uint64_t t = sc_audit_queue_push(&part->audit, r, action, subject, result);

	if (t && part != r->part && !r->tickets &&
	    (r->tickets = sc_arena_alloc(&r->arena, n * sizeof(*r->tickets))))
		memset(r->tickets, 0, n * sizeof(*r->tickets));
	if (!t || (part != r->part && !r->tickets))
		r->audit_dropped = true; /* cannot be waited for */
	else if (part == r->part)
		r->audit_ticket = t;
	else
		r->tickets[part->index] = t;
}

static void audit_push(struct sc_req *r, const char *action, const char *subject,
		       const char *result)
{
	sc_req_audit(r, r->part, action, subject, result);
}

/* Waits for the request's audit entries on every chain: false when one
 * was dropped or its batch failed. */
static bool audit_wait(struct sc_req *r)
{
	bool ok = !r->audit_dropped;

	if (ok && r->audit_ticket)
		ok = sc_audit_queue_wait(&r->part->audit, r->audit_ticket);
	for (size_t i = 0; ok && r->tickets && i < r->srv->nparts; i++)
		if (r->tickets[i])
			ok = sc_audit_queue_wait(&r->srv->parts[i].audit, r->tickets[i]);
	return ok;
}

struct sc_part *sc_server_part_of(struct sc_server *srv, const char *id, size_t len)
{
	return srv->opts.map ? &srv->parts[sc_shard_ledger(srv->opts.map, id, len)] : &srv->parts[0];
}

struct sc_store *sc_req_ledger(struct sc_req *r, size_t i)
{
	if (i >= r->srv->nparts || !r->held)
		return NULL;
	if (!r->held[i])
		r->held[i] = sc_pool_get(&r->srv->parts[i].pool);
	return r->held[i];
}

/* A request without a valid key is counted against its client (a flood
 * of them writes an entry per client and minute); one with a key that may
 * not do this gets an entry of its own. */
static void audit_refusal(struct sc_req *r)
{
	char action[SC_HTTP_PATH_MAX + 16];

	if (r->status == 401) {
		sc_audit_queue_refused(&r->part->audit, r);
		return;
	}
	method_path(r, action, sizeof(action));
	snprintf(r->audit_result, sizeof(r->audit_result), "%u", r->status);
	audit_push(r, action, "", r->audit_result);
}

/* A request without a valid API key takes a token of its address's bucket;
 * true, after replying 429 with Retry-After, when the bucket is empty. */
static bool over_limit(struct sc_req *r)
{
	const union MHD_ConnectionInfo *ci;
	unsigned wait = 1;

	if (!r->srv->rl)
		return false;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (sc_ratelimit_take(r->srv->rl, ci ? ci->client_addr : NULL, now_s(), &wait))
		return false;
	atomic_fetch_add(&r->srv->metrics.rate_limited, 1);
	r->retry_after = wait;
	sc_reply_errorf(r, 429, NULL, "too many requests without an API key from this address:"
			" try again in %u s", wait);
	return true;
}

/* The part a request is about: its subject's ledger for a route by
 * subject over a map (the first path parameter, or ?subject=), else the
 * home ledger. */
static struct sc_part *route_part(struct sc_req *r, const struct sc_route *rt,
				  const char *const *params)
{
	const char *subject;

	if (!r->srv->opts.map || rt->shard != SC_SHARD_SUBJECT)
		return &r->srv->parts[0];
	subject = params[0] ? params[0] : sc_req_query(r, "subject");
	if (!subject || !*subject)
		return &r->srv->parts[0]; /* the handler refuses it */
	return sc_server_part_of(r->srv, subject, strlen(subject));
}

enum sc_status sc_server_map_current(struct sc_server *srv, struct sc_diag *d)
{
	enum sc_status st;

	if (!srv->map_watch.map_path)
		return SC_OK;
	pthread_mutex_lock(&srv->map_mu);
	st = sc_shard_set_settled(&srv->map_watch, d);
	pthread_mutex_unlock(&srv->map_mu);
	return st;
}

/* A write over a map a move rewrote since the server read it: refused
 * with 503 (true), for the ledger it would go to may no longer hold the
 * subject. */
static bool map_moved(struct sc_req *r)
{
	struct sc_diag d;

	sc_diag_clear(&d);
	if (!sc_server_map_current(r->srv, &d))
		return false;
	sc_reply_errorf(r, 503, NULL, "%s: restart the server to serve the map as it is", d.message);
	return true;
}

/* Gives back every connection the request holds. */
static void release_held(struct sc_req *r)
{
	for (size_t i = 0; i < r->srv->nparts; i++)
		if (r->held[i]) {
			sc_pool_put(&r->srv->parts[i].pool, r->held[i]);
			r->held[i] = NULL;
		}
}

static void dispatch(struct sc_req *r)
{
	const char *params[4] = {0};
	char pbuf[SC_HTTP_PATH_MAX];
	const struct sc_route *rt = NULL;
	bool path_known = false;
	struct sc_server *srv = r->srv;
	struct sc_store *st;
	unsigned st_code;

	r->part = &srv->parts[0];
	for (size_t i = 0; i < sc_nroutes; i++) {
		if (!match(sc_routes[i].pattern, r->path, pbuf, sizeof(pbuf), params, 4))
			continue;
		path_known = true;
		if (!strcmp(sc_routes[i].method, r->method)) {
			rt = &sc_routes[i];
			r->route = (int)i;
			break;
		}
	}
	/* keyless requests are limited per address before any work; a request
	 * with a key that turns out unknown is counted as keyless below */
	if (!MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization") && over_limit(r))
		return;
	if (!rt) {
		if (path_known)
			sc_reply_errorf(r, 405, NULL, "method %s is not allowed on %s", r->method, r->path);
		else
			sc_reply_errorf(r, 404, NULL, "no such resource: %s", r->path);
		return;
	}
	if (r->too_large) {
		sc_reply_errorf(r, 413, NULL, "request body is larger than %d bytes", SC_HTTP_BODY_MAX);
		return;
	}
	if (!(r->rb = sc_server_rulebook_at(srv, sc_req_today(r)))) {
		sc_reply_errorf(r, 503, NULL, "no rulebook is in force today");
		return;
	}
	if (!(r->held = sc_arena_alloc(&r->arena, srv->nparts * sizeof(*r->held)))) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	memset(r->held, 0, srv->nparts * sizeof(*r->held));
	/* the keys are on the home ledger */
	st = r->held[0] = sc_pool_get(&srv->parts[0].pool);
	if ((st_code = sc_auth_resolve(r, st)) == 503) {
		sc_reply_errorf(r, 503, NULL, "the ledger is out of reach: try again");
		r->retry_after = 1;
	} else if (st_code) {
		if (!over_limit(r)) {
			sc_reply_errorf(r, st_code, NULL, "unknown, revoked or malformed API key");
			audit_refusal(r);
		}
	} else if (!(rt->roles & (1u << r->role))) {
		if (r->role == SC_ROLE_PUBLIC) {
			sc_reply_errorf(r, 401, NULL, "this resource needs an API key (Authorization: Bearer ...)");
		} else {
			sc_reply_errorf(r, 403, NULL, "a %s key may not use %s %s",
					sc_role_name(r->role), r->method, rt->pattern);
		}
		audit_refusal(r);
	} else {
		r->part = route_part(r, rt, params);
		if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD") && map_moved(r)) {
			release_held(r);
			return;
		}
		if (r->part->index != 0) {
			sc_pool_put(&srv->parts[0].pool, st);
			r->held[0] = NULL;
			st = r->held[r->part->index] = sc_pool_get(&r->part->pool);
		}
		rt->handler(r, st, params);
		if (r->status >= 500 && is_read(r) && !sc_store_connected(st))
			st = read_again(r, rt, st, params);
		/* this server wrote: the next check must see it */
		if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
			for (size_t i = 0; i < srv->nparts; i++)
				if (r->held[i])
					sc_decisions_touch(&srv->parts[i], r->held[i]);
		if (r->audit_subject) {
			char action[SC_HTTP_PATH_MAX + 16];
			if (!r->audit_action) {
				method_path(r, action, sizeof(action));
				r->audit_action = action;
			}
			if (!r->audit_result[0])
				snprintf(r->audit_result, sizeof(r->audit_result), "%u", r->status);
			/* an entry about a subject goes to that subject's ledger's
			 * log, where its report reads the inquiries */
			sc_req_audit(r, r->audit_subject[0] ? sc_server_part_of(srv, r->audit_subject,
						strlen(r->audit_subject)) : r->part,
				     r->audit_action, r->audit_subject, r->audit_result);
		}
	}
	release_held(r);
	/* a write is answered once its entries are committed: a change
	 * acknowledged is never without its entry */
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD") && !audit_wait(r) &&
	    r->status < 300)
		sc_reply_errorf(r, 500, NULL, "the change was stored but its audit entry could not be"
				" written: the ledger's audit log needs attention");
}

static enum MHD_Result respond(struct sc_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* the body is in the request's arena, which lives until on_completed */
	resp = MHD_create_response_from_buffer(r->out_len, r->out ? r->out : (char *)"",
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* the portal's pages load their own scripts and styles; an API
	 * answer loads nothing (OWASP's REST policy) */
	MHD_add_response_header(resp, "Content-Security-Policy",
				r->content_type && !strcmp(r->content_type, "application/json")
				? "default-src 'none'; frame-ancestors 'none'"
				: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
				  " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (r->retry_after) {
		char s[16];
		snprintf(s, sizeof(s), "%u", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", s);
	}
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	sc_metrics_observe(&r->srv->metrics, r->route, r->status, now_s() - r->start);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct sc_server *srv = cls;
	struct sc_req *r = *con_cls;

	(void)version;
	if (!r) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct sc_conn *cx = ci ? ci->socket_context : NULL;
		if (cx && cx->spare) {
			/* the last request's memory: its arena is already cleared */
			struct sc_arena a = cx->spare->arena;
			r = cx->spare;
			cx->spare = NULL;
			memset(r, 0, sizeof(*r));
			r->arena = a;
		} else if ((r = calloc(1, sizeof(*r)))) {
			sc_arena_init(&r->arena, 16 * 1024, 0);
		} else {
			return MHD_NO;
		}
		r->cx = cx;
		r->srv = srv;
		r->conn = conn;
		r->method = method;
		r->route = -1;
		r->start = now_s();
		r->status = 500;
		snprintf(r->path, sizeof(r->path), "%s", url);
		*con_cls = r;
		/* refused before the body is read: a response queued now also
		 * stops libmicrohttpd from answering "Expect: 100-continue" */
		if (cl && strtoull(cl, NULL, 10) > SC_HTTP_BODY_MAX) {
			r->too_large = true;
			dispatch(r);
			return respond(r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->too_large || r->body_len + n > SC_HTTP_BODY_MAX) {
			r->too_large = true;
			return MHD_YES;
		}
		if (r->body_len + n + 1 > r->body_cap) {
			size_t cap = r->body_cap ? r->body_cap : 64 * 1024;
			char *b;
			while (cap < r->body_len + n + 1)
				cap *= 2;
			b = realloc(r->body, cap);
			if (!b)
				return MHD_NO;
			r->body = b;
			r->body_cap = cap;
		}
		memcpy(r->body + r->body_len, upload, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	dispatch(r);
	return respond(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sc_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	/* kept for the connection's next request, unless it grew the arena
	 * past one chunk (a large report): idle connections stay small */
	if (r->cx && !r->cx->spare && r->arena.used <= r->arena.chunk_size) {
		sc_arena_clear(&r->arena);
		r->cx->spare = r;
	} else {
		sc_arena_release(&r->arena);
		free(r);
	}
	*con_cls = NULL;
}

static sc_day eff_key(sc_day e)
{
	return e == SC_DAY_NONE ? INT32_MIN : e;
}

const struct sc_rulebook *sc_server_rulebook_at(struct sc_server *srv, sc_day at)
{
	const struct sc_rulebook *rb = NULL;

	pthread_mutex_lock(&srv->vmu);
	/* ordered by effective date, publication order on ties: the last <= at */
	for (size_t i = 0; i < srv->nversions; i++)
		if (eff_key(srv->versions[i].effective) <= at)
			rb = srv->versions[i].rb;
	pthread_mutex_unlock(&srv->vmu);
	return rb;
}

enum sc_status sc_server_version_add(struct sc_server *srv, sc_day effective,
				     struct sc_rulebook *rb)
{
	size_t i;

	pthread_mutex_lock(&srv->vmu);
	if (srv->nversions == srv->capversions) {
		size_t cap = srv->capversions ? srv->capversions * 2 : 8;
		struct sc_version *v = realloc(srv->versions, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&srv->vmu);
			return SC_ENOMEM;
		}
		srv->versions = v;
		srv->capversions = cap;
	}
	for (i = srv->nversions; i > 0 && eff_key(srv->versions[i - 1].effective) > eff_key(effective); i--)
		srv->versions[i] = srv->versions[i - 1];
	srv->versions[i] = (struct sc_version){effective, rb};
	srv->nversions++;
	pthread_mutex_unlock(&srv->vmu);
	return SC_OK;
}

static enum sc_status load_version(void *ctx, int64_t id, sc_day effective,
				   const char *text, size_t len, const char *published)
{
	struct sc_server *srv = ctx;
	struct sc_rulebook *rb = NULL;
	enum sc_status st;

	(void)id;
	(void)published;
	if ((st = sc_rulebook_compile_flags(text, len, "ledger rulebook", SC_RULEBOOK_STORED, &rb, NULL)))
		return st;
	if ((st = sc_server_version_add(srv, effective, rb)))
		sc_rulebook_free(rb);
	return st;
}

/* Connections beyond the limit are closed at once: a clean refusal the
 * client sees, not a wait in the listen backlog. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct sc_server *srv = cls;

	(void)addr;
	(void)len;
	if (atomic_load(&srv->metrics.connections_open) >= srv->max_conns) {
		atomic_fetch_add(&srv->metrics.connections_refused, 1);
		return MHD_NO;
	}
	return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sc_server *srv = cls;
	struct sc_conn *cx;

	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&srv->metrics.connections_open, 1);
		/* without it, requests allocate their memory each time */
		*socket_ctx = calloc(1, sizeof(struct sc_conn));
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&srv->metrics.connections_open, 1);
		/* MHD has reported the last request completed by now */
		if ((cx = *socket_ctx)) {
			if (cx->spare) {
				sc_arena_release(&cx->spare->arena);
				free(cx->spare);
			}
			sc_eval_free(cx->ev);
			free(cx);
			*socket_ctx = NULL;
		}
	}
}

/* The listening socket, made here so that a port in use is an error that
 * says so. SO_REUSEADDR only lets a restart bind past connections in
 * TIME_WAIT; a second server on a live port fails with EADDRINUSE unless
 * both asked for SO_REUSEPORT. */
static enum sc_status listen_socket(const struct sc_server_opts *opts,
				    const struct sockaddr_in *addr, int *out,
				    struct sc_diag *d)
{
	const char *host = opts->host ? opts->host : "127.0.0.1";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0) {
		err = errno;
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (opts->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, SOMAXCONN)) {
		err = errno;
		close(fd);
		goto fail;
	}
	*out = fd;
	return SC_OK;
fail:
	return sc_diag_set(d, SC_EIO, NULL, 0, 0, "listen", "cannot listen on %s:%u: %s%s", host,
			   (unsigned)opts->port,
			   err == EADDRINUSE ? "address already in use" : strerror(err),
			   err == EADDRINUSE ? " (is another socred serve running there?)" : "");
}

/* What names this server's audit chain: "serve on MACHINE, pid PID,
 * HOST:PORT" (PORT as asked for: 0 when any free one). */
static void node_name(const struct sc_server_opts *opts, char *out, size_t cap)
{
	char machine[256] = "?";

	gethostname(machine, sizeof(machine) - 1);
	snprintf(out, cap, "serve on %s, pid %ld, %s:%u", machine, (long)getpid(),
		 opts->host ? opts->host : "127.0.0.1", (unsigned)opts->port);
}

enum sc_status sc_server_start(const struct sc_server_opts *opts,
			       struct sc_server **out, struct sc_diag *d)
{
	struct sc_server *srv = calloc(1, sizeof(*srv));
	struct sc_store *st = NULL;
	struct sockaddr_in addr = {.sin_family = AF_INET};
	enum sc_status rc;
	char name[SC_DIAG_FIELD_MAX];
	int lfd = -1;

	if (!srv)
		return SC_ENOMEM;
	pthread_mutex_init(&srv->vmu, NULL);
	pthread_mutex_init(&srv->keys.mu, NULL);
	pthread_mutex_init(&srv->dir_mu, NULL);
	pthread_mutex_init(&srv->map_mu, NULL);
	srv->opts = *opts;
	if (opts->map && opts->map_path) {
		srv->map_watch.map = opts->map;
		srv->map_watch.map_path = opts->map_path;
	}
	if (srv->opts.threads < 1)
		srv->opts.threads = 1;
	srv->nparts = opts->map ? opts->map->nledgers : 1;
	if (!(srv->parts = calloc(srv->nparts, sizeof(*srv->parts)))) {
		rc = SC_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < srv->nparts; i++) {
		srv->parts[i].db = opts->map ? opts->map->ledgers[i] : opts->db;
		srv->parts[i].index = i;
	}
	/* the rulebooks of the home ledger (over a map, every ledger holds
	 * the same ones: `rulebook` and POST /v1/rulebooks publish on each) */
	if ((rc = sc_store_open(srv->parts[0].db, 0, &st, d)) ||
	    (rc = sc_store_rulebook_list(st, load_version, srv, d)))
		goto fail;
	sc_store_close(st);
	st = NULL;
	if (!srv->nversions) {
		rc = sc_diag_set(d, SC_ENOTFOUND, srv->parts[0].db, 0, 0, NULL,
				 "ledger has no rulebook: run 'socred init'");
		goto fail;
	}
	node_name(opts, name, sizeof(name));
	for (size_t i = 0; i < srv->nparts; i++) {
		struct sc_part *p = &srv->parts[i];
		/* a request holds at most one connection of each ledger */
		if ((rc = sc_audit_queue_start(&p->audit, p->db, name, d)) ||
		    (rc = sc_pool_init(&p->pool, p->db, p->audit.node, srv->opts.threads + 1, d)) ||
		    (rc = sc_commits_start(&p->commits, p->db, d)) ||
		    (rc = sc_decisions_start(srv, p, d)))
			goto fail;
	}
	if (opts->map && (rc = sc_shard_dir_open(opts->map->directory, 0, &srv->dir, d)))
		goto fail;
	addr.sin_port = htons(opts->port);
	if (inet_pton(AF_INET, opts->host ? opts->host : "127.0.0.1", &addr.sin_addr) != 1) {
		rc = sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "listen",
				 "'%s' is not an IPv4 address", opts->host);
		goto fail;
	}
	if ((rc = listen_socket(opts, &addr, &lfd, d)))
		goto fail;
	srv->max_conns = opts->max_connections ? opts->max_connections : SC_HTTP_CONNECTIONS_MAX;
	if (opts->rate > 0 &&
	    !(srv->rl = sc_ratelimit_new(opts->rate, opts->burst < 1 ? 1 : opts->burst, SC_RATELIMIT_BUCKETS))) {
		rc = SC_ENOMEM;
		goto fail;
	}
	srv->mhd = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD, 0, on_accept, srv, on_request, srv,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->opts.threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		/* the limit is ours (on_accept refuses at once); libmicrohttpd's,
		 * split among its threads, stops accepting and leaves clients
		 * hanging in the backlog, so it sits above ours */
		MHD_OPTION_CONNECTION_LIMIT, srv->max_conns + 64 * srv->opts.threads,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8 * 1024), /* headers; bodies are ours */
		MHD_OPTION_END);
	if (!srv->mhd) {
		/* lfd is left alone: a failed start may have closed it, and
		 * closing it again could close another thread's file */
		rc = sc_diag_set(d, SC_EIO, NULL, 0, 0, "listen",
				 "cannot listen on %s:%u", opts->host ? opts->host : "127.0.0.1",
				 (unsigned)opts->port);
		goto fail;
	}
	*out = srv;
	return SC_OK;
fail:
	sc_store_close(st);
	sc_server_stop(srv);
	return rc;
}

uint16_t sc_server_port(const struct sc_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void sc_server_stop(struct sc_server *s)
{
	if (!s)
		return;
	if (s->mhd) {
		MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
		MHD_stop_daemon(s->mhd); /* joins the workers: requests in flight finish */
		/* a quiesced daemon leaves its socket to us */
		if (lfd != MHD_INVALID_SOCKET)
			close(lfd);
	}
	for (size_t i = 0; s->parts && i < s->nparts; i++) {
		sc_audit_queue_stop(&s->parts[i].audit);
		sc_decisions_stop(&s->parts[i].decisions);
		sc_commits_stop(&s->parts[i].commits);
		sc_pool_release(&s->parts[i].pool);
	}
	free(s->parts);
	sc_shard_dir_close(s->dir);
	pthread_mutex_destroy(&s->dir_mu);
	pthread_mutex_destroy(&s->map_mu);
	sc_ratelimit_free(s->rl);
	for (size_t i = 0; i < s->nversions; i++)
		sc_rulebook_free(s->versions[i].rb);
	free(s->versions);
	pthread_mutex_destroy(&s->vmu);
	pthread_mutex_destroy(&s->keys.mu);
	sodium_memzero(s->keys.slots, sizeof(s->keys.slots));
	free(s);
}
