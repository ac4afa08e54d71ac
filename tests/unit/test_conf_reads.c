/* Store conformance: the reads. A subject's file (records in date order
 * with their event dates, the dispute-suspension rule, consents resolved
 * against the rulebook), the population scan and rows (whole and partial),
 * record names, runs and their tallies, and change tracking in commit
 * terms, across removals (expire) and with two writers committing
 * concurrently while a reader takes marks. Every test runs on each backend
 * under test (conf.h).
 *
 * Rows are filed through the store API. Where a backend does not have the
 * write ops yet (they answer SC_EREFUSED), the test files the same rows
 * with plain SQL in a write transaction of the ledger's own kind (its
 * write lock, the next commit sequence number as socred.cseq), so the
 * reads are tested on their own. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf.h"
#include "socred/process.h"
#include "socred/rulebook.h"
#include "socred/store.h"

static struct sc_rulebook *rb;

/* ---- filing, through the API or SQL ---- */

struct writer {
	enum conf_backend b;
	struct sc_store *st;
	PGconn *c;          /* SQL filing: the ledger's own connection */
	bool sql_records;   /* record_add, record_event, consent refused */
	bool sql_disputes;  /* dispute_open, dispute_decide refused */
	bool in_txn;
};

static void sql_ok(PGconn *c, const char *sql, int n, const char *const *v, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (out)
		*out = r;
	else
		PQclear(r);
}

static void w_open(struct writer *w, enum conf_backend b, const char *path)
{
	struct sc_store_event probe = {.op = SC_OP_RECTIFY, .record_id = {"no-such-record", 14},
				       .source = {"x", 1}, .date = 1};
	struct sc_dispute dis;
	struct sc_decider who = {.by = "test"};
	struct sc_diag d;

	memset(w, 0, sizeof(*w));
	w->b = b;
	assert_int_equal(sc_store_open(path, 0, &w->st, &d), SC_OK);
	/* probes that change nothing where the op exists */
	w->sql_records = sc_store_record_event(w->st, &probe, &d) == SC_EREFUSED;
	w->sql_disputes = sc_store_dispute_decide(w->st, INT64_C(1) << 40, "upheld", "", 1, &who,
						  &dis, &d) == SC_EREFUSED;
	if (w->sql_records || w->sql_disputes) {
		assert_int_equal(b, CONF_PG);
		w->c = PQconnectdb(path);
		assert_int_equal(PQstatus(w->c), CONNECTION_OK);
	}
}

static void w_close(struct writer *w)
{
	sc_store_close(w->st);
	if (w->c)
		PQfinish(w->c);
}

static void sql_begin(PGconn *c)
{
	sql_ok(c, "BEGIN", 0, NULL, NULL);
	sql_ok(c, "SELECT pg_advisory_xact_lock(8317976379755069441)", 0, NULL, NULL);
	sql_ok(c, "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'commit_seq'"
		  " RETURNING set_config('socred.cseq', value, true)", 0, NULL, NULL);
}

static void w_begin(struct writer *w)
{
	struct sc_diag d;

	if (w->sql_records)
		sql_begin(w->c);
	else
		assert_int_equal(sc_store_begin(w->st, &d), SC_OK);
	w->in_txn = true;
}

static void w_commit(struct writer *w)
{
	struct sc_diag d;

	if (w->sql_records)
		sql_ok(w->c, "COMMIT", 0, NULL, NULL);
	else
		assert_int_equal(sc_store_commit(w->st, &d), SC_OK);
	w->in_txn = false;
}

/* SQL writes run in a transaction of their own unless one is open. */
static void sql_own(struct writer *w, bool begin)
{
	if (w->in_txn)
		return;
	if (begin)
		sql_begin(w->c);
	else
		sql_ok(w->c, "COMMIT", 0, NULL, NULL);
}

