/* Store conformance: due process (socred/process.h) on every backend.
 * Disputes, statements, repair applications, share links and names, with
 * the same ids, statuses and messages on each; the effect of a decision on
 * its record is read back through the process API (a revoked or rectified
 * record refuses what it refuses) and from the ledger's event rows.
 *
 * The records disputed are filed with sc_store_record_add where the
 * backend has it, else (PostgreSQL while its records ops are elsewhere)
 * with plain SQL in a write transaction of the ledger's own kind: the
 * next commit sequence number taken, and set as socred.cseq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "conf.h"
#include "socred/process.h"
#include "socred/store.h"

#define DAY 19000 /* the records' date */

struct ledger {
	enum conf_backend b;
	char path[256];
	struct sc_store *st;
};

static void open_fresh(struct ledger *l, enum conf_backend b)
{
	struct sc_diag d;

	l->b = b;
	assert_int_equal(conf_fresh(b, l->path, sizeof(l->path)), 0);
	sc_diag_clear(&d);
	if (sc_store_open(l->path, SC_STORE_CREATE, &l->st, &d))
		fail_msg("%s: %s", conf_name(b), d.message);
}

static void close_drop(struct ledger *l)
{
	sc_store_close(l->st);
	conf_drop(l->b, l->path);
}

/* Runs sql on the PostgreSQL ledger itself; the rows of a query in *out
 * (NULL: not wanted). */
static void pg_run(const struct ledger *l, const char *sql, PGresult **out)
{
	PGconn *c = PQconnectdb(l->path);
	PGresult *r;
	ExecStatusType s;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (out)
		*out = r;
	else
		PQclear(r);
	PQfinish(c);
}

/* Files record rid of subject subj (kind) from source src, dated date. */
static void file_record(struct ledger *l, const char *rid, const char *subj, enum sc_kind kind,
			const char *src, sc_day date)
{
	struct sc_store_add a = {.record_id = {rid, strlen(rid)}, .subject = {subj, strlen(subj)},
				 .type = {"tax.arrears", 11}, .source = {src, strlen(src)},
				 .ref = {NULL, 0}, .kind = kind, .date = date,
				 .amount = SC_AMOUNT_NONE};
	struct sc_diag d;
	enum sc_status s;
	char sql[1024];

	sc_diag_clear(&d);
	s = sc_store_record_add(l->st, &a, &d);
	if (s != SC_EREFUSED) {
		if (s)
			fail_msg("%s: record_add: %s", conf_name(l->b), d.message);
		return;
	}
	assert_int_equal(l->b, CONF_PG);
	snprintf(sql, sizeof(sql),
		 "BEGIN;"
		 " SELECT set_config('socred.cseq', (value::bigint + 1)::text, true) FROM meta"
		 "  WHERE key = 'commit_seq';"
		 " UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'commit_seq';"
		 " INSERT INTO subjects(ext_id, kind) VALUES('%s', %d) ON CONFLICT DO NOTHING;"
		 " INSERT INTO types(name) VALUES('tax.arrears') ON CONFLICT DO NOTHING;"
		 " INSERT INTO sources(name) VALUES('%s') ON CONFLICT DO NOTHING;"
		 " INSERT INTO records(record_id, subject, type, date, source) SELECT '%s',"
		 "  (SELECT id FROM subjects WHERE ext_id = '%s'),"
		 "  (SELECT id FROM types WHERE name = 'tax.arrears'), %d,"
		 "  (SELECT id FROM sources WHERE name = '%s');"
		 " COMMIT",
		 subj, (int)kind, src, rid, subj, (int)date, src);
	pg_run(l, sql, NULL);
}

