/* Due process over HTTP: the subject disputes a record, attaches an
 * explanatory statement, applies for credit repair, gives or withdraws
 * consent, and shares score and grade by a time-limited link; the filing
 * source or an admin decides disputes and repair applications. */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "socred/eval.h"
#include "socred/report.h"

#define SHARE_DAYS_MAX 90

json_t *sc_json_dispute(const struct sc_dispute *x)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "id", (json_int_t)x->id,
			      "record", x->record_id, "subject", x->subject, "source", x->source,
			      "reason", x->reason, "opened", sc_report_day(x->opened),
			      "deadline", sc_report_day(x->deadline),
			      "status", x->decided == SC_DAY_NONE ? "open" : "decided");

	if (o && x->decided != SC_DAY_NONE) {
		json_object_set_new(o, "decided", sc_report_day(x->decided));
		json_object_set_new(o, "outcome", json_string(x->outcome));
		json_object_set_new(o, "decided_by", json_string(x->decided_by));
		json_object_set_new(o, "note", json_string(x->note));
	}
	return o;
}

json_t *sc_json_repair(const struct sc_repair *x)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:s}", "id", (json_int_t)x->id,
			      "record", x->record_id, "subject", x->subject, "source", x->source,
			      "commitment", x->commitment, "applied", sc_report_day(x->applied),
			      "status", x->decided == SC_DAY_NONE ? "open" : "decided");

	if (o && x->decided != SC_DAY_NONE) {
		json_object_set_new(o, "decided", sc_report_day(x->decided));
		json_object_set_new(o, "outcome", json_string(x->outcome));
		json_object_set_new(o, "reason", json_string(x->reason));
		json_object_set_new(o, "decided_by", json_string(x->decided_by));
	}
	return o;
}

/* Who decides: an admin on anything, a provider on its source's records. */
static void decider(struct sc_req *r, struct sc_decider *who, char *by, size_t n)
{
	snprintf(by, n, "%s key %" PRId64 "%s%.64s", sc_role_name(r->role), r->key.id,
		 r->role == SC_ROLE_PROVIDER ? " of " : "",
		 r->role == SC_ROLE_PROVIDER ? r->key.binding : "");
	who->by = by;
	who->only_source = r->role == SC_ROLE_PROVIDER ? r->key.binding : NULL;
}

static bool parse_id(struct sc_req *r, const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*end || v <= 0) {
		sc_reply_errorf(r, 404, NULL, "no such item: %.32s", s);
		return false;
	}
	*out = v;
	return true;
}

enum sc_status sc_json_append_dispute(void *arr, const struct sc_dispute *x)
{
	return json_array_append_new(arr, sc_json_dispute(x)) ? SC_ENOMEM : SC_OK;
}

enum sc_status sc_json_append_repair(void *arr, const struct sc_repair *x)
{
	return json_array_append_new(arr, sc_json_repair(x)) ? SC_ENOMEM : SC_OK;
}

/* ---- the subject's acts on one of its records: {"record", <text field>} ---- */

typedef enum sc_status (*act_fn)(struct sc_req *r, struct sc_store *st,
				 const char *subject, const char *record,
				 const char *text, json_t **reply, struct sc_diag *d);

static void subject_act(struct sc_req *r, struct sc_store *st, const char *subject,
			const char *field, const char *audit_action, act_fn fn)
{
	const char *rec, *text;
	json_t *body, *reply = NULL;
	struct sc_diag d;
	enum sc_status s;

	if (!sc_req_own_subject(r, subject) || !(body = sc_req_json(r)))
		return;
	if ((rec = sc_req_str(r, body, "record", SC_LIMIT_RECORD_ID, true)) &&
	    (text = sc_req_str(r, body, field, SC_LIMIT_PROCESS_TEXT, true))) {
		sc_diag_clear(&d);
		if ((s = fn(r, st, subject, rec, text, &reply, &d)))
			sc_reply_store_error(r, s, &d);
		else
			sc_reply_json(r, 201, reply);
		r->audit_subject = sc_arena_strdup(&r->arena, subject);
		r->audit_action = audit_action;
		snprintf(r->audit_result, sizeof(r->audit_result), "%u %.64s", r->status, rec);
	}
	json_decref(body);
}