static void w_record(struct writer *w, const char *rid, const char *subject, const char *type,
		     const char *source, sc_day date, int64_t amount, const char *ref)
{
	char dt[24], am[24];
	struct sc_diag d;

	if (!w->sql_records) {
		struct sc_store_add a = {
			.record_id = {rid, strlen(rid)}, .subject = {subject, strlen(subject)},
			.type = {type, strlen(type)}, .source = {source, strlen(source)},
			.ref = {ref, strlen(ref)}, .kind = SC_KIND_PERSON, .date = date,
			.amount = amount};
		assert_int_equal(sc_store_record_add(w->st, &a, &d), SC_OK);
		return;
	}
	snprintf(dt, sizeof(dt), "%d", (int)date);
	snprintf(am, sizeof(am), "%lld", (long long)amount);
	const char *v[7] = {rid, subject, type, source, dt,
			    amount == SC_AMOUNT_NONE ? NULL : am, *ref ? ref : NULL};
	sql_own(w, true);
	sql_ok(w->c, "INSERT INTO subjects(ext_id, kind) SELECT $1, 1 WHERE NOT EXISTS"
		     " (SELECT 1 FROM subjects WHERE ext_id = $1)", 1, v + 1, NULL);
	sql_ok(w->c, "INSERT INTO types(name) SELECT $1 WHERE NOT EXISTS"
		     " (SELECT 1 FROM types WHERE name = $1)", 1, v + 2, NULL);
	sql_ok(w->c, "INSERT INTO sources(name) SELECT $1 WHERE NOT EXISTS"
		     " (SELECT 1 FROM sources WHERE name = $1)", 1, v + 3, NULL);
	sql_ok(w->c, "INSERT INTO records(record_id, subject, type, date, amount, source, ref)"
		     " SELECT $1, (SELECT id FROM subjects WHERE ext_id = $2),"
		     " (SELECT id FROM types WHERE name = $3), $5::integer, $6::bigint,"
		     " (SELECT id FROM sources WHERE name = $4), $7", 7, v, NULL);
	sql_own(w, false);
}

static void w_event(struct writer *w, const char *rid, const char *source, enum sc_op op,
		    sc_day date)
{
	char dt[24], o[4];
	struct sc_diag d;

	if (!w->sql_records) {
		struct sc_store_event e = {.op = op, .record_id = {rid, strlen(rid)},
					   .source = {source, strlen(source)}, .date = date};
		assert_int_equal(sc_store_record_event(w->st, &e, &d), SC_OK);
		return;
	}
	snprintf(dt, sizeof(dt), "%d", (int)date);
	snprintf(o, sizeof(o), "%d", (int)op);
	const char *v[3] = {rid, o, dt};
	sql_own(w, true);
	sql_ok(w->c, "INSERT INTO events(rid, op, date) SELECT rid, $2::integer, $3::integer"
		     " FROM records WHERE record_id = $1", 3, v, NULL);
	sql_own(w, false);
}

static void w_consent(struct writer *w, const char *subject, const char *card, bool granted,
		      sc_day date)
{
	char dt[24];
	struct sc_diag d;

	if (!w->sql_records) {
		assert_int_equal(sc_store_consent(w->st, (struct sc_text){subject, strlen(subject)},
						  SC_KIND_PERSON,
						  (struct sc_text){card, strlen(card)}, granted, date,
						  &d),
				 SC_OK);
		return;
	}
	snprintf(dt, sizeof(dt), "%d", (int)date);
	const char *v[4] = {subject, card, granted ? "1" : "0", dt};
	sql_own(w, true);
	sql_ok(w->c, "INSERT INTO subjects(ext_id, kind) SELECT $1, 1 WHERE NOT EXISTS"
		     " (SELECT 1 FROM subjects WHERE ext_id = $1)", 1, v, NULL);
	sql_ok(w->c, "INSERT INTO consents(subject, scorecard, granted, date)"
		     " SELECT id, $2, $3::integer, $4::integer FROM subjects WHERE ext_id = $1",
	       4, v, NULL);
	sql_own(w, false);
}

/* Opens a dispute of record rid (review_days from opened); its id. */
static int64_t w_dispute(struct writer *w, const char *subject, const char *rid, sc_day opened,
			 int review)
{
	char op[24], dl[24];
	struct sc_dispute dis;
	struct sc_diag d;
	PGresult *r;
	int64_t id;

	if (!w->sql_disputes) {
		assert_int_equal(sc_store_dispute_open(w->st, subject, rid, "not mine", opened, review,
						       &dis, &d),
				 SC_OK);
		return dis.id;
	}
	snprintf(op, sizeof(op), "%d", (int)opened);
	snprintf(dl, sizeof(dl), "%d", (int)(opened + review));
	const char *v[3] = {rid, op, dl};
	sql_own(w, true);
	sql_ok(w->c, "INSERT INTO disputes(rid, reason, opened, deadline)"
		     " SELECT rid, 'not mine', $2::integer, $3::integer FROM records"
		     " WHERE record_id = $1 RETURNING id", 3, v, &r);
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	sql_own(w, false);
	return id;
}

