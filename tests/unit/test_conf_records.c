/* The store contract of records on every backend: filing, duplicates and
 * conflicts (naming the field), runs of records with the outcome of each,
 * rectify and revoke (the filing source only, never before the record's
 * date, once each, no rectify after a revoke), consents (a repeat of the
 * day's last act is a duplicate), retention and the counts. On PostgreSQL
 * also: the role socred writes with cannot change or remove records and
 * events, and retention through socred_expire works for it and is logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "socred/store.h"

#define T(s) ((struct sc_text){(s), sizeof(s) - 1})

static struct sc_store_add rec(const char *id, const char *subject, enum sc_kind kind,
			       const char *source, sc_day date, int64_t amount)
{
	return (struct sc_store_add){.record_id = {id, strlen(id)},
				     .subject = {subject, strlen(subject)},
				     .type = T("tax.arrears"), .source = {source, strlen(source)},
				     .ref = T(""), .kind = kind, .date = date, .amount = amount};
}

static struct sc_store_event ev(enum sc_op op, const char *id, const char *source, sc_day date)
{
	return (struct sc_store_event){.op = op, .record_id = {id, strlen(id)},
				       .source = {source, strlen(source)}, .ref = T(""),
				       .date = date};
}

static struct sc_store *open_fresh(enum conf_backend b, char *path, size_t cap)
{
	struct sc_store *st = NULL;
	struct sc_diag d;

	assert_int_equal(conf_fresh(b, path, cap), 0);
	if (sc_store_open(path, SC_STORE_CREATE, &st, &d))
		fail_msg("%s: %s", conf_name(b), d.message);
	return st;
}

static struct sc_store_counts counts(struct sc_store *st)
{
	struct sc_store_counts c;
	struct sc_diag d;

	assert_int_equal(sc_store_counts(st, &c, &d), SC_OK);
	return c;
}

static void records_duplicates_conflicts(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_store_add a;
		struct sc_store_counts c;

		if (!conf_enabled(b))
			continue;
		st = open_fresh(b, path, sizeof(path));
		a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1500);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_EDUPLICATE);
		a.amount = 1600;
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
		assert_string_equal(d.field, "amount");
		assert_string_equal(d.message, "record_id 'R1' is already filed with a different amount");
		a = rec("R1", "P2", SC_KIND_PERSON, "tax", 20000, 1500);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
		assert_string_equal(d.field, "subject");
		a = rec("R1", "P1", SC_KIND_PERSON, "court", 20000, 1500);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
		assert_string_equal(d.field, "source");
		a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, SC_AMOUNT_NONE);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
		assert_string_equal(d.field, "amount");
		/* the subject of the other kind: refused before the record_id */
		a = rec("R1", "P1", SC_KIND_ORG, "tax", 20000, 1500);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
		assert_string_equal(d.field, "kind");
		assert_string_equal(d.message, "subject 'P1' is filed as a person, not an org");
		/* a subject named only by a refused record is not filed */
		c = counts(st);
		assert_int_equal(c.subjects, 1);
		assert_int_equal(c.records, 1);
		a = rec("R2", "P2", SC_KIND_PERSON, "tax", 20001, SC_AMOUNT_NONE);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_EDUPLICATE);
		c = counts(st);
		assert_int_equal(c.subjects, 2);
		assert_int_equal(c.records, 2);
		sc_store_close(st);
		conf_drop(b, path);
	}
}

/* A run: every record's outcome as one call each would give, in and out
 * of a transaction. */