/* o, with its id the registry's over a cluster map, into *reply; the
 * store's item stands whatever this says */
static enum sc_status reply_item(struct sc_req *r, enum sc_shard_item kind, const char *subject,
				 json_t *o, json_t **reply, struct sc_diag *d)
{
	enum sc_status s = o ? sc_ids_out(r->srv, kind, r->part, subject, o, d) : SC_ENOMEM;

	if (s) {
		json_decref(o);
		return s;
	}
	*reply = o;
	return SC_OK;
}

static enum sc_status dispute_open(struct sc_req *r, struct sc_store *st, const char *subject,
				   const char *rec, const char *reason, json_t **reply,
				   struct sc_diag *d)
{
	struct sc_dispute *x = malloc(sizeof(*x));
	enum sc_status s = x ? sc_store_dispute_open(st, subject, rec, reason, sc_req_today(r),
						     sc_rulebook_review_days(r->rb), x, d)
			     : SC_ENOMEM;

	if (!s)
		s = reply_item(r, SC_SHARD_DISPUTE, subject, sc_json_dispute(x), reply, d);
	free(x);
	return s;
}

static enum sc_status statement_add(struct sc_req *r, struct sc_store *st, const char *subject,
				    const char *rec, const char *text, json_t **reply,
				    struct sc_diag *d)
{
	struct sc_statement *x = malloc(sizeof(*x));
	enum sc_status s = x ? sc_store_statement_add(st, subject, rec, text, sc_req_today(r), x, d)
			     : SC_ENOMEM;

	if (!s)
		s = reply_item(r, SC_SHARD_STATEMENT, subject,
			       json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)x->id, "record",
					 x->record_id, "text", x->text, "date", sc_report_day(x->date)),
			       reply, d);
	free(x);
	return s;
}

static enum sc_status repair_apply(struct sc_req *r, struct sc_store *st, const char *subject,
				   const char *rec, const char *commitment, json_t **reply,
				   struct sc_diag *d)
{
	struct sc_repair *x = malloc(sizeof(*x));
	enum sc_status s = x ? sc_store_repair_apply(st, subject, rec, commitment, sc_req_today(r), x, d)
			     : SC_ENOMEM;

	if (!s)
		s = reply_item(r, SC_SHARD_REPAIR, subject, sc_json_repair(x), reply, d);
	free(x);
	return s;
}

void sc_h_dispute_open(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	subject_act(r, st, p[0], "reason", "dispute", dispute_open);
}

void sc_h_statement_add(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	subject_act(r, st, p[0], "text", "statement", statement_add);
}

void sc_h_repair_apply(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	subject_act(r, st, p[0], "commitment", "repair application", repair_apply);
}

/* ---- decisions by the filing source or an admin: {"outcome", <text>} ---- */

/* Decides item id; on success *reply is its JSON and subject/record name it. */
typedef enum sc_status (*decide_fn)(struct sc_store *st, int64_t id, const char *outcome,
				    const char *text, sc_day date,
				    const struct sc_decider *who, json_t **reply,
				    char subject[SC_LIMIT_SUBJECT_ID + 1],
				    char record[SC_LIMIT_RECORD_ID + 1], struct sc_diag *d);