/* The events of a record: "op date ref;" for each, in order. */
static void events_of(struct ledger *l, const char *rid, char *out, size_t cap)
{
	const char *sql_fmt = "SELECT e.op, e.date, coalesce(e.ref, '') FROM events e"
			      " JOIN records r ON r.rid = e.rid WHERE r.record_id = '%s' ORDER BY e.op";
	char sql[256];
	size_t n = 0;

	out[0] = '\0';
	snprintf(sql, sizeof(sql), sql_fmt, rid);
	if (l->b == CONF_PG) {
		PGresult *r;
		pg_run(l, sql, &r);
		for (int i = 0; i < PQntuples(r); i++)
			n += (size_t)snprintf(out + n, cap - n, "%s %s %s;", PQgetvalue(r, i, 0),
					      PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		PQclear(r);
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *s = NULL;
		assert_int_equal(sqlite3_open_v2(l->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			n += (size_t)snprintf(out + n, cap - n, "%d %d %s;", sqlite3_column_int(s, 0),
					      sqlite3_column_int(s, 1),
					      (const char *)sqlite3_column_text(s, 2));
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
}

/* An outcome with its message, as a command prints it. */
static void expect(enum sc_status got, const struct sc_diag *d, enum sc_status want,
		   const char *msg, enum conf_backend b)
{
	if (got != want)
		fail_msg("%s: status %d, want %d (%s)", conf_name(b), got, want, d->message);
	if (msg && strcmp(d->message, msg))
		fail_msg("%s: message '%s', want '%s'", conf_name(b), d->message, msg);
}

/* Three records: R1, R2 of person P1 from source tax, R3 of P2 from bank. */
static void three_records(struct ledger *l)
{
	file_record(l, "R1", "P1", SC_KIND_PERSON, "tax", DAY);
	file_record(l, "R2", "P1", SC_KIND_PERSON, "tax", DAY);
	file_record(l, "R3", "P2", SC_KIND_PERSON, "bank", DAY);
}

static const struct sc_decider ADMIN = {"admin key 1", NULL};
static const struct sc_decider TAX = {"provider key 2", "tax"};
static const struct sc_decider BANK = {"provider key 3", "bank"};

/* ---- disputes ---- */

static void dispute_open_rules(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct sc_dispute x;
		struct sc_diag d;
		enum sc_status s;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		/* only a record of the subject's own */
		s = sc_store_dispute_open(l.st, "P1", "R3", "not mine", DAY + 5, 30, &x, &d);
		expect(s, &d, SC_ENOTFOUND, "subject 'P1' has no record 'R3'", b);
		assert_string_equal(d.field, "record");
		s = sc_store_dispute_open(l.st, "P9", "R9", "none", DAY + 5, 30, &x, &d);
		expect(s, &d, SC_ENOTFOUND, "subject 'P9' has no record 'R9'", b);
		/* opened, with its deadline review_days on */
		s = sc_store_dispute_open(l.st, "P1", "R1", "paid in full", DAY + 5, 30, &x, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_int_equal(x.id, 1);
		assert_string_equal(x.record_id, "R1");
		assert_string_equal(x.subject, "P1");
		assert_string_equal(x.source, "tax");
		assert_string_equal(x.reason, "paid in full");
		assert_int_equal(x.opened, DAY + 5);
		assert_int_equal(x.deadline, DAY + 35);
		assert_int_equal(x.decided, SC_DAY_NONE);
		assert_string_equal(x.outcome, "");
		assert_string_equal(x.decided_by, "");
		/* a UTC timestamp with milliseconds, as the audit log's */
		assert_int_equal(strlen(x.opened_at), 24);
		assert_int_equal(x.opened_at[10], 'T');
		assert_int_equal(x.opened_at[23], 'Z');
		assert_string_equal(x.decided_at, "");
		/* one open dispute per record */
		s = sc_store_dispute_open(l.st, "P1", "R1", "again", DAY + 6, 30, &x, &d);
		expect(s, &d, SC_ECONFLICT, "record 'R1' has an open dispute already (1)", b);
		s = sc_store_dispute_open(l.st, "P1", "R2", "other", DAY + 6, 10, &x, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_int_equal(x.id, 2);
		assert_int_equal(x.deadline, DAY + 16);
		close_drop(&l);
	}
}

static void dispute_decide_rules(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct sc_dispute x;
		struct sc_diag d;
		char ev[256];
		enum sc_status s;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		assert_int_equal(sc_store_dispute_open(l.st, "P1", "R1", "wrong", DAY + 1, 30, &x, &d), SC_OK);
		assert_int_equal(sc_store_dispute_open(l.st, "P1", "R2", "wrong", DAY + 1, 30, &x, &d), SC_OK);
		s = sc_store_dispute_decide(l.st, 1, "maybe", "", DAY + 2, &ADMIN, &x, &d);
		expect(s, &d, SC_EINVAL, "outcome must be upheld or corrected", b);
		s = sc_store_dispute_decide(l.st, 9, "upheld", "", DAY + 2, &ADMIN, &x, &d);
		expect(s, &d, SC_ENOTFOUND, "no dispute 9", b);
		/* only the record's source, or an admin */
		s = sc_store_dispute_decide(l.st, 1, "corrected", "", DAY + 2, &BANK, &x, &d);
		expect(s, &d, SC_EREFUSED,
		       "dispute 1 is about a record of 'tax': only its source or an admin decides", b);
		/* upheld: the record stands */
		s = sc_store_dispute_decide(l.st, 1, "upheld", "checked", DAY + 3, &TAX, &x, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_int_equal(x.decided, DAY + 3);
		assert_string_equal(x.outcome, "upheld");
		assert_string_equal(x.decided_by, "provider key 2");
		assert_string_equal(x.note, "checked");
		assert_int_equal(strlen(x.decided_at), 24);
		events_of(&l, "R1", ev, sizeof(ev));
		assert_string_equal(ev, "");
		s = sc_store_dispute_decide(l.st, 1, "corrected", "", DAY + 4, &ADMIN, &x, &d);
		expect(s, &d, SC_ECONFLICT, "dispute 1 was decided already (upheld)", b);
		/* decided: the record may be disputed again */
		s = sc_store_dispute_open(l.st, "P1", "R1", "new facts", DAY + 5, 30, &x, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_int_equal(x.id, 3);
		/* corrected: the record is revoked, never before its own date */
		s = sc_store_dispute_decide(l.st, 2, "corrected", NULL, DAY - 10, &ADMIN, &x, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_string_equal(x.note, "");
		events_of(&l, "R2", ev, sizeof(ev));
		assert_string_equal(ev, "2 19000 dispute 2 corrected;");
		s = sc_store_dispute_open(l.st, "P1", "R2", "more", DAY + 6, 30, &x, &d);
		expect(s, &d, SC_ECONFLICT, "record 'R2' is revoked already", b);
		close_drop(&l);
	}
}

struct seen {
	char ids[256];
	size_t n;
};

static enum sc_status see_dispute(void *ctx, const struct sc_dispute *x)
{
	struct seen *s = ctx;
	s->n += (size_t)snprintf(s->ids + s->n, sizeof(s->ids) - s->n, "%lld:%s:%s ",
				 (long long)x->id, x->record_id, x->outcome);
	return SC_OK;
}

static void dispute_lists(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct sc_dispute x;
		struct sc_diag d;
		struct seen s;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		assert_int_equal(sc_store_dispute_open(l.st, "P2", "R3", "a", DAY, 30, &x, &d), SC_OK);
		assert_int_equal(sc_store_dispute_open(l.st, "P1", "R1", "b", DAY, 30, &x, &d), SC_OK);
		assert_int_equal(sc_store_dispute_open(l.st, "P1", "R2", "c", DAY, 30, &x, &d), SC_OK);
		assert_int_equal(sc_store_dispute_decide(l.st, 2, "upheld", "", DAY, &ADMIN, &x, &d), SC_OK);
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, NULL, NULL, false, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R3: 2:R1:upheld 3:R2: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, NULL, NULL, true, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R3: 3:R2: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, "P1", NULL, false, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "2:R1:upheld 3:R2: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, NULL, "bank", false, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R3: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, "P1", "tax", true, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "3:R2: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_dispute_list(l.st, "P9", NULL, false, see_dispute, &s, &d), SC_OK);
		assert_string_equal(s.ids, "");
		close_drop(&l);
	}
}

/* ---- statements ---- */

static enum sc_status see_statement(void *ctx, const struct sc_statement *x)
{
	struct seen *s = ctx;
	s->n += (size_t)snprintf(s->ids + s->n, sizeof(s->ids) - s->n, "%lld:%s:%s:%d ",
				 (long long)x->id, x->record_id, x->text, (int)x->date);
	return SC_OK;
}

static void statements(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct sc_statement x;
		struct sc_diag d;
		struct seen s;
		enum sc_status st;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		st = sc_store_statement_add(l.st, "P1", "R3", "not mine", DAY, &x, &d);
		expect(st, &d, SC_ENOTFOUND, "subject 'P1' has no record 'R3'", b);
		st = sc_store_statement_add(l.st, "P1", "R2", "hospital", DAY + 1, &x, &d);
		expect(st, &d, SC_OK, NULL, b);
		assert_int_equal(x.id, 1);
		assert_string_equal(x.record_id, "R2");
		assert_string_equal(x.text, "hospital");
		assert_int_equal(x.date, DAY + 1);
		assert_int_equal(sc_store_statement_add(l.st, "P2", "R3", "x", DAY, &x, &d), SC_OK);
		/* more than one per record */
		assert_int_equal(sc_store_statement_add(l.st, "P1", "R1", "y", DAY + 2, &x, &d), SC_OK);
		assert_int_equal(sc_store_statement_add(l.st, "P1", "R2", "z", DAY + 3, &x, &d), SC_OK);
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_statement_list(l.st, "P1", see_statement, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R2:hospital:19001 3:R1:y:19002 4:R2:z:19003 ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_statement_list(l.st, "P9", see_statement, &s, &d), SC_OK);
		assert_string_equal(s.ids, "");
		close_drop(&l);
	}
}

/* ---- repair ---- */

static enum sc_status see_repair(void *ctx, const struct sc_repair *x)
{
	struct seen *s = ctx;
	s->n += (size_t)snprintf(s->ids + s->n, sizeof(s->ids) - s->n, "%lld:%s:%s ",
				 (long long)x->id, x->record_id, x->outcome);
	return SC_OK;
}

static void repairs(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct sc_repair x;
		struct sc_dispute y;
		struct sc_diag d;
		struct seen s;
		char ev[256];
		enum sc_status st;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		st = sc_store_repair_apply(l.st, "P2", "R1", "pay", DAY, &x, &d);
		expect(st, &d, SC_ENOTFOUND, "subject 'P2' has no record 'R1'", b);
		st = sc_store_repair_apply(l.st, "P1", "R1", "pay monthly", DAY + 1, &x, &d);
		expect(st, &d, SC_OK, NULL, b);
		assert_int_equal(x.id, 1);
		assert_string_equal(x.subject, "P1");
		assert_string_equal(x.source, "tax");
		assert_string_equal(x.commitment, "pay monthly");
		assert_int_equal(x.applied, DAY + 1);
		assert_int_equal(x.decided, SC_DAY_NONE);
		st = sc_store_repair_apply(l.st, "P1", "R1", "again", DAY + 2, &x, &d);
		expect(st, &d, SC_ECONFLICT, "record 'R1' has an open repair application already (1)", b);
		st = sc_store_repair_decide(l.st, 1, "granted", "", DAY + 3, &ADMIN, &x, &d);
		expect(st, &d, SC_EINVAL, "outcome must be approved or refused", b);
		st = sc_store_repair_decide(l.st, 1, "refused", "", DAY + 3, &ADMIN, &x, &d);
		expect(st, &d, SC_EINVAL, "a refusal must give its reason", b);
		st = sc_store_repair_decide(l.st, 1, "approved", NULL, DAY + 3, &BANK, &x, &d);
		expect(st, &d, SC_EREFUSED,
		       "repair 1 is about a record of 'tax': only its source or an admin decides", b);
		st = sc_store_repair_decide(l.st, 7, "approved", NULL, DAY + 3, &ADMIN, &x, &d);
		expect(st, &d, SC_ENOTFOUND, "no repair application 7", b);
		/* refused: nothing happens to the record; it may apply again */
		st = sc_store_repair_decide(l.st, 1, "refused", "no payments", DAY + 3, &TAX, &x, &d);
		expect(st, &d, SC_OK, NULL, b);
		assert_string_equal(x.outcome, "refused");
		assert_string_equal(x.reason, "no payments");
		assert_string_equal(x.decided_by, "provider key 2");
		events_of(&l, "R1", ev, sizeof(ev));
		assert_string_equal(ev, "");
		st = sc_store_repair_decide(l.st, 1, "approved", NULL, DAY + 4, &ADMIN, &x, &d);
		expect(st, &d, SC_ECONFLICT, "repair 1 was decided already (refused)", b);
		assert_int_equal(sc_store_repair_apply(l.st, "P1", "R1", "paid", DAY + 5, &x, &d), SC_OK);
		assert_int_equal(x.id, 2);
		/* approved: the record is rectified on the decision's day */
		st = sc_store_repair_decide(l.st, 2, "approved", NULL, DAY + 6, &ADMIN, &x, &d);
		expect(st, &d, SC_OK, NULL, b);
		assert_string_equal(x.reason, "");
		events_of(&l, "R1", ev, sizeof(ev));
		assert_string_equal(ev, "1 19006 credit repair 2 approved;");
		st = sc_store_repair_apply(l.st, "P1", "R1", "more", DAY + 7, &x, &d);
		expect(st, &d, SC_ECONFLICT, "record 'R1' is rectified already", b);
		/* a revoked record has nothing to repair */
		assert_int_equal(sc_store_dispute_open(l.st, "P1", "R2", "no", DAY, 30, &y, &d), SC_OK);
		assert_int_equal(sc_store_dispute_decide(l.st, 1, "corrected", "", DAY, &ADMIN, &y, &d), SC_OK);
		st = sc_store_repair_apply(l.st, "P1", "R2", "pay", DAY + 7, &x, &d);
		expect(st, &d, SC_ECONFLICT, "record 'R2' is revoked already", b);
		assert_int_equal(sc_store_repair_apply(l.st, "P2", "R3", "pay", DAY + 7, &x, &d), SC_OK);
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_repair_list(l.st, NULL, NULL, false, see_repair, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R1:refused 2:R1:approved 3:R3: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_repair_list(l.st, NULL, NULL, true, see_repair, &s, &d), SC_OK);
		assert_string_equal(s.ids, "3:R3: ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_repair_list(l.st, "P1", "tax", false, see_repair, &s, &d), SC_OK);
		assert_string_equal(s.ids, "1:R1:refused 2:R1:approved ");
		memset(&s, 0, sizeof(s));
		assert_int_equal(sc_store_repair_list(l.st, NULL, "bank", false, see_repair, &s, &d), SC_OK);
		assert_string_equal(s.ids, "3:R3: ");
		close_drop(&l);
	}
}

/* ---- shares ---- */

static void shares(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		unsigned char h1[SC_KEY_HASH_BYTES], h2[SC_KEY_HASH_BYTES];
		char subject[SC_LIMIT_SUBJECT_ID + 1];
		sc_day expires = 0;
		struct sc_diag d;
		enum sc_status s;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		three_records(&l);
		memset(h1, 0xa5, sizeof(h1));
		memset(h2, 0x00, sizeof(h2));
		s = sc_store_share_add(l.st, "P9", h1, DAY, DAY + 7, &d);
		expect(s, &d, SC_ENOTFOUND, "subject 'P9' has no file to share", b);
		s = sc_store_share_add(l.st, "P1", h1, DAY, DAY + 7, &d);
		expect(s, &d, SC_OK, NULL, b);
		/* the link's subject and the day it stops working: the reader
		 * refuses it from that day on (today >= expires) */
		s = sc_store_share_get(l.st, h1, subject, &expires, &d);
		expect(s, &d, SC_OK, NULL, b);
		assert_string_equal(subject, "P1");
		assert_int_equal(expires, DAY + 7);
		s = sc_store_share_get(l.st, h2, subject, &expires, &d);
		expect(s, &d, SC_ENOTFOUND, "no such share link", b);
		/* a hash is one link */
		s = sc_store_share_add(l.st, "P2", h1, DAY, DAY + 7, &d);
		assert_int_equal(s, SC_ESTORE);
		close_drop(&l);
	}
}

/* ---- names ---- */

struct found {
	char s[512];
	size_t n;
};

static enum sc_status see_name(void *ctx, const char *subject, const char *name,
			       enum sc_name_match how)
{
	struct found *f = ctx;
	f->n += (size_t)snprintf(f->s + f->n, sizeof(f->s) - f->n, "%s=%s/%d ", subject, name,
				 (int)how);
	return SC_OK;
}

static const char *search(struct ledger *l, const char *q, size_t limit, struct found *f)
{
	struct sc_diag d;

	memset(f, 0, sizeof(*f));
	sc_diag_clear(&d);
	if (sc_store_name_search(l->st, q, limit, see_name, f, &d))
		fail_msg("%s: search '%s': %s", conf_name(l->b), q, d.message);
	return f->s;
}

static enum sc_status name_set(struct ledger *l, const char *subj, enum sc_kind kind,
			       const char *name, sc_day date, struct sc_diag *d)
{
	struct sc_text s = {subj, strlen(subj)}, n = {name, strlen(name)};

	return sc_store_name_set(l->st, s, kind, n, date, d);
}

static void names(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger l;
		struct found f;
		struct sc_diag d;
		char name[SC_LIMIT_PERSON_NAME + 1];
		enum sc_status s;

		if (!conf_enabled(b))
			continue;
		open_fresh(&l, b);
		file_record(&l, "R1", "P1", SC_KIND_PERSON, "tax", DAY);
		s = name_set(&l, "P1", SC_KIND_PERSON, "Zhang Wei", DAY, &d);
		expect(s, &d, SC_OK, NULL, b);
		/* a subject not filed yet is filed by its name */
		assert_int_equal(name_set(&l, "P2", SC_KIND_PERSON, "Zhang Wei", DAY, &d), SC_OK);
		assert_int_equal(name_set(&l, "O1", SC_KIND_ORG, "Acme Trading", DAY, &d), SC_OK);
		assert_int_equal(name_set(&l, "O2", SC_KIND_ORG, "ACME Tools", DAY, &d), SC_OK);
		assert_int_equal(name_set(&l, "O3", SC_KIND_ORG, "Zhang Wei", DAY, &d), SC_OK);
		assert_int_equal(sc_store_name_get(l.st, "O2", name, sizeof(name), &d), SC_OK);
		assert_string_equal(name, "ACME Tools");
		assert_int_equal(sc_store_name_get(l.st, "P9", name, sizeof(name), &d), SC_ENOTFOUND);
		/* the same name again, or an older one: nothing changes */
		assert_int_equal(name_set(&l, "P1", SC_KIND_PERSON, "Zhang Wei", DAY + 1, &d),
				 SC_EDUPLICATE);
		assert_int_equal(name_set(&l, "P1", SC_KIND_PERSON, "Li Na", DAY - 1, &d),
				 SC_EDUPLICATE);
		assert_int_equal(sc_store_name_get(l.st, "P1", name, sizeof(name), &d), SC_OK);
		assert_string_equal(name, "Zhang Wei");
		/* the other kind of subject */
		s = name_set(&l, "P1", SC_KIND_ORG, "Zhang Holdings", DAY + 1, &d);
		expect(s, &d, SC_ECONFLICT, "subject 'P1' is filed as a person, not an org", b);
		/* by id: as given, or in either case */
		assert_string_equal(search(&l, "P1", 10, &f), "P1=Zhang Wei/0 ");
		assert_string_equal(search(&l, "p1", 10, &f), "P1=Zhang Wei/0 ");
		/* by the whole name's key (case, width, spaces folded): persons
		 * and organisations, by id */
		assert_string_equal(search(&l, "zhang  WEI", 10, &f),
				    "O3=Zhang Wei/1 P1=Zhang Wei/1 P2=Zhang Wei/1 ");
		assert_string_equal(search(&l, "\xef\xbc\xba\xef\xbd\x88" "ang wei", 10, &f),
				    "O3=Zhang Wei/1 P1=Zhang Wei/1 P2=Zhang Wei/1 ");
		/* never a person by the start of its name; an organisation
		 * by the start of its name too */
		assert_string_equal(search(&l, "zhang", 10, &f), "O3=Zhang Wei/2 ");
		assert_string_equal(search(&l, "acme", 10, &f),
				    "O1=Acme Trading/2 O2=ACME Tools/2 ");
		assert_string_equal(search(&l, "acme tools", 10, &f),
				    "O2=ACME Tools/1 ");
		/* each subject once, by its closest way; at most limit, the
		 * first filed of those found one way */
		assert_string_equal(search(&l, "o1", 10, &f), "O1=Acme Trading/0 ");
		assert_string_equal(search(&l, "zhang wei", 2, &f),
				    "P1=Zhang Wei/1 P2=Zhang Wei/1 ");
		assert_string_equal(search(&l, "p2", 1, &f), "P2=Zhang Wei/0 ");
		assert_string_equal(search(&l, "", 10, &f), "");
		assert_string_equal(search(&l, "nobody", 10, &f), "");
		/* a prefix ending in the last code point: its range carries
		 * into the character before it */
		assert_int_equal(name_set(&l, "O4", SC_KIND_ORG, "Ac\xf4\x8f\xbf\xbf" "z", DAY, &d),
				 SC_OK);
		assert_int_equal(name_set(&l, "O5", SC_KIND_ORG, "Ad", DAY, &d), SC_OK);
		assert_string_equal(search(&l, "ac\xf4\x8f\xbf\xbf", 10, &f),
				    "O4=Ac\xf4\x8f\xbf\xbf" "z/2 ");
		/* a later name replaces the earlier, and its key with it */
		assert_int_equal(name_set(&l, "O2", SC_KIND_ORG, "Bolt Works", DAY + 1, &d), SC_OK);
		assert_string_equal(search(&l, "acme", 10, &f), "O1=Acme Trading/2 ");
		assert_string_equal(search(&l, "bolt", 10, &f), "O2=Bolt Works/2 ");
		close_drop(&l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dispute_open_rules),
		cmocka_unit_test(dispute_decide_rules),
		cmocka_unit_test(dispute_lists),
		cmocka_unit_test(statements),
		cmocka_unit_test(repairs),
		cmocka_unit_test(shares),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