static void runs_keep_every_outcome(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		for (int txn = 0; txn < 2; txn++) {
			char path[512], ids[40][16], subj[40][16];
			struct sc_store *st;
			struct sc_diag d, ds[40];
			struct sc_store_add a[40];
			const struct sc_store_add *r[40];
			enum sc_status out[40];
			size_t done = 99;
			struct sc_store_counts c;

			if (!conf_enabled(b))
				continue;
			st = open_fresh(b, path, sizeof(path));
			for (int i = 0; i < 40; i++) {
				snprintf(ids[i], sizeof(ids[i]), "R%d", i % 30);
				snprintf(subj[i], sizeof(subj[i]), "S%d", i % 30 % 7);
				a[i] = rec(ids[i], subj[i], SC_KIND_PERSON, "tax", 20000 + i % 30, 100);
				r[i] = &a[i];
			}
			a[33].amount = 5;       /* R3 again, another amount */
			a[35].kind = SC_KIND_ORG; /* S0 as an organisation */
			if (txn)
				assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
			assert_int_equal(sc_store_record_add_run(st, r, 40, out, ds, &done, &d), SC_OK);
			assert_int_equal(done, 40);
			for (int i = 0; i < 40; i++) {
				enum sc_status want = i < 30 ? SC_OK : SC_EDUPLICATE;
				if (i == 33 || i == 35)
					want = SC_ECONFLICT;
				assert_int_equal(out[i], want);
			}
			assert_string_equal(ds[33].field, "amount");
			assert_string_equal(ds[35].field, "kind");
			/* a rectify of a record filed in this transaction */
			{
				struct sc_store_event e = ev(SC_OP_RECTIFY, "R4", "tax", 20003);
				assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
				assert_string_equal(d.field, "date");
				e.date = 20010;
				assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
				assert_int_equal(sc_store_record_event(st, &e, &d), SC_EDUPLICATE);
			}
			if (txn)
				assert_int_equal(sc_store_commit(st, &d), SC_OK);
			c = counts(st);
			assert_int_equal(c.records, 30);
			assert_int_equal(c.subjects, 7);
			assert_int_equal(c.events, 1);
			sc_store_close(st);
			conf_drop(b, path);
		}
	}
}

static void events_follow_the_rules(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		for (int txn = 0; txn < 2; txn++) {
			char path[512];
			struct sc_store *st;
			struct sc_diag d;
			struct sc_store_add a;
			struct sc_store_event e;

			if (!conf_enabled(b))
				continue;
			st = open_fresh(b, path, sizeof(path));
			if (txn)
				assert_int_equal(sc_store_begin(st, &d), SC_OK);
			a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1500);
			assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
			a = rec("R2", "P1", SC_KIND_PERSON, "tax", 20000, 1500);
			assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
			e = ev(SC_OP_RECTIFY, "R9", "tax", 20001);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ENOTFOUND);
			assert_string_equal(d.field, "record_id");
			assert_string_equal(d.message, "unknown record_id 'R9': a rectify must follow the add of its record");
			/* only the filing source */
			e = ev(SC_OP_RECTIFY, "R1", "court", 20001);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
			assert_string_equal(d.field, "source");
			assert_string_equal(d.message, "record 'R1' was filed by 'tax', not 'court': only the filing source may rectify it");
			/* never before the record */
			e = ev(SC_OP_REVOKE, "R1", "tax", 19999);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
			assert_string_equal(d.field, "date");
			/* the registry's own (no source), on the record's day */
			e = ev(SC_OP_RECTIFY, "R1", "", 20000);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_EDUPLICATE);
			e.date = 20002;
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
			assert_string_equal(d.field, "date");
			assert_string_equal(d.message, "record 'R1' was already rectified on 2024-10-04");
			e = ev(SC_OP_REVOKE, "R1", "tax", 20005);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
			/* a revoke excludes a later rectify */
			e = ev(SC_OP_REVOKE, "R2", "tax", 20001);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
			e = ev(SC_OP_RECTIFY, "R2", "tax", 20002);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
			assert_string_equal(d.field, "record_id");
			assert_string_equal(d.message, "record 'R2' was revoked on 2024-10-05 and cannot be rectified");
			if (txn)
				assert_int_equal(sc_store_commit(st, &d), SC_OK);
			/* and the same answers once committed */
			e = ev(SC_OP_RECTIFY, "R2", "tax", 20002);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_ECONFLICT);
			e = ev(SC_OP_REVOKE, "R1", "tax", 20005);
			assert_int_equal(sc_store_record_event(st, &e, &d), SC_EDUPLICATE);
			assert_int_equal(counts(st).events, 3);
			sc_store_close(st);
			conf_drop(b, path);
		}
	}
}