static void w_decide(struct writer *w, int64_t id, sc_day date)
{
	char i[24], dt[24];
	struct sc_decider who = {.by = "test"};
	struct sc_dispute dis;
	struct sc_diag d;

	if (!w->sql_disputes) {
		assert_int_equal(sc_store_dispute_decide(w->st, id, "upheld", "checked", date, &who,
							 &dis, &d),
				 SC_OK);
		return;
	}
	snprintf(i, sizeof(i), "%lld", (long long)id);
	snprintf(dt, sizeof(dt), "%d", (int)date);
	const char *v[2] = {i, dt};
	sql_own(w, true);
	sql_ok(w->c, "UPDATE disputes SET decided = $2::integer, outcome = 'upheld',"
		     " decided_by = 'test' WHERE id = $1::bigint", 2, v, NULL);
	sql_own(w, false);
}

/* ---- a small ledger every read test reads ---- */

static int64_t disputes[3];

/* P1: three records (filed out of date order), one rectified, one revoked;
 * disputes: r1 open past its deadline, r2 decided in time, r3 decided late
 * after one decided in time; consents to public (granted, withdrawn) and a
 * scorecard the rulebook does not have. P2: one record. P3: a consent
 * only. */
static void file_small(struct writer *w)
{
	w_record(w, "r1", "P1", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
	w_record(w, "r2", "P1", "tax.arrears", "tax", 19990, 150000, "T-7");
	w_record(w, "r3", "P1", "bank.arrears", "bank", 20010, 20000, "");
	w_record(w, "r4", "P2", "traffic.violation", "traffic", 20005, SC_AMOUNT_NONE, "");
	w_record(w, "r5", "P1", "no.such_type", "traffic", 20020, SC_AMOUNT_NONE, "");
	w_event(w, "r1", "traffic", SC_OP_RECTIFY, 20100);
	w_consent(w, "P1", "public", true, 19000);
	w_consent(w, "P1", "nonesuch", true, 19001);
	w_consent(w, "P1", "public", false, 19500);
	w_consent(w, "P3", "public", true, 19200);
	disputes[0] = w_dispute(w, "P1", "r1", 20200, 30);
	disputes[1] = w_dispute(w, "P1", "r2", 20200, 30);
	w_decide(w, disputes[1], 20220);
	disputes[2] = w_dispute(w, "P1", "r3", 20200, 30);
	w_decide(w, disputes[2], 20210);
	w_decide(w, w_dispute(w, "P1", "r3", 20300, 30), 20340);
	w_event(w, "r2", "tax", SC_OP_REVOKE, 20110);
}

struct fixture {
	enum conf_backend b;
	char path[512];
	struct sc_store *st;
	struct writer w;
};

static void fix_open(struct fixture *f, enum conf_backend b)
{
	struct sc_diag d;

	f->b = b;
	assert_int_equal(conf_fresh(b, f->path, sizeof(f->path)), 0);
	assert_int_equal(sc_store_open(f->path, SC_STORE_CREATE, &f->st, &d), SC_OK);
	w_open(&f->w, b, f->path);
}

static void fix_close(struct fixture *f)
{
	w_close(&f->w);
	sc_store_close(f->st);
	conf_drop(f->b, f->path);
}

/* ---- a subject's file ---- */

static void subject_file(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct sc_loaded lo;
		struct sc_diag d;
		int pub = sc_rulebook_scorecard_find(rb, "public", 6);

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		file_small(&f.w);
		assert_int_equal(sc_store_subject_load(f.st, rb, (struct sc_text){"P1", 2}, &lo, &d),
				 SC_OK);
		assert_string_equal(lo.id, "P1");
		assert_int_equal(lo.view.kind, SC_KIND_PERSON);
		/* date order: r2, r1, r3, r5 */
		assert_int_equal(lo.view.nrecs, 4);
		assert_string_equal(lo.record_ids[0], "r2");
		assert_string_equal(lo.record_ids[1], "r1");
		assert_string_equal(lo.record_ids[2], "r3");
		assert_string_equal(lo.record_ids[3], "r5");
		assert_string_equal(lo.types[0], "tax.arrears");
		assert_string_equal(lo.sources[0], "tax");
		assert_string_equal(lo.refs[0], "T-7");
		assert_string_equal(lo.refs[1], "");
		assert_int_equal(lo.view.recs[0].amount, 150000);
		assert_int_equal(lo.view.recs[1].amount, SC_AMOUNT_NONE);
		assert_int_equal(lo.view.recs[0].date, 19990);
		assert_int_equal(lo.view.recs[0].type, sc_rulebook_type_find(rb, "tax.arrears", 11));
		assert_int_equal(lo.view.recs[3].type, -1); /* a type the rulebook lacks */
		/* event dates */
		assert_int_equal(lo.view.recs[1].rectified, 20100);
		assert_int_equal(lo.view.recs[1].revoked, SC_DAY_NONE);
		assert_int_equal(lo.view.recs[0].revoked, 20110);
		assert_int_equal(lo.view.recs[0].rectified, SC_DAY_NONE);
		/* disputes: r1 open past its deadline: suspended from it */
		assert_int_equal(lo.view.recs[1].suspended_from, 20230);
		assert_int_equal(lo.view.recs[1].suspended_until, SC_DAY_NONE);
		/* r2 decided in time: never suspended */
		assert_int_equal(lo.view.recs[0].suspended_from, SC_DAY_NONE);
		/* r3: the later dispute, decided late, counts */
		assert_int_equal(lo.view.recs[2].suspended_from, 20330);
		assert_int_equal(lo.view.recs[2].suspended_until, 20340);
		assert_int_equal(lo.view.recs[3].suspended_from, SC_DAY_NONE);
		/* consents: the unknown scorecard left out, filing order kept */
		assert_int_equal(lo.view.nconsents, 2);
		assert_int_equal(lo.view.consents[0].scorecard, pub);
		assert_true(lo.view.consents[0].granted);
		assert_int_equal(lo.view.consents[0].date, 19000);
		assert_false(lo.view.consents[1].granted);
		assert_int_equal(lo.view.consents[1].date, 19500);
		sc_loaded_release(&lo);

		/* a consent only */
		assert_int_equal(sc_store_subject_load(f.st, rb, (struct sc_text){"P3", 2}, &lo, &d),
				 SC_OK);
		assert_int_equal(lo.view.nrecs, 0);
		assert_int_equal(lo.view.nconsents, 1);
		sc_loaded_release(&lo);
		/* none */
		sc_diag_clear(&d);
		assert_int_equal(sc_store_subject_load(f.st, rb, (struct sc_text){"P9", 2}, &lo, &d),
				 SC_ENOTFOUND);
		assert_string_equal(d.message, "subject 'P9' has no file in this ledger");
		assert_string_equal(d.field, "subject");
		fix_close(&f);
	}
}

