/* Damaged derived files are never used. A decision snapshot and a
 * population image are damaged 1,000 times each, at random, in every
 * region of the file (the header, each section or table, the padding
 * between them, the checksums, the tail) and in every way (a bit flipped,
 * a byte or a run of bytes changed or zeroed, the file cut short or
 * lengthened). Each damaged file must be refused when opened, with no
 * crash; had one been accepted, every answer read from it must still be
 * the undamaged file's (the ledger's). A few damaged images also go the
 * whole way through sc_image_sync: rebuilt from the ledger, every
 * subject's evaluation is the undamaged run's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "image/image_impl.h"
#include "ledger_files.h"
#include "socred/generate.h"
#include "socred/image.h"
#include "socred/ingest.h"
#include "socred/limits.h"
#include "socred/snapshot.h"

#define TRIALS 1000
#define SUBJECTS 300

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long size;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	b = malloc((size_t)size + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*n = (size_t)size;
	return b;
}

static void spill(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A region of a file: [from, to). */
struct region {
	uint64_t from, to;
};

/* Writes to path the good file (n bytes) damaged in region r, a random
 * way; buf: room for n + 64 bytes. */
static void damage(const char *path, const unsigned char *good, size_t n, struct region r,
		   unsigned char *buf)
{
	uint64_t at = r.from + next(r.to - r.from), len;
	size_t size = n;

	memcpy(buf, good, n);
	switch (next(6)) {
	case 0: /* one bit */
		buf[at] ^= (unsigned char)(1u << next(8));
		break;
	case 1: /* one byte, another value */
		buf[at] ^= (unsigned char)(1 + next(255));
		break;
	case 2: /* a run of random bytes */
		len = 1 + next(16);
		for (uint64_t i = at; i < at + len && i < n; i++)
			buf[i] = (unsigned char)next(256);
		buf[at] = (unsigned char)(good[at] ^ (1 + next(255)));
		break;
	case 3: /* a run of zeros, or of ones where it was zero */
		len = 1 + next(64);
		for (uint64_t i = at; i < at + len && i < n; i++)
			buf[i] = good[at] ? 0 : 0xFF;
		break;
	case 4: /* cut short there */
		size = (size_t)at;
		break;
	default: /* lengthened */
		size = n + 1 + (size_t)next(64);
		for (size_t i = n; i < size; i++)
			buf[i] = (unsigned char)next(256);
		break;
	}
	spill(path, buf, size);
}

/* ---- the snapshot ---- */

/* The snapshot's header, as snapshot.c writes it (format 4). */
struct snap_header {
	char magic[8];
	uint32_t format;
	int32_t day;
	uint32_t ncards, hcrc;
	uint64_t count, nslots, slots_off, data_off, data_len, file_len;
	int64_t mark[4];
	unsigned char digest[SC_SNAP_DIGEST];
	uint64_t names_off, nnames, strings_len, ledger, sums_off, nblocks;
	uint32_t sums_crc, pad;
};

static void sid(char *buf, size_t size, int i)
{
	snprintf(buf, size, "S%05d", i);
}

/* Every answer s gives for the subjects (and some it does not hold), in
 * one string, for comparison with the undamaged file's. */
static char *answers(const struct sc_snap *s)
{
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap), id[32];

	assert_non_null(out);
	for (int i = 0; i < SUBJECTS + 20; i++) {
		struct sc_snap_entry e;
		sid(id, sizeof(id), i);
		if (!sc_snap_find(s, id, strlen(id), &e)) {
			len += (size_t)snprintf(out + len, cap - len, "%s none\n", id);
			continue;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s %d %d %zu %zu:", id, e.kind,
					e.ledger_only, e.ncards, e.nhits);
		for (size_t c = 0; c < e.ncards && c < SC_LIMIT_SCORECARDS; c++) {
			struct sc_card_result r;
			sc_snap_entry_card(&e, c, &r);
			len += (size_t)snprintf(out + len, cap - len, " %d/%d/%d", r.status,
						r.score, r.grade);
		}
		for (size_t h = 0; h < e.nhits && h < SC_SNAP_HITS_MAX; h++) {
			struct sc_snap_hit x;
			sc_snap_entry_hit(&e, h, &x);
			len += (size_t)snprintf(out + len, cap - len, " [%d %d %d %lld %s]", x.list,
						x.since, x.until, (long long)x.rid,
						sc_snap_hit_record(&e, &x));
		}
		len += (size_t)snprintf(out + len, cap - len, "\n");
		assert_true(len < cap - 4096);
	}
	return out;
}