static void consents_repeat_the_last_act(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		for (int txn = 0; txn < 2; txn++) {
			char path[512];
			struct sc_store *st;
			struct sc_diag d;
			struct sc_store_counts c;

			if (!conf_enabled(b))
				continue;
			st = open_fresh(b, path, sizeof(path));
			/* in a transaction, as an ingest's lines come */
			if (txn)
				assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20000, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20000, &d), SC_EDUPLICATE);
			/* consent, withdraw, consent on one day: three acts */
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_NONE, T("credit"), false,
							  20000, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20000, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20000, &d), SC_EDUPLICATE);
			/* another day, another scorecard */
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20001, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("jobs"), true,
							  20000, &d), SC_OK);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_ORG, T("jobs"), false,
							  20002, &d), SC_ECONFLICT);
			assert_string_equal(d.field, "kind");
			/* a subject first known by a consent takes its kind from a record */
			assert_int_equal(sc_store_consent(st, T("O1"), SC_KIND_NONE, T("credit"), true,
							  20000, &d), SC_OK);
			{
				struct sc_store_add a = rec("R1", "O1", SC_KIND_ORG, "tax", 20000, 1);
				assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
				a = rec("R2", "O1", SC_KIND_PERSON, "tax", 20000, 1);
				assert_int_equal(sc_store_record_add(st, &a, &d), SC_ECONFLICT);
				assert_string_equal(d.field, "kind");
			}
			if (txn)
				assert_int_equal(sc_store_commit(st, &d), SC_OK);
			/* and the same answers once committed */
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
							  20000, &d), SC_EDUPLICATE);
			assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_ORG, T("jobs"), false,
							  20002, &d), SC_ECONFLICT);
			c = counts(st);
			assert_int_equal(c.consents, 6);
			assert_int_equal(c.subjects, 2);
			assert_int_equal(c.records, 1);
			sc_store_close(st);
			conf_drop(b, path);
		}
	}
}

/* Lines in one call (sc_store_lines): each line's outcome as the calls
 * one by one give it, in file order (an event before its record's line is
 * unknown), against what earlier calls filed; texts that need escaping
 * come back byte for byte. */
struct step {
	struct sc_store_line l;
	enum sc_status want;
	const char *field;
};

/* load: in the caller's transaction; else in one of its own */
static void lines_in(struct sc_store *st, struct step *s, size_t n, bool load)
{
	struct sc_store_line l[32];
	enum sc_status out[32];
	struct sc_diag ds[32], d;
	size_t done = 99;

	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++)
		l[i] = s[i].l;
	if (!load)
		assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
	if (sc_store_lines(st, l, n, out, ds, &done, &d))
		fail_msg("%s", d.message);
	assert_int_equal(done, n);
	for (size_t i = 0; i < n; i++) {
		if (out[i] != s[i].want)
			fail_msg("line %zu: %d, not %d (%s)", i, out[i], s[i].want, ds[i].message);
		if (s[i].field)
			assert_string_equal(ds[i].field, s[i].field);
	}
	if (!load)
		assert_int_equal(sc_store_commit(st, &d), SC_OK);
}

static void lines_run(struct sc_store *st, struct step *s, size_t n)
{
	lines_in(st, s, n, false);
}

/* The lines of lines_as_one_by_one and lines_first_load: two calls, each
 * in a transaction of its own, or (load) both in the first load of an
 * empty ledger (sc_store_begin_lines), with an op one by one between
 * them; the ledger's counts after each. */
