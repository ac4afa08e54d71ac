/* Query plans: every statement the ledger runs to file, read and process
 * one subject's file must find its rows through an index, never by reading
 * a whole table. A full scan of records, events or subjects is correct and
 * fast on a test ledger, and takes minutes on a national one: no other
 * test would see it.
 *
 * An SQLite auto-extension hooks every connection the store opens and
 * records the text of each statement it runs (sqlite3_trace_v2). After a
 * tour of the per-request calls (ingest, subject file, record names,
 * disputes, statements, repairs, names, share links, the audit trail, the
 * row counts, the last run's tallies, what changed since a mark), each
 * statement is planned again with EXPLAIN QUERY PLAN on the store's
 * own connection (where its virtual tables are registered), and a SCAN of
 * anything but a small table fails the test, with the statement and its
 * plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/process.h"
#include "socred/rulebook.h"
#include "socred/store.h"
#include "ledger_files.h"

#define MAX_SQL 512

static sqlite3 *first_db;       /* the store's own connection */
static char *seen[MAX_SQL];
static int nseen;

static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
	const char *sql = sqlite3_sql(p);
	(void)ctx;
	(void)x;
	if (type != SQLITE_TRACE_STMT || !sql)
		return 0;
	for (int i = 0; i < nseen; i++)
		if (!strcmp(seen[i], sql))
			return 0;
	if (nseen < MAX_SQL)
		seen[nseen++] = strdup(sql);
	return 0;
}

static int hook(sqlite3 *db, char **err, const struct sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	if (!first_db)
		first_db = db;
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_trace, NULL);
	return SQLITE_OK;
}

/* Tables a scan of which stays small whatever the population: settings,
 * interned names, rulebooks, keys, run headers, the subject index's runs
 * (merged down to a few), the four row counts. */
static bool small_table(const char *name, size_t n)
{
	static const char *const small[] = {"meta", "types", "sources", "rulebooks", "keys",
					    "runs", "subject_runs", "counts", "sqlite_schema",
					    "sqlite_master"};
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (strlen(small[i]) == n && !memcmp(small[i], name, n))
			return true;
	return false;
}

/* Statements that read a whole table by design, each for a reason:
 * building the records' subject index, counting the rows, and rebuilding
 * subjects with its keys in tiers (migrations, once per ledger); moving
 * the small tier of subject keys into the large one (sqlite_keys.c, a
 * merge), and reading a tier's keys into a writer's filter (built again
 * only as the tier doubles); filling the names' search keys (a
 * migration, once per ledger); the last entry of an append-only log (a scan from its end, one
 * row). */
static bool whole_by_design(const char *sql)
{
	return !strcmp(sql, "SELECT subject, rid FROM records ORDER BY subject, rid") ||
	       !strncmp(sql, "INSERT INTO counts SELECT", 25) ||
	       !strncmp(sql, "INSERT INTO subject_keys SELECT", 31) ||
	       !strncmp(sql, "SELECT ext_id FROM subject_keys", 31) ||
	       !strncmp(sql, "INSERT INTO subjects_v15 SELECT", 31) ||
	       !strncmp(sql, "UPDATE names SET key = sc_name_key(name)", 40) ||
	       strstr(sql, "ORDER BY seq DESC LIMIT 1");
}

/* The table an alias in sql's FROM or JOIN names ("records r": records),
 * or the alias itself: into out. */
static void resolve(const char *sql, const char *alias, size_t n, char *out, size_t size)
{
	char prev[64] = "", prevprev[64] = "", word[64];
	const char *p = sql;

	snprintf(out, size, "%.*s", (int)n, alias);
	while (*p) {
		size_t k = strcspn(p, " ,()\n");
		if (k) {
			snprintf(word, sizeof(word), "%.*s", (int)k, p);
			if (strlen(word) == n && !memcmp(word, alias, n) && prev[0] &&
			    (!strcmp(prevprev, "FROM") || !strcmp(prevprev, "JOIN"))) {
				snprintf(out, size, "%s", prev);
				return;
			}
			snprintf(prevprev, sizeof(prevprev), "%s", prev);
			snprintf(prev, sizeof(prev), "%s", word);
		}
		p += k;
		if (*p)
			p++;
	}
}

