/* The decision snapshot file: what is written is what is read, absent ids
 * are absent, a subject with too many entries says "ask the ledger", and a
 * damaged file is refused rather than read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

static struct sc_rulebook *load_default(void)
{
	struct sc_rulebook *rb = NULL;

	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, NULL), SC_OK);
	return rb;
}

static void tmp_path(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/socred-test-snap-%ld.snap", (long)getpid());
}

static void round_trip(void **state)
{
	struct sc_rulebook *rb = load_default();
	size_t ncards = sc_rulebook_scorecard_count(rb);
	struct sc_snap_writer *w, *parts[3];
	struct sc_snap *s;
	struct sc_snap_entry e;
	uint64_t pos = 0, walked = 0;
	const char *wid;
	size_t widlen;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS] = {0}, got;
	struct sc_snap_hit hits[2] = {{1, 100, SC_DAY_NONE, "court-1", 7}, {3, 50, 400, "tax-22", 5}}, h;
	struct sc_snap_hit many[SC_SNAP_HITS_MAX + 1];
	struct sc_store_mark mark = {{10, 20, 30, 40}}, m;
	char path[128], id[32];
	unsigned char dg[SC_SNAP_DIGEST];

	(void)state;
	tmp_path(path, sizeof(path));
	for (size_t i = 0; i < ncards; i++)
		cards[i] = (struct sc_card_result){SC_CARD_SCORED, 900 + (int)i, (int)i, (int)i, -1};
	cards[0].status = SC_CARD_NO_CONSENT;
	cards[0].grade = -1;
	for (size_t i = 0; i < SC_SNAP_HITS_MAX + 1; i++)
		many[i] = hits[0];
	/* enough subjects to grow the table several times, added to three
	 * writers (as the threads of a run do) and appended into the first */
	for (int k = 0; k < 3; k++)
		assert_int_equal(sc_snap_writer_new(rb, 20000, &parts[k]), SC_OK);
	w = parts[0];
	assert_int_equal(sc_snap_writer_reserve(parts[1], 10, 100), SC_OK);
	for (int i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), "S%07d", i);
		assert_int_equal(sc_snap_writer_add(parts[i * 3 / 100000], id,
						    i % 2 ? SC_KIND_PERSON : SC_KIND_ORG,
						    cards, hits, (size_t)(i % 3)), SC_OK);
	}
	assert_int_equal(sc_snap_writer_append(w, parts[1]), SC_OK);
	assert_int_equal(sc_snap_writer_append(w, parts[2]), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "crowded", SC_KIND_PERSON, cards, many,
					    SC_SNAP_HITS_MAX + 1), SC_OK);
	sc_snap_writer_free(parts[1]);
	sc_snap_writer_free(parts[2]);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, NULL), SC_OK);
	sc_snap_writer_free(w);

	assert_int_equal(sc_snap_open(path, &s, NULL), SC_OK);
	assert_int_equal(sc_snap_day(s), 20000);
	assert_int_equal(sc_snap_count(s), 100001);
	sc_snap_digest(rb, dg);
	assert_memory_equal(sc_snap_rulebook(s), dg, SC_SNAP_DIGEST);
	sc_snap_mark(s, &m);
	assert_memory_equal(&m, &mark, sizeof(m));
	for (int i = 0; i < 100000; i += 7) {
		snprintf(id, sizeof(id), "S%07d", i);
		assert_true(sc_snap_find(s, id, strlen(id), &e));
		assert_int_equal(e.kind, i % 2 ? SC_KIND_PERSON : SC_KIND_ORG);
		assert_int_equal(e.ncards, ncards);
		assert_int_equal(e.nhits, (size_t)(i % 3));
		assert_false(e.ledger_only);
		sc_snap_entry_card(&e, 0, &got);
		assert_int_equal(got.status, SC_CARD_NO_CONSENT);
		assert_int_equal(got.grade, -1);
		sc_snap_entry_card(&e, ncards - 1, &got);
		assert_int_equal(got.status, SC_CARD_SCORED);
		assert_int_equal(got.score, 900 + (int)ncards - 1);
		assert_int_equal(got.grade, (int)ncards - 1);
		if (e.nhits == 2) {
			sc_snap_entry_hit(&e, 1, &h);
			assert_int_equal(h.list, 3);
			assert_int_equal(h.since, 50);
			assert_int_equal(h.until, 400);
			assert_null(h.record);
			assert_string_equal(sc_snap_hit_record(&e, &h), "tax-22");
			assert_int_equal(h.rid, 5);
			sc_snap_entry_hit(&e, 0, &h);
			assert_int_equal(h.until, SC_DAY_NONE);
			assert_string_equal(sc_snap_hit_record(&e, &h), "court-1");
			assert_int_equal(h.rid, 7);
		}
	}
	/* the walk sees every subject in the order added, across the parts */
	while (sc_snap_next(s, &pos, &e, &wid, &widlen)) {
		if (walked < 100000) {
			snprintf(id, sizeof(id), "S%07d", (int)walked);
			assert_int_equal(widlen, strlen(id));
			assert_memory_equal(wid, id, widlen);
			assert_int_equal(e.nhits, walked % 3);
		}
		walked++;
	}
	assert_int_equal(walked, 100001);
	assert_false(sc_snap_find(s, "S0100000", 8, &e));
	assert_false(sc_snap_find(s, "S000000", 7, &e)); /* a prefix is not a match */
	assert_true(sc_snap_find(s, "crowded", 7, &e));
	assert_true(e.ledger_only);
	assert_int_equal(e.nhits, 0);
	sc_snap_close(s);
	unlink(path);
	sc_rulebook_free(rb);
}

