/* The population image's file: mapping and checking one, writing one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_impl.h"
#include "socred/checksum.h"
#include "socred/sidefile.h"

static enum sc_status bad(const char *path, const char *why, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ECORRUPT, path, 0, 0, NULL, "not a usable image: %s", why);
}

/* Offsets ascending from 0 to last, within the section's length. */
static bool offsets_ok(const uint64_t *o, uint64_t n, uint64_t last)
{
	if (o[0] != 0 || o[n] != last)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (o[i + 1] < o[i])
			return false;
	return true;
}

/* Names: every one NUL-terminated inside its section. */
static bool strings_ok(const uint64_t *o, uint64_t n, const char *s, uint64_t len)
{
	if (!offsets_ok(o, n, len))
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (o[i + 1] == o[i] || s[o[i + 1] - 1] != '\0')
			return false;
	return true;
}

/* The header, the sums and every block of the body are as written. */
static bool sums_ok(const unsigned char *map, uint64_t size)
{
	struct img_header h;
	uint64_t room;

	memcpy(&h, map, sizeof(h));
	h.hcrc = 0;
	if (sc_crc32(0, &h, sizeof(h)) != ((const struct img_header *)map)->hcrc ||
	    h.size != size || h.sums_off < sizeof(h) || h.sums_off % 8 || h.sums_off > size)
		return false;
	room = size - h.sums_off;
	if (room % sizeof(uint32_t) || h.nblocks != room / sizeof(uint32_t) ||
	    h.nblocks != sc_sum_blocks(h.sums_off - sizeof(h)))
		return false;
	return sc_crc32(0, map + h.sums_off, room) == h.sums_crc &&
	       sc_sum_check(map + sizeof(h), h.sums_off - sizeof(h),
			    (const uint32_t *)(map + h.sums_off));
}

enum sc_status img_file_open(const char *path, struct img_file *f, struct sc_diag *d)
{
	const struct img_header *h;
	const unsigned char *b;
	struct stat sb;
	enum sc_status st;
	int fd;

	memset(f, 0, sizeof(*f));
	if ((st = sc_side_open_read(path, &fd, d)))
		return st;
	if (fstat(fd, &sb) < 0 || (size_t)sb.st_size < sizeof(*h)) {
		close(fd);
		return bad(path, "shorter than its header", d);
	}
	f->size = (size_t)sb.st_size;
	f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot map: %s", strerror(errno));
	}
	h = f->h = f->map;
	b = f->map;
	if (memcmp(h->magic, IMG_MAGIC, sizeof(IMG_MAGIC)) || h->version != IMG_VERSION ||
	    h->order != IMG_ORDER)
		goto bad_header;
	if (h->size != f->size)
		goto bad_size;
	if (!sums_ok(b, f->size)) {
		img_file_close(f);
		return bad(path, "damaged (its checksums disagree)", d);
	}
	{
		const uint64_t need[SEC_COUNT] = {
			[SEC_SID] = h->nsub * 8, [SEC_KIND] = h->nsub,
			[SEC_IDOFF] = (h->nsub + 1) * 8, [SEC_ROFF] = (h->nsub + 1) * 8,
			[SEC_COFF] = (h->nsub + 1) * 8,
			[SEC_RECS] = h->nrec * sizeof(struct img_rec),
			[SEC_EXTRA] = h->nextra * sizeof(struct img_extra),
			[SEC_CONS] = h->ncons * sizeof(struct img_cons),
			[SEC_TYPEOFF] = (h->ntypes + 1) * 8, [SEC_CARDOFF] = (h->ncards + 1) * 8};
		if (h->nsub > f->size || h->nrec > f->size || h->nextra > f->size ||
		    h->ncons > f->size || h->ntypes > f->size || h->ncards > f->size)
			goto bad_size;
		for (int k = 0; k < SEC_COUNT; k++) {
			if (h->off[k] % 8 || h->off[k] < sizeof(*h) || h->len[k] > h->sums_off ||
			    h->off[k] > h->sums_off - h->len[k])
				goto bad_size;
			if (k != SEC_IDS && k != SEC_TYPES && k != SEC_CARDS && h->len[k] != need[k])
				goto bad_size;
		}
	}
	f->sid = (const int64_t *)(b + h->off[SEC_SID]);
	f->kind = b + h->off[SEC_KIND];
	f->idoff = (const uint64_t *)(b + h->off[SEC_IDOFF]);
	f->ids = (const char *)(b + h->off[SEC_IDS]);
	f->roff = (const uint64_t *)(b + h->off[SEC_ROFF]);
	f->coff = (const uint64_t *)(b + h->off[SEC_COFF]);
	f->recs = (const struct img_rec *)(b + h->off[SEC_RECS]);
	f->extra = (const struct img_extra *)(b + h->off[SEC_EXTRA]);
	f->cons = (const struct img_cons *)(b + h->off[SEC_CONS]);
	f->typeoff = (const uint64_t *)(b + h->off[SEC_TYPEOFF]);
	f->types = (const char *)(b + h->off[SEC_TYPES]);
	f->cardoff = (const uint64_t *)(b + h->off[SEC_CARDOFF]);
	f->cards = (const char *)(b + h->off[SEC_CARDS]);
	if (!strings_ok(f->idoff, h->nsub, f->ids, h->len[SEC_IDS]) ||
	    !strings_ok(f->typeoff, h->ntypes, f->types, h->len[SEC_TYPES]) ||
	    !strings_ok(f->cardoff, h->ncards, f->cards, h->len[SEC_CARDS]) ||
	    !offsets_ok(f->roff, h->nsub, h->nrec) || !offsets_ok(f->coff, h->nsub, h->ncons)) {
		img_file_close(f);
		return bad(path, "its offsets or names are out of order", d);
	}
	for (uint64_t i = 0; i < h->nextra; i++)
		if (f->extra[i].rec >= h->nrec || (i && f->extra[i].rec <= f->extra[i - 1].rec)) {
			img_file_close(f);
			return bad(path, "its dates table is out of order", d);
		}
	for (uint64_t i = 1; i < h->nsub; i++)
		if (f->sid[i] <= f->sid[i - 1]) {
			img_file_close(f);
			return bad(path, "its subjects are out of order", d);
		}
	return SC_OK;
