/* The audit trail in the ledger: appends across the subject index's
 * segment boundaries (batches that end inside, on and past a boundary),
 * lookups by subject that merge the indexed segments with the tail, and
 * the chain over all of it; every field read back as written from the
 * blocks; a ledger whose older entries are rows of the audit table (before
 * schema 10) going on in blocks; a damaged block named. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/access.h"
#include "socred/audit_head.h"
#include "socred/audit_json.h"

#include "socred/store.h"
#include "ledger_files.h"

#define SUBJECTS 5
#define TOTAL 300001 /* > 2 segments of 2^17, and a tail */

static const char *const subjects[SUBJECTS] = {"", "P1", "P2", "O9", "P10"};

/* which subject entry seq is about: one in 13 about none */
static int who(int64_t seq) { return seq % 13 ? (int)(seq % (SUBJECTS - 1)) + 1 : 0; }

struct seen {
	int subject;
	int64_t last, n;
	int bad;
};

static enum sc_status take(void *ctx, const struct sc_audit_entry *e)
{
	struct seen *s = ctx;
	if (e->seq <= s->last || (s->subject && who(e->seq) != s->subject) ||
	    strcmp(e->subject, subjects[who(e->seq)]))
		s->bad++;
	s->last = e->seq;
	s->n++;
	return SC_OK;
}

static enum sc_status take_any(void *ctx, const struct sc_audit_entry *e)
{
	struct seen *s = ctx;
	(void)e;
	s->n++;
	return SC_OK;
}

static void segments(void **state)
{
	char path[64];
	struct sc_store *st = NULL;
	struct sc_diag d;
	struct sc_audit_entry *e = calloc(40000, sizeof(*e));
	int64_t expect[SUBJECTS] = {0}, done = 0, count = 0, bad = 0;
	/* batch sizes: one ends exactly on the first boundary (131072),
	 * another crosses the second */
	const int64_t sizes[] = {131000, 72, 39999, 1, 40000, 40000, 40000, 8929};
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-audit-%ld.db", (long)getpid());
	unlink(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		for (int64_t left = sizes[b]; left > 0;) {
			int64_t n = left < 40000 ? left : 40000;
			for (int64_t i = 0; i < n; i++) {
				int w = who(done + i + 1);
				e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z",
					.key_id = 1, .role = SC_ROLE_ENFORCER,
					.action = "GET /v1/check air_travel",
					.subject = subjects[w], .result = "200 allow"};
				expect[w]++;
			}
			assert_int_equal(sc_store_audit_append(st, e, (size_t)n, &d), SC_OK);
			assert_int_equal(e[n - 1].seq, done + n);
			done += n;
			left -= n;
		}
		/* every subject's entries, complete and in order, after each batch */
		for (int k = 1; k < SUBJECTS; k++) {
			struct seen s = {.subject = k};
			assert_int_equal(sc_store_audit_subject(st, subjects[k], take, &s, &d), SC_OK);
			assert_int_equal(s.bad, 0);
			assert_int_equal(s.n, expect[k]);
		}
	}
	assert_int_equal(done, TOTAL);
	{
		struct seen s = {0};
		assert_int_equal(sc_store_audit_subject(st, "", take, &s, &d), SC_OK);
		assert_int_equal(s.n, TOTAL);
		assert_int_equal(s.bad, 0);
		s = (struct seen){.subject = 1};
		assert_int_equal(sc_store_audit_subject(st, "nobody", take, &s, &d), SC_OK);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(sc_store_audit_verify(st, (uint64_t *)&count, &bad, &d), SC_OK);
	assert_int_equal(count, TOTAL);
	sc_store_close(st);
	/* reopened: the same answers */
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	{
		struct seen s = {.subject = 4};
		assert_int_equal(sc_store_audit_subject(st, subjects[4], take, &s, &d), SC_OK);
		assert_int_equal(s.n, expect[4]);
		assert_int_equal(s.bad, 0);
	}
	sc_store_close(st);
	free(e);
	unlink(path);
	{
		char side[80];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s.changes", path);
		unlink(side);
	}
}

