/* For the unit tests that open a ledger file: removes it with the files
 * SQLite and the store keep beside it (WAL, shared memory, change counter). */
#ifndef SOCRED_TEST_LEDGER_FILES_H
#define SOCRED_TEST_LEDGER_FILES_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static inline void remove_ledger(const char *path)
{
	static const char *const ext[] = {"", "-wal", "-shm", ".changes"};
	char p[4096];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, ext[i]);
		unlink(p);
	}
}

/* The first column of a one-row query on the ledger at path, with the
 * ledger at `attach` (NULL: none) attached as b; -1 when it fails. */
static inline int64_t ledger_count(const char *path, const char *attach, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char at[4200];
	int64_t n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto done;
	snprintf(at, sizeof(at), "ATTACH '%s' AS b", attach ? attach : "");
	if ((attach && sqlite3_exec(db, at, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
done:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Turns a ledger's names back to what schema 15 had (no search key: the
 * names_name index of the names themselves). */
#define LEDGER_NAMES_V15                                                         \
	" DROP TRIGGER IF EXISTS names_kind_u;"                                         \
	" CREATE TABLE n15(subject INTEGER PRIMARY KEY REFERENCES subjects(id)," \
	" name TEXT NOT NULL, date INTEGER NOT NULL);"                           \
	" INSERT INTO n15 SELECT subject, name, date FROM names;"                \
	" DROP TABLE names; ALTER TABLE n15 RENAME TO names;"                    \
	" CREATE INDEX names_name ON names(name);"

/* Turns a ledger's subjects back to what schema 14 had (one table, its
 * ext_id UNIQUE; no tiers of keys: sqlite_keys.c), on a connection
 * without foreign key checks, to test the migrations from before 15; and
 * its names to schema 15's. */
#define LEDGER_SUBJECTS_V14                                                      \
	"CREATE TABLE s14(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE,"  \
	" kind INTEGER NOT NULL);"                                               \
	" INSERT INTO s14 SELECT id, ext_id, kind FROM subjects;"                \
	" DROP TABLE subjects; ALTER TABLE s14 RENAME TO subjects;"              \
	" CREATE TRIGGER subjects_kind_u AFTER UPDATE OF kind ON subjects BEGIN" \
	" INSERT INTO changes(subject) VALUES(NEW.id); END;"                     \
	" DROP TABLE subject_keys; DROP TABLE subject_keys_new;"                 \
	" DELETE FROM counts WHERE name IN ('subject_keys_new', 'subject_key_merges');" \
	LEDGER_NAMES_V15

#endif
