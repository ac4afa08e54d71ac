/* The ledger's own choices: how many lines an ingest transaction takes,
 * from the subjects the ledger holds (sqlite.c, ingest_sizes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/limits.h"
#include "socred/store.h"

/* A subject row with this id, written by another connection, as a ledger
 * that already holds that many subjects would have. */
static void subject_with_id(const char *path, long long id)
{
	sqlite3 *db = NULL;
	char sql[160];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO subjects(id, ext_id, kind) VALUES (%lld, 'P%lld', 1)",
		 id, id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static size_t advised(struct sc_store *st)
{
	struct sc_diag d;
	size_t lines = 0;

	assert_int_equal(sc_store_begin_ingest(st, &lines, &d), SC_OK);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	return lines;
}

static void ingest_transaction_grows_with_subjects(void **state)
{
	char path[64];
	struct sc_store *st = NULL;
	struct sc_diag d;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-store-%ld.db", (long)getpid());
	unlink(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	/* an empty ledger, and one of fewer than 8 x the floor: the floor */
	assert_int_equal(advised(st), SC_LIMIT_INGEST_BATCH);
	subject_with_id(path, 8 * SC_LIMIT_INGEST_BATCH - 8);
	assert_int_equal(advised(st), SC_LIMIT_INGEST_BATCH);
	/* above it, one line per 8 subjects */
	subject_with_id(path, 2000000);
	assert_int_equal(advised(st), 250000);
	/* and never more than the ceiling */
	subject_with_id(path, 100000000);
	assert_int_equal(advised(st), SC_LIMIT_INGEST_BATCH_MAX);
	/* a plain transaction after it still works, with the usual cache */
	assert_int_equal(sc_store_begin(st, &d), SC_OK);
	assert_int_equal(sc_store_commit(st, &d), SC_OK);
	sc_store_close(st);
	for (size_t i = 0; i < 4; i++) {
		static const char *const ext[] = {"", "-wal", "-shm", ".changes"};
		char p[80];
		snprintf(p, sizeof(p), "%s%s", path, ext[i]);
		unlink(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(ingest_transaction_grows_with_subjects)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