/* ---- the population ---- */

struct seen {
	int n;
	char ids[8][8];
	size_t nrecs[8], ncons[8];
	struct sc_eval_record recs[8][8];
	bool order_ok;
	int64_t last_sid;
};

static enum sc_status on_subject(void *ctx, int64_t sid, const char *id,
				 const struct sc_subject *s)
{
	struct seen *v = ctx;

	if (v->n >= 8 || s->nrecs > 8)
		return SC_ELIMIT;
	if (sid <= v->last_sid)
		v->order_ok = false;
	v->last_sid = sid;
	snprintf(v->ids[v->n], sizeof(v->ids[0]), "%s", id);
	v->nrecs[v->n] = s->nrecs;
	v->ncons[v->n] = s->nconsents;
	memcpy(v->recs[v->n], s->recs, s->nrecs * sizeof(*s->recs));
	v->n++;
	return SC_OK;
}

static int find(const struct seen *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->ids[i], id))
			return i;
	return -1;
}

static void scan_and_pop(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct seen v = {.order_ok = true};
		struct sc_store_mark m1, m2;
		struct sc_pop p;
		struct sc_diag d;
		const char *some[2] = {"P2", "nobody"};
		int i;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		file_small(&f.w);
		assert_int_equal(sc_store_scan_marked(f.st, rb, on_subject, NULL, &v, &m1, &d), SC_OK);
		assert_true(v.order_ok);
		assert_int_equal(v.n, 3);
		i = find(&v, "P1");
		assert_true(i >= 0);
		/* rid order in a scan, the same event and dispute dates */
		assert_int_equal(v.nrecs[i], 4);
		assert_int_equal(v.ncons[i], 2);
		assert_int_equal(v.recs[i][0].date, 20000);
		assert_int_equal(v.recs[i][0].rectified, 20100);
		assert_int_equal(v.recs[i][0].suspended_from, 20230);
		assert_int_equal(v.recs[i][1].revoked, 20110);
		assert_int_equal(v.recs[i][1].suspended_from, SC_DAY_NONE);
		assert_int_equal(v.recs[i][2].suspended_from, 20330);
		assert_int_equal(v.recs[i][2].suspended_until, 20340);
		assert_int_equal(v.recs[i][3].type, -1);
		assert_int_equal(v.nrecs[find(&v, "P2")], 1);
		assert_int_equal(v.nrecs[find(&v, "P3")], 0);
		assert_int_equal(v.ncons[find(&v, "P3")], 1);

		/* the rows: every subject, the type table whole */
		assert_int_equal(sc_store_pop_load(f.st, NULL, 0, -1, &p, &m2, NULL, &d), SC_OK);
		assert_memory_equal(&m1, &m2, sizeof(m1));
		assert_int_equal(p.nsub, 3);
		assert_int_equal(p.nrec, 5);
		assert_int_equal(p.ncons, 4);
		assert_int_equal(p.ncards, 2);
		assert_int_equal(p.roff[p.nsub], 5);
		for (uint64_t k = 0; k < p.nrec; k++)
			assert_non_null(p.types[p.recs[k].type]);
		sc_pop_free(&p);
		/* a part: P2 by name and the subjects filed after P2 (P3 only,
		 * whatever the ids: every subject above P2's) */
		assert_int_equal(sc_store_pop_load(f.st, some, 2, 0, &p, NULL, NULL, &d),
				 SC_OK);
		assert_int_equal(p.nsub, 3);
		sc_pop_free(&p);
		assert_int_equal(sc_store_pop_load(f.st, some, 2, INT64_MAX, &p, NULL, NULL, &d), SC_OK);
		assert_int_equal(p.nsub, 1);
		assert_string_equal(p.ids, "P2");
		assert_int_equal(p.nrec, 1);
		assert_int_equal(p.recs[0].date, 20005);
		sc_pop_free(&p);
		/* nothing asked for */
		assert_int_equal(sc_store_pop_load(f.st, NULL, 0, INT64_MAX, &p, NULL, NULL, &d), SC_OK);
		assert_int_equal(p.nsub, 0);
		assert_int_equal(p.roff[0], 0);
		sc_pop_free(&p);
		fix_close(&f);
	}
}

