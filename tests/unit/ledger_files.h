/* For the unit tests that open a ledger file: removes it with the files
 * SQLite and the store keep beside it (WAL, shared memory, change counter). */
#ifndef SOCRED_TEST_LEDGER_FILES_H
#define SOCRED_TEST_LEDGER_FILES_H

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

/* Turns a ledger's subjects back to what schema 14 had (one table, its
 * ext_id UNIQUE; no tiers of keys: sqlite_keys.c), on a connection
 * without foreign key checks, to test the migrations from before 15. */
#define LEDGER_SUBJECTS_V14                                                      \
	"CREATE TABLE s14(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE,"  \
	" kind INTEGER NOT NULL);"                                               \
	" INSERT INTO s14 SELECT id, ext_id, kind FROM subjects;"                \
	" DROP TABLE subjects; ALTER TABLE s14 RENAME TO subjects;"              \
	" CREATE TRIGGER subjects_kind_u AFTER UPDATE OF kind ON subjects BEGIN" \
	" INSERT INTO changes(subject) VALUES(NEW.id); END;"                     \
	" DROP TABLE subject_keys; DROP TABLE subject_keys_new;"                 \
	" DELETE FROM counts WHERE name IN ('subject_keys_new', 'subject_key_merges');"

#endif
