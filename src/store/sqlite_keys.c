/* Subjects by ext_id, in two tiers of keys (schema 15).
 *
 * A new subject's row is appended to `subjects` (in id order, with no index
 * on ext_id), and its key (ext_id -> id) goes to subject_keys_new, the
 * small tier; subject_keys, the large one, holds the rest. A lookup tries
 * the small tier, then the large (SC_SUBJECT_ID, sqlite_impl.h). Each key
 * is in exactly one tier: a subject is filed once its lookup found it in
 * neither, under the write lock.
 *
 * Why: new subjects come in an order unrelated to their ext_id (identity
 * numbers, in a registry's files), so each new key lands at a random place
 * in the key order. With one UNIQUE index, nearly every page of it was
 * written again at every ingest commit, and that write grew with the
 * ledger: 60-73% of the WAL frames of an 11.2 M-line ingest
 * (bench/README.md). Now a commit writes pages of the small tier; the
 * large one is written only when the small one has grown to a quarter of
 * it (SC_KEYS_SHARE), and at least SC_KEYS_MIN keys. Then every key moves over
 * in one pass in key order (subject_keys_new is ordered by ext_id), which
 * writes each page of the large tier at most once: a log-structured merge
 * of two levels.
 *
 * The small tier's size is kept in the counts table (sqlite_counts.c), so
 * deciding costs two row reads, and only at a commit that filed subjects.
 * tests/unit/test_store.c (subjects_keyed_in_tiers) files subjects past a
 * merge, and migrates a ledger from schema 14, and finds each subject
 * again, in exactly one tier. */
#include <sqlite3.h>

#include "sqlite_impl.h"

static enum sc_status count_of(struct lite *l, const char *name, int64_t *n,
			       struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	enum sc_status st;

	if ((st = sc_lite_prepare(l, "SELECT n FROM counts WHERE name = ?1", &s, d)))
		return st;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		st = sc_lite_db_err(l, d, "cannot read the counts");
	sqlite3_finalize(s);
	return st;
}

enum sc_status sc_lite_keys_merge(struct lite *l, struct sc_diag *d)
{
	int64_t small = 0, all = 0;
	enum sc_status st;

	if (l->counted[SC_COUNT_KEYS_NEW] <= 0) /* no new subject since */
		return SC_OK;
	if ((st = count_of(l, "subject_keys_new", &small, d)) ||
	    (st = count_of(l, "subjects", &all, d)))
		return st;
	small += l->counted[SC_COUNT_KEYS_NEW];
	all += l->counted[SC_COUNT_SUBJECTS];
	if (small < SC_KEYS_MIN || small * SC_KEYS_SHARE < all - small)
		return SC_OK;
	if ((st = sc_lite_exec(l, "INSERT INTO subject_keys SELECT ext_id, id FROM subject_keys_new;"
			       " DELETE FROM subject_keys_new", d)))
		return st;
	sc_lite_count(l, SC_COUNT_KEYS_NEW, -small);
	return SC_OK;
}