/* what was appended, to compare with what is read back */
struct want {
	const struct sc_audit_entry *e;
	size_t n, at;
	int bad;
};

static enum sc_status same(void *ctx, const struct sc_audit_entry *e)
{
	struct want *w = ctx;
	const struct sc_audit_entry *x = &w->e[w->at];

	if (w->at >= w->n || e->seq != (int64_t)w->at + 1 || strcmp(e->at, x->at) ||
	    e->key_id != x->key_id || e->role != x->role || strcmp(e->action, x->action) ||
	    strcmp(e->subject, x->subject) || strcmp(e->result, x->result))
		w->bad++;
	w->at++;
	return SC_OK;
}

static void fields(void **state)
{
	enum { N = 3000 };
	static char text[N][3][400];
	static const int64_t keys[] = {0, 1, 127, 128, 16383, 16384, (int64_t)1 << 40, -5, INT64_MAX};
	struct sc_audit_entry *e = calloc(N, sizeof(*e));
	struct sc_store *st = NULL;
	struct sc_diag d;
	struct want w = {.e = e, .n = N};
	char path[64];
	uint64_t count;
	int64_t bad;
	(void)state;

	for (size_t i = 0; i < N; i++) {
		/* shared prefixes of every length, empty strings, long ones */
		snprintf(text[i][0], 400, "2026-01-%02zuT10:%02zu:%02zu.%03zuZ", 1 + i / 1000,
			 i / 60 % 60, i % 60, i % 7);
		if (i % 11 == 0)
			snprintf(text[i][1], 400, "%s", "");
		else if (i % 13 == 0)
			snprintf(text[i][1], 400, "%0350zu", i);
		else
			snprintf(text[i][1], 400, "GET /v1/check %s", i % 3 ? "air_travel" : "rail");
		snprintf(text[i][2], 400, i % 5 ? "1101011990%07zuX" : "%.0zu", i % 17);
		e[i] = (struct sc_audit_entry){.at = text[i][0], .key_id = keys[i % 9],
			.role = (enum sc_role)(i % 5), .action = text[i][1], .subject = text[i][2],
			.result = i % 4 ? "200 deny c1 c2" : "200 allow"};
	}
	snprintf(path, sizeof(path), "/tmp/socred-test-fields-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	for (size_t at = 0, n = 1; at < N; at += n, n = n * 3 + 1)
		assert_int_equal(sc_store_audit_append(st, e + at, at + n > N ? N - at : n, &d), SC_OK);
	assert_int_equal(sc_store_audit_subject(st, "", same, &w, &d), SC_OK);
	assert_int_equal(w.at, N);
	assert_int_equal(w.bad, 0);
	assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_OK);
	assert_int_equal(count, N);
	/* one subject's: only its own, as written */
	{
		struct seen s = {0};
		size_t n = 0;
		for (size_t i = 0; i < N; i++)
			n += !strcmp(e[i].subject, text[5 * 17 + 1][2]);
		assert_int_equal(sc_store_audit_subject(st, text[5 * 17 + 1][2], take_any, &s, &d), SC_OK);
		assert_int_equal(s.n, n);
	}
	sc_store_close(st);
	remove_ledger(path);
	free(e);
}

/* A ledger whose first entries are rows of the audit table, chained as
 * before schema 10, its first segment indexed a row per entry (audit_index,
 * before schema 11): new entries go on in blocks, in seq and in the chain;
 * the segment that straddles rows and blocks is indexed in chunks; lookups
 * read both kinds of index; a damaged block is named. */