static void snapshot(void **state)
{
	struct sc_rulebook *rb = NULL;
	struct sc_snap_writer *w;
	struct sc_snap *s;
	struct sc_card_result cards[SC_LIMIT_SCORECARDS];
	struct sc_snap_hit hits[SC_SNAP_HITS_MAX + 1];
	struct sc_store_mark mark = {{1, 2, 3, 4}};
	struct snap_header h;
	struct region reg[16];
	char path[128], id[32], names[SC_SNAP_HITS_MAX + 1][32], *want, *got;
	unsigned char *good, *buf;
	size_t n, nreg = 0, ncards, refused = 0;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/socred-test-damage-%ld.snap", (long)getpid());
	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, NULL), SC_OK);
	ncards = sc_rulebook_scorecard_count(rb);
	assert_int_equal(sc_snap_writer_new(rb, 20000, &w), SC_OK);
	for (int i = 0; i < SUBJECTS; i++) {
		size_t nh = i % 7 == 0 ? 1 + (size_t)(i % 3) : i == 5 ? SC_SNAP_HITS_MAX + 1 : 0;
		for (size_t c = 0; c < ncards; c++)
			cards[c] = (struct sc_card_result){(enum sc_card_status)((i + (int)c) % 3),
							   600 + i, (i + (int)c) % 5, 0, -1};
		for (size_t k = 0; k < nh; k++) {
			snprintf(names[k], sizeof(names[k]), "rec-%d-%zu", i, k);
			hits[k] = (struct sc_snap_hit){(int)k, 19000 + i, i % 2 ? SC_DAY_NONE : 21000,
						       names[k], (int64_t)i * 10 + (int64_t)k};
		}
		sid(id, sizeof(id), i);
		assert_int_equal(sc_snap_writer_add(w, id, i % 4 ? SC_KIND_PERSON : SC_KIND_ORG,
						    cards, hits, nh), SC_OK);
	}
	assert_int_equal(sc_snap_writer_finish(w, &mark, NULL, path, NULL, NULL), SC_OK);
	sc_snap_writer_free(w);
	assert_int_equal(sc_snap_open(path, &s, NULL), SC_OK);
	want = answers(s);
	sc_snap_close(s);
	assert_non_null(strstr(want, "[0 19014 21000 140 rec-14-0]"));
	good = slurp(path, &n);
	buf = malloc(n + 128);
	assert_non_null(buf);
	assert_true(n > sizeof(h));
	memcpy(&h, good, sizeof(h));
	assert_int_equal(h.file_len, n);
	/* every region of the file */
	reg[nreg++] = (struct region){0, 8};                       /* magic */
	reg[nreg++] = (struct region){8, sizeof(h)};               /* the header's fields */
	reg[nreg++] = (struct region){h.slots_off, h.data_off};    /* slots */
	reg[nreg++] = (struct region){h.data_off, h.data_off + h.data_len}; /* entries */
	if (h.names_off > h.data_off + h.data_len)                 /* padding */
		reg[nreg++] = (struct region){h.data_off + h.data_len, h.names_off};
	reg[nreg++] = (struct region){h.names_off, h.names_off + h.nnames * 16}; /* names */
	reg[nreg++] = (struct region){h.names_off + h.nnames * 16,             /* record ids */
				      h.names_off + h.nnames * 16 + h.strings_len};
	if (h.sums_off > h.names_off + h.nnames * 16 + h.strings_len)
		reg[nreg++] = (struct region){h.names_off + h.nnames * 16 + h.strings_len,
					      h.sums_off};
	reg[nreg++] = (struct region){h.sums_off, n};              /* checksums */
	reg[nreg++] = (struct region){n - 1, n};                   /* the last byte */
	for (size_t r = 0; r < nreg; r++)
		assert_true(reg[r].from < reg[r].to && reg[r].to <= n);
	for (int t = 0; t < TRIALS; t++) {
		struct sc_diag d;
		enum sc_status rc;
		damage(path, good, n, reg[(size_t)t % nreg], buf);
		if ((rc = sc_snap_open(path, &s, &d)) != SC_OK) {
			/* refused: the ledger answers, as the server does */
			assert_int_equal(rc, SC_ECORRUPT);
			assert_non_null(strstr(d.source, "socred-test-damage"));
			refused++;
			continue;
		}
		got = answers(s);
		sc_snap_close(s);
		if (strcmp(want, got))
			fail_msg("damage %d in region %zu: answers differ", t, (size_t)t % nreg);
		free(got);
	}
	/* with checksums, every damage is seen */
	assert_int_equal(refused, TRIALS);
	free(want);
	free(good);
	free(buf);
	unlink(path);
	sc_rulebook_free(rb);
}

/* ---- the image ---- */

struct scanned {
	struct sc_eval *ev;
	sc_day at;
	uint64_t digest, subjects;
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ c[i]) * UINT64_C(0x100000001b3);
}

/* Every subject's evaluation, in ledger order, into one digest. */
static enum sc_status visit(void *tctx, int64_t sidn, const char *id,
			    const struct sc_subject *s)
{
	struct scanned *sc = tctx;
	const struct sc_list_hit *lh;
	size_t nl;
	enum sc_status rc;

	if ((rc = sc_eval_subject(sc->ev, s, sc->at, 0)))
		return rc;
	mix(&sc->digest, &sidn, sizeof(sidn));
	mix(&sc->digest, id, strlen(id));
	mix(&sc->digest, &s->nrecs, sizeof(s->nrecs));
	for (size_t c = 0; c < sc_rulebook_scorecard_count(sc_eval_rulebook(sc->ev)); c++) {
		const struct sc_card_result *r = sc_eval_card(sc->ev, (int)c);
		int32_t v[3] = {(int32_t)r->status, r->status == SC_CARD_SCORED ? r->score : 0,
				r->grade};
		mix(&sc->digest, v, sizeof(v));
	}
	lh = sc_eval_lists(sc->ev, &nl);
	for (size_t i = 0; i < nl; i++) {
		int32_t v[3] = {lh[i].list, lh[i].since, lh[i].until};
		mix(&sc->digest, v, sizeof(v));
	}
	sc->subjects++;
	return SC_OK;
}

