/* Public, subject-free resources: health, metrics, the OpenAPI document and
 * the published rulebook. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/limits.h"
#include "socred/report.h"

void sc_h_healthz(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	sc_reply(r, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

/* Is the request's peer this host, by its address: 127.0.0.0/8, ::1 or
 * ::ffff:127.0.0.0/104? */
static bool from_loopback(struct sc_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a) ||
		       (!memcmp(a, mapped, sizeof(mapped)) && a[12] == 127);
	}
	return false;
}

/* GET /metrics: an admin or monitor key, or no key from loopback (unless
 * the server was told to ask loopback for a key too): the counters show
 * what the service decides, moment by moment. */
void sc_h_metrics(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	struct sc_store *stores[SC_LIMIT_SHARD_LEDGERS] = {0};
	size_t n;
	char *text;

	(void)p;
	if (r->role == SC_ROLE_PUBLIC && (r->srv->opts.metrics_key_only || !from_loopback(r))) {
		sc_reply_errorf(r, 401, NULL, "/metrics needs an admin or monitor key%s",
				r->srv->opts.metrics_key_only ? "" : " unless asked from this host (loopback)");
		return;
	}
	for (size_t i = 0; i < r->srv->nparts && i < SC_LIMIT_SHARD_LEDGERS; i++)
		stores[i] = i ? sc_req_ledger(r, i) : st;
	text = sc_metrics_render(r->srv, stores, &n);
	if (!text) {
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	sc_reply(r, 200, "text/plain; version=0.0.4", text, n);
	free(text);
}

void sc_h_openapi(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	sc_reply(r, 200, "application/yaml", r->srv->opts.openapi, r->srv->opts.openapi_len);
}

void sc_h_rulebook(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	sc_reply_json(r, 200, sc_report_rulebook(r->rb));
}