static void migrated(void **state)
{
	enum { OLD = 131072 + 1000, NEW = 135000 };
	struct sc_store *st = NULL;
	struct sc_audit_entry *e = calloc(NEW, sizeof(*e));
	struct sc_diag d;
	sqlite3 *db;
	sqlite3_stmt *s;
	char path[64], prev[SC_HASH_HEX] = "", hash[SC_HASH_HEX];
	int64_t expect[SUBJECTS] = {0}, bad;
	uint64_t count;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-migrated-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	sc_store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO audit VALUES(?1, ?2, 1, 'enforcer',"
					    " 'GET /v1/check air_travel', ?3, '200 allow', ?4, ?5)",
					    -1, &s, NULL), SQLITE_OK);
	for (int64_t seq = 1; seq <= OLD; seq++) {
		struct sc_audit_entry x = {.seq = seq, .at = "2025-01-01T00:00:00.000Z",
			.key_id = 1, .role = SC_ROLE_ENFORCER, .action = "GET /v1/check air_travel",
			.subject = subjects[who(seq)], .result = "200 allow"};
		sc_audit_hash(&x, prev, hash);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_text(s, 2, x.at, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, x.subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 5, hash, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		memcpy(prev, hash, SC_HASH_HEX);
		expect[who(seq)]++;
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO audit_index SELECT 0, subject, seq FROM audit"
				      " WHERE seq <= 131072 AND subject <> '' ORDER BY 2, 3",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	for (int64_t i = 0; i < NEW; i++) {
		int w = who(OLD + i + 1);
		e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z", .key_id = 1,
			.role = SC_ROLE_ENFORCER, .action = "GET /v1/check air_travel",
			.subject = subjects[w], .result = "200 allow"};
		expect[w]++;
	}
	assert_int_equal(sc_store_audit_append(st, e, 1000, &d), SC_OK);
	assert_int_equal(e[0].seq, OLD + 1);
	for (int64_t at = 1000; at < NEW; at += 40000)
		assert_int_equal(sc_store_audit_append(st, e + at, NEW - at < 40000 ? (size_t)(NEW - at) : 40000,
						       &d), SC_OK);
	assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_OK);
	assert_int_equal(count, OLD + NEW);
	for (int k = 1; k < SUBJECTS; k++) {
		struct seen x = {.subject = k};
		assert_int_equal(sc_store_audit_subject(st, subjects[k], take, &x, &d), SC_OK);
		assert_int_equal(x.bad, 0);
		assert_int_equal(x.n, expect[k]);
	}
	sc_store_close(st);

	/* the second block cut short: reading and verifying name it */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_blocks_append_only_u;"
				      " UPDATE audit_blocks SET data = substr(data, 1, length(data) - 3)"
				      " WHERE seq = 133073", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_ECORRUPT);
	assert_int_equal(bad, 133073);
	{
		struct seen x = {0};
		assert_int_equal(sc_store_audit_subject(st, "", take_any, &x, &d), SC_ECORRUPT);
		assert_non_null(strstr(d.message, "133073"));
	}
	sc_store_close(st);
	remove_ledger(path);
	free(e);
}

/* Every single-byte change to a block: verify names it (or the block
 * still reads as the same entries), and reading it is an error, never a
 * crash or an overread (the suite runs under ASan). */
