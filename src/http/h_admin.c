/* GET /v1/stats: what an operator watches: the grade distribution and list
 * sizes of the latest run, record volumes by source, open disputes and
 * repair applications with their deadlines, the active rulebook. */
#include <string.h>

#include "http.h"
#include "socred/report.h"

static enum sc_status add_pair(void *ctx, const char *k1, const char *k2, int64_t n)
{
	json_t *o = ctx, *inner;

	if (!k2[0]) {
		json_object_set_new(o, k1, json_integer(n));
		return SC_OK;
	}
	inner = json_object_get(o, k1);
	if (!inner) {
		inner = json_object();
		json_object_set_new(o, k1, inner);
	}
	json_object_set_new(inner, k2, json_integer(n));
	return SC_OK;
}

static enum sc_status add_dispute(void *ctx, const struct sc_dispute *x)
{
	json_array_append_new(ctx, sc_json_dispute(x));
	return SC_OK;
}

static enum sc_status add_repair(void *ctx, const struct sc_repair *x)
{
	json_array_append_new(ctx, sc_json_repair(x));
	return SC_OK;
}

void sc_h_stats(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *grades = json_object(), *status = json_object(), *lists = json_object();
	json_t *sources = json_object(), *disputes = json_array(), *repairs = json_array();
	struct sc_diag d;
	sc_day run_at;

	(void)p;
	sc_diag_clear(&d);
	if (sc_store_tally(st, SC_TALLY_RECORDS_BY_SOURCE, add_pair, sources, &run_at, &d) ||
	    sc_store_tally(st, SC_TALLY_GRADES, add_pair, grades, &run_at, &d) ||
	    sc_store_tally(st, SC_TALLY_STATUS, add_pair, status, &run_at, &d) ||
	    sc_store_tally(st, SC_TALLY_LISTS, add_pair, lists, &run_at, &d) ||
	    sc_store_dispute_list(st, NULL, NULL, true, add_dispute, disputes, &d) ||
	    sc_store_repair_list(st, NULL, NULL, true, add_repair, repairs, &d)) {
		json_decref(grades);
		json_decref(status);
		json_decref(lists);
		json_decref(sources);
		json_decref(disputes);
		json_decref(repairs);
		sc_reply_store_error(r, SC_ESTORE, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:o,s:{s:s,s:s,s:i},s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"today", sc_report_day(sc_req_today(r)),
		"rulebook", "name", sc_rulebook_name(r->srv->rb),
		"version", sc_rulebook_version(r->srv->rb),
		"review_days", (int)sc_rulebook_review_days(r->srv->rb),
		"run_at", sc_report_day(run_at), "grades", grades, "status", status,
		"lists", lists, "records_by_source", sources, "open_disputes", disputes,
		"open_repairs", repairs));
}