static void lines_script(struct sc_store *st, bool load)
{
	struct sc_store_counts c;
	struct sc_store_add a[8];
	struct sc_store_event e[8];
	struct sc_diag d;
	size_t want = 0;

	{
		a[0] = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1500);
		a[1] = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1600);
		a[2] = rec("R2", "P1", SC_KIND_ORG, "tax", 20000, 1);
		a[3] = rec("R3", "P2", SC_KIND_PERSON, "court", 20000, SC_AMOUNT_NONE);
		a[4] = rec("x\t\"y\\z,\n", "P\\3\t", SC_KIND_NONE, "s\"rc\\", 20000, -7);
		a[4].ref = T("r\tef\\\"{}");
		a[4].type = T("t\\y\"pe");
		a[5] = rec("R4", "O1", SC_KIND_ORG, "tax", 20000, 1);
		a[6] = rec("R5", "O1", SC_KIND_PERSON, "tax", 20000, 1);
		e[0] = ev(SC_OP_RECTIFY, "R3", "court", 20001); /* before R3's line */
		e[1] = ev(SC_OP_REVOKE, "R1", "court", 20001);
		e[2] = ev(SC_OP_REVOKE, "R1", "", 19999);
		e[3] = ev(SC_OP_REVOKE, "R1", "tax", 20001);
		e[4] = ev(SC_OP_RECTIFY, "R1", "tax", 20002);
		e[5] = ev(SC_OP_RECTIFY, "x\t\"y\\z,\n", "", 20003);
		e[5].ref = T("a\\b\"c");
		{
			struct step s[] = {
				{{.op = SC_OP_RECTIFY, .event = &e[0]}, SC_ENOTFOUND, "record_id"},
				{{.op = SC_OP_ADD, .add = &a[0]}, SC_OK, NULL},
				{{.op = SC_OP_ADD, .add = &a[0]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[1]}, SC_ECONFLICT, "amount"},
				{{.op = SC_OP_ADD, .add = &a[2]}, SC_ECONFLICT, "kind"},
				{{.op = SC_OP_ADD, .add = &a[3]}, SC_OK, NULL},
				{{.op = SC_OP_RECTIFY, .event = &e[0]}, SC_OK, NULL},
				{{.op = SC_OP_RECTIFY, .event = &e[0]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_REVOKE, .event = &e[1]}, SC_ECONFLICT, "source"},
				{{.op = SC_OP_REVOKE, .event = &e[2]}, SC_ECONFLICT, "date"},
				{{.op = SC_OP_REVOKE, .event = &e[3]}, SC_OK, NULL},
				{{.op = SC_OP_RECTIFY, .event = &e[4]}, SC_ECONFLICT, "record_id"},
				{{.op = SC_OP_ADD, .add = &a[4]}, SC_OK, NULL},
				{{.op = SC_OP_RECTIFY, .event = &e[5]}, SC_OK, NULL},
				{{.op = SC_OP_CONSENT, .subject = T("O1"), .scorecard = T("credit"),
				  .date = 20000}, SC_OK, NULL},
				{{.op = SC_OP_CONSENT, .subject = T("O1"), .scorecard = T("credit"),
				  .date = 20000}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_WITHDRAW, .subject = T("O1"), .scorecard = T("credit"),
				  .date = 20000}, SC_OK, NULL},
				{{.op = SC_OP_ADD, .add = &a[5]}, SC_OK, NULL},
				{{.op = SC_OP_ADD, .add = &a[6]}, SC_ECONFLICT, "kind"},
				{{.op = SC_OP_CONSENT, .subject = T("O1"), .kind = SC_KIND_PERSON,
				  .scorecard = T("jobs"), .date = 20000}, SC_ECONFLICT, "kind"},
				{{.op = SC_OP_CONSENT, .subject = T("P1"), .kind = SC_KIND_PERSON,
				  .scorecard = T("jo\"b\\s"), .date = 20000}, SC_OK, NULL},
			};
			if (load) {
				assert_int_equal(sc_store_begin_lines(st, &want, &d), SC_OK);
				assert_true(want > 0);
			}
			lines_in(st, s, sizeof(s) / sizeof(s[0]), load);
		}
		if (!load) {
			c = counts(st);
			assert_int_equal(c.records, 4);
			assert_int_equal(c.subjects, 4);
			assert_int_equal(c.events, 3);
			assert_int_equal(c.consents, 3);
		}
		/* a later call reads what this one filed */
		{
			struct step s[] = {
				{{.op = SC_OP_ADD, .add = &a[4]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[3]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[1]}, SC_ECONFLICT, "amount"},
				{{.op = SC_OP_RECTIFY, .event = &e[5]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_RECTIFY, .event = &e[4]}, SC_ECONFLICT, "record_id"},
				{{.op = SC_OP_REVOKE, .event = &e[3]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_WITHDRAW, .subject = T("O1"), .scorecard = T("credit"),
				  .date = 20000}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_CONSENT, .subject = T("O1"), .scorecard = T("credit"),
				  .date = 20000}, SC_OK, NULL},
				{{.op = SC_OP_CONSENT, .subject = T("P1"), .kind = SC_KIND_PERSON,
				  .scorecard = T("jo\"b\\s"), .date = 20000}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[6]}, SC_ECONFLICT, "kind"},
			};
			lines_in(st, s, sizeof(s) / sizeof(s[0]), load);
		}
		if (load) {
			/* an op one by one in a first load, then lines again */
			struct sc_store_add a8 = rec("R8", "P8", SC_KIND_PERSON, "tax", 20000, 8);
			struct step s8[] = {
				{{.op = SC_OP_ADD, .add = &a8}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[1]}, SC_ECONFLICT, "amount"},
				{{.op = SC_OP_RECTIFY, .event = &e[5]}, SC_EDUPLICATE, NULL},
			};
			assert_int_equal(sc_store_record_add(st, &a[3], &d), SC_EDUPLICATE);
			assert_int_equal(sc_store_record_add(st, &a8, &d), SC_OK);
			lines_in(st, s8, sizeof(s8) / sizeof(s8[0]), true);
			assert_int_equal(sc_store_commit(st, &d), SC_OK);
			c = counts(st);
			assert_int_equal(c.records, 5);
			assert_int_equal(sc_store_begin_lines(st, &want, &d), SC_OK);
			assert_true(want > 0 && want < SIZE_MAX); /* a filled ledger */
			sc_store_rollback(st);
		} else {
			c = counts(st);
			assert_int_equal(c.records, 4);
		}
		assert_int_equal(c.subjects, load ? 5 : 4);
		assert_int_equal(c.events, 3);
		assert_int_equal(c.consents, 4);
		/* outside a transaction: in one of its own */
		{
			struct sc_store_add a9 = rec("R9", "P9", SC_KIND_PERSON, "tax", 20000, 9);
			struct sc_store_line l9[2] = {{.op = SC_OP_ADD, .add = &a9},
						      {.op = SC_OP_ADD, .add = &a9}};
			enum sc_status out9[2];
			struct sc_diag ds9[2], d9;
			size_t done9 = 0;
			assert_int_equal(sc_store_lines(st, l9, 2, out9, ds9, &done9, &d9), SC_OK);
			assert_int_equal(done9, 2);
			assert_int_equal(out9[0], SC_OK);
			assert_int_equal(out9[1], SC_EDUPLICATE);
			assert_int_equal(counts(st).records, load ? 6 : 5);
		}
		/* after the load, the ledger finds what it filed by record_id */
		{
			struct step s[] = {
				{{.op = SC_OP_ADD, .add = &a[0]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_ADD, .add = &a[4]}, SC_EDUPLICATE, NULL},
				{{.op = SC_OP_REVOKE, .event = &e[3]}, SC_EDUPLICATE, NULL},
			};
			lines_run(st, s, sizeof(s) / sizeof(s[0]));
			assert_int_equal(sc_store_record_add(st, &a[1], &d), SC_ECONFLICT);
		}
	}
}

