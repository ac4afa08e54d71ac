/* Prometheus text metrics: requests by route and status class, a latency
 * histogram, records stored, checks by decision, audit writes. */
#include <stdio.h>
#include <stdlib.h>

#include "http.h"

static const double bounds[SC_LAT_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					      0.01, 0.025, 0.05, 0.1, 0.25, 0.5};

void sc_metrics_observe(struct sc_metrics *m, int route, unsigned status,
			double seconds)
{
	unsigned cls = status >= 100 && status < 600 ? status / 100 - 1 : 5;
	int b = 0;

	m->requests[route >= 0 && route < SC_ROUTES_MAX ? route : SC_ROUTES_MAX][cls]++;
	while (b < SC_LAT_BUCKETS && seconds > bounds[b])
		b++;
	m->lat_bucket[b]++;
	m->lat_count++;
	m->lat_sum_us += (unsigned long long)(seconds * 1e6);
}

char *sc_metrics_render(const struct sc_server *srv, struct sc_store *const *stores,
			size_t *len)
{
	static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
	static const char *const decisions[] = {"allow", "deny", "grant", "standard"};
	const struct sc_metrics *m = &srv->metrics;
	struct sc_store_counts c = {0};
	char *buf = NULL;
	size_t n = 0;
	unsigned long cum = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	/* every ledger's rows, the audit and snapshot figures of every part */
	unsigned long written = 0, failed = 0, refusals = 0, from_snapshot = 0, from_ledger = 0,
		      builds = 0, build_failures = 0, snap_subjects = 0, snap_dirty = 0;
	for (size_t i = 0; i < srv->nparts; i++) {
		const struct sc_part *p = &srv->parts[i];
		struct sc_store_counts one = {0};
		if (stores[i] && !sc_store_counts(stores[i], &one, NULL)) {
			c.records += one.records;
			c.subjects += one.subjects;
		}
		written += p->audit.written;
		failed += p->audit.failed;
		refusals += p->audit.refusals;
		from_snapshot += p->decisions.from_snapshot;
		from_ledger += p->decisions.from_ledger;
		builds += p->decisions.builds;
		build_failures += p->decisions.build_failures;
		snap_subjects += p->decisions.snap_subjects;
		snap_dirty += p->decisions.snap_dirty;
	}
	fprintf(f, "# HELP socred_requests_total HTTP requests by route and status class.\n"
		   "# TYPE socred_requests_total counter\n");
	for (int r = 0; r <= SC_ROUTES_MAX; r++)
		for (int k = 0; k < 6; k++)
			if (m->requests[r][k])
				fprintf(f, "socred_requests_total{route=\"%s\",code=\"%s\"} %lu\n",
					r < (int)sc_nroutes ? sc_routes[r].name : "unmatched",
					classes[k], (unsigned long)m->requests[r][k]);
	fprintf(f, "# HELP socred_request_duration_seconds Time from request to response.\n"
		   "# TYPE socred_request_duration_seconds histogram\n");
	for (int b = 0; b <= SC_LAT_BUCKETS; b++) {
		cum += m->lat_bucket[b];
		if (b < SC_LAT_BUCKETS)
			fprintf(f, "socred_request_duration_seconds_bucket{le=\"%g\"} %lu\n", bounds[b], cum);
		else
			fprintf(f, "socred_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	}
	fprintf(f, "socred_request_duration_seconds_sum %.6f\n", (double)m->lat_sum_us / 1e6);
	fprintf(f, "socred_request_duration_seconds_count %lu\n", (unsigned long)m->lat_count);
	fprintf(f, "# HELP socred_checks_total Point-of-service checks by decision.\n"
		   "# TYPE socred_checks_total counter\n");
	for (int k = 0; k < 4; k++)
		fprintf(f, "socred_checks_total{decision=\"%s\"} %lu\n", decisions[k],
			(unsigned long)m->decisions[k]);
	fprintf(f, "# HELP socred_records_stored Records in the ledger.\n"
		   "# TYPE socred_records_stored gauge\nsocred_records_stored %llu\n",
		(unsigned long long)c.records);
	fprintf(f, "# HELP socred_subjects_stored Subjects in the ledger.\n"
		   "# TYPE socred_subjects_stored gauge\nsocred_subjects_stored %llu\n",
		(unsigned long long)c.subjects);
	fprintf(f, "# HELP socred_records_filed_total Records filed over HTTP since start.\n"
		   "# TYPE socred_records_filed_total counter\nsocred_records_filed_total %lu\n",
		(unsigned long)m->records_filed);
	fprintf(f, "# HELP socred_audit_entries_total Audit entries written and failed.\n"
		   "# TYPE socred_audit_entries_total counter\n"
		   "socred_audit_entries_total{result=\"written\"} %lu\n"
		   "socred_audit_entries_total{result=\"failed\"} %lu\n",
		written, failed);
	fprintf(f, "# HELP socred_audit_refusals_total Requests refused without a valid key since"
		   " start, audited as one entry per client and minute.\n"
		   "# TYPE socred_audit_refusals_total counter\nsocred_audit_refusals_total %lu\n",
		refusals);
	{
		const struct sc_decisions *dc = &srv->parts[0].decisions;
		char day[SC_DATE_LEN + 1] = "none";
		if (dc->snap_day != SC_DAY_NONE)
			sc_date_format(dc->snap_day, day);
		fprintf(f, "# HELP socred_checks_answered_total Checks by where the answer came from.\n"
			   "# TYPE socred_checks_answered_total counter\n"
			   "socred_checks_answered_total{from=\"snapshot\"} %lu\n"
			   "socred_checks_answered_total{from=\"ledger\"} %lu\n",
			from_snapshot, from_ledger);
		fprintf(f, "# HELP socred_connections_open Client connections open now.\n"
			   "# TYPE socred_connections_open gauge\nsocred_connections_open %lu\n"
			   "# HELP socred_connections_refused_total Connections closed at once: over --max-connections.\n"
			   "# TYPE socred_connections_refused_total counter\nsocred_connections_refused_total %lu\n",
			(unsigned long)srv->metrics.connections_open,
			(unsigned long)srv->metrics.connections_refused);
		fprintf(f, "# HELP socred_rate_limited_total Requests without a valid key refused (429): over --rate for their address.\n"
			   "# TYPE socred_rate_limited_total counter\nsocred_rate_limited_total %lu\n"
			   "# HELP socred_rate_limit_evictions_total Client buckets taken over by another address (the table is full).\n"
			   "# TYPE socred_rate_limit_evictions_total counter\nsocred_rate_limit_evictions_total %lu\n",
			(unsigned long)srv->metrics.rate_limited, sc_ratelimit_evictions(srv->rl));
		fprintf(f, "# HELP socred_snapshot_builds_total Decision snapshots built by this server.\n"
			   "# TYPE socred_snapshot_builds_total counter\n"
			   "socred_snapshot_builds_total{result=\"ok\"} %lu\n"
			   "socred_snapshot_builds_total{result=\"failed\"} %lu\n",
			builds, build_failures);
		fprintf(f, "# HELP socred_snapshot_subjects Subjects in the current decision snapshot.\n"
			   "# TYPE socred_snapshot_subjects gauge\n"
			   "socred_snapshot_subjects{day=\"%s\"} %lu\n"
			   "# HELP socred_snapshot_changed Subjects changed since it was built (read from the ledger).\n"
			   "# TYPE socred_snapshot_changed gauge\nsocred_snapshot_changed %lu\n",
			day, snap_subjects, snap_dirty);
	}
	/* the home ledger's listener */
	if (srv->parts[0].commits.started)
		fprintf(f, "# HELP socred_ledger_listening Whether this server is told of the ledger's commits now.\n"
			   "# TYPE socred_ledger_listening gauge\nsocred_ledger_listening %d\n"
			   "# HELP socred_ledger_commits_told_total Commits the ledger told this server of.\n"
			   "# TYPE socred_ledger_commits_told_total counter\nsocred_ledger_commits_told_total %lu\n"
			   "# HELP socred_ledger_listen_lost_total Times the connection listening for commits was lost.\n"
			   "# TYPE socred_ledger_listen_lost_total counter\nsocred_ledger_listen_lost_total %lu\n",
			atomic_load(&srv->parts[0].commits.up) ? 1 : 0,
			(unsigned long)srv->parts[0].commits.told,
			(unsigned long)srv->parts[0].commits.lost);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
