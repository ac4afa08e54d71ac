/* The route table: method, path pattern, handler, and the roles allowed.
 * Every route is checked here; the role matrix test walks this table. */
#include "http.h"

#define R(x) (1u << SC_ROLE_##x)
#define ANYONE (R(PUBLIC) | R(ADMIN) | R(PROVIDER) | R(ENFORCER) | R(SUBJECT))

const struct sc_route sc_routes[] = {
	{"GET", "/healthz", sc_h_healthz, ANYONE | R(MONITOR), "healthz"},
	/* keyless: from loopback only (the handler checks) */
	{"GET", "/metrics", sc_h_metrics, R(PUBLIC) | R(ADMIN) | R(MONITOR), "metrics"},
	{"GET", "/v1/openapi.yaml", sc_h_openapi, ANYONE, "openapi"},
	{"GET", "/v1/rulebook", sc_h_rulebook, ANYONE, "rulebook"},
	{"GET", "/v1/rulebooks", sc_h_rulebook_versions, ANYONE, "rulebook"},
	{"POST", "/v1/rulebooks", sc_h_rulebook_publish, R(ADMIN), "rulebook"},
	{"GET", "/v1/check", sc_h_check, R(ENFORCER), "check"},
	{"POST", "/v1/records", sc_h_records_post, R(PROVIDER), "records"},
	{"GET", "/v1/subjects/{}/report", sc_h_report, R(SUBJECT) | R(ADMIN), "report"},
	{"GET", "/v1/subjects/{}/inquiries/{}/proof", sc_h_inquiry_proof, R(SUBJECT) | R(ADMIN), "report"},
	{"GET", "/v1/audit/head", sc_h_audit_head, ANYONE, "audit"},
	{"POST", "/v1/subjects/{}/disputes", sc_h_dispute_open, R(SUBJECT), "disputes"},
	{"POST", "/v1/subjects/{}/statements", sc_h_statement_add, R(SUBJECT), "statements"},
	{"POST", "/v1/subjects/{}/repairs", sc_h_repair_apply, R(SUBJECT), "repairs"},
	{"POST", "/v1/subjects/{}/consent", sc_h_consent, R(SUBJECT), "consent"},
	{"POST", "/v1/subjects/{}/shares", sc_h_share_add, R(SUBJECT), "shares"},
	{"GET", "/v1/disputes", sc_h_dispute_list, R(ADMIN) | R(PROVIDER), "disputes"},
	{"POST", "/v1/disputes/{}/decision", sc_h_dispute_decide, R(ADMIN) | R(PROVIDER), "disputes"},
	{"GET", "/v1/repairs", sc_h_repair_list, R(ADMIN) | R(PROVIDER), "repairs"},
	{"POST", "/v1/repairs/{}/decision", sc_h_repair_decide, R(ADMIN) | R(PROVIDER), "repairs"},
	{"GET", "/v1/shares/{}", sc_h_share_get, ANYONE, "shares"},
	{"GET", "/v1/lists/{}", sc_h_list_search, ANYONE, "search"},
	{"GET", "/v1/search", sc_h_search, ANYONE, "search"},
	{"GET", "/v1/stats", sc_h_stats, R(ADMIN), "stats"},
	{"POST", "/v1/keys", sc_h_key_add, R(ADMIN), "keys"},
	{"GET", "/v1/keys", sc_h_key_list, R(ADMIN), "keys"},
	{"DELETE", "/v1/keys/{}", sc_h_key_revoke, R(ADMIN), "keys"},
	{"GET", "/v1/me", sc_h_me, R(ADMIN) | R(PROVIDER) | R(ENFORCER) | R(SUBJECT), "me"},
	{"GET", "/", sc_h_web, ANYONE, "portal"},
	{"GET", "/app.js", sc_h_web, ANYONE, "portal"},
	{"GET", "/app.css", sc_h_web, ANYONE, "portal"},
	{"GET", "/favicon.ico", sc_h_web, ANYONE, "portal"},
};
const size_t sc_nroutes = sizeof(sc_routes) / sizeof(sc_routes[0]);