/* A list entry added by ledger row alone must be named before the file
 * is written; a name table out of order is refused. */
static void names(void **state)
{
	struct sc_rulebook *rb = load_default();
	struct sc_snap_writer *w;
	struct sc_snap *s = NULL;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS] = {0};
	struct sc_snap_hit hits[2] = {{0, 1, 2, NULL, 42}, {0, 1, 2, "r-9", 9}};
	struct sc_store_mark mark = {0};
	struct sc_diag d;
	char path[128];
	unsigned char *buf;
	FILE *f;
	long size;
	int64_t a, b;
	uint64_t at;

	(void)state;
	tmp_path(path, sizeof(path));
	assert_int_equal(sc_snap_writer_new(rb, 1, &w), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "a", SC_KIND_PERSON, cards, hits, 2), SC_OK);
	sc_diag_clear(&d);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, &d), SC_EINVAL);
	assert_non_null(strstr(d.message, "never looked up"));
	assert_int_equal(access(path, F_OK), -1);
	sc_snap_writer_free(w);
	/* named twice over (9 then 42): the table holds 9 before 42 */
	hits[0].record = "r-42";
	assert_int_equal(sc_snap_writer_new(rb, 1, &w), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "a", SC_KIND_PERSON, cards, hits, 2), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "b", SC_KIND_PERSON, cards, hits + 1, 1), SC_OK);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, NULL), SC_OK);
	sc_snap_writer_free(w);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	/* the table (where the header's names_off, at byte 136, says): two
	 * rows of 16 bytes, then "r-9\0r-42\0" */
	memcpy(&at, buf + 136, 8);
	assert_true(at + 32 + 9 <= (uint64_t)size);
	memcpy(&a, buf + at, 8);
	memcpy(&b, buf + at + 16, 8);
	assert_int_equal(a, 9);
	assert_int_equal(b, 42);
	assert_memory_equal(buf + at + 32, "r-9\0r-42\0", 9);
	/* swapped: out of order (and its checksum wrong), refused */
	memcpy(buf + at, &b, 8);
	memcpy(buf + at + 16, &a, 8);
	f = fopen(path, "wb");
	assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	assert_int_equal(sc_snap_open(path, &s, &d), SC_ECORRUPT);
	free(buf);
	unlink(path);
	sc_rulebook_free(rb);
}

static void refused(void **state)
{
	struct sc_rulebook *rb = load_default();
	struct sc_snap_writer *w;
	struct sc_snap *s = NULL;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS] = {0};
	struct sc_store_mark mark = {0};
	struct sc_diag d;
	char path[128], longid[SC_LIMIT_SUBJECT_ID + 2];
	FILE *f;
	long size;

	(void)state;
	tmp_path(path, sizeof(path));
	unlink(path);
	assert_int_equal(sc_snap_open(path, &s, &d), SC_ENOTFOUND);
	assert_non_null(strstr(d.source, "socred-test-snap"));
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(sc_snap_writer_new(rb, 1, &w), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, longid, SC_KIND_PERSON, cards, NULL, 0), SC_ELIMIT);
	assert_int_equal(sc_snap_writer_add(w, "a", SC_KIND_PERSON, cards, NULL, 0), SC_OK);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, NULL), SC_OK);
	sc_snap_writer_free(w);
	/* cut short: the size disagrees with the header */
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, size - 1), 0);
	assert_int_equal(sc_snap_open(path, &s, &d), SC_ECORRUPT);
	assert_non_null(strstr(d.message, "not a socred snapshot"));
	/* not one at all */
	f = fopen(path, "w");
	fputs("op,record_id\n", f);
	fclose(f);
	assert_int_equal(sc_snap_open(path, &s, &d), SC_ECORRUPT);
	unlink(path);
	sc_rulebook_free(rb);
}

/* A symbolic link in the snapshot's place is neither read, nor written
 * through, nor replaced; the file it points at stays as it was. */
static void link_refused(void **state)
{
	struct sc_rulebook *rb = load_default();
	struct sc_snap_writer *w;
	struct sc_snap *s = NULL;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS] = {0};
	struct sc_store_mark mark = {0};
	struct sc_diag d;
	struct stat sb;
	char path[128], victim[160], buf[64] = {0};
	FILE *f;

	(void)state;
	tmp_path(path, sizeof(path));
	snprintf(victim, sizeof(victim), "%s.victim", path);
	unlink(path);
	f = fopen(victim, "w");
	fputs("not socred's", f);
	fclose(f);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(sc_snap_open(path, &s, &d), SC_EREFUSED);
	assert_string_equal(d.source, path);
	assert_non_null(strstr(d.message, "symbolic link"));
	assert_int_equal(sc_snap_writer_new(rb, 1, &w), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "a", SC_KIND_PERSON, cards, NULL, 0), SC_OK);
	sc_diag_clear(&d);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, &d), SC_EREFUSED);
	assert_string_equal(d.source, path);
	sc_snap_writer_free(w);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	f = fopen(victim, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "not socred's");
	unlink(path);
	/* without the link: written, owner-only */
	assert_int_equal(sc_snap_writer_new(rb, 1, &w), SC_OK);
	assert_int_equal(sc_snap_writer_add(w, "a", SC_KIND_PERSON, cards, NULL, 0), SC_OK);
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, NULL), SC_OK);
	sc_snap_writer_free(w);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unlink(path);
	unlink(victim);
	sc_rulebook_free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(names),
		cmocka_unit_test(refused),
		cmocka_unit_test(link_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