/* ---- names, runs, tallies ---- */

struct names {
	char got[4][16];
};

static enum sc_status on_name(void *ctx, size_t i, const char *name)
{
	struct names *n = ctx;

	snprintf(n->got[i], sizeof(n->got[i]), "%s", name);
	return SC_OK;
}

struct tally {
	char text[512];
};

static enum sc_status on_tally(void *ctx, const char *k1, const char *k2, int64_t count)
{
	struct tally *t = ctx;
	size_t n = strlen(t->text);

	snprintf(t->text + n, sizeof(t->text) - n, "%s/%s=%lld;", k1, k2, (long long)count);
	return SC_OK;
}

static void names_runs_tallies(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct sc_pop p;
		struct names n = {0};
		struct tally t = {{0}};
		struct sc_diag d;
		int64_t rids[3], bad[1] = {999999}, run = 0, run2 = 0;
		sc_day at;
		const struct sc_run_tally tallies[] = {
			{"public", "scored", "A", 2}, {"public", "scored", "B", 1},
			{"public", "no_consent", NULL, 4}, {"enterprise", "scored", "A", 3}};
		const struct sc_run_list lists[] = {{"red \"list\"", 2, 3}, {"black", 1, 1}};

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		file_small(&f.w);
		/* record names by ledger row, in the order asked */
		assert_int_equal(sc_store_pop_load(f.st, NULL, 0, -1, &p, NULL, NULL, &d), SC_OK);
		for (uint64_t i = 0, k = 0; i < p.nsub; i++)
			if (!strcmp(p.ids + p.idoff[i], "P1"))
				for (k = 0; k < 3; k++)
					rids[k] = p.recs[p.roff[i] + k].rid;
		sc_pop_free(&p);
		assert_int_equal(sc_store_record_names(f.st, rids, 3, on_name, &n, &d), SC_OK);
		assert_string_equal(n.got[0], "r1");
		assert_string_equal(n.got[1], "r2");
		assert_string_equal(n.got[2], "r3");
		sc_diag_clear(&d);
		assert_int_equal(sc_store_record_names(f.st, bad, 1, on_name, &n, &d), SC_ENOTFOUND);
		assert_string_equal(d.message, "no record row 999999");

		/* no run yet */
		assert_int_equal(sc_store_tally(f.st, SC_TALLY_GRADES, on_tally, &t, &at, &d), SC_OK);
		assert_int_equal(at, SC_DAY_NONE);
		assert_string_equal(t.text, "");
		assert_int_equal(sc_store_tally(f.st, SC_TALLY_RECORDS_BY_SOURCE, on_tally, &t, &at, &d),
				 SC_OK);
		assert_string_equal(t.text, "bank/=1;tax/=1;traffic/=3;");
		assert_int_equal(sc_store_rulebook_put(f.st, rb, SC_DAY_NONE, &d), SC_OK);
		assert_int_equal(sc_store_run_save(f.st, 20300, 9, 0.5, tallies, 4, lists, 2, &run, &d),
				 SC_OK);
		assert_int_equal(sc_store_run_save(f.st, 20400, 9, 0.25, tallies, 4, lists, 2, &run2, &d),
				 SC_OK);
		assert_true(run2 > run);
		t.text[0] = '\0';
		assert_int_equal(sc_store_tally(f.st, SC_TALLY_GRADES, on_tally, &t, &at, &d), SC_OK);
		assert_int_equal(at, 20400);
		assert_string_equal(t.text, "enterprise/A=3;public/A=2;public/B=1;");
		t.text[0] = '\0';
		assert_int_equal(sc_store_tally(f.st, SC_TALLY_STATUS, on_tally, &t, &at, &d), SC_OK);
		assert_string_equal(t.text, "enterprise/scored=3;public/no_consent=4;public/scored=3;");
		t.text[0] = '\0';
		assert_int_equal(sc_store_tally(f.st, SC_TALLY_LISTS, on_tally, &t, &at, &d), SC_OK);
		assert_string_equal(t.text, "black/=1;red \"list\"/=2;");
		fix_close(&f);
	}
}

