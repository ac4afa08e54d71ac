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

#endif