bad_header:
	img_file_close(f);
	return bad(path, "another format, version or byte order", d);
bad_size:
	img_file_close(f);
	return bad(path, "its size disagrees with its header (truncated?)", d);
}

void img_file_close(struct img_file *f)
{
	if (f->map)
		munmap(f->map, f->size);
	memset(f, 0, sizeof(*f));
}

/* ---- writing ---- */

/* A buffered writer over a file descriptor: sections are written by many
 * small appends. */
struct out {
	int fd;
	uint64_t pos;
	size_t n;
	bool failed;
	uint64_t flushed;  /* bytes handed to the file */
	uint64_t sum_from, sum_to; /* what the sums cover */
	struct sc_sum sum;
	unsigned char buf[1 << 20];
};

static void out_flush(struct out *o)
{
	size_t done = 0;
	uint64_t a = o->flushed > o->sum_from ? o->flushed : o->sum_from;
	uint64_t z = o->flushed + o->n < o->sum_to ? o->flushed + o->n : o->sum_to;

	if (a < z)
		sc_sum_feed(&o->sum, o->buf + (a - o->flushed), z - a);
	o->flushed += o->n;

	while (!o->failed && done < o->n) {
		ssize_t w = write(o->fd, o->buf + done, o->n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->failed = true;
		else
			done += (size_t)w;
	}
	o->n = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
	const unsigned char *s = p;

	o->pos += n;
	while (n) {
		size_t k = sizeof(o->buf) - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
		if (o->n == sizeof(o->buf))
			out_flush(o);
	}
}

static void out_u64(struct out *o, uint64_t v)
{
	out_put(o, &v, sizeof(v));
}

static void out_align(struct out *o)
{
	static const unsigned char zero[8];

	if (o->pos % 8)
		out_put(o, zero, 8 - o->pos % 8);
}

static void section(struct out *o, struct img_header *h, enum img_sec k, bool start)
{
	if (start) {
		out_align(o);
		h->off[k] = o->pos;
	} else {
		h->len[k] = o->pos - h->off[k];
	}
}

static void names(struct out *o, struct img_header *h, enum img_sec offk,
		  const char *const *s, size_t n)
{
	uint64_t at = 0;

	section(o, h, offk, true);
	out_u64(o, 0);
	for (size_t i = 0; i < n; i++)
		out_u64(o, at += strlen(s[i] ? s[i] : "") + 1);
	section(o, h, offk, false);
	section(o, h, offk + 1, true);
	for (size_t i = 0; i < n; i++)
		out_put(o, s[i] ? s[i] : "", strlen(s[i] ? s[i] : "") + 1);
	section(o, h, offk + 1, false);
}

/* An offsets section (SEC_IDOFF, SEC_ROFF or SEC_COFF): 0, then the
 * running total of each subject's id bytes (with the NUL), records or
 * consents. Returns the total. */
static uint64_t offsets(const struct sc_image *v, struct out *o, struct img_header *h,
			enum img_sec k)
{
	struct img_subject s;
	uint64_t at = 0;

	section(o, h, k, true);
	out_u64(o, 0);
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_head(v, i, &s);
		at += k == SEC_IDOFF ? strlen(s.id) + 1 : k == SEC_ROFF ? s.nrecs : s.ncons;
		out_u64(o, at);
	}
	section(o, h, k, false);
	return at;
}

/* The per-subject sections, one pass each over the view. */
static enum sc_status write_body(const struct sc_image *v, struct out *o,
				 struct img_header *h)
{
	struct sc_eval_record *recs = malloc(v->maxr * sizeof(*recs));
	struct sc_pop_consent *cons = malloc(v->maxc * sizeof(*cons));
	struct img_subject s;
	uint64_t at, x;