static uint64_t scan(const struct sc_image *img, const struct sc_rulebook *rb,
		     uint64_t *subjects)
{
	struct scanned sc = {.ev = sc_eval_new(rb), .at = sc_date_from_ymd(2025, 12, 31),
			     .digest = UINT64_C(0xcbf29ce484222325)};
	void *tctx[1] = {&sc};
	const struct sc_rulebook *rbs[1] = {rb};

	assert_non_null(sc.ev);
	assert_int_equal(sc_image_scan(img, rbs, 1, 1, visit, tctx, NULL, NULL, NULL), SC_OK);
	sc_eval_free(sc.ev);
	*subjects = sc.subjects;
	return sc.digest;
}

static void image(void **state)
{
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_image *img = NULL;
	struct sc_image_info info;
	struct sc_gen_opts go = {.people = 250, .orgs = 25, .seed = 7,
				 .from = sc_date_from_ymd(2020, 1, 1),
				 .to = sc_date_from_ymd(2025, 12, 1)};
	struct sc_ingest_opts io = {0};
	struct sc_ingest_stats is = {0};
	struct img_header h;
	struct region reg[4 * SEC_COUNT + 8];
	char db[128], path[160];
	unsigned char *good, *buf;
	uint64_t want, got, nsub, nsub2, end;
	size_t n, nreg = 0, refused = 0;
	FILE *csv;

	(void)state;
	snprintf(db, sizeof(db), "/tmp/socred-test-damage-%ld.db", (long)getpid());
	remove_ledger(db);
	sc_image_path(db, path, sizeof(path));
	unlink(path);
	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, NULL), SC_OK);
	assert_int_equal(sc_store_open(db, SC_STORE_CREATE, &st, NULL), SC_OK);
	csv = tmpfile();
	assert_non_null(csv);
	assert_int_equal(sc_generate(&go, csv, NULL, NULL), SC_OK);
	rewind(csv);
	assert_int_equal(sc_ingest_stream(st, rb, csv, "town.csv", &io, &is, NULL), SC_OK);
	fclose(csv);
	assert_int_equal(sc_image_sync(st, path, 0, &img, &info, NULL, NULL, NULL), SC_OK);
	assert_true(info.built);
	want = scan(img, rb, &nsub);
	assert_true(nsub >= 250);
	sc_image_close(img);

	good = slurp(path, &n);
	buf = malloc(n + 128);
	assert_non_null(buf);
	memcpy(&h, good, sizeof(h));
	assert_int_equal(h.size, n);
	/* the header, every section, the padding after each, the sums */
	reg[nreg++] = (struct region){0, 8};
	reg[nreg++] = (struct region){8, sizeof(h)};
	end = sizeof(h);
	for (int k = 0; k < SEC_COUNT; k++) {
		if (h.off[k] > end)
			reg[nreg++] = (struct region){end, h.off[k]};
		if (h.len[k])
			reg[nreg++] = (struct region){h.off[k], h.off[k] + h.len[k]};
		end = h.off[k] + h.len[k];
	}
	if (h.sums_off > end)
		reg[nreg++] = (struct region){end, h.sums_off};
	reg[nreg++] = (struct region){h.sums_off, n};
	reg[nreg++] = (struct region){n - 1, n};
	assert_true(nreg >= SEC_COUNT + 4);
	for (size_t r = 0; r < nreg; r++)
		assert_true(reg[r].from < reg[r].to && reg[r].to <= n);
	for (int t = 0; t < TRIALS; t++) {
		struct img_file f;
		struct sc_diag d;
		enum sc_status rc;
		damage(path, good, n, reg[(size_t)t % nreg], buf);
		rc = img_file_open(path, &f, &d);
		if (rc == SC_OK)
			img_file_close(&f);
		else
			refused++;
		/* every 80th goes the whole way: refused, rebuilt, the same */
		if (rc == SC_OK || t % 80 == 0) {
			assert_int_equal(sc_image_sync(st, path, 0, &img, &info, NULL, NULL, NULL),
					 SC_OK);
			got = scan(img, rb, &nsub2);
			sc_image_close(img);
			if (got != want || nsub2 != nsub)
				fail_msg("damage %d in region %zu: answers differ", t, (size_t)t % nreg);
			assert_true(info.built);
		}
	}
	assert_int_equal(refused, TRIALS);
	free(good);
	free(buf);
	sc_store_close(st);
	unlink(path);
	remove_ledger(db);
	sc_rulebook_free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot),
		cmocka_unit_test(image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