static void flipped(void **state)
{
	enum { N = 600 };
	static char subj[N][24], act[N][40];
	struct sc_audit_entry *e = calloc(N, sizeof(*e));
	struct sc_store *st = NULL;
	struct sc_diag d;
	sqlite3 *db;
	sqlite3_stmt *s;
	unsigned char *orig;
	char path[64];
	int len;
	(void)state;

	for (size_t i = 0; i < N; i++) {
		snprintf(subj[i], sizeof(subj[i]), i % 7 ? "P%zu" : "%.0zu", i % 37);
		snprintf(act[i], sizeof(act[i]), "GET /v1/check %s", i % 3 ? "air_travel" : "rail");
		e[i] = (struct sc_audit_entry){.at = i % 2 ? "2026-01-01T00:00:00.000Z" : "2026-01-01T00:00:01.500Z",
			.key_id = (int64_t)(i % 300), .role = (enum sc_role)(i % 5), .action = act[i],
			.subject = subj[i], .result = i % 4 ? "200 deny c1" : "200 allow"};
	}
	snprintf(path, sizeof(path), "/tmp/socred-test-flipped-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	for (size_t at = 0; at < N; at += 200)
		assert_int_equal(sc_store_audit_append(st, e + at, 200, &d), SC_OK);
	sc_store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_blocks_append_only_u", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM audit_blocks WHERE seq = 201",
					    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	len = sqlite3_column_bytes(s, 0);
	orig = malloc((size_t)len);
	memcpy(orig, sqlite3_column_blob(s, 0), (size_t)len);
	sqlite3_finalize(s);
	assert_true(len > 1000);
	srand(7);
	int caught = 0;
	for (int k = 0; k < 400; k++) {
		int at = k < 64 ? k : rand() % len; /* the first entry's bytes, then anywhere */
		unsigned char x = (unsigned char)(1 + rand() % 255);
		uint64_t count;
		int64_t bad;
		struct want w = {.e = e, .n = N};
		enum sc_status v, r;

		orig[at] ^= x;
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit_blocks SET data = ?1 WHERE seq = 201",
						    -1, &s, NULL), SQLITE_OK);
		sqlite3_bind_blob(s, 1, orig, len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
		orig[at] ^= x;
		assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
		v = sc_store_audit_verify(st, &count, &bad, &d);
		r = sc_store_audit_subject(st, "", same, &w, &d);
		assert_true(r == SC_OK || r == SC_ECORRUPT);
		if (v == SC_OK) {
			assert_int_equal(r, SC_OK);
			assert_int_equal(w.bad, 0);
			assert_int_equal(w.at, N);
		} else {
			assert_int_equal(v, SC_ECORRUPT);
			assert_int_equal(bad, 201);
			caught++;
		}
		r = sc_store_audit_subject(st, "P1", take_any, &(struct seen){0}, &d);
		assert_true(r == SC_OK || r == SC_ECORRUPT);
		sc_store_close(st);
	}
	sqlite3_close(db);
	fprintf(stderr, "flipped: %d of 400 changes caught by verify\n", caught);
	assert_true(caught >= 390);
	free(orig);
	free(e);
	remove_ledger(path);
}

/* Subjects that tie on their first 8 and 16 bytes, shorter and longer,
 * appended by two handles in turn and by a handle reopened mid-segment:
 * each append merges its entries into the open segment's keys that the
 * handle kept, or reads them back when another handle appended since;
 * every subject's entries are found, complete and in order, through the
 * index of each filled segment. */
#define MIXED 700
static char mixed[MIXED][48];

static enum sc_status take_mixed(void *ctx, const struct sc_audit_entry *e)
{
	struct seen *s = ctx;
	if (e->seq <= s->last || strcmp(e->subject, mixed[s->subject]))
		s->bad++;
	s->last = e->seq;
	s->n++;
	return SC_OK;
}

