/* The route table: method, path pattern, handler, and the roles allowed.
 * Every route is checked here; the role matrix test walks this table. */
#include "http.h"

#define R(x) (1u << SC_ROLE_##x)
#define ANYONE (R(PUBLIC) | R(ADMIN) | R(PROVIDER) | R(ENFORCER) | R(SUBJECT))

const struct sc_route sc_routes[] = {
	{"GET", "/healthz", sc_h_healthz, ANYONE, "healthz"},
	{"GET", "/metrics", sc_h_metrics, ANYONE, "metrics"},
	{"GET", "/v1/openapi.yaml", sc_h_openapi, ANYONE, "openapi"},
	{"GET", "/v1/rulebook", sc_h_rulebook, ANYONE, "rulebook"},
	{"GET", "/v1/check", sc_h_check, R(ENFORCER), "check"},
	{"POST", "/v1/records", sc_h_records_post, R(PROVIDER), "records"},
	{"GET", "/v1/subjects/{}/report", sc_h_report, R(SUBJECT) | R(ADMIN), "report"},
};
const size_t sc_nroutes = sizeof(sc_routes) / sizeof(sc_routes[0]);
