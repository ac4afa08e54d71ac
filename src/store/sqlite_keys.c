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
 * it (SC_KEYS_SHARE), and at least SC_KEYS_MIN keys. Then every key moves
 * over in one pass in key order (subject_keys_new is ordered by ext_id),
 * which writes each page of the large tier at most once: a log-structured
 * merge of two levels.
 *
 * The small tier's size is kept in the counts table (sqlite_counts.c), so
 * deciding costs two row reads, and only at a commit that filed subjects.
 *
 * A new subject's lookup, in both tiers, costs a descent of each: with
 * the insert, a quarter of an ingest's writing thread when subjects come
 * new (bench/README.md). So a connection that has looked up many new
 * subjects (an eighth of the large tier's keys) keeps a blocked Bloom
 * filter of that tier (a byte per key at most, 7 bits of one 64-byte block
 * each), and a lookup skips the large tier when the filter rules the
 * ext_id out. Keys
 * enter the large tier only by a merge: the connection adds the keys it
 * moves itself, and a merge by any other connection (the count
 * subject_key_merges moves) discards the filter, which the first lookup of
 * each transaction compares under the write lock. A key never leaves the
 * large tier, so the filter can only err towards a lookup.
 *
 * tests/unit/test_store.c (subjects_keyed_in_tiers) files subjects past a
 * merge, and migrates a ledger from schema 14, and finds each subject
 * again, in exactly one tier, through its own filter and past another
 * connection's merge. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"

/* ---- the filter ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* The block (a) and the seven 9-bit positions in it (b) of a key. */
static void filter_hash(const char *p, size_t n, uint64_t *a, uint64_t *b)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	*a = mix64(h);
	*b = mix64(h ^ 0x9e3779b97f4a7c15ULL);
}

static void filter_add(struct sc_keyfilter *f, const char *p, size_t n)
{
	uint64_t a, b, *blk;

	filter_hash(p, n, &a, &b);
	blk = f->bits + (a & (f->nblocks - 1)) * 8;
	for (int i = 0; i < 7; i++, b >>= 9)
		blk[(b & 511) >> 6] |= 1ULL << (b & 63);
	f->keys++;
}

static bool filter_has(const struct sc_keyfilter *f, const char *p, size_t n)
{
	uint64_t a, b;
	const uint64_t *blk;

	filter_hash(p, n, &a, &b);
	blk = f->bits + (a & (f->nblocks - 1)) * 8;
	for (int i = 0; i < 7; i++, b >>= 9)
		if (!(blk[(b & 511) >> 6] & (1ULL << (b & 63))))
			return false;
	return true;
}

/* No filter; the misses counted stay, so a connection that keeps filing
 * new subjects builds one again soon, and one past the limit tries again
 * only every 1,024 of them. */
static void filter_drop(struct sc_keyfilter *f)
{
	free(f->bits);
	*f = (struct sc_keyfilter){.checked = f->checked, .misses = f->misses};
}

/* Adds each ext_id `sql` selects; false when a read fails. */
static bool filter_fill(struct lite *l, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		filter_add(&l->filter, (const char *)sqlite3_column_text(s, 0),
			   (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE;
}

/* A count as the open transaction sees it (-1: unreadable: the filter is
 * advice, and goes without). */
static int64_t count_now(struct lite *l, enum sc_count_id k)
{
	struct sc_diag ignored;
	int64_t n = -1;

	return sc_lite_count_now(l, k, &n, &ignored) ? -1 : n;
}

/* The filter, if it still reflects the large tier; NULL bits otherwise. */
static struct sc_keyfilter *filter_ready(struct lite *l)
{
	struct sc_keyfilter *f = &l->filter;

	if (f->bits && !f->checked && l->in_txn) {
		if (count_now(l, SC_COUNT_KEY_MERGES) != f->gen)
			filter_drop(f);
		f->checked = true;
	}
	return f->checked ? f : NULL;
}

bool sc_lite_keys_maybe_large(struct lite *l, struct sc_text id)
{
	struct sc_keyfilter *f = l->in_txn ? filter_ready(l) : NULL;

	return !f || !f->bits || filter_has(f, id.p, id.n);
}

/* Builds the filter from the large tier as the transaction sees it, which
 * holds `large` keys after `gen` merges; none when it would pass its limit
 * or a read fails (the filter is advice). */
static void filter_build(struct lite *l, int64_t large, int64_t gen)
{
	struct sc_keyfilter *f = &l->filter;
	int64_t cap = 65536;

	filter_drop(f);
	/* a byte per key when full (about 2% false positives; 0.1% at
	 * half), room for the tier to double: merges add a quarter or more */
	while (cap < 2 * large)
		cap *= 2;
	if (cap > (int64_t)SC_LIMIT_KEY_FILTER_MIB << 20 ||
	    !(f->bits = calloc((size_t)cap / 64, 64)))
		return;
	f->nblocks = (size_t)cap / 64;
	f->capacity = cap;
	if (!filter_fill(l, "SELECT ext_id FROM subject_keys")) {
		filter_drop(f);
		return;
	}
	f->gen = gen;
	f->checked = true;
}

void sc_lite_keys_missed(struct lite *l)
{
	struct sc_keyfilter *f = &l->filter;
	int64_t small, all, gen;

	if (f->bits || !l->in_txn || (++f->misses & 1023) != 1)
		return; /* the sizes below are read at the first miss of 1,024 */
	small = count_now(l, SC_COUNT_KEYS_NEW);
	all = count_now(l, SC_COUNT_SUBJECTS);
	gen = count_now(l, SC_COUNT_KEY_MERGES);
	if (small >= 0 && all >= 0 && gen >= 0 && f->misses >= (all - small) / 8)
		filter_build(l, all - small, gen);
}

enum sc_status sc_lite_keys_merge(struct lite *l, struct sc_diag *d)
{
	int64_t small = 0, all = 0;
	struct sc_keyfilter *f;
	enum sc_status st;
	bool grow = false;

	if (l->counted[SC_COUNT_KEYS_NEW] <= 0) /* no new subject since */
		return SC_OK;
	if ((st = sc_lite_count_now(l, SC_COUNT_KEYS_NEW, &small, d)) ||
	    (st = sc_lite_count_now(l, SC_COUNT_SUBJECTS, &all, d)))
		return st;
	if (small < SC_KEYS_MIN || small * SC_KEYS_SHARE < all - small)
		return SC_OK;
	/* the filter takes the keys this merge moves, or is built again
	 * larger once they are moved */
	if ((f = filter_ready(l)) && f->bits) {
		grow = f->keys + small > f->capacity;
		if (grow || !filter_fill(l, "SELECT ext_id FROM subject_keys_new"))
			filter_drop(f);
	}
	if ((st = sc_lite_exec(l, "INSERT INTO subject_keys SELECT ext_id, id FROM subject_keys_new;"
			       " DELETE FROM subject_keys_new", d)))
		return st;
	sc_lite_count(l, SC_COUNT_KEYS_NEW, -small);
	sc_lite_count(l, SC_COUNT_KEY_MERGES, 1);
	if (f && f->bits)
		f->gen++;
	else if (grow)
		filter_build(l, all, count_now(l, SC_COUNT_KEY_MERGES));
	return SC_OK;
}