static void lines_as_one_by_one(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;

		if (!conf_enabled(b))
			continue;
		st = open_fresh(b, path, sizeof(path));
		lines_script(st, false);
		sc_store_close(st);
		conf_drop(b, path);
	}
}

/* A first load into an empty ledger (sc_store_begin_lines: on PostgreSQL
 * one transaction that builds records' indexes at its commit, pg_bulk.c)
 * decides every line as lines one by one would, across its calls and
 * around an op one by one in its middle; a rolled-back load leaves the
 * ledger empty and loadable again. */
static void lines_first_load(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		size_t want = 0;
		struct sc_store_add a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1);
		struct step s[] = {{{.op = SC_OP_ADD, .add = &a}, SC_OK, NULL},
				   {{.op = SC_OP_ADD, .add = &a}, SC_EDUPLICATE, NULL}};

		if (!conf_enabled(b))
			continue;
		st = open_fresh(b, path, sizeof(path));
		assert_int_equal(sc_store_begin_lines(st, &want, &d), SC_OK);
		/* PostgreSQL takes a first load as one transaction */
		if (b == CONF_PG)
			assert_true(want == SIZE_MAX);
		lines_in(st, s, 2, true);
		sc_store_rollback(st);
		assert_int_equal(counts(st).records, 0);
		assert_int_equal(counts(st).subjects, 0);
		lines_script(st, true);
		sc_store_close(st);
		conf_drop(b, path);
	}
}

