/* The ingest's checkpointer (src/store/sqlite_ckpt.c): its thread copies
 * committed WAL frames into the database file while the writer goes on;
 * the writer takes over once the WAL reaches its bound; an ingest whose
 * WAL passes SQLite's 1,000-frame mark several times leaves every record,
 * seen by a second connection after each commit and after the close, and
 * a database that passes SQLite's integrity check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/limits.h"
#include "socred/store.h"
#include "store/sqlite_impl.h"
#include "ledger_files.h"

static char path[80];

static void cleanup(void) { remove_ledger(path); }

static int64_t file_size(const char *suffix)
{
	char p[100];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Waits (up to a minute: memcheck is slow) for the database file to grow
 * past size; true when it did. */
static bool grows_past(int64_t size)
{
	for (int i = 0; i < 6000; i++) {
		if (file_size("") > size)
			return true;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return false;
}

/* The writer's bound: SC_LIMIT_INGEST_WAL_MIB of frames, or four commits
 * of the last one's size when that is more. */
static void due(void **state)
{
	int min16 = (int)((int64_t)SC_LIMIT_INGEST_WAL_MIB * 1024 * 1024 / 16384);
	(void)state;

	assert_false(sc_lite_ckpt_due(min16 - 1, 100, 16384));
	assert_true(sc_lite_ckpt_due(min16, 100, 16384));
	assert_false(sc_lite_ckpt_due(min16 * 4 - 1, min16, 16384));
	assert_true(sc_lite_ckpt_due(min16 * 4, min16, 16384));
	/* 4 KiB pages: four times the frames */
	assert_false(sc_lite_ckpt_due(min16 * 4 - 1, 100, 4096));
	assert_true(sc_lite_ckpt_due(min16 * 4, 100, 4096));
}

/* The thread alone: frames a connection committed (with its own
 * checkpoints off) reach the database file once it is kicked; stop joins
 * an idle thread and a kicked one. */
static void thread_copies(void **state)
{
	sqlite3 *db = NULL;
	struct sc_ckpt *c;
	int64_t before;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-ckpt-%ld.db", (long)getpid());
	cleanup();
	assert_null(sc_lite_ckpt_start("/nonexistent-dir/x.db"));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x BLOB);",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_wal_autocheckpoint(db, 0);
	assert_int_equal(sqlite3_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
				      " SELECT i + 1 FROM n WHERE i < 200)"
				      " INSERT INTO t SELECT randomblob(4000) FROM n",
				      NULL, NULL, NULL), SQLITE_OK);
	before = file_size("");
	assert_true(file_size("-wal") > 200 * 4000);
	c = sc_lite_ckpt_start(path);
	assert_non_null(c);
	sc_lite_ckpt_kick(c);
	sc_lite_ckpt_wait(c);
	assert_true(file_size("") > before + 200 * 4000);
	/* more frames, kicked, then stopped at once: the join waits for a
	 * running checkpoint, a pending one is left to the next */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t SELECT randomblob(4000) FROM t",
				      NULL, NULL, NULL), SQLITE_OK);
	sc_lite_ckpt_kick(c);
	sc_lite_ckpt_stop(c);
	sc_lite_ckpt_stop(NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 400);
	sqlite3_close(db);
	cleanup();
}

/* An ingest through the store: three transactions of about 700 WAL
 * frames each (records with 256-byte refs), read by a second connection
 * after each commit; the database file grows while the store is open (the
 * checkpoints ran), and after the close the ledger is whole. */
static void ingest(void **state)
{
	enum { TXNS = 3, PER_TXN = 30000 };
	struct sc_store *st = NULL;
	sqlite3 *reader = NULL;
	struct sc_diag d;
	char rid[32], subj[16], ref[SC_LIMIT_REF + 1];
	int64_t start_size;
	int next = 0;
	size_t lines;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-ckpt-%ld.db", (long)getpid());
	cleanup();
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	start_size = file_size("");
	assert_int_equal(sqlite3_open(path, &reader), SQLITE_OK);
	memset(ref, 'x', SC_LIMIT_REF);
	ref[SC_LIMIT_REF] = '\0';
	for (int t = 0; t < TXNS; t++) {
		assert_int_equal(sc_store_begin_ingest(st, &lines, &d), SC_OK);
		for (int i = 0; i < PER_TXN; i++) {
			next++;
			snprintf(rid, sizeof(rid), "tax-%09d", next);
			snprintf(subj, sizeof(subj), "P%d", next / 10);
			snprintf(ref, 12, "%011d", next); /* no two pages alike */
			ref[11] = 'x';
			struct sc_store_add a = {
				.record_id = {rid, strlen(rid)}, .subject = {subj, strlen(subj)},
				.type = {"tax.arrears", 11}, .source = {"tax", 3},
				.ref = {ref, SC_LIMIT_REF}, .kind = SC_KIND_PERSON,
				.date = 20000, .amount = next};
			assert_int_equal(sc_store_record_add(st, &a, &d), SC_OK);
		}
		assert_int_equal(sc_store_commit(st, &d), SC_OK);
		assert_int_equal(query_int(reader, "SELECT count(*) FROM records"), next);
		assert_int_equal(query_int(reader, "SELECT max(amount) FROM records"), next);
	}
	/* the WAL passed 1,000 frames: its frames reach the file before close */
	assert_true(file_size("-wal") > 1000 * 16384);
	assert_true(grows_past(start_size + (int64_t)PER_TXN * SC_LIMIT_REF));
	sc_store_close(st);
	assert_int_equal(query_int(reader, "SELECT count(*) FROM records"), TXNS * PER_TXN);
	assert_int_equal(query_int(reader, "SELECT count(DISTINCT record_id) FROM records"),
			 TXNS * PER_TXN);
	sqlite3_close(reader);
	/* the last connection's close copied the rest and removed the WAL */
	assert_int_equal(file_size("-wal"), -1);
	assert_int_equal(sqlite3_open(path, &reader), SQLITE_OK);
	{
		sqlite3_stmt *s = NULL;
		assert_int_equal(sqlite3_prepare_v2(reader, "PRAGMA integrity_check", -1, &s, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
	}
	assert_int_equal(query_int(reader, "SELECT sum(amount) FROM records"),
			 (int64_t)TXNS * PER_TXN * (TXNS * PER_TXN + 1) / 2);
	sqlite3_close(reader);
	cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(due),
		cmocka_unit_test(thread_copies),
		cmocka_unit_test(ingest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