/* The first scan of a large table in sql's plan, copied into bad. */
static bool plan_scans(sqlite3 *db, const char *sql, char *bad, size_t size)
{
	char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *s = NULL;
	char table[64];
	bool found = false;

	assert_non_null(q);
	if (whole_by_design(sql)) {
		sqlite3_free(q);
		return false;
	}
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) {
		/* schema statements, and a migration's reads of a table it then
		 * dropped, make sense only in their moment: nothing to plan. Any
		 * other statement that cannot be planned fails the test. */
		const char *err = sqlite3_errmsg(db);
		bool moment = !strncmp(sql, "CREATE ", 7) || !strncmp(sql, "DROP ", 5) ||
			      !strncmp(sql, "ALTER ", 6) || strstr(err, "no such table") ||
			      strstr(err, "already exists");
		if (!moment)
			snprintf(bad, size, "%s\n  cannot plan it: %s", sql, err);
		sqlite3_free(q);
		return !moment;
	}
	while (!found && sqlite3_step(s) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(s, 3);
		const char *name;
		size_t n;

		/* a subquery's rows: its own plan's lines are checked */
		if (!detail || strncmp(detail, "SCAN ", 5) || strstr(detail, "VIRTUAL TABLE") ||
		    strstr(detail, "CONSTANT ROW") || !strncmp(detail, "SCAN (subquery-", 15))
			continue;
		name = detail + 5;
		n = strcspn(name, " ");
		resolve(sql, name, n, table, sizeof(table));
		if (small_table(table, strlen(table)))
			continue;
		/* a partial index holds only what it is for (open items) */
		if (strstr(detail, "USING INDEX disputes_open") ||
		    strstr(detail, "USING INDEX repairs_open"))
			continue;
		snprintf(bad, size, "%s\n  plan: %s", sql, detail);
		found = true;
	}
	sqlite3_finalize(s);
	sqlite3_free(q);
	return found;
}

static enum sc_status ignore_dispute(void *ctx, const struct sc_dispute *x)
{
	(void)ctx;
	(void)x;
	return SC_OK;
}

static enum sc_status ignore_statement(void *ctx, const struct sc_statement *x)
{
	(void)ctx;
	(void)x;
	return SC_OK;
}

static enum sc_status ignore_repair(void *ctx, const struct sc_repair *x)
{
	(void)ctx;
	(void)x;
	return SC_OK;
}

static enum sc_status ignore_name(void *ctx, const char *subject, const char *name,
				  enum sc_name_match how)
{
	(void)how;
	(void)ctx;
	(void)subject;
	(void)name;
	return SC_OK;
}

static enum sc_status ignore_audit(void *ctx, const struct sc_audit_entry *e)
{
	(void)ctx;
	(void)e;
	return SC_OK;
}

static enum sc_status ignore_tally(void *ctx, const char *k1, const char *k2, int64_t n)
{
	(void)ctx;
	(void)k1;
	(void)k2;
	(void)n;
	return SC_OK;
}

static enum sc_status ignore_id(void *ctx, const char *id)
{
	(void)ctx;
	(void)id;
	return SC_OK;
}

static enum sc_status ignore_record_name(void *ctx, size_t i, const char *name)
{
	(void)ctx;
	(void)i;
	(void)name;
	return SC_OK;
}

static void file(struct sc_store *st, const char *rid, sc_day date)
{
	struct sc_diag d;
	struct sc_store_add a = {.record_id = {rid, strlen(rid)}, .subject = {"P1", 2},
				 .type = {"traffic.violation", 17}, .source = {"traffic", 7},
				 .ref = {"", 0}, .kind = SC_KIND_PERSON, .date = date,
				 .amount = SC_AMOUNT_NONE};
	assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
}

/* A record filed outside any transaction (as a change to catch up on). */
static void file_outside(struct sc_store *st)
{
	file(st, "r5", 20040);
}