	if (!recs || !cons) {
		free(recs);
		free(cons);
		return SC_ENOMEM;
	}
	/* the subjects' identities and sizes: no rows unpacked */
	section(o, h, SEC_SID, true);
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_head(v, i, &s);
		out_put(o, &s.sid, sizeof(s.sid));
	}
	section(o, h, SEC_SID, false);
	section(o, h, SEC_KIND, true);
	for (uint64_t i = 0; i < v->n; i++) {
		uint8_t k;
		img_view_head(v, i, &s);
		k = (uint8_t)s.kind;
		out_put(o, &k, 1);
	}
	section(o, h, SEC_KIND, false);
	offsets(v, o, h, SEC_IDOFF);
	section(o, h, SEC_IDS, true);
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_head(v, i, &s);
		out_put(o, s.id, strlen(s.id) + 1);
	}
	section(o, h, SEC_IDS, false);
	h->nrec = offsets(v, o, h, SEC_ROFF);
	h->ncons = offsets(v, o, h, SEC_COFF);
	/* the rows, unpacked subject by subject */
	section(o, h, SEC_RECS, true);
	x = 0;
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_subject(v, i, &x, recs, cons, &s);
		for (size_t r = 0; r < s.nrecs; r++) {
			struct img_rec ir = {recs[r].rid, recs[r].amount, recs[r].date, recs[r].type};
			out_put(o, &ir, sizeof(ir));
		}
	}
	section(o, h, SEC_RECS, false);
	section(o, h, SEC_EXTRA, true);
	x = 0;
	at = 0;
	h->nextra = 0;
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_subject(v, i, &x, recs, cons, &s);
		for (size_t r = 0; r < s.nrecs; r++, at++) {
			const struct sc_eval_record *e = &recs[r];
			if (e->rectified == SC_DAY_NONE && e->revoked == SC_DAY_NONE &&
			    e->suspended_from == SC_DAY_NONE && e->suspended_until == SC_DAY_NONE)
				continue;
			struct img_extra ie = {at, e->rectified, e->revoked, e->suspended_from,
					       e->suspended_until};
			out_put(o, &ie, sizeof(ie));
			h->nextra++;
		}
	}
	section(o, h, SEC_EXTRA, false);
	section(o, h, SEC_CONS, true);
	x = 0;
	for (uint64_t i = 0; i < v->n; i++) {
		img_view_subject(v, i, &x, recs, cons, &s);
		for (size_t c = 0; c < s.ncons; c++) {
			struct img_cons ic = {cons[c].date, (int16_t)cons[c].card,
					      (uint8_t)cons[c].granted, 0};
			out_put(o, &ic, sizeof(ic));
		}
	}
	section(o, h, SEC_CONS, false);
	free(recs);
	free(cons);
	return SC_OK;
}

enum sc_status img_file_write(const struct sc_image *v, const char *path,
			      struct sc_diag *d)
{
	struct img_header h = {.version = IMG_VERSION, .order = IMG_ORDER};
	char tmp[4096];
	struct out *o;
	enum sc_status st;

	if ((st = sc_side_not_link(path, d)))
		return st;
	if (!(o = calloc(1, sizeof(*o))))
		return SC_ENOMEM;
	if ((st = sc_side_temp(path, tmp, sizeof(tmp), &o->fd, d))) {
		free(o);
		return st;
	}
	o->sum_from = sizeof(h);
	o->sum_to = UINT64_MAX;
	memcpy(h.magic, IMG_MAGIC, sizeof(IMG_MAGIC));
	snprintf(h.ledger, sizeof(h.ledger), "%s", v->ledger);
	h.mark = v->mark;
	h.nsub = v->n;
	h.ntypes = v->ntypes;
	h.ncards = v->ncards;
	out_put(o, &h, sizeof(h)); /* rewritten once the sections are known */
	if ((st = write_body(v, o, &h)))
		goto fail;
	names(o, &h, SEC_TYPEOFF, v->types, v->ntypes);
	names(o, &h, SEC_CARDOFF, v->cards, v->ncards);
	out_align(o);
	h.sums_off = o->sum_to = o->pos;
	out_flush(o);
	if (!sc_sum_end(&o->sum)) {
		st = SC_ENOMEM;
		goto fail;
	}
	h.nblocks = o->sum.n;
	h.sums_crc = sc_crc32(0, o->sum.sums, o->sum.n * sizeof(*o->sum.sums));
	out_put(o, o->sum.sums, o->sum.n * sizeof(*o->sum.sums));
	h.size = o->pos;
	h.hcrc = sc_crc32(0, &h, sizeof(h));
	out_flush(o);
	if (o->failed || pwrite(o->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		st = sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot write: %s", strerror(errno));
		goto fail;
	}
	st = sc_side_sync_close(o->fd, tmp, d);
	o->fd = -1;
	if (st || (st = sc_side_replace(tmp, path, d)))
		goto fail;
	sc_sum_release(&o->sum);
	free(o);
	return SC_OK;
fail:
	if (o->fd >= 0)
		close(o->fd);
	unlink(tmp);
	sc_sum_release(&o->sum);
	free(o);
	return st;
}