/* What a rolled-back transaction filed is gone for the next one, though
 * it was filed in the same connection. */
static void rollback_forgets(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_store_add a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1);
		struct sc_store_event e = ev(SC_OP_RECTIFY, "R1", "tax", 20001);

		if (!conf_enabled(b))
			continue;
		st = open_fresh(b, path, sizeof(path));
		assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
		assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
						  20000, &d), SC_OK);
		sc_store_rollback(st);
		assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_ENOTFOUND);
		assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true,
						  20000, &d), SC_OK);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
		assert_int_equal(sc_store_commit(st, &d), SC_OK);
		assert_int_equal(counts(st).records, 1);
		assert_int_equal(counts(st).events, 1);
		assert_int_equal(counts(st).consents, 1);
		sc_store_close(st);
		conf_drop(b, path);
	}
}

static void expire_removes_records_and_events(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_store_counts c;
		struct sc_store_event e = ev(SC_OP_RECTIFY, "R1", "tax", 20001);
		int64_t rids[1] = {1}, max = 0;
		char lid[SC_STORE_LEDGER_ID];

		if (!conf_enabled(b))
			continue;
		st = open_fresh(b, path, sizeof(path));
		for (int i = 1; i <= 3; i++) {
			char id[8];
			struct sc_store_add a;
			snprintf(id, sizeof(id), "R%d", i);
			a = rec(id, "P1", SC_KIND_PERSON, "tax", 20000, i);
			assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		}
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
		assert_int_equal(counts(st).events, 1);
		assert_int_equal(sc_store_expire(st, rids, 1, &d), SC_OK);
		c = counts(st);
		assert_int_equal(c.records, 2);
		assert_int_equal(c.events, 0);
		assert_int_equal(sc_store_identity(st, lid, &max, &d), SC_OK);
		assert_int_equal(max, 1);
		/* gone: its events are refused as for a record never filed */
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_ENOTFOUND);
		e.record_id = T("R2");
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
		sc_store_close(st);
		conf_drop(b, path);
	}
}

