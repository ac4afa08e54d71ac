/* POST /v1/records: a provider files a CSV or JSONL batch for its own
 * source, with the same validation as `socred ingest`, and gets a result
 * for every line. Every stored line is audited against its subject, in
 * its subject's ledger's log. Over a cluster map each line goes to its
 * subject's ledger through the map's directory, as `socred ingest` over
 * the map files it (socred/shard.h): a record_id stays unique
 * registry-wide. */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "socred/ingest.h"

struct batch {
	struct sc_req *r;
	json_t *lines;
};

static void on_line(void *ctx, unsigned long line, enum sc_line_status status,
		    const struct sc_diag *d, struct sc_text subject,
		    struct sc_text record_id)
{
	static const char *const names[] = {"accepted", "duplicate", "rejected", "warning"};
	struct batch *b = ctx;
	json_t *o = json_pack("{s:I,s:s}", "line", (json_int_t)line, "status", names[status]);
	char subj[72], action[128], result[128];

	if (d && o) {
		if (d->field[0])
			json_object_set_new(o, "field", json_string(d->field));
		json_object_set_new(o, "message", json_string(d->message));
	}
	json_array_append_new(b->lines, o);
	if (status == SC_LINE_REJECTED || status == SC_LINE_DUPLICATE)
		return;
	b->r->srv->metrics.records_filed++;
	snprintf(subj, sizeof(subj), "%.*s", (int)(subject.n < 64 ? subject.n : 64), subject.p);
	snprintf(action, sizeof(action), "file %.*s", (int)(record_id.n < 64 ? record_id.n : 64),
		 record_id.p);
	snprintf(result, sizeof(result), "line %lu %s", line, names[status]);
	sc_req_audit(b->r, subject.n ? sc_server_part_of(b->r->srv, subject.p, subject.n) : b->r->part,
		     action, subj, result);
}

void sc_h_records_post(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *type = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	struct batch b = {.r = r, .lines = json_array()};
	struct sc_ingest_opts o = {.line = on_line, .ctx = &b, .only_source = r->key.binding};
	struct sc_ingest_stats stats = {0};
	struct sc_diag d;
	enum sc_status rc;
	FILE *f;

	(void)p;
	if (!r->body_len) {
		json_decref(b.lines);
		sc_reply_errorf(r, 400, NULL, "the request body is empty: send CSV with a header, or JSONL");
		return;
	}
	if (type && (strstr(type, "ndjson") || strstr(type, "jsonl") || strstr(type, "json")))
		o.format = SC_FORMAT_JSONL;
	else if (type && strstr(type, "csv"))
		o.format = SC_FORMAT_CSV;
	o.today = sc_req_today(r); /* the server's today (serve --today) */
	f = fmemopen(r->body, r->body_len, "rb");
	if (!f) {
		json_decref(b.lines);
		sc_reply_errorf(r, 500, NULL, "out of memory");
		return;
	}
	sc_diag_clear(&d);
	if (r->srv->opts.map) {
		struct sc_shard_set set = {.map = r->srv->opts.map, .dir = r->srv->dir};
		struct sc_ingest_route route;
		size_t n = r->srv->nparts;
		if (!(set.stores = sc_arena_alloc(&r->arena, n * sizeof(*set.stores)))) {
			fclose(f);
			json_decref(b.lines);
			sc_reply_errorf(r, 500, NULL, "out of memory");
			return;
		}
		for (size_t i = 0; i < n; i++)
			set.stores[i] = sc_req_ledger(r, i);
		sc_shard_set_route(&set, &route);
		/* each batch checks the map still stands, its ledgers locked */
		if (r->srv->opts.map_path) {
			sc_shard_set_watch(&set, r->srv->opts.map_path, &route);
			pthread_mutex_lock(&r->srv->map_mu);
			memcpy(set.stamp, r->srv->map_watch.stamp, sizeof(set.stamp));
			pthread_mutex_unlock(&r->srv->map_mu);
		}
		o.route = &route;
		/* the directory's claims and the ledgers' batches of one filing
		 * at a time: its transaction is one handle's */
		pthread_mutex_lock(&r->srv->dir_mu);
		rc = sc_ingest_stream(NULL, r->rb, f, "request", &o, &stats, &d);
		pthread_mutex_unlock(&r->srv->dir_mu);
	} else {
		rc = sc_ingest_stream(st, r->rb, f, "request", &o, &stats, &d);
	}
	if (rc) {
		fclose(f);
		json_decref(b.lines);
		sc_reply_error(r, rc == SC_ESTATE ? 503 : d.message[0] ? 400 : 500, &d);
		return;
	}
	fclose(f);
	sc_reply_json(r, 200, json_pack("{s:I,s:I,s:I,s:I,s:o}",
		"accepted", (json_int_t)stats.accepted, "duplicates", (json_int_t)stats.duplicates,
		"rejected", (json_int_t)stats.rejected, "warnings", (json_int_t)stats.warnings,
		"lines", b.lines));
}