static void decide(struct sc_req *r, struct sc_store *st, const char *id_s,
		   enum sc_shard_item kind, const char *field, const char *audit_action,
		   decide_fn fn)
{
	struct sc_part *part = NULL;
	int64_t local;
	struct sc_decider who;
	char by[128], subject[SC_LIMIT_SUBJECT_ID + 1], record[SC_LIMIT_RECORD_ID + 1];
	const char *outcome, *text;
	json_t *body, *reply = NULL;
	struct sc_diag d;
	int64_t id;
	enum sc_status s;

	if (!parse_id(r, id_s, &id) || !(body = sc_req_json(r)))
		return;
	if ((outcome = sc_req_str(r, body, "outcome", 16, true)) &&
	    (text = sc_req_str(r, body, field, SC_LIMIT_PROCESS_TEXT, false))) {
		decider(r, &who, by, sizeof(by));
		sc_diag_clear(&d);
		/* over a cluster map: the ledger holding it, and its id there */
		if (!(s = sc_ids_in(r, kind, id, &part, &st, &local, &d)))
			s = fn(st, local, outcome, text, sc_req_today(r), &who, &reply, subject, record, &d);
		if (s) {
			sc_reply_store_error(r, s, &d);
		} else {
			r->audit_subject = sc_arena_strdup(&r->arena, subject);
			r->audit_action = audit_action;
			snprintf(r->audit_result, sizeof(r->audit_result), "%.16s %.64s", outcome, record);
			/* decided and audited, whatever the id's answer */
			if ((s = sc_ids_out(r->srv, kind, part, NULL, reply, &d))) {
				json_decref(reply);
				sc_reply_store_error(r, s, &d);
			} else {
				sc_reply_json(r, 200, reply);
			}
		}
	}
	json_decref(body);
}

static enum sc_status dispute_decide(struct sc_store *st, int64_t id, const char *outcome,
				     const char *note, sc_day date, const struct sc_decider *who,
				     json_t **reply, char *subject, char *record, struct sc_diag *d)
{
	struct sc_dispute *x = malloc(sizeof(*x));
	enum sc_status s = x ? sc_store_dispute_decide(st, id, outcome, note, date, who, x, d)
			     : SC_ENOMEM;

	if (!s) {
		*reply = sc_json_dispute(x);
		snprintf(subject, SC_LIMIT_SUBJECT_ID + 1, "%s", x->subject);
		snprintf(record, SC_LIMIT_RECORD_ID + 1, "%s", x->record_id);
	}
	free(x);
	return s;
}

static enum sc_status repair_decide(struct sc_store *st, int64_t id, const char *outcome,
				    const char *reason, sc_day date, const struct sc_decider *who,
				    json_t **reply, char *subject, char *record, struct sc_diag *d)
{
	struct sc_repair *x = malloc(sizeof(*x));
	enum sc_status s = x ? sc_store_repair_decide(st, id, outcome, reason, date, who, x, d)
			     : SC_ENOMEM;

	if (!s) {
		*reply = sc_json_repair(x);
		snprintf(subject, SC_LIMIT_SUBJECT_ID + 1, "%s", x->subject);
		snprintf(record, SC_LIMIT_RECORD_ID + 1, "%s", x->record_id);
	}
	free(x);
	return s;
}

void sc_h_dispute_decide(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	decide(r, st, p[0], SC_SHARD_DISPUTE, "note", "dispute decision", dispute_decide);
}

void sc_h_repair_decide(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	decide(r, st, p[0], SC_SHARD_REPAIR, "reason", "repair decision", repair_decide);
}

static enum sc_status list_one(struct sc_store *st, enum sc_shard_item kind, const char *source,
			       bool open_only, json_t *arr, struct sc_diag *d)
{
	return kind == SC_SHARD_DISPUTE
		       ? sc_store_dispute_list(st, NULL, source, open_only, sc_json_append_dispute, arr, d)
		       : sc_store_repair_list(st, NULL, source, open_only, sc_json_append_repair, arr, d);
}

enum sc_status sc_req_items(struct sc_req *r, enum sc_shard_item kind, const char *source,
			    bool open_only, json_t *arr, struct sc_diag *d)
{
	struct sc_server *srv = r->srv;
	enum sc_status s = SC_OK;

	if (!srv->opts.map)
		return list_one(sc_req_ledger(r, 0), kind, source, open_only, arr, d);
	for (size_t i = 0; !s && i < srv->nparts; i++) {
		struct sc_store *one = sc_req_ledger(r, i);
		json_t *mine = json_array(), *o;
		size_t k;
		s = !one || !mine ? SC_ENOMEM : list_one(one, kind, source, open_only, mine, d);
		/* a ledger still holds the items of subjects moved off it */
		json_array_foreach(mine, k, o) {
			const char *subject = json_string_value(json_object_get(o, "subject"));
			if (!s && subject && sc_server_part_of(srv, subject, strlen(subject))->index == i &&
			    !(s = sc_ids_out(srv, kind, &srv->parts[i], subject, o, d)))
				json_array_append(arr, o);
		}
		json_decref(mine);
	}
	return s ? s : sc_ids_sort(arr);
}

