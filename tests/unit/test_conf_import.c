/* Store conformance: a subject's due process as filed (socred/process.h),
 * read from one ledger and imported into another, on every backend. The
 * reads give every event with its ref in filing order, every share link,
 * the name with its date; an import writes an item as it was (dates,
 * state, decision, decider, time stamps) under the new ledger's next id,
 * does nothing to its record, refuses a record the subject lacks, and an
 * event imported twice is a duplicate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "socred/process.h"
#include "socred/record.h"
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

static void file_record(struct ledger *l, const char *rid, const char *subj)
{
	struct sc_store_add a = {.record_id = {rid, strlen(rid)}, .subject = {subj, strlen(subj)},
				 .type = {"tax.arrears", 11}, .source = {"tax", 3},
				 .ref = {NULL, 0}, .kind = SC_KIND_PERSON, .date = DAY,
				 .amount = SC_AMOUNT_NONE};
	struct sc_diag d;

	sc_diag_clear(&d);
	if (sc_store_record_add(l->st, &a, &d))
		fail_msg("%s: record_add: %s", conf_name(l->b), d.message);
}

static void ok(enum sc_status s, const struct sc_diag *d, enum conf_backend b, const char *what)
{
	if (s)
		fail_msg("%s: %s: status %d (%s)", conf_name(b), what, s, d->message);
}

/* ---- what a ledger holds about P1, as text ---- */

struct text {
	char s[4096];
	size_t n;
};

#define ADD(t, ...) ((t)->n += (size_t)snprintf((t)->s + (t)->n, sizeof((t)->s) - (t)->n, __VA_ARGS__))

static enum sc_status ev_cb(void *c, const struct sc_event_row *e)
{
	ADD((struct text *)c, "event %s %d %d '%s';", e->record_id, e->op, (int)e->date, e->ref);
	return SC_OK;
}

static enum sc_status dispute_cb(void *c, const struct sc_dispute *x)
{
	ADD((struct text *)c, "dispute %lld %s %s %s '%s' %d %d %d %s '%s' '%s' %s %s;",
	    (long long)x->id, x->record_id, x->subject, x->source, x->reason, (int)x->opened,
	    (int)x->deadline, (int)x->decided, x->outcome, x->decided_by, x->note, x->opened_at,
	    x->decided_at);
	return SC_OK;
}

static enum sc_status statement_cb(void *c, const struct sc_statement *x)
{
	ADD((struct text *)c, "statement %lld %s '%s' %d;", (long long)x->id, x->record_id,
	    x->text, (int)x->date);
	return SC_OK;
}

static enum sc_status repair_cb(void *c, const struct sc_repair *x)
{
	ADD((struct text *)c, "repair %lld %s %s %s '%s' %d %d %s '%s' '%s';", (long long)x->id,
	    x->record_id, x->subject, x->source, x->commitment, (int)x->applied, (int)x->decided,
	    x->outcome, x->reason, x->decided_by);
	return SC_OK;
}

static enum sc_status share_cb(void *c, const struct sc_share_row *x)
{
	ADD((struct text *)c, "share %02x%02x %d %d;", x->hash[0], x->hash[31], (int)x->created,
	    (int)x->expires);
	return SC_OK;
}

static void file_of(struct ledger *l, const char *subject, struct text *t)
{
	struct sc_diag d;
	char name[200];
	sc_day date = 0;
	enum sc_status s;

	t->n = 0;
	t->s[0] = '\0';
	sc_diag_clear(&d);
	ok(sc_store_event_list(l->st, subject, ev_cb, t, &d), &d, l->b, "event_list");
	ok(sc_store_dispute_list(l->st, subject, NULL, false, dispute_cb, t, &d), &d, l->b,
	   "dispute_list");
	ok(sc_store_statement_list(l->st, subject, statement_cb, t, &d), &d, l->b, "statement_list");
	ok(sc_store_repair_list(l->st, subject, NULL, false, repair_cb, t, &d), &d, l->b,
	   "repair_list");
	ok(sc_store_share_list(l->st, subject, share_cb, t, &d), &d, l->b, "share_list");
	s = sc_store_name_dated(l->st, subject, name, sizeof(name), &date, &d);
	if (s == SC_OK)
		ADD(t, "name '%s' %d;", name, (int)date);
	else if (s != SC_ENOTFOUND)
		ok(s, &d, l->b, "name_dated");
}