/* ---- change tracking ---- */

struct idset {
	char ids[256][16];
	int n;
	pthread_mutex_t mu;
};

static enum sc_status on_id(void *ctx, const char *id)
{
	struct idset *s = ctx;

	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], id))
			goto out;
	if (s->n < 256)
		snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
out:
	pthread_mutex_unlock(&s->mu);
	return SC_OK;
}

static bool has(struct idset *s, const char *id)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], id))
			return true;
	return false;
}

static void changes_since_a_mark(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct sc_store_mark zero = {{0}}, m, to, again;
		struct idset s = {.mu = PTHREAD_MUTEX_INITIALIZER};
		struct sc_diag d;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		/* an empty ledger has no changed subject (its mark may have
		 * moved: a write transaction that filed nothing still commits) */
		assert_int_equal(sc_store_changed_since(f.st, &zero, &m, on_id, &s, &d), SC_OK);
		assert_int_equal(s.n, 0);
		file_small(&f.w);
		assert_int_equal(sc_store_changed_since(f.st, &zero, &m, on_id, &s, &d), SC_OK);
		assert_int_equal(s.n, 3);
		assert_true(has(&s, "P1") && has(&s, "P2") && has(&s, "P3"));
		/* nothing since */
		s.n = 0;
		assert_int_equal(sc_store_changed_since(f.st, &m, &to, on_id, &s, &d), SC_OK);
		assert_memory_equal(&m, &to, sizeof(m));
		assert_int_equal(s.n, 0);
		/* a record, an event, a consent, a dispute: each its subject */
		w_record(&f.w, "r6", "P2", "tax.arrears", "tax", 20500, 10, "");
		assert_int_equal(sc_store_changed_since(f.st, &m, &to, on_id, &s, &d), SC_OK);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.ids[0], "P2");
		m = to;
		s.n = 0;
		w_event(&f.w, "r4", "traffic", SC_OP_REVOKE, 20600);
		w_consent(&f.w, "P3", "public", false, 20600);
		assert_int_equal(sc_store_changed_since(f.st, &m, &to, on_id, &s, &d), SC_OK);
		assert_int_equal(s.n, 2);
		assert_true(has(&s, "P2") && has(&s, "P3"));
		m = to;
		s.n = 0;
		w_decide(&f.w, disputes[0], 20700);
		assert_int_equal(sc_store_changed_since(f.st, &m, &to, on_id, &s, &d), SC_OK);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.ids[0], "P1");
		/* a mark ahead of the ledger: every subject */
		m = to;
		for (int i = 0; i < SC_STORE_MARK_WORDS; i++)
			m.w[i] += 1000;
		s.n = 0;
		assert_int_equal(sc_store_changed_since(f.st, &m, &again, on_id, &s, &d), SC_OK);
		assert_memory_equal(&again, &to, sizeof(to));
		assert_int_equal(s.n, 3);
		/* a pop_load's mark is where the ledger stands */
		{
			struct sc_pop p;
			assert_int_equal(sc_store_pop_load(f.st, NULL, 0, -1, &p, &again, NULL, &d),
					 SC_OK);
			sc_pop_free(&p);
			assert_memory_equal(&again, &to, sizeof(to));
		}
		fix_close(&f);
	}
}