void sc_h_dispute_list(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *open = sc_req_query(r, "open");
	json_t *arr = json_array();
	struct sc_diag d;
	enum sc_status s;

	(void)st;
	(void)p;
	sc_diag_clear(&d);
	s = sc_req_items(r, SC_SHARD_DISPUTE, r->role == SC_ROLE_PROVIDER ? r->key.binding : NULL,
			 open && !strcmp(open, "1"), arr, &d);
	if (s) {
		json_decref(arr);
		sc_reply_store_error(r, s, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:o,s:o}", "today", sc_report_day(sc_req_today(r)),
					"disputes", arr));
}

void sc_h_repair_list(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	const char *open = sc_req_query(r, "open");
	json_t *arr = json_array();
	struct sc_diag d;
	enum sc_status s;

	(void)st;
	(void)p;
	sc_diag_clear(&d);
	s = sc_req_items(r, SC_SHARD_REPAIR, r->role == SC_ROLE_PROVIDER ? r->key.binding : NULL,
			 open && !strcmp(open, "1"), arr, &d);
	if (s) {
		json_decref(arr);
		sc_reply_store_error(r, s, &d);
		return;
	}
	sc_reply_json(r, 200, json_pack("{s:o}", "repairs", arr));
}

void sc_h_consent(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	json_t *body, *granted;
	const char *card;
	struct sc_text subj = {p[0], strlen(p[0])}, sc;
	enum sc_kind kind = SC_KIND_NONE;
	struct sc_diag d;
	enum sc_status s;
	int c;

	if (!sc_req_own_subject(r, p[0]) || !(body = sc_req_json(r)))
		return;
	granted = json_object_get(body, "granted");
	if (!(card = sc_req_str(r, body, "scorecard", SC_LIMIT_NAME, true)))
		goto out;
	if (!json_is_boolean(granted)) {
		sc_reply_errorf(r, 400, "granted", "'granted' is required: true or false");
		goto out;
	}
	if ((c = sc_rulebook_scorecard_find(r->rb, card, strlen(card))) < 0) {
		sc_reply_errorf(r, 400, "scorecard", "unknown scorecard '%.64s'", card);
		goto out;
	}
	sc = (struct sc_text){card, strlen(card)};
	sc_diag_clear(&d);
	sc_id_classify(sc_rulebook_id_schemes(r->rb), subj.p, subj.n, &kind, &d);
	/* over a cluster map the directory notes the subject's first filing
	 * first, as a filing over the map does (the order merged listings
	 * follow); a subject noted but not stored is listed nowhere */
	if (r->srv->opts.map) {
		pthread_mutex_lock(&r->srv->dir_mu);
		s = sc_shard_dir_subject(r->srv->dir, subj.p, subj.n, &d);
		pthread_mutex_unlock(&r->srv->dir_mu);
		if (s) {
			sc_reply_store_error(r, s, &d);
			goto out;
		}
	}
	s = sc_store_consent(st, subj, kind, sc, json_is_true(granted), sc_req_today(r), &d);
	if (s && s != SC_EDUPLICATE) {
		sc_reply_store_error(r, s, &d);
		goto out;
	}
	r->audit_subject = sc_arena_strdup(&r->arena, p[0]);
	r->audit_action = json_is_true(granted) ? "consent" : "withdraw consent";
	snprintf(r->audit_result, sizeof(r->audit_result), "%.64s", card);
	sc_reply_json(r, 200, json_pack("{s:s,s:s,s:b,s:o}", "subject", p[0], "scorecard", card,
					"granted", json_is_true(granted),
					"from", sc_report_day(sc_req_today(r))));
out:
	json_decref(body);
}