static void handles(void **state)
{
	enum { N = 400000 }; /* 3 segments filled, and a tail */
	struct sc_store *h[2] = {NULL, NULL};
	struct sc_audit_entry *e = calloc(5000, sizeof(*e));
	int64_t *expect = calloc(MIXED, sizeof(*expect)), done = 0, bad;
	uint64_t count;
	struct sc_diag d;
	char path[64];
	unsigned r = 11;
	int which = 0;
	(void)state;

	for (int i = 0; i < MIXED; i++) {
		switch (i % 7) {
		case 0: snprintf(mixed[i], sizeof(mixed[i]), "%d", i); break; /* shorter than 8 */
		case 1: snprintf(mixed[i], sizeof(mixed[i]), "11010119%04d", i); break; /* 12 */
		case 2: snprintf(mixed[i], sizeof(mixed[i]), "1101011990%06d", i); break; /* 16 */
		case 3: snprintf(mixed[i], sizeof(mixed[i]), "1101011990010%05d", i); break; /* 18 */
		case 4: /* the same 16 bytes, then anything */
			snprintf(mixed[i], sizeof(mixed[i]), "ABCDEFGHIJKLMNOP%.*d", i % 30, i);
			break;
		case 5: snprintf(mixed[i], sizeof(mixed[i]), "ABCDEFGHIJKLMNO%d", i); break;
		default: snprintf(mixed[i], sizeof(mixed[i]), "ABCDEFGH%d", i); break;
		}
	}
	snprintf(mixed[MIXED - 1], sizeof(mixed[0]), "ABCDEFGHIJKLMNOP"); /* the 16 alone */
	snprintf(path, sizeof(path), "/tmp/socred-test-handles-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &h[0], &d), SC_OK);
	assert_int_equal(sc_store_open(path, 0, &h[1], &d), SC_OK);
	for (int step = 0; done < N; step++) {
		int64_t n = 1 + (r = r * 1103515245u + 12345u) % 5000;
		/* the same handle for a few appends, then the other; but one
		 * handle alone from the first segment's end to past the second's,
		 * so the keys a crossing append leaves for the next segment are
		 * kept through that segment's appends until it fills */
		bool mix = done < 131072 - 5000 || done > 262144 + 5000;
		if (mix && (r >> 7) % 4 == 0)
			which = !which;
		if (n > N - done)
			n = N - done;
		for (int64_t i = 0; i < n; i++) {
			int w = (int)((r = r * 1103515245u + 12345u) % (MIXED + 40));
			e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z", .key_id = 3,
				.role = SC_ROLE_ENFORCER, .action = "GET /v1/check rail",
				.subject = w < MIXED ? mixed[w] : "", .result = "200 allow"};
			if (w < MIXED)
				expect[w]++;
		}
		assert_int_equal(sc_store_audit_append(h[which], e, (size_t)n, &d), SC_OK);
		assert_int_equal(e[0].seq, done + 1);
		done += n;
		if (mix && step % 23 == 22) { /* a handle starting mid-segment */
			sc_store_close(h[0]);
			assert_int_equal(sc_store_open(path, 0, &h[0], &d), SC_OK);
		}
	}
	assert_true(ledger_count(path, NULL, "SELECT count(DISTINCT seg) FROM audit_subjects") == 3);
	for (int k = 0; k < MIXED; k++) {
		struct seen s = {.subject = k};
		assert_int_equal(sc_store_audit_subject(h[k % 2], mixed[k], take_mixed, &s, &d), SC_OK);
		assert_int_equal(s.bad, 0);
		assert_int_equal(s.n, expect[k]);
	}
	assert_int_equal(sc_store_audit_verify(h[1], &count, &bad, &d), SC_OK);
	assert_int_equal(count, N);
	sc_store_close(h[0]);
	sc_store_close(h[1]);
	remove_ledger(path);
	free(expect);
	free(e);
}

/* A ledger written before entries were hashed with their fields' lengths:
 * its entries keep the old encoding (from seq audit_v2_from on, the new);
 * verify checks each by its own, and fails when told the wrong one. */
/* entry seq's inclusion proof as JSON (as the HTTP route serves it) says
 * the encoding its entry was hashed with, and checks offline; with the
 * other encoding it fails */
struct kept {
	struct sc_audit_entry e;
	char at[40], action[64], subject[16], result[32], prev[SC_HASH_HEX], hash[SC_HASH_HEX];
};

static enum sc_status keep_entry(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
				 const char *hash_hex)
{
	struct kept *k = ctx;

	k->e = *e;
	snprintf(k->at, sizeof(k->at), "%s", e->at);
	snprintf(k->action, sizeof(k->action), "%s", e->action);
	snprintf(k->subject, sizeof(k->subject), "%s", e->subject);
	snprintf(k->result, sizeof(k->result), "%s", e->result);
	snprintf(k->prev, sizeof(k->prev), "%s", prev_hex);
	snprintf(k->hash, sizeof(k->hash), "%s", hash_hex);
	k->e.at = k->at;
	k->e.action = k->action;
	k->e.subject = k->subject;
	k->e.result = k->result;
	return SC_OK;
}

