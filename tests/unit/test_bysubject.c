/* The records' subject index in runs (sqlite_bysubject.c): a subject's
 * records found after commits of 1 to 2,000 records (runs written and
 * merged), never a rolled-back one, each once after a removed rid was
 * given again, the same after a pre-schema-12 ledger migrates, after
 * merges that copy whole chunks of runs of new subjects, a damaged chunk
 * reported, not read past. Checked against the ledger's own rows. */
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

#include "socred/store.h"
#include "ledger_files.h"

#define SUBJECTS 40

static char path[64];
static int64_t filed; /* records filed and kept */
static int next_id;

static struct sc_text txt(const char *s) { return (struct sc_text){s, strlen(s)}; }

static char prefix = 'P';     /* of the subjects' names */
static int nsubjects = SUBJECTS;

static void subject_name(char *buf, size_t size, int k) { snprintf(buf, size, "%c%d", prefix, k); }

/* Files n records in one transaction, committed or rolled back. */
static void file_batch(struct sc_store *st, int n, bool commit)
{
	struct sc_diag d;
	char rid[32], subj[16];

	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	for (int i = 0; i < n; i++) {
		int id = ++next_id;
		snprintf(rid, sizeof(rid), "r%d", id);
		subject_name(subj, sizeof(subj), id * 7 % SUBJECTS + 1);
		struct sc_store_add a = {.record_id = txt(rid), .subject = txt(subj),
					 .type = txt("tax.arrears"), .source = txt("tax"),
					 .ref = txt(""), .kind = SC_KIND_PERSON, .date = 20000,
					 .amount = SC_AMOUNT_NONE};
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
	}
	if (commit) {
		assert_int_equal(sc_store_commit(st, &d), SC_OK);
		filed += n;
	} else {
		sc_store_rollback(st);
	}
}

/* The rids SQL finds for subject k (a full scan of records). */
static int64_t scan_rids(sqlite3 *db, int k, int64_t *out, int64_t max)
{
	sqlite3_stmt *s = NULL;
	char subj[16];
	int64_t n = 0;

	subject_name(subj, sizeof(subj), k);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT r.rid FROM records r NOT INDEXED"
					    " JOIN subjects s ON s.id = r.subject"
					    " WHERE s.ext_id = ?1 ORDER BY r.rid", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, subj, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < max);
		out[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

/* Every subject's records as SQL finds them (one full scan of records,
 * not through the subject index): for subject k (named prefix k, 1 <= k <=
 * nsubjects), n[k] rids in ascending order from rids + at[k]. Rows of any
 * other subject are left out. The caller frees *at and *rids. */
static void scan_all(sqlite3 *db, int64_t **at, int64_t **rids, int64_t **n)
{
	sqlite3_stmt *s = NULL;
	int64_t rows = 0, *k_of = calloc((size_t)filed + 8, sizeof(*k_of));
	int64_t *rid_of = calloc((size_t)filed + 8, sizeof(*rid_of));
	char name[16];

	*at = calloc((size_t)nsubjects + 2, sizeof(**at));
	*n = calloc((size_t)nsubjects + 2, sizeof(**n));
	*rids = calloc((size_t)filed + 8, sizeof(**rids));
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT s.ext_id, r.rid FROM records r NOT INDEXED"
					    " JOIN subjects s ON s.id = r.subject ORDER BY r.rid",
					    -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *ext = (const char *)sqlite3_column_text(s, 0);
		int k = ext && ext[0] == prefix ? atoi(ext + 1) : 0;
		if (k < 1 || k > nsubjects)
			continue;
		subject_name(name, sizeof(name), k);
		if (strcmp(name, ext))
			continue; /* not exactly prefix k ("P01") */
		assert_true(rows < (int64_t)filed + 8);
		k_of[rows] = k;
		rid_of[rows++] = sqlite3_column_int64(s, 1);
		(*n)[k]++;
	}
	sqlite3_finalize(s);
	for (int k = 1; k <= nsubjects; k++)
		(*at)[k + 1] = (*at)[k] + (*n)[k];
	/* bucketed by subject, each bucket in the scan's (ascending) order */
	{
		int64_t *fill = calloc((size_t)nsubjects + 2, sizeof(*fill));
		for (int64_t i = 0; i < rows; i++)
			(*rids)[(*at)[k_of[i]] + fill[k_of[i]]++] = rid_of[i];
		free(fill);
	}
	free(k_of);
	free(rid_of);
}

/* Every subject's file as the index finds it equals the scan; returns the
 * records seen. */
