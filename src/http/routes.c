/* The route table: method, path pattern, handler, the roles allowed, and
 * where the route goes over a cluster map.
 * Every route is checked here; the role matrix test walks this table. */
#include "http.h"

#define R(x) (1u << SC_ROLE_##x)
#define ANYONE (R(PUBLIC) | R(ADMIN) | R(PROVIDER) | R(ENFORCER) | R(SUBJECT))

const struct sc_route sc_routes[] = {
	{"GET", "/healthz", sc_h_healthz, ANYONE | R(MONITOR), "healthz", SC_SHARD_HOME},
	/* keyless: from loopback only (the handler checks) */
	{"GET", "/metrics", sc_h_metrics, R(PUBLIC) | R(ADMIN) | R(MONITOR), "metrics", SC_SHARD_EVERY},
	{"GET", "/v1/openapi.yaml", sc_h_openapi, ANYONE, "openapi", SC_SHARD_HOME},
	{"GET", "/v1/rulebook", sc_h_rulebook, ANYONE, "rulebook", SC_SHARD_HOME},
	{"GET", "/v1/rulebooks", sc_h_rulebook_versions, ANYONE, "rulebook", SC_SHARD_HOME},
	{"POST", "/v1/rulebooks", sc_h_rulebook_publish, R(ADMIN), "rulebook", SC_SHARD_EVERY},
	{"GET", "/v1/check", sc_h_check, R(ENFORCER), "check", SC_SHARD_SUBJECT},
	{"POST", "/v1/records", sc_h_records_post, R(PROVIDER), "records", SC_SHARD_EVERY},
	{"GET", "/v1/subjects/{}/report", sc_h_report, R(SUBJECT) | R(ADMIN), "report", SC_SHARD_SUBJECT},
	{"GET", "/v1/subjects/{}/inquiries/{}/proof", sc_h_inquiry_proof, R(SUBJECT) | R(ADMIN), "report", SC_SHARD_SUBJECT},
	{"GET", "/v1/audit/head", sc_h_audit_head, ANYONE, "audit", SC_SHARD_HOME},
	{"POST", "/v1/subjects/{}/disputes", sc_h_dispute_open, R(SUBJECT), "disputes", SC_SHARD_SUBJECT},
	{"POST", "/v1/subjects/{}/statements", sc_h_statement_add, R(SUBJECT), "statements", SC_SHARD_SUBJECT},
	{"POST", "/v1/subjects/{}/repairs", sc_h_repair_apply, R(SUBJECT), "repairs", SC_SHARD_SUBJECT},
	{"POST", "/v1/subjects/{}/consent", sc_h_consent, R(SUBJECT), "consent", SC_SHARD_SUBJECT},
	{"POST", "/v1/subjects/{}/shares", sc_h_share_add, R(SUBJECT), "shares", SC_SHARD_SUBJECT},
	{"GET", "/v1/disputes", sc_h_dispute_list, R(ADMIN) | R(PROVIDER), "disputes", SC_SHARD_EVERY},
	{"POST", "/v1/disputes/{}/decision", sc_h_dispute_decide, R(ADMIN) | R(PROVIDER), "disputes", SC_SHARD_EVERY},
	{"GET", "/v1/repairs", sc_h_repair_list, R(ADMIN) | R(PROVIDER), "repairs", SC_SHARD_EVERY},
	{"POST", "/v1/repairs/{}/decision", sc_h_repair_decide, R(ADMIN) | R(PROVIDER), "repairs", SC_SHARD_EVERY},
	{"GET", "/v1/shares/{}", sc_h_share_get, ANYONE, "shares", SC_SHARD_EVERY},
	{"GET", "/v1/lists/{}", sc_h_list_search, ANYONE, "search", SC_SHARD_EVERY},
	{"GET", "/v1/search", sc_h_search, ANYONE, "search", SC_SHARD_EVERY},
	{"GET", "/v1/stats", sc_h_stats, R(ADMIN), "stats", SC_SHARD_EVERY},
	{"POST", "/v1/keys", sc_h_key_add, R(ADMIN), "keys", SC_SHARD_HOME},
	{"GET", "/v1/keys", sc_h_key_list, R(ADMIN), "keys", SC_SHARD_HOME},
	{"DELETE", "/v1/keys/{}", sc_h_key_revoke, R(ADMIN), "keys", SC_SHARD_HOME},
	{"GET", "/v1/me", sc_h_me, R(ADMIN) | R(PROVIDER) | R(ENFORCER) | R(SUBJECT), "me", SC_SHARD_HOME},
	{"GET", "/", sc_h_web, ANYONE, "portal", SC_SHARD_HOME},
	{"GET", "/app.js", sc_h_web, ANYONE, "portal", SC_SHARD_HOME},
	{"GET", "/app.css", sc_h_web, ANYONE, "portal", SC_SHARD_HOME},
	{"GET", "/favicon.ico", sc_h_web, ANYONE, "portal", SC_SHARD_HOME},
};
const size_t sc_nroutes = sizeof(sc_routes) / sizeof(sc_routes[0]);