/* The per-subject calls, each at least once. */
static void tour(struct sc_store *st, const struct sc_rulebook *rb)
{
	struct sc_decider who = {.by = "admin key 1", .only_source = NULL};
	struct sc_store_event ev = {.op = SC_OP_RECTIFY, .record_id = {"r1", 2},
				    .source = {"traffic", 7}, .ref = {"", 0}, .date = 20100};
	unsigned char hash[SC_KEY_HASH_BYTES] = {1, 2, 3};
	char subject[SC_LIMIT_SUBJECT_ID + 1], name[64];
	struct sc_audit_entry ae = {.at = "2025-01-01T00:00:00.000Z", .key_id = 0,
				    .role = SC_ROLE_ADMIN, .action = "GET /v1/subjects/P1",
				    .subject = "P1", .result = "200"};
	struct sc_dispute dis;
	struct sc_statement stm;
	struct sc_repair rep;
	struct sc_loaded lo;
	struct sc_diag d;
	int64_t rids[2] = {1, 2};
	struct sc_store_counts counts;
	struct sc_store_mark from = {0}, to;
	sc_day expires, run_at;

	/* a file of an ingest batch */
	assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
	file(st, "r1", 20000);
	file(st, "r2", 20010);
	file(st, "r3", 20020);
	assert_int_equal(sc_store_record_event(st, &ev, &d), SC_OK);
	assert_int_equal(sc_store_consent(st, (struct sc_text){"P1", 2}, SC_KIND_PERSON,
					  (struct sc_text){"public", 6}, true, 19000, &d), SC_OK);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	/* the same again, in the next one: duplicates, read back */
	assert_int_equal(sc_store_begin_ingest(st, &(size_t){0}, &d), SC_OK);
	file(st, "r4", 20030);
	assert_int_equal(sc_store_record_event(st, &ev, &d), SC_EDUPLICATE);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	/* a subject's file, its records by name */
	assert_int_equal(sc_store_subject_load(st, rb, (struct sc_text){"P1", 2}, &lo, &d), SC_OK);
	sc_loaded_release(&lo);
	assert_int_equal(sc_store_record_names(st, rids, 2, ignore_record_name, NULL, &d), SC_OK);
	/* the processes */
	assert_int_equal(sc_store_dispute_open(st, "P1", "r2", "not me", 20200, 30, &dis, &d), SC_OK);
	assert_int_equal(sc_store_dispute_list(st, "P1", NULL, true, ignore_dispute, NULL, &d), SC_OK);
	assert_int_equal(sc_store_dispute_list(st, NULL, "traffic", true, ignore_dispute, NULL, &d), SC_OK);
	assert_int_equal(sc_store_dispute_decide(st, dis.id, "upheld", "checked", 20210, &who, &dis, &d),
			 SC_OK);
	assert_int_equal(sc_store_statement_add(st, "P1", "r3", "paid late, sick", 20200, &stm, &d), SC_OK);
	assert_int_equal(sc_store_statement_list(st, "P1", ignore_statement, NULL, &d), SC_OK);
	assert_int_equal(sc_store_repair_apply(st, "P1", "r4", "will pay", 20300, &rep, &d), SC_OK);
	assert_int_equal(sc_store_repair_list(st, "P1", NULL, true, ignore_repair, NULL, &d), SC_OK);
	assert_int_equal(sc_store_repair_list(st, NULL, "traffic", true, ignore_repair, NULL, &d), SC_OK);
	assert_int_equal(sc_store_repair_decide(st, rep.id, "refused", "too soon", 20310, &who, &rep, &d),
			 SC_OK);
	assert_int_equal(sc_store_name_set(st, (struct sc_text){"P1", 2}, SC_KIND_PERSON,
					   (struct sc_text){"Li Lei", 6}, 20000, &d), SC_OK);
	assert_int_equal(sc_store_name_get(st, "P1", name, sizeof(name), &d), SC_OK);
	assert_int_equal(sc_store_name_search(st, "Li", 10, ignore_name, NULL, &d), SC_OK);
	assert_int_equal(sc_store_share_add(st, "P1", hash, 20000, 20030, &d), SC_OK);
	assert_int_equal(sc_store_share_get(st, hash, subject, &expires, &d), SC_OK);
	/* the audit trail */
	assert_int_equal(sc_store_audit_append(st, &ae, 1, &d), SC_OK);
	assert_int_equal(sc_store_audit_subject(st, "P1", ignore_audit, NULL, &d), SC_OK);
	/* the counts `GET /metrics` shows at every scrape */
	assert_int_equal(sc_store_counts(st, &counts, &d), SC_OK);
	assert_int_equal(counts.records, 4);
	/* what the server reads per request besides: a file by id, the last
	 * run's tallies, what changed since its snapshot */
	assert_int_equal(sc_store_subject_open(st, rb, "11010119400102000X", &lo, &d), SC_OK);
	sc_loaded_release(&lo);
	for (int k = SC_TALLY_GRADES; k <= SC_TALLY_STATUS; k++)
		assert_int_equal(sc_store_tally(st, (enum sc_tally)k, ignore_tally, NULL, &run_at, &d),
				 SC_OK);
	assert_int_equal(sc_store_changed_since(st, &from, &to, ignore_id, NULL, &d), SC_OK);
	from = to;
	file_outside(st);
	assert_int_equal(sc_store_changed_since(st, &from, &to, ignore_id, NULL, &d), SC_OK);
}

static void per_subject_statements_use_indexes(void **state)
{
	char path[64], bad[2048];
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_diag d;
	int scans = 0;
	(void)state;

	assert_int_equal(sqlite3_auto_extension((void (*)(void))hook), SQLITE_OK);
	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, NULL), SC_OK);
	snprintf(path, sizeof(path), "/tmp/socred-test-plans-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	assert_non_null(first_db);
	tour(st, rb);
	/* enough statements were seen for the test to mean something (160
	 * when it was written) */
	assert_true(nseen >= 100);
	for (int i = 0; i < nseen; i++) {
		if (plan_scans(first_db, seen[i], bad, sizeof(bad))) {
			fprintf(stderr, "a full scan:\n  %s\n", bad);
			scans++;
		}
		free(seen[i]);
	}
	sc_store_close(st);
	sc_rulebook_free(rb);
	sqlite3_reset_auto_extension();
	remove_ledger(path);
	assert_int_equal(scans, 0);
}

/* The check itself: a lookup by an unindexed column is caught. */
static void a_scan_is_caught(void **state)
{
	char bad[512];
	sqlite3 *db = NULL;
	(void)state;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE records(rid INTEGER PRIMARY KEY, record_id TEXT);"
					  "CREATE TABLE types(id INTEGER PRIMARY KEY, name TEXT)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_true(plan_scans(db, "SELECT rid FROM records WHERE record_id = ?1", bad, sizeof(bad)));
	assert_non_null(strstr(bad, "SCAN records"));
	assert_false(plan_scans(db, "SELECT rid FROM records WHERE rid = ?1", bad, sizeof(bad)));
	assert_false(plan_scans(db, "SELECT id FROM types WHERE name = ?1", bad, sizeof(bad)));
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(per_subject_statements_use_indexes),
					   cmocka_unit_test(a_scan_is_caught)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