/* ---- removals (retention) and the rows filed after them ---- */

/* The ledger row of record_id, filed for subject. */
static int64_t rid_of(struct sc_store *st, const char *subject, const char *record_id)
{
	struct sc_loaded lo;
	struct sc_diag d;
	int64_t rid = -1;

	assert_int_equal(sc_store_subject_load(st, rb, (struct sc_text){subject, strlen(subject)},
					       &lo, &d),
			 SC_OK);
	for (size_t i = 0; i < lo.view.nrecs; i++)
		if (!strcmp(lo.record_ids[i], record_id))
			rid = lo.view.recs[i].rid;
	sc_loaded_release(&lo);
	assert_true(rid > 0);
	return rid;
}

/* Removes the records named by n (subject, record_id) pairs in one expire. */
static void expire(struct sc_store *st, int n, ...)
{
	int64_t rids[8];
	struct sc_diag d;
	va_list ap;

	assert_true(n <= 8);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *subject = va_arg(ap, const char *);
		rids[i] = rid_of(st, subject, va_arg(ap, const char *));
	}
	va_end(ap);
	assert_int_equal(sc_store_expire(st, rids, (size_t)n, &d), SC_OK);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Asks what changed since *m, checks the subjects are exactly want (ids
 * in ascending order, space-separated) and moves *m to where the ledger
 * stands. */
static void look(struct sc_store *st, struct sc_store_mark *m, const char *want)
{
	struct idset s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sc_store_mark to;
	struct sc_diag d;
	char got[256] = "";

	assert_int_equal(sc_store_changed_since(st, m, &to, on_id, &s, &d), SC_OK);
	qsort(s.ids, (size_t)s.n, sizeof(s.ids[0]), id_cmp);
	for (int i = 0; i < s.n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, s.ids[i]);
	}
	assert_string_equal(got, want);
	*m = to;
}

/* A backend may give a removed row's id to the next row filed (SQLite
 * does, for the highest rows); a reader that asks from a mark taken
 * before the removal still sees the subject of every row filed after it:
 * records, events and consents; one removal or several between two looks,
 * a look between a removal and the next filing. */