static void proof_round_trip(struct sc_store *st, int64_t seq, int encoding)
{
	struct sc_merkle_frontier *f = malloc(sizeof(*f));
	struct sc_audit_proof *p = calloc(1, sizeof(*p));
	struct sc_audit_head *h = malloc(sizeof(*h));
	unsigned char seed[SC_HEAD_SEED_BYTES] = {7}, sk[SC_HEAD_SECRET_BYTES];
	struct kept k;
	struct sc_diag d;
	json_t *o;

	assert_non_null(f);
	assert_non_null(p);
	assert_non_null(h);
	p->tree = f;
	assert_int_equal(sc_store_audit_prove(st, seq, p, keep_entry, &k, &d), SC_OK);
	assert_int_equal(k.e.seq, seq);
	sc_audit_key_from_seed(seed, sk);
	sc_audit_head_sign(h, f, "2026-01-01T00:00:00Z", sk);
	o = sc_audit_proof_json(&k.e, k.prev, k.hash, p, h);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "encoding")), encoding);
	assert_int_equal(sc_audit_proof_check(o, NULL, "proof", &d), SC_OK);
	json_object_set_new(o, "encoding", json_integer(3 - encoding));
	assert_int_equal(sc_audit_proof_check(o, NULL, "proof", &d), SC_EREFUSED);
	json_decref(o);
	free(h);
	free(p);
	free(f);
}

static void encodings(void **state)
{
	enum { OLD = 100, NEW = 50 };
	struct sc_audit_entry e[NEW];
	struct sc_store *st = NULL;
	struct sc_diag d;
	sqlite3 *db;
	sqlite3_stmt *s;
	char path[64], prev[SC_HASH_HEX] = "", hash[SC_HASH_HEX];
	int64_t bad;
	uint64_t count;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-encodings-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	sc_store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* a new ledger hashes every entry the new way */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'audit_v2_from'",
					    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), 1);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "BEGIN; UPDATE meta SET value = '101' WHERE key = 'audit_v2_from'",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO audit VALUES(?1, '2025-01-01T00:00:00.000Z',"
					    " 1, 'enforcer', 'GET /v1/check air_travel', 'P1', '200 allow', ?2, ?3)",
					    -1, &s, NULL), SQLITE_OK);
	for (int64_t seq = 1; seq <= OLD; seq++) {
		struct sc_audit_entry x = {.seq = seq, .at = "2025-01-01T00:00:00.000Z",
			.key_id = 1, .role = SC_ROLE_ENFORCER, .action = "GET /v1/check air_travel",
			.subject = "P1", .result = "200 allow"};
		sc_audit_hash_v1(&x, prev, hash);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_text(s, 2, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, hash, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		memcpy(prev, hash, SC_HASH_HEX);
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	for (int i = 0; i < NEW; i++)
		e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z", .key_id = 2,
			.role = SC_ROLE_SUBJECT, .action = "report", .subject = "P1", .result = "200"};
	assert_int_equal(sc_store_audit_append(st, e, NEW, &d), SC_OK);
	assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_OK);
	assert_int_equal(count, OLD + NEW);
	/* the Merkle tree takes the old entries in under the hashes they were
	 * written with, and a proof of each kind checks offline */
	proof_round_trip(st, 7, 1);
	proof_round_trip(st, OLD + 3, 2);
	sc_store_close(st);
	/* the old entries read with the new encoding break at the first */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '1' WHERE key = 'audit_v2_from'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_ECORRUPT);
	assert_int_equal(bad, 1);
	sc_store_close(st);
	remove_ledger(path);
}

/* argv[1], when given, is a pattern of the tests to run (cmocka's filter):
 * scripts/valgrind.sh runs each test in a process of its own, in parallel */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(segments), cmocka_unit_test(fields),
					   cmocka_unit_test(migrated), cmocka_unit_test(flipped),
					   cmocka_unit_test(encodings),
					   cmocka_unit_test(handles)};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