void sc_h_share_add(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	char secret[SC_KEY_SECRET_HEX], url[128];
	unsigned char hash[SC_KEY_HASH_BYTES];
	json_t *body, *days;
	sc_day today = sc_req_today(r), expires;
	struct sc_diag d;
	enum sc_status s;
	json_int_t n;

	if (!sc_req_own_subject(r, p[0]) || !(body = sc_req_json(r)))
		return;
	days = json_object_get(body, "days");
	n = json_is_integer(days) ? json_integer_value(days) : 0;
	if (n < 1 || n > SHARE_DAYS_MAX) {
		sc_reply_errorf(r, 400, "days", "'days' must be a whole number from 1 to %d", SHARE_DAYS_MAX);
		json_decref(body);
		return;
	}
	expires = today + (sc_day)n;
	sc_diag_clear(&d);
	if (sc_key_secret(secret, hash)) {
		sc_reply_errorf(r, 500, NULL, "no randomness available");
	} else if ((s = sc_store_share_add(st, p[0], hash, today, expires, &d))) {
		sc_reply_store_error(r, s, &d);
	} else {
		snprintf(url, sizeof(url), "/v1/shares/%s", secret);
		r->audit_subject = sc_arena_strdup(&r->arena, p[0]);
		r->audit_action = "share";
		snprintf(r->audit_result, sizeof(r->audit_result), "until %d days", (int)n);
		sc_reply_json(r, 201, json_pack("{s:s,s:o}", "url", url, "expires", sc_report_day(expires)));
	}
	sodium_memzero(secret, sizeof(secret));
	json_decref(body);
}

void sc_h_share_get(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	unsigned char hash[SC_KEY_HASH_BYTES];
	char subject[SC_LIMIT_SUBJECT_ID + 1], token[SC_KEY_TOKEN_MAX];
	const struct sc_rulebook *rb = r->rb;
	sc_day expires, today = sc_req_today(r);
	struct sc_loaded l;
	struct sc_eval *ev = NULL;
	struct sc_diag d;
	int64_t unused;
	json_t *cards;

	/* the link's token has the shape of a key's secret */
	snprintf(token, sizeof(token), "sck_0_%.64s", p[0]);
	sc_diag_clear(&d);
	if (sc_key_parse(token, strlen(token), &unused, hash)) {
		sc_reply_errorf(r, 404, NULL, "no such share link");
		return;
	}
	/* over a cluster map the link is on its subject's ledger: each is
	 * asked (a link's hash is of a random secret, on one ledger at most) */
	for (size_t i = 0;; i++) {
		struct sc_store *one = i ? sc_req_ledger(r, i) : st;
		if (one && !sc_store_share_get(one, hash, subject, &expires, &d)) {
			st = one;
			break;
		}
		if (i + 1 >= r->srv->nparts) {
			sc_reply_errorf(r, 404, NULL, "no such share link");
			return;
		}
	}
	if (today >= expires) {
		char day[SC_DATE_LEN + 1];
		sc_date_format(expires, day);
		sc_reply_errorf(r, 410, NULL, "this share link expired on %s", day);
		return;
	}
	if (sc_store_subject_open(st, rb, subject, &l, &d)) {
		sc_reply_errorf(r, 404, NULL, "no such share link");
		return;
	}
	cards = json_array();
	ev = sc_eval_new(rb);
	if (ev && !sc_eval_subject(ev, &l.view, today, 0)) {
		for (size_t i = 0; i < sc_rulebook_scorecard_count(rb); i++) {
			const struct sc_card_result *c = sc_eval_card(ev, (int)i);
			if (c->status != SC_CARD_SCORED)
				continue;
			json_array_append_new(cards, json_pack("{s:s,s:i,s:s}", "scorecard",
				sc_rulebook_scorecard_name(rb, (int)i), "score", (int)c->score,
				"grade", sc_rulebook_grade_name(rb, (int)i, c->grade)));
		}
	}
	r->audit_subject = sc_arena_strdup(&r->arena, subject);
	r->audit_action = "share viewed";
	snprintf(r->audit_result, sizeof(r->audit_result), "score and grade");
	sc_reply_json(r, 200, json_pack("{s:o,s:o,s:o}", "at", sc_report_day(today),
					"expires", sc_report_day(expires), "scores", cards));
	sc_eval_free(ev);
	sc_loaded_release(&l);
}