static const struct sc_decider ADMIN = {"admin key 1", NULL};

/* P1's file on a: a dispute decided "corrected" (a revocation), an open
 * one, a statement, a repair approved (a rectification), a share link, a
 * name. */
static void due_process(struct ledger *a)
{
	unsigned char hash[SC_KEY_HASH_BYTES];
	struct sc_dispute x;
	struct sc_repair r;
	struct sc_statement t;
	struct sc_diag d;
	const char *name = "Zhang San";

	sc_diag_clear(&d);
	file_record(a, "R0", "P0");
	file_record(a, "R1", "P1");
	file_record(a, "R2", "P1");
	file_record(a, "R3", "P1");
	/* P0's dispute first: P1's are a's 2 and 3 */
	ok(sc_store_dispute_open(a->st, "P0", "R0", "other", DAY + 1, 30, &x, &d), &d, a->b, "open");
	ok(sc_store_dispute_open(a->st, "P1", "R1", "not mine", DAY + 2, 30, &x, &d), &d, a->b,
	   "open");
	ok(sc_store_dispute_decide(a->st, x.id, "corrected", "mix-up", DAY + 3, &ADMIN, &x, &d), &d,
	   a->b, "decide");
	ok(sc_store_dispute_open(a->st, "P1", "R3", "still open", DAY + 4, 30, &x, &d), &d, a->b,
	   "open");
	ok(sc_store_statement_add(a->st, "P1", "R2", "paid since", DAY + 5, &t, &d), &d, a->b,
	   "statement");
	ok(sc_store_repair_apply(a->st, "P1", "R2", "I will pay", DAY + 6, &r, &d), &d, a->b,
	   "apply");
	ok(sc_store_repair_decide(a->st, r.id, "approved", "", DAY + 7, &ADMIN, &r, &d), &d, a->b,
	   "approve");
	memset(hash, 0xab, sizeof(hash));
	hash[31] = 0x01;
	ok(sc_store_share_add(a->st, "P1", hash, DAY + 8, DAY + 15, &d), &d, a->b, "share");
	ok(sc_store_name_set(a->st, (struct sc_text){"P1", 2}, SC_KIND_PERSON,
			     (struct sc_text){name, strlen(name)}, DAY + 9, &d),
	   &d, a->b, "name");
}

struct copy {
	struct ledger *to;
	enum sc_status last;
	int64_t ids[8];
	size_t n;
};

static enum sc_status import_dispute(void *c, const struct sc_dispute *x)
{
	struct copy *k = c;
	struct sc_diag d;

	sc_diag_clear(&d);
	ok(sc_store_dispute_import(k->to->st, x, &k->ids[k->n++], &d), &d, k->to->b, "import");
	return SC_OK;
}

static enum sc_status import_statement(void *c, const struct sc_statement *x)
{
	struct copy *k = c;
	struct sc_diag d;
	int64_t id;

	sc_diag_clear(&d);
	ok(sc_store_statement_import(k->to->st, "P1", x, &id, &d), &d, k->to->b, "import");
	return SC_OK;
}

static enum sc_status import_repair(void *c, const struct sc_repair *x)
{
	struct copy *k = c;
	struct sc_diag d;
	int64_t id;

	sc_diag_clear(&d);
	ok(sc_store_repair_import(k->to->st, x, &id, &d), &d, k->to->b, "import");
	return SC_OK;
}

static enum sc_status import_event(void *c, const struct sc_event_row *e)
{
	struct copy *k = c;
	struct sc_diag d;

	sc_diag_clear(&d);
	k->last = sc_store_event_import(k->to->st, "P1", e, &d);
	if (k->last && k->last != SC_EDUPLICATE)
		ok(k->last, &d, k->to->b, "event import");
	return SC_OK;
}

static enum sc_status import_share(void *c, const struct sc_share_row *x)
{
	struct copy *k = c;
	struct sc_diag d;

	sc_diag_clear(&d);
	ok(sc_store_share_add(k->to->st, "P1", x->hash, x->created, x->expires, &d), &d, k->to->b,
	   "share");
	return SC_OK;
}