static int64_t check_all(struct sc_store *st)
{
	const char **ids = calloc((size_t)nsubjects, sizeof(*ids));
	char (*names)[16] = calloc((size_t)nsubjects, sizeof(*names));
	struct sc_pop p;
	struct sc_diag d;
	sqlite3 *db = NULL;
	int64_t *want = calloc((size_t)filed + 8, sizeof(*want)), total = 0;
	int64_t *at = NULL, *rids = NULL, *nk = NULL;

	for (int k = 0; k < nsubjects; k++) {
		subject_name(names[k], sizeof(names[k]), k + 1);
		ids[k] = names[k];
	}
	assert_int_equal(sc_store_pop_load(st, ids, (size_t)nsubjects, INT64_MAX, &p, NULL, NULL, &d),
			 SC_OK);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	scan_all(db, &at, &rids, &nk);
	for (uint64_t i = 0; i < p.nsub; i++) {
		const char *id = p.ids + p.idoff[i];
		int k = atoi(id + 1);
		int64_t n;
		/* a subject that is not one of 1..nsubjects: scanned alone */
		if (k >= 1 && k <= nsubjects) {
			n = nk[k];
			memcpy(want, rids + at[k], (size_t)n * sizeof(*want));
		} else {
			n = scan_rids(db, k, want, (int64_t)filed + 8);
		}
		assert_int_equal(id[0], prefix);
		assert_int_equal((int64_t)(p.roff[i + 1] - p.roff[i]), n);
		for (int64_t j = 0; j < n; j++)
			assert_int_equal(p.recs[p.roff[i] + (uint64_t)j].rid, want[j]);
		total += n;
	}
	sqlite3_close(db);
	sc_pop_free(&p);
	free(at);
	free(rids);
	free(nk);
	free(want);
	free(names);
	free(ids);
	return total;
}

static int64_t query_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* How many size classes (highest bit of the pair count) the runs span. */
static int64_t size_classes(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	uint64_t seen = 0;
	int64_t n = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT pairs FROM subject_runs", -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t pairs = sqlite3_column_int64(s, 0);
		assert_true(pairs > 0);
		seen |= 1ull << (63 - __builtin_clzll((unsigned long long)pairs));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	for (; seen; seen &= seen - 1)
		n++;
	return n;
}

