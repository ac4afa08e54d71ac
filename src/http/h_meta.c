/* Public, subject-free resources: health, metrics, the OpenAPI document and
 * the published rulebook. */
#include <stdlib.h>

#include "http.h"
#include "socred/report.h"

void sc_h_healthz(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	sc_reply(r, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

void sc_h_metrics(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	size_t n;
	char *text = sc_metrics_render(r->srv, st, &n);

	(void)p;
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