static enum sc_status first_dispute(void *c, const struct sc_dispute *x)
{
	*(struct sc_dispute *)c = *x;
	return SC_EDUPLICATE; /* stops the list: the first only */
}

static void reads(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger a;
		struct text t;
		char want[512];

		if (!conf_enabled(b))
			continue;
		open_fresh(&a, b);
		due_process(&a);
		file_of(&a, "P1", &t);
		/* the events in filing order, each with its ref */
		snprintf(want, sizeof(want), "event R1 %d %d 'dispute 2 corrected';event R2 %d %d"
			 " 'credit repair 1 approved';dispute 2 R1 P1 tax 'not mine'",
			 SC_OP_REVOKE, DAY + 3, SC_OP_RECTIFY, DAY + 7);
		if (strncmp(t.s, want, strlen(want)))
			fail_msg("%s: %s", conf_name(b), t.s);
		assert_non_null(strstr(t.s, "share ab01 19008 19015;"));
		assert_non_null(strstr(t.s, "name 'Zhang San' 19009;"));
		/* a subject never filed has none of it */
		file_of(&a, "P9", &t);
		assert_string_equal(t.s, "");
		close_drop(&a);
	}
}

static void imports(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		struct ledger a, z;
		struct text ta, tz;
		struct copy k = {0};
		struct sc_dispute x;
		struct sc_diag d;
		char name[200];
		sc_day date;

		if (!conf_enabled(b))
			continue;
		open_fresh(&a, b);
		open_fresh(&z, b);
		due_process(&a);
		file_record(&z, "R1", "P1");
		file_record(&z, "R2", "P1");
		file_record(&z, "R3", "P1");
		k.to = &z;
		sc_diag_clear(&d);
		ok(sc_store_dispute_list(a.st, "P1", NULL, false, import_dispute, &k, &d), &d, b, "l");
		ok(sc_store_statement_list(a.st, "P1", import_statement, &k, &d), &d, b, "l");
		ok(sc_store_repair_list(a.st, "P1", NULL, false, import_repair, &k, &d), &d, b, "l");
		ok(sc_store_event_list(a.st, "P1", import_event, &k, &d), &d, b, "l");
		assert_int_equal(k.last, SC_OK);
		ok(sc_store_share_list(a.st, "P1", import_share, &k, &d), &d, b, "l");
		ok(sc_store_name_dated(a.st, "P1", name, sizeof(name), &date, &d), &d, b, "name");
		ok(sc_store_name_set(z.st, (struct sc_text){"P1", 2}, SC_KIND_PERSON,
				     (struct sc_text){name, strlen(name)}, date, &d), &d, b, "name");
		/* the new ledger's ids, from 1 */
		assert_int_equal(k.n, 2);
		assert_int_equal(k.ids[0], 1);
		assert_int_equal(k.ids[1], 2);
		/* the same file but for the disputes' ids (a's 2 and 3: z's 1
		 * and 2; the events' refs are as filed) */
		file_of(&a, "P1", &ta);
		file_of(&z, "P1", &tz);
		{
			char *p = strstr(ta.s, "dispute 2 R1"), *q = strstr(ta.s, "dispute 3 R3");
			assert_non_null(p);
			assert_non_null(q);
			p[8] = '1';
			q[8] = '2';
		}
		assert_string_equal(ta.s, tz.s);
		/* an import writes nothing on its record: the open dispute is
		 * still open, the record not suspended nor revoked twice */
		assert_int_equal(sc_store_dispute_open(z.st, "P1", "R3", "x", DAY, 30, &x, &d),
				 SC_ECONFLICT);
		/* the same events again: duplicates */
		ok(sc_store_event_list(a.st, "P1", import_event, &k, &d), &d, b, "l");
		assert_int_equal(k.last, SC_EDUPLICATE);
		/* a record the subject lacks here */
		assert_int_equal(sc_store_dispute_list(a.st, "P1", NULL, false, first_dispute, &x, &d),
				 SC_EDUPLICATE);
		strcpy(x.record_id, "R0");
		assert_int_equal(sc_store_dispute_import(z.st, &x, &k.ids[0], &d), SC_ENOTFOUND);
		assert_string_equal(d.field, "record");
		close_drop(&a);
		close_drop(&z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads),
		cmocka_unit_test(imports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