/* Runs sql on ledger path as role; whether it succeeded. */
static int as_role(const char *path, const char *role, const char *sql, char *err, size_t cap)
{
	char uri[600];
	PGconn *c;
	PGresult *r;
	int ok;

	snprintf(uri, sizeof(uri), "%s?user=%s", path, role);
	c = PQconnectdb(uri);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	snprintf(err, cap, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok;
}

static void pg_app_role_appends_only(void **state)
{
	static const char *const refused[] = {
		"UPDATE records SET date = 1", "DELETE FROM records", "TRUNCATE records",
		"UPDATE events SET date = 1", "DELETE FROM events", "TRUNCATE events",
		"DELETE FROM retention_log",
		("INSERT INTO retention_log(at, by_role, records, rids) VALUES('x', 'y', 0, '{}')"),
		/* the trigger's switch does not open the table either */
		"BEGIN; SET LOCAL socred.expiring = 'on'; DELETE FROM records; COMMIT"};
	char path[512], uri[600], err[512];
	struct sc_store *st;
	struct sc_diag d;
	int64_t rids[1] = {2};
	(void)state;

	if (!conf_enabled(CONF_PG))
		skip();
	assert_int_equal(conf_admin("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles"
				    " WHERE rolname = 'socred_conf_app') THEN"
				    " CREATE ROLE socred_conf_app LOGIN; END IF; END $$"), 0);
	st = open_fresh(CONF_PG, path, sizeof(path));
	assert_int_equal(conf_admin("GRANT socred_app TO socred_conf_app"), 0);
	for (int i = 1; i <= 2; i++) {
		char id[8];
		struct sc_store_add a;
		snprintf(id, sizeof(id), "R%d", i);
		a = rec(id, "P1", SC_KIND_PERSON, "tax", 20000, i);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
	}
	sc_store_close(st);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_false(as_role(path, "socred_conf_app", refused[i], err, sizeof(err)));
		if (!strstr(err, "permission denied"))
			fail_msg("%s: %s", refused[i], err);
	}
	/* what socred does with it works: filing, and retention */
	snprintf(uri, sizeof(uri), "%s?user=socred_conf_app", path);
	assert_int_equal(sc_store_open(uri, 0, &st, &d), SC_OK);
	{
		struct sc_store_add a = rec("R3", "P2", SC_KIND_PERSON, "tax", 20000, 3);
		struct sc_store_event e = ev(SC_OP_REVOKE, "R2", "tax", 20001);
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
		assert_int_equal(sc_store_consent(st, T("P2"), SC_KIND_PERSON, T("credit"), true,
						  20000, &d), SC_OK);
	}
	if (sc_store_expire(st, rids, 1, &d))
		fail_msg("expire: %s", d.message);
	assert_int_equal(counts(st).records, 2);
	assert_int_equal(counts(st).events, 0);
	sc_store_close(st);
	assert_true(as_role(path, "socred_conf_app",
			    "DO $$ BEGIN IF (SELECT count(*) FROM retention_log WHERE by_role ="
			    " 'socred_conf_app' AND records = 1 AND rids = '{2}') <> 1 THEN"
			    " RAISE EXCEPTION 'not logged'; END IF; END $$", err, sizeof(err)));
	conf_drop(CONF_PG, path);
}

/* An ingest as a member of socred_app (which owns no table, so cannot
 * drop and build records' indexes) into an empty ledger files its lines as
 * into a filled one, in transactions of their usual size: the first-load
 * way is the owner's only. */
static void pg_app_role_first_load(void **state)
{
	char path[512], uri[600], err[512];
	struct sc_store *st;
	struct sc_diag d;
	size_t want = 0;
	struct sc_store_add a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1);
	struct step s[] = {{{.op = SC_OP_ADD, .add = &a}, SC_OK, NULL},
			   {{.op = SC_OP_ADD, .add = &a}, SC_EDUPLICATE, NULL}};
	(void)state;

	if (!conf_enabled(CONF_PG))
		skip();
	assert_int_equal(conf_admin("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles"
				    " WHERE rolname = 'socred_conf_app') THEN"
				    " CREATE ROLE socred_conf_app LOGIN; END IF; END $$"), 0);
	st = open_fresh(CONF_PG, path, sizeof(path));
	sc_store_close(st);
	assert_int_equal(conf_admin("GRANT socred_app TO socred_conf_app"), 0);
	snprintf(uri, sizeof(uri), "%s?user=socred_conf_app", path);
	assert_int_equal(sc_store_open(uri, 0, &st, &d), SC_OK);
	if (sc_store_begin_lines(st, &want, &d))
		fail_msg("begin_lines: %s", d.message);
	assert_true(want > 0 && want < SIZE_MAX);
	lines_in(st, s, 2, true);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	assert_int_equal(counts(st).records, 1);
	sc_store_close(st);
	/* records keeps its four indexes */
	assert_true(as_role(path, "socred_conf_app",
			    "DO $$ BEGIN IF (SELECT count(*) FROM pg_indexes WHERE tablename ="
			    " 'records') <> 4 THEN RAISE EXCEPTION 'indexes'; END IF; END $$",
			    err, sizeof(err)));
	conf_drop(CONF_PG, path);
}