static void exec(const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void cleanup(void) { remove_ledger(path); }

static void runs(void **state)
{
	static const int sizes[] = {1, 1, 1, 3, 500, 1, 1, 2000, 7, 1, 64, 65, 1, 1, 1, 300, 1};
	struct sc_store *st = NULL;
	struct sc_diag d;
	int64_t nruns, gone;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-bysubject-%ld.db", (long)getpid());
	cleanup();
	filed = next_id = 0;
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	/* no B-tree index on records(subject) any more */
	assert_int_equal(query_int("SELECT count(*) FROM sqlite_master WHERE name = 'records_subject'"), 0);
	for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		file_batch(st, sizes[b], true);
		if (b == 4) /* a rolled-back transaction leaves no pair */
			file_batch(st, 40, false);
		assert_int_equal(check_all(st), filed);
	}
	/* a binary counter: at most one run per size class, every pair once */
	nruns = query_int("SELECT count(*) FROM subject_runs");
	assert_true(nruns >= 1 && nruns <= 12);
	assert_int_equal(size_classes(), nruns);
	assert_int_equal(query_int("SELECT sum(pairs) FROM subject_runs"), filed);

	/* the highest rid removed, then given again to the same subject's and
	 * to another's records: each found once, and only under its subject */
	int64_t top = query_int("SELECT max(rid) FROM records");
	assert_int_equal(sc_store_expire(st, &top, 1, &d), SC_OK);
	filed--;
	next_id += SUBJECTS - 1; /* the next record: the removed one's subject */
	file_batch(st, 1, true);
	assert_int_equal(query_int("SELECT max(rid) FROM records"), top);
	file_batch(st, 3, true);
	gone = query_int("SELECT max(rid) FROM records");
	assert_int_equal(sc_store_expire(st, &gone, 1, &d), SC_OK);
	filed--;
	file_batch(st, 1, true); /* another subject now holds rid `gone` */
	assert_int_equal(check_all(st), filed);
	sc_store_close(st);

	/* a ledger from before schema 12: records_subject, no runs */
	exec(LEDGER_SUBJECTS_V14
	     " DROP TABLE subject_chunks; DROP TABLE subject_runs;"
	     " CREATE INDEX records_subject ON records(subject);"
	     " CREATE INDEX consents_subject ON consents(subject); DROP INDEX repairs_open;"
	     " DROP TABLE counts;"
	     " UPDATE meta SET value = '11' WHERE key = 'schema'");
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	assert_int_equal(query_int("SELECT count(*) FROM sqlite_master WHERE name = 'records_subject'"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM subject_runs"), 1);
	assert_int_equal(query_int("SELECT sum(pairs) FROM subject_runs"), filed);
	assert_int_equal(check_all(st), filed);
	file_batch(st, 10, true);
	assert_int_equal(check_all(st), filed);
	sc_store_close(st);
	cleanup();
}

/* Files n records for subject k, named with the current prefix. */
static void file_for(struct sc_store *st, int k, int n, int *id)
{
	struct sc_diag d;
	char rid[32], subj[16];

	subject_name(subj, sizeof(subj), k);
	for (int i = 0; i < n; i++) {
		snprintf(rid, sizeof(rid), "b%d", ++*id);
		struct sc_store_add a = {.record_id = txt(rid), .subject = txt(subj),
					 .type = txt("tax.arrears"), .source = txt("tax"),
					 .ref = txt(""), .kind = SC_KIND_PERSON, .date = 20000,
					 .amount = SC_AMOUNT_NONE};
		assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
	}
}

/* Runs of new subjects, as a bulk load files them: each transaction's
 * subjects follow the last one's, its first one the last one's last (a
 * subject cut by a commit). Merges then copy whole chunks (out_copy)
 * where a run's chunk comes before the other run's next pair; every
 * subject is still found whole, in one chunk per run. */
static void runs_apart(void **state)
{
	static const int sizes[] = {700, 300, 1200, 90, 2000, 129, 640, 1, 3000, 256, 512, 5, 1500};
	struct sc_store *st = NULL;
	struct sc_diag d;
	int subject = 1, id = 0;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-bysubject-a-%ld.db", (long)getpid());
	cleanup();
	filed = 0;
	prefix = 'Q';
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		assert_int_equal(sc_store_begin(st, &d), SC_OK);
		for (int i = 0; i < sizes[b]; i++) {
			if (i && i % 3 == 0)
				subject++; /* three records a subject */
			file_for(st, subject, 1, &id);
		}
		assert_int_equal(sc_store_commit(st, &d), SC_OK);
		filed += sizes[b];
		nsubjects = subject;
		assert_int_equal(check_all(st), filed);
	}
	assert_int_equal(query_int("SELECT sum(pairs) FROM subject_runs"), filed);
	assert_int_equal(size_classes(), query_int("SELECT count(*) FROM subject_runs"));
	/* and runs that interleave again: subjects from the start */
	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	for (int i = 0; i < 900; i++)
		file_for(st, 1 + i * 5 % nsubjects, 1, &id);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	filed += 900;
	assert_int_equal(check_all(st), filed);
	sc_store_close(st);
	cleanup();
	prefix = 'P';
	nsubjects = SUBJECTS;
}

/* The edge of a whole-chunk copy: a run whose next pair is the last
 * subject of the other run's chunk. That chunk must not go whole, or the
 * subject would be cut in two chunks of the merged run. */
static void chunk_edge(void **state)
{
	struct sc_store *st = NULL;
	struct sc_diag d;
	int64_t lows[64];
	int nlows = 0, id = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-bysubject-e-%ld.db", (long)getpid());
	cleanup();
	prefix = 'E';
	nsubjects = 300;
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	for (int k = 1; k <= nsubjects; k++)
		file_for(st, k, 3, &id);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	filed = 3 * nsubjects;
	/* the run's chunks; subject k has id k */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT low FROM subject_chunks ORDER BY low", -1, &s,
					    NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && nlows < 64)
		lows[nlows++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(nlows >= 4);
	/* a run of the same size class: the last subject of every chunk but
	 * the last, 100 records each */
	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	for (int c = 1; c < nlows; c++)
		file_for(st, (int)lows[c] - 1, 100, &id);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	filed += 100 * (nlows - 1);
	assert_int_equal(query_int("SELECT count(*) FROM subject_runs"), 1); /* merged */
	assert_int_equal(check_all(st), filed);
	sc_store_close(st);
	cleanup();
	prefix = 'P';
	nsubjects = SUBJECTS;
}

/* A chunk cut short, or one whose varint never ends: the load fails and
 * says so. */
static void damaged(void **state)
{
	static const char *const bad[] = {"x'00'", "x'0080808080808080808080'"};
	struct sc_store *st = NULL;
	struct sc_diag d;
	struct sc_pop p;
	const char *ids[] = {"P8"};
	char sql[160];
	(void)state;

	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/tmp/socred-test-bysubject-%ld.db", (long)getpid());
		cleanup();
		filed = next_id = 0;
		assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
		file_batch(st, 400, true);
		assert_int_equal(check_all(st), filed);
		sc_store_close(st);
		snprintf(sql, sizeof(sql), "UPDATE subject_chunks SET data = %s", bad[k]);
		exec(sql);
		assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
		assert_int_not_equal(sc_store_pop_load(st, ids, 1, INT64_MAX, &p, NULL, NULL, &d), SC_OK);
		assert_non_null(strstr(d.message, "subject index is damaged"));
		sc_store_close(st);
		cleanup();
	}
}

/* argv[1], when given, is a pattern of the tests to run (cmocka's filter):
 * scripts/valgrind.sh runs each test in a process of its own, in parallel */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(runs), cmocka_unit_test(runs_apart),
					   cmocka_unit_test(chunk_edge),
					   cmocka_unit_test(damaged)};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