static void expire_then_refill(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct sc_store_mark m = {{0}}, m2;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		/* the highest record removed, a record filed, one look */
		w_record(&f.w, "r1", "P1", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		w_record(&f.w, "r2", "P2", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m, "P1 P2");
		expire(f.st, 1, "P2", "r2");
		w_record(&f.w, "r3", "P3", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m, "P2 P3");
		look(f.st, &m, "");
		/* a look between the removal and the filing */
		w_record(&f.w, "r4", "P4", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m, "P4");
		expire(f.st, 1, "P4", "r4");
		look(f.st, &m, "P4");
		w_record(&f.w, "r5", "P5", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m, "P5");
		/* several removals and filings between two looks; the same
		 * from a mark taken in between */
		w_record(&f.w, "r6", "P6", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		w_record(&f.w, "r7", "P7", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m, "P6 P7");
		expire(f.st, 1, "P7", "r7");
		w_record(&f.w, "r8", "P8", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		m2 = m;
		look(f.st, &m2, "P7 P8");
		expire(f.st, 2, "P8", "r8", "P6", "r6");
		w_record(&f.w, "r9", "P9", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		look(f.st, &m2, "P6 P8 P9");
		look(f.st, &m, "P6 P7 P8 P9");
		/* events: the highest removed with its record, an event filed
		 * for another record; a consent filed after a removal */
		w_record(&f.w, "q1", "Q1", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		w_record(&f.w, "q2", "Q2", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE, "");
		w_event(&f.w, "q1", "traffic", SC_OP_RECTIFY, 20100);
		w_event(&f.w, "q2", "traffic", SC_OP_RECTIFY, 20100);
		look(f.st, &m, "Q1 Q2");
		expire(f.st, 1, "Q2", "q2");
		w_event(&f.w, "q1", "traffic", SC_OP_REVOKE, 20200);
		w_consent(&f.w, "Q3", "public", true, 20200);
		look(f.st, &m, "Q1 Q2 Q3");
		/* an event and a record after a look between */
		w_event(&f.w, "r9", "traffic", SC_OP_RECTIFY, 20300);
		look(f.st, &m, "P9");
		expire(f.st, 1, "P9", "r9");
		look(f.st, &m, "P9");
		w_record(&f.w, "r10", "P10", "traffic.violation", "traffic", 20000, SC_AMOUNT_NONE,
			 "");
		w_event(&f.w, "r10", "traffic", SC_OP_RECTIFY, 20300);
		look(f.st, &m, "P10");
		fix_close(&f);
	}
}

/* Two writers, each its own store, commit interleaved transactions, one
 * holding each of its transactions open until the reader has taken a mark
 * meanwhile (the other waits for the write lock, then commits); a reader
 * that asks what changed from each mark it was given sees every subject
 * filed. */
#define TXNS 12

struct race {
	const char *path;
	enum conf_backend b;
	struct idset seen;
	atomic_int looks;     /* the reader's changed_since calls */
	atomic_int writers;   /* writers still writing */
	atomic_int failed;
};

struct wargs {
	struct race *r;
	char name;
	bool hold;
};

static bool wait_looks(struct race *r, int past)
{
	for (int i = 0; i < 20000; i++) {
		if (atomic_load(&r->looks) > past)
			return true;
		nanosleep(&(struct timespec){0, 250000}, NULL);
	}
	return false;
}

static void *writer_main(void *arg)
{
	struct wargs *a = arg;
	struct writer w;
	char rid[16], subj[16];

	w_open(&w, a->r->b, a->r->path);
	for (int i = 0; i < TXNS; i++) {
		int looks;
		w_begin(&w);
		looks = atomic_load(&a->r->looks);
		snprintf(rid, sizeof(rid), "%c-%d", a->name, i);
		snprintf(subj, sizeof(subj), "%c%d", a->name, i);
		w_record(&w, rid, subj, "traffic.violation", "traffic", 20000 + i, SC_AMOUNT_NONE,
			 "");
		/* the transaction stays open until the reader has looked */
		if (a->hold && !wait_looks(a->r, looks + 1))
			atomic_store(&a->r->failed, 1);
		w_commit(&w);
	}
	w_close(&w);
	atomic_fetch_sub(&a->r->writers, 1);
	return NULL;
}

static void *reader_main(void *arg)
{
	struct race *r = arg;
	struct sc_store *st;
	struct sc_store_mark m = {{0}}, to;
	struct sc_diag d;

	if (sc_store_open(r->path, 0, &st, &d)) {
		atomic_store(&r->failed, 1);
		return NULL;
	}
	for (;;) {
		bool last = atomic_load(&r->writers) == 0;
		if (sc_store_changed_since(st, &m, &to, on_id, &r->seen, &d)) {
			atomic_store(&r->failed, 1);
			break;
		}
		m = to;
		atomic_fetch_add(&r->looks, 1);
		if (last)
			break;
	}
	sc_store_close(st);
	return NULL;
}

static void concurrent_writers(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct fixture f;
		struct race r = {.seen = {.mu = PTHREAD_MUTEX_INITIALIZER}};
		struct wargs wa = {&r, 'A', true}, wb = {&r, 'B', false};
		pthread_t ta, tb, tr;
		char subj[16];

		if (!conf_enabled((enum conf_backend)b))
			continue;
		fix_open(&f, (enum conf_backend)b);
		r.path = f.path;
		r.b = f.b;
		atomic_store(&r.writers, 2);
		assert_int_equal(pthread_create(&tr, NULL, reader_main, &r), 0);
		assert_int_equal(pthread_create(&ta, NULL, writer_main, &wa), 0);
		assert_int_equal(pthread_create(&tb, NULL, writer_main, &wb), 0);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_join(tr, NULL);
		assert_int_equal(atomic_load(&r.failed), 0);
		assert_true(atomic_load(&r.looks) > TXNS);
		assert_int_equal(r.seen.n, 2 * TXNS);
		for (int i = 0; i < TXNS; i++) {
			snprintf(subj, sizeof(subj), "A%d", i);
			assert_true(has(&r.seen, subj));
			snprintf(subj, sizeof(subj), "B%d", i);
			assert_true(has(&r.seen, subj));
		}
		fix_close(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subject_file),
		cmocka_unit_test(scan_and_pop),
		cmocka_unit_test(names_runs_tallies),
		cmocka_unit_test(changes_since_a_mark),
		cmocka_unit_test(expire_then_refill),
		cmocka_unit_test(concurrent_writers),
	};
	int rc;

	if (sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, NULL))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sc_rulebook_free(rb);
	return rc;
}