/* PostgreSQL checks the references of records, events and consents per
 * statement (not by foreign keys): a row naming a missing subject, type,
 * source or record is refused, a row referred to cannot be deleted, ids
 * never change. */
static void pg_references_hold(void **state)
{
	static const char *const refused[] = {
		"SET socred.cseq = '1'; INSERT INTO records(record_id, subject, type, date, source)"
		" SELECT 'X1', 999, type, date, source FROM records LIMIT 1",
		"SET socred.cseq = '1'; INSERT INTO records(record_id, subject, type, date, source)"
		" SELECT 'X1', subject, 999, date, source FROM records LIMIT 1",
		"SET socred.cseq = '1'; INSERT INTO records(record_id, subject, type, date, source)"
		" SELECT 'X1', subject, type, date, 999 FROM records LIMIT 1",
		"SET socred.cseq = '1'; INSERT INTO events(rid, op, date) VALUES(999, 3, 1)",
		"SET socred.cseq = '1'; INSERT INTO consents(subject, scorecard, granted, date)"
		" VALUES(999, 'credit', 1, 1)",
		"DELETE FROM subjects", "DELETE FROM types", "DELETE FROM sources",
		"BEGIN; SET LOCAL socred.expiring = 'on'; SET LOCAL socred.cseq = '1';"
		" DELETE FROM records; COMMIT",
		"UPDATE subjects SET id = id + 100", "UPDATE types SET id = id + 100",
		"UPDATE sources SET id = id + 100"};
	char path[512], err[512];
	struct sc_store *st;
	struct sc_diag d;
	struct sc_store_add a = rec("R1", "P1", SC_KIND_PERSON, "tax", 20000, 1);
	struct sc_store_event e = ev(SC_OP_REVOKE, "R1", "tax", 20001);
	(void)state;

	if (!conf_enabled(CONF_PG))
		skip();
	st = open_fresh(CONF_PG, path, sizeof(path));
	assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
	assert_int_equal(sc_store_record_event(st, &e, &d), SC_OK);
	assert_int_equal(sc_store_consent(st, T("P1"), SC_KIND_PERSON, T("credit"), true, 20000, &d),
			 SC_OK);
	sc_store_close(st);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (as_role(path, "postgres", refused[i], err, sizeof(err)))
			fail_msg("not refused: %s", refused[i]);
		if (!strstr(err, "refers to a row that does not exist") &&
		    !strstr(err, "is still referred to") && !strstr(err, "never change"))
			fail_msg("%s: %s", refused[i], err);
	}
	/* what refers to nothing missing goes in; what nothing refers to goes */
	assert_true(as_role(path, "postgres",
			    "SET socred.cseq = '1'; INSERT INTO subjects(ext_id, kind) VALUES('P9', 1);"
			    " INSERT INTO records(record_id, subject, type, date, source)"
			    " SELECT 'X1', (SELECT id FROM subjects WHERE ext_id = 'P9'), type, date,"
			    " source FROM records LIMIT 1;"
			    " INSERT INTO types(name) VALUES('unused'); DELETE FROM types WHERE name = 'unused'",
			    err, sizeof(err)));
	conf_drop(CONF_PG, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_duplicates_conflicts),
		cmocka_unit_test(runs_keep_every_outcome),
		cmocka_unit_test(events_follow_the_rules),
		cmocka_unit_test(consents_repeat_the_last_act),
		cmocka_unit_test(lines_as_one_by_one),
		cmocka_unit_test(lines_first_load),
		cmocka_unit_test(rollback_forgets),
		cmocka_unit_test(expire_removes_records_and_events),
		cmocka_unit_test(pg_app_role_appends_only),
		cmocka_unit_test(pg_app_role_first_load),
		cmocka_unit_test(pg_references_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
