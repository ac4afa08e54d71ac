/* The decision snapshot's file format: writing and reading (see
 * socred/snapshot.h). Little-endian, as the machines it runs on. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/arena.h"
#include "socred/checksum.h"
#include "socred/limits.h"
#include "socred/sha256.h"
#include "socred/sidefile.h"
#include "socred/ledger_path.h"
#include "socred/snapshot.h"

#define MAGIC "SCSNAP\0\4"
#define FORMAT 4u
#define HEADER_BYTES 192
#define OFF_BITS 40
#define OFF_MASK ((UINT64_C(1) << OFF_BITS) - 1)

struct header {
	char magic[8];
	uint32_t format;
	int32_t day;
	uint32_t ncards;
	uint32_t hcrc; /* CRC-32 of the header's HEADER_BYTES with this 0 */
	uint64_t count, nslots, slots_off, data_off, data_len, file_len;
	int64_t mark[4];
	unsigned char digest[SC_SNAP_DIGEST];
	/* the record ids of list entries: nnames x {i64 rid, u64 offset into
	 * the strings}, by rid, at names_off (8-aligned after the data), then
	 * strings_len bytes of NUL-terminated ids */
	uint64_t names_off, nnames, strings_len;
	uint64_t ledger; /* hash of the ledger's identity; 0: unknown */
	/* the body, [HEADER_BYTES, sums_off), in blocks of SC_SUM_BLOCK, and
	 * at sums_off (8-aligned after the strings) each block's CRC-32;
	 * sums_crc: the CRC-32 of that table */
	uint64_t sums_off, nblocks;
	uint32_t sums_crc, pad;
};
_Static_assert(sizeof(struct header) == HEADER_BYTES, "header is the header's bytes");

/* Entry: u8 idlen, u8 kind, u8 nhits, u8 ncards; ncards x {i32 score,
 * i8 status, i8 grade, u16 0}; the id; nhits x {i32 since, i32 until,
 * u16 list, u16 0, i64 record row}. */
#define CARD_BYTES 8
#define HIT_BYTES 20
#define NAME_BYTES 16
#define LEDGER_ONLY 0xFF /* nhits: too many entries, ask the ledger */
#define NO_NAME UINT64_MAX

/* A run of entries. Only the last chunk of a writer grows; appending a
 * writer moves its chunks over instead of copying them. */
struct chunk {
	unsigned char *p;
	size_t len, cap;
};
/* A list entry's record row and the offset of its id in blob (NO_NAME:
 * not known yet). */
struct wname {
	int64_t rid;
	uint64_t off;
};

struct sc_snap_writer {
	struct header h;
	struct chunk *chunks;
	size_t nchunks, capchunks;
	size_t len;     /* bytes in all chunks: the next entry's offset */
	uint64_t *keys; /* per subject: hash */
	uint64_t *offs; /* per subject: offset in data */
	size_t n, capn;
	struct wname *names;
	size_t nnames, capnames;
	bool sorted;    /* names by rid, one each */
	char *blob;     /* record ids given or looked up, NUL-terminated */
	size_t blen, bcap;
	uint64_t carried, looked_up; /* ids from the file replaced, from the ledger */
};

struct sc_snap {
	const unsigned char *map;
	size_t size;
	const struct header *h;
	const uint64_t *slots;
	const unsigned char *data;
	const unsigned char *names;
	const char *strings;
	uint64_t mask;
};

static uint64_t hash_id(const char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * UINT64_C(0x100000001b3);
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

static uint64_t align8(uint64_t x)
{
	return (x + 7) & ~UINT64_C(7);
}

void sc_snap_path(const char *db, char *buf, size_t size)
{
	char base[4096];

	if (!sc_ledger_local(db, base, sizeof(base)))
		base[0] = '\0';
	snprintf(buf, size, "%s.snap", base);
}

void sc_snap_digest(const struct sc_rulebook *rb, unsigned char out[SC_SNAP_DIGEST])
{
	size_t len;
	const char *text = sc_rulebook_text(rb, &len);

	sc_sha256(text, len, out);
}

/* ---- writing ---- */

enum sc_status sc_snap_writer_new(const struct sc_rulebook *rb, sc_day at,
				  struct sc_snap_writer **out)
{
	struct sc_snap_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return SC_ENOMEM;
	memcpy(w->h.magic, MAGIC, 8);
	w->h.format = FORMAT;
	w->h.day = at;
	w->h.ncards = (uint32_t)sc_rulebook_scorecard_count(rb);
	sc_snap_digest(rb, w->h.digest);
	w->sorted = true;
	*out = w;
	return SC_OK;
}

/* Large buffers on huge pages where the kernel allows it (transparent
 * huge pages in "madvise" mode): a page fault per 2 MiB instead of per
 * 4 KiB, which is most of what filling tens of MiB costs on a virtual
 * machine. A hint; failure changes nothing. */
static void huge_hint(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;

	if (n >= (8u << 20) && (uintptr_t)p + n > a)
		madvise((void *)a, (uintptr_t)p + n - a, MADV_HUGEPAGE);
}

/* The last chunk, with room for n more bytes. */
static struct chunk *last_with_room(struct sc_snap_writer *w, size_t n)
{
	struct chunk *c;

	if (!w->nchunks) {
		if (!sc_grow((void **)&w->chunks, &w->capchunks, 1, sizeof(*w->chunks)))
			return NULL;
		w->chunks[w->nchunks++] = (struct chunk){0};
	}
	c = &w->chunks[w->nchunks - 1];
	if (c->len + n > c->cap) {
		if (!sc_grow((void **)&c->p, &c->cap, c->len + n, 1))
			return NULL;
		huge_hint(c->p, c->cap);
	}
	return c;
}

/* n bytes at the end of the data. */
static unsigned char *reserve(struct sc_snap_writer *w, size_t n)
{
	struct chunk *c = last_with_room(w, n);

	if (!c)
		return NULL;
	c->len += n;
	w->len += n;
	return c->p + c->len - n;
}

/* Room for n subjects' keys and offsets. */
static bool reserve_subjects(struct sc_snap_writer *w, size_t n)
{
	size_t capk = w->capn;

	if (n <= w->capn)
		return true;
	if (!sc_grow((void **)&w->keys, &capk, n, sizeof(*w->keys)) ||
	    !sc_grow((void **)&w->offs, &w->capn, n, sizeof(*w->offs)))
		return false;
	huge_hint(w->keys, w->capn * sizeof(*w->keys));
	huge_hint(w->offs, w->capn * sizeof(*w->offs));
	return true;
}

enum sc_status sc_snap_writer_reserve(struct sc_snap_writer *w, size_t n, size_t bytes)
{
	return reserve_subjects(w, w->n + n) && last_with_room(w, bytes) ? SC_OK : SC_ENOMEM;
}

/* A record id into the blob; *off: where it starts. SC_ELIMIT: too long. */
static enum sc_status blob_put(struct sc_snap_writer *w, const char *name, uint64_t *off)
{
	size_t rl = strlen(name);

	if (rl > SC_LIMIT_RECORD_ID)
		return SC_ELIMIT;
	if (!sc_grow((void **)&w->blob, &w->bcap, w->blen + rl + 1, 1))
		return SC_ENOMEM;
	memcpy(w->blob + w->blen, name, rl + 1);
	*off = w->blen;
	w->blen += rl + 1;
	return SC_OK;
}

/* Keeps a list entry's record row, and its id when given. */
static enum sc_status name_add(struct sc_snap_writer *w, int64_t rid, const char *record)
{
	uint64_t off = NO_NAME;
	enum sc_status st;

	if (record && (st = blob_put(w, record, &off)))
		return st;
	if (!sc_grow((void **)&w->names, &w->capnames, w->nnames + 1, sizeof(*w->names)))
		return SC_ENOMEM;
	w->names[w->nnames++] = (struct wname){rid, off};
	w->sorted = false;
	return SC_OK;
}

enum sc_status sc_snap_writer_add(struct sc_snap_writer *w, const char *id,
				  enum sc_kind kind,
				  const struct sc_card_result *cards,
				  const struct sc_snap_hit *hits, size_t nhits)
{
	size_t idlen = strlen(id), need;
	size_t start = w->len;
	bool ledger_only = nhits > SC_SNAP_HITS_MAX;
	unsigned char *p;
	enum sc_status st;

	if (ledger_only)
		nhits = 0;
	if (idlen == 0 || idlen > SC_LIMIT_SUBJECT_ID)
		return SC_ELIMIT;
	for (size_t i = 0; i < nhits; i++)
		if ((hits[i].record && strlen(hits[i].record) > SC_LIMIT_RECORD_ID) ||
		    hits[i].list < 0 || hits[i].list > 0xFFFF)
			return SC_ELIMIT;
	if (start > OFF_MASK - 1)
		return SC_ELIMIT;
	need = 4 + w->h.ncards * CARD_BYTES + idlen + nhits * HIT_BYTES;
	if (!reserve_subjects(w, w->n + 1) || !(p = reserve(w, need)))
		return SC_ENOMEM;
	*p++ = (unsigned char)idlen;
	*p++ = (unsigned char)kind;
	*p++ = ledger_only ? LEDGER_ONLY : (unsigned char)nhits;
	*p++ = (unsigned char)w->h.ncards;
	for (uint32_t c = 0; c < w->h.ncards; c++) {
		int32_t score = cards[c].status == SC_CARD_SCORED ? cards[c].score : 0;
		memcpy(p, &score, 4);
		p[4] = (unsigned char)cards[c].status;
		p[5] = (unsigned char)(signed char)cards[c].grade;
		p[6] = p[7] = 0;
		p += CARD_BYTES;
	}
	memcpy(p, id, idlen);
	p += idlen;
	for (size_t i = 0; i < nhits; i++) {
		uint16_t list = (uint16_t)hits[i].list, zero = 0;
		memcpy(p, &hits[i].since, 4);
		memcpy(p + 4, &hits[i].until, 4);
		memcpy(p + 8, &list, 2);
		memcpy(p + 10, &zero, 2);
		memcpy(p + 12, &hits[i].rid, 8);
		p += HIT_BYTES;
		if ((st = name_add(w, hits[i].rid, hits[i].record)))
			return st;
	}
	w->keys[w->n] = hash_id(id, idlen);
	w->offs[w->n] = start;
	w->n++;
	return SC_OK;
}

enum sc_status sc_snap_writer_append(struct sc_snap_writer *w,
				     struct sc_snap_writer *src)
{
	size_t base = w->len;

	if (src->h.ncards != w->h.ncards || base + src->len > OFF_MASK)
		return SC_ELIMIT;
	if (!reserve_subjects(w, w->n + src->n) ||
	    !sc_grow((void **)&w->chunks, &w->capchunks, w->nchunks + src->nchunks,
		     sizeof(*w->chunks)) ||
	    !sc_grow((void **)&w->names, &w->capnames, w->nnames + src->nnames,
		     sizeof(*w->names)) ||
	    !sc_grow((void **)&w->blob, &w->bcap, w->blen + src->blen, 1))
		return SC_ENOMEM;
	if (src->n) /* an empty writer may have no arrays at all */
		memcpy(w->keys + w->n, src->keys, src->n * sizeof(*w->keys));
	for (size_t i = 0; i < src->n; i++)
		w->offs[w->n + i] = src->offs[i] + base;
	w->n += src->n;
	/* the chunks change hands: w's last chunk (if any) stops growing */
	if (src->nchunks)
		memcpy(w->chunks + w->nchunks, src->chunks, src->nchunks * sizeof(*w->chunks));
	w->nchunks += src->nchunks;
	w->len += src->len;
	for (size_t i = 0; i < src->nnames; i++) {
		struct wname nm = src->names[i];
		if (nm.off != NO_NAME)
			nm.off += w->blen;
		w->names[w->nnames++] = nm;
	}
	if (src->blen)
		memcpy(w->blob + w->blen, src->blob, src->blen);
	w->blen += src->blen;
	w->sorted = w->sorted && src->sorted && !src->nnames;
	src->nchunks = src->len = src->n = src->nnames = src->blen = 0;
	src->sorted = true;
	return SC_OK;
}

static int cmp_name(const void *a, const void *b)
{
	const struct wname *x = a, *y = b;

	if (x->rid != y->rid)
		return x->rid < y->rid ? -1 : 1;
	return (x->off == NO_NAME) - (y->off == NO_NAME); /* named first */
}

/* The names by rid, one each (a named one where there is one). */
static void names_sort(struct sc_snap_writer *w)
{
	size_t k = 0;

	if (w->sorted)
		return;
	qsort(w->names, w->nnames, sizeof(*w->names), cmp_name);
	for (size_t i = 0; i < w->nnames; i++)
		if (!k || w->names[i].rid != w->names[k - 1].rid)
			w->names[k++] = w->names[i];
	w->nnames = k;
	w->sorted = true;
}

/* Ids looked up in the ledger: the i-th row asked for is names[idx[i]]. */
struct resolve {
	struct sc_snap_writer *w;
	size_t *idx;
};

static enum sc_status resolved(void *vctx, size_t i, const char *name)
{
	struct resolve *r = vctx;

	return blob_put(r->w, name, &r->w->names[r->idx[i]].off);
}

/* The id of record row rid in s, or NULL. */
static const char *name_find(const struct sc_snap *s, int64_t rid);

/* Ids carried over from the file this one replaces, for rows that have
 * held the same record since (same ledger, above the highest row ever
 * expired): a nightly run then looks up only the day's new entries. */
static enum sc_status carry(struct sc_snap_writer *w, const char *path, int64_t expired_max,
			    uint64_t *carried)
{
	struct sc_snap *old = NULL;
	enum sc_status rc = SC_OK;

	*carried = 0;
	if (!w->h.ledger || sc_snap_open(path, &old, NULL) || old->h->ledger != w->h.ledger) {
		sc_snap_close(old);
		return SC_OK;
	}
	for (size_t i = 0; i < w->nnames && rc != SC_ENOMEM; i++) {
		const char *nm;
		if (w->names[i].off != NO_NAME || w->names[i].rid <= expired_max ||
		    !(nm = name_find(old, w->names[i].rid)))
			continue;
		/* an id over the limit is not one of ours: it is looked up */
		if (!(rc = blob_put(w, nm, &w->names[i].off)))
			(*carried)++;
	}
	sc_snap_close(old);
	return rc == SC_ENOMEM ? rc : SC_OK;
}

static enum sc_status resolve(struct sc_snap_writer *w, struct sc_store *st,
			      const char *path, struct sc_diag *d)
{
	struct resolve r = {.w = w};
	char ledger[SC_STORE_LEDGER_ID];
	int64_t *rids, expired_max;
	uint64_t carried;
	size_t k = 0;
	enum sc_status rc;

	names_sort(w);
	if ((rc = sc_store_identity(st, ledger, &expired_max, d)))
		return rc;
	w->h.ledger = ledger[0] ? hash_id(ledger, strlen(ledger)) | 1 : 0;
	if ((rc = carry(w, path, expired_max, &carried)))
		return rc;
	rids = malloc((w->nnames ? w->nnames : 1) * sizeof(*rids));
	r.idx = malloc((w->nnames ? w->nnames : 1) * sizeof(*r.idx));
	if (!rids || !r.idx) {
		rc = SC_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w->nnames; i++)
		if (w->names[i].off == NO_NAME) {
			rids[k] = w->names[i].rid;
			r.idx[k++] = i;
		}
	rc = k ? sc_store_record_names(st, rids, k, resolved, &r, d) : SC_OK;
	w->carried = carried;
	w->looked_up = k;
out:
	free(rids);
	free(r.idx);
	return rc;
}

static enum sc_status write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return SC_EIO;
		}
		c += k;
		n -= (size_t)k;
	}
	return SC_OK;
}

/* The name table as written: {rid, offset} by rid, and the ids. */
static enum sc_status names_pack(struct sc_snap_writer *w, unsigned char **index,
				 char **strings, size_t *slen)
{
	size_t total = 0;

	names_sort(w);
	for (size_t i = 0; i < w->nnames; i++) {
		if (w->names[i].off == NO_NAME)
			return SC_EINVAL;
		total += strlen(w->blob + w->names[i].off) + 1;
	}
	*index = malloc(w->nnames ? w->nnames * NAME_BYTES : 1);
	*strings = malloc(total ? total : 1);
	if (!*index || !*strings)
		return SC_ENOMEM;
	*slen = 0;
	for (size_t i = 0; i < w->nnames; i++) {
		const char *nm = w->blob + w->names[i].off;
		size_t rl = strlen(nm) + 1;
		uint64_t off = *slen;
		memcpy(*index + i * NAME_BYTES, &w->names[i].rid, 8);
		memcpy(*index + i * NAME_BYTES + 8, &off, 8);
		memcpy(*strings + *slen, nm, rl);
		*slen += rl;
	}
	return SC_OK;
}

/* The file up to the end of the entries (a zero header, the slots, the
 * entries, zeros to 8 bytes): what does not depend on the record ids, so
 * it is written while they are looked up. */
struct body {
	const struct sc_snap_writer *w;
	int fd;
	uint64_t nslots;
	int err; /* errno of a failed write; ENOMEM */
	struct sc_sum sum; /* of everything after the header */
	pthread_t thread;
};

/* Writes p[0..n) and adds it to the body's sums. */
static enum sc_status body_put(struct body *b, const void *p, size_t n)
{
	sc_sum_feed(&b->sum, p, n);
	return write_all(b->fd, p, n);
}

static void *body_write(void *arg)
{
	static const unsigned char zeros[HEADER_BYTES];
	struct body *b = arg;
	const struct sc_snap_writer *w = b->w;
	uint64_t mask = b->nslots - 1, *slots = calloc(b->nslots, sizeof(*slots));
	uint64_t end = HEADER_BYTES + b->nslots * sizeof(uint64_t) + w->len;

	if (!slots) {
		b->err = ENOMEM;
		return NULL;
	}
	huge_hint(slots, b->nslots * sizeof(*slots));
	for (size_t i = 0; i < w->n; i++) {
		uint64_t j = w->keys[i] & mask;
		while (slots[j])
			j = (j + 1) & mask;
		slots[j] = (w->keys[i] >> OFF_BITS << OFF_BITS) | (w->offs[i] + 1);
	}
	if (write_all(b->fd, zeros, HEADER_BYTES) ||
	    body_put(b, slots, b->nslots * sizeof(*slots)))
		b->err = errno ? errno : EIO;
	for (size_t i = 0; i < w->nchunks && !b->err; i++)
		if (body_put(b, w->chunks[i].p, w->chunks[i].len))
			b->err = errno ? errno : EIO;
	if (!b->err && body_put(b, zeros, align8(end) - end))
		b->err = errno ? errno : EIO;
	free(slots);
	return NULL;
}

enum sc_status sc_snap_writer_finish(struct sc_snap_writer *w,
				     const struct sc_store_mark *mark,
				     struct sc_store *st, const char *path,
				     struct sc_snap **opened, struct sc_diag *d)
{
	static const unsigned char zeros[8];
	char tmp[4096];
	struct body b = {.w = w, .fd = -1, .nslots = 16};
	unsigned char *index = NULL;
	char *strings = NULL;
	size_t slen = 0;
	bool threaded;
	enum sc_status rc = SC_OK, io;

	if (opened)
		*opened = NULL;
	while (b.nslots < 2 * (uint64_t)w->n)
		b.nslots *= 2;
	/* a link in the file's place is refused before any work; a name of
	 * its own: a server and `socred run` may both be writing */
	if ((rc = sc_side_not_link(path, d)) || (rc = sc_side_temp(path, tmp, sizeof(tmp), &b.fd, d)))
		return rc;
	/* the slots and entries go to the file while the ledger is read */
	threaded = pthread_create(&b.thread, NULL, body_write, &b) == 0;
	if (!threaded)
		body_write(&b);
	if (st)
		rc = resolve(w, st, path, d);
	if (threaded)
		pthread_join(b.thread, NULL);
	if (rc)
		goto out;
	if ((rc = names_pack(w, &index, &strings, &slen))) {
		if (rc == SC_EINVAL)
			sc_diag_set(d, rc, path, 0, 0, "record",
				    "a list entry's record id was never looked up");
		goto out;
	}
	if (b.err == ENOMEM) {
		rc = SC_ENOMEM;
		goto out;
	}
	w->h.count = w->n;
	w->h.nslots = b.nslots;
	w->h.slots_off = HEADER_BYTES;
	w->h.data_off = HEADER_BYTES + b.nslots * sizeof(uint64_t);
	w->h.data_len = w->len;
	w->h.names_off = align8(w->h.data_off + w->len);
	w->h.nnames = w->nnames;
	w->h.strings_len = slen;
	w->h.sums_off = align8(w->h.names_off + w->nnames * NAME_BYTES + slen);
	w->h.mark[0] = mark->w[0];
	w->h.mark[1] = mark->w[1];
	w->h.mark[2] = mark->w[2];
	w->h.mark[3] = mark->w[3];
	io = b.err ? SC_EIO : body_put(&b, index, w->nnames * NAME_BYTES);
	if (!io)
		io = body_put(&b, strings, slen);
	if (!io)
		io = body_put(&b, zeros, w->h.sums_off - (w->h.names_off + w->nnames * NAME_BYTES + slen));
	if (!io && !sc_sum_end(&b.sum)) {
		rc = SC_ENOMEM;
		goto out;
	}
	w->h.nblocks = b.sum.n;
	w->h.sums_crc = sc_crc32(0, b.sum.sums, b.sum.n * sizeof(*b.sum.sums));
	w->h.file_len = w->h.sums_off + b.sum.n * sizeof(*b.sum.sums);
	w->h.hcrc = 0;
	w->h.hcrc = sc_crc32(0, &w->h, sizeof(w->h));
	if (!io)
		io = write_all(b.fd, b.sum.sums, b.sum.n * sizeof(*b.sum.sums));
	if (!io && pwrite(b.fd, &w->h, sizeof(w->h), 0) != (ssize_t)sizeof(w->h))
		io = SC_EIO;
	if (io) {
		rc = sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot write snapshot: %s",
				 strerror(b.err ? b.err : errno));
		goto out;
	}
	rc = sc_side_sync_close(b.fd, tmp, d);
	b.fd = -1;
	if (rc)
		goto out;
	if (opened && (rc = sc_snap_open(tmp, opened, d)))
		*opened = NULL;
	if (!rc)
		rc = sc_side_replace(tmp, path, d);
out:
	if (b.fd >= 0)
		close(b.fd);
	if (rc) {
		unlink(tmp);
		if (opened && *opened) {
			sc_snap_close(*opened);
			*opened = NULL;
		}
	}
	free(index);
	free(strings);
	sc_sum_release(&b.sum);
	return rc;
}

void sc_snap_writer_ids(const struct sc_snap_writer *w, uint64_t *carried,
			uint64_t *looked_up)
{
	*carried = w->carried;
	*looked_up = w->looked_up;
}

void sc_snap_writer_free(struct sc_snap_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nchunks; i++)
		free(w->chunks[i].p);
	free(w->chunks);
	free(w->keys);
	free(w->offs);
	free(w->names);
	free(w->blob);
	free(w);
}

/* ---- reading ---- */

/* The sections lie where the header says, inside the file, in order. */
static bool layout_ok(const struct header *h, uint64_t size)
{
	uint64_t room = size - HEADER_BYTES, names_end;

	if (!(h->file_len == size && h->slots_off == HEADER_BYTES && h->nslots &&
	      !(h->nslots & (h->nslots - 1)) && h->nslots <= room / sizeof(uint64_t) &&
	      h->data_off == HEADER_BYTES + h->nslots * sizeof(uint64_t) &&
	      h->data_len <= size - h->data_off &&
	      h->names_off == align8(h->data_off + h->data_len) &&
	      h->names_off <= size && h->nnames <= (size - h->names_off) / NAME_BYTES &&
	      h->strings_len <= size - h->names_off - h->nnames * NAME_BYTES &&
	      h->ncards <= SC_LIMIT_SCORECARDS))
		return false;
	names_end = h->names_off + h->nnames * NAME_BYTES + h->strings_len;
	return h->sums_off == align8(names_end) && h->sums_off <= size &&
	       (size - h->sums_off) % sizeof(uint32_t) == 0 &&
	       h->nblocks == (size - h->sums_off) / sizeof(uint32_t) &&
	       h->nblocks == sc_sum_blocks(h->sums_off - HEADER_BYTES);
}

/* The header, the sums and every block of the body are as written. */
static bool sums_ok(const unsigned char *map, uint64_t size)
{
	struct header h;

	memcpy(&h, map, sizeof(h));
	h.hcrc = 0;
	if (sc_crc32(0, &h, sizeof(h)) != ((const struct header *)map)->hcrc ||
	    !layout_ok(&h, size))
		return false;
	return sc_crc32(0, map + h.sums_off, h.nblocks * sizeof(uint32_t)) == h.sums_crc &&
	       sc_sum_check(map + HEADER_BYTES, h.sums_off - HEADER_BYTES,
			    (const uint32_t *)(map + h.sums_off));
}

/* The name table: rows ascending, each id inside the strings and ended. */
static bool names_ok(const struct header *h, const unsigned char *map)
{
	const unsigned char *t = map + h->names_off;
	const char *strings = (const char *)t + h->nnames * NAME_BYTES;
	int64_t prev = INT64_MIN;

	if (h->strings_len && strings[h->strings_len - 1] != '\0')
		return false;
	for (uint64_t i = 0; i < h->nnames; i++) {
		int64_t rid;
		uint64_t off;
		memcpy(&rid, t + i * NAME_BYTES, 8);
		memcpy(&off, t + i * NAME_BYTES + 8, 8);
		if ((i && rid <= prev) || off >= h->strings_len)
			return false;
		prev = rid;
	}
	return true;
}

enum sc_status sc_snap_open(const char *path, struct sc_snap **out,
			    struct sc_diag *d)
{
	struct sc_snap *s;
	struct stat sb;
	const struct header *h;
	enum sc_status st;
	void *map;
	int fd;

	if ((st = sc_side_open_read(path, &fd, d)))
		return st;
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < HEADER_BYTES) {
		close(fd);
		return sc_diag_set(d, SC_ECORRUPT, path, 0, 0, NULL, "not a socred snapshot");
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot map snapshot: %s",
				   strerror(errno));
	h = map;
	if (memcmp(h->magic, MAGIC, 8) || h->format != FORMAT) {
		munmap(map, (size_t)sb.st_size);
		return sc_diag_set(d, SC_ECORRUPT, path, 0, 0, NULL,
				   "not a socred snapshot of this version");
	}
	if (!sums_ok(map, (uint64_t)sb.st_size) || !names_ok(h, (const unsigned char *)map)) {
		munmap(map, (size_t)sb.st_size);
		return sc_diag_set(d, SC_ECORRUPT, path, 0, 0, NULL,
				   "not a socred snapshot: damaged (its checksums disagree)");
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		munmap(map, (size_t)sb.st_size);
		return SC_ENOMEM;
	}
	s->map = map;
	s->size = (size_t)sb.st_size;
	s->h = h;
	s->slots = (const uint64_t *)(s->map + HEADER_BYTES);
	s->data = s->map + h->data_off;
	s->names = s->map + h->names_off;
	s->strings = (const char *)s->names + h->nnames * NAME_BYTES;
	s->mask = h->nslots - 1;
	*out = s;
	return SC_OK;
}

void sc_snap_close(struct sc_snap *s)
{
	if (!s)
		return;
	munmap((void *)s->map, s->size);
	free(s);
}

sc_day sc_snap_day(const struct sc_snap *s) { return s->h->day; }
const unsigned char *sc_snap_rulebook(const struct sc_snap *s) { return s->h->digest; }
uint64_t sc_snap_count(const struct sc_snap *s) { return s->h->count; }
size_t sc_snap_bytes(const struct sc_snap *s) { return s->size; }

void sc_snap_mark(const struct sc_snap *s, struct sc_store_mark *m)
{
	m->w[0] = s->h->mark[0];
	m->w[1] = s->h->mark[1];
	m->w[2] = s->h->mark[2];
	m->w[3] = s->h->mark[3];
}

static bool find_hashed(const struct sc_snap *s, const char *id, size_t len,
			uint64_t h, struct sc_snap_entry *e)
{
	uint64_t tag = h >> OFF_BITS, i = h & s->mask;
	size_t ncards = s->h->ncards;

	for (uint64_t probes = 0; probes <= s->mask; probes++, i = (i + 1) & s->mask) {
		uint64_t v = s->slots[i], off;
		const unsigned char *p;
		if (!v)
			return false;
		if (v >> OFF_BITS != tag)
			continue;
		off = (v & OFF_MASK) - 1;
		if (off + 4 + ncards * CARD_BYTES + len > s->h->data_len)
			return false; /* damaged: let the ledger answer */
		p = s->data + off;
		if (p[0] != len || memcmp(p + 4 + ncards * CARD_BYTES, id, len))
			continue;
		e->s = s;
		e->p = p;
		e->kind = (enum sc_kind)p[1];
		e->ledger_only = p[2] == LEDGER_ONLY;
		e->nhits = e->ledger_only ? 0 : p[2];
		e->ncards = p[3];
		return e->ncards == ncards && off + 4 + ncards * CARD_BYTES + len +
			e->nhits * HIT_BYTES <= s->h->data_len;
	}
	return false;
}

bool sc_snap_next(const struct sc_snap *s, uint64_t *pos, struct sc_snap_entry *e,
		  const char **id, size_t *idlen)
{
	const unsigned char *p = s->data + *pos;
	size_t ncards = s->h->ncards, need;

	if (*pos + 4 > s->h->data_len)
		return false;
	need = 4 + ncards * CARD_BYTES + p[0];
	if (p[3] != ncards || *pos + need > s->h->data_len)
		return false;
	e->s = s;
	e->p = p;
	e->kind = (enum sc_kind)p[1];
	e->ledger_only = p[2] == LEDGER_ONLY;
	e->nhits = e->ledger_only ? 0 : p[2];
	e->ncards = ncards;
	*id = (const char *)p + 4 + ncards * CARD_BYTES;
	*idlen = p[0];
	need += e->nhits * HIT_BYTES;
	if (*pos + need > s->h->data_len)
		return false;
	*pos += need;
	return true;
}

bool sc_snap_find(const struct sc_snap *s, const char *id, size_t len,
		  struct sc_snap_entry *e)
{
	return find_hashed(s, id, len, hash_id(id, len), e);
}

void sc_snap_find_batch(const struct sc_snap *s, const char *const *ids, size_t n,
			struct sc_snap_entry *out, bool *found)
{
	enum { W = 64 };
	uint64_t h[W];
	size_t len[W];

	for (size_t base = 0; base < n; base += W) {
		size_t m = n - base < W ? n - base : W;
		/* three passes so that the misses of a batch overlap: the
		 * slots, then the entries the slots point at, then the reads */
		for (size_t i = 0; i < m; i++) {
			len[i] = strlen(ids[base + i]);
			h[i] = hash_id(ids[base + i], len[i]);
			__builtin_prefetch(&s->slots[h[i] & s->mask]);
		}
		for (size_t i = 0; i < m; i++) {
			uint64_t v = s->slots[h[i] & s->mask];
			if (v && (v & OFF_MASK) - 1 < s->h->data_len) {
				__builtin_prefetch(s->data + (v & OFF_MASK) - 1);
				__builtin_prefetch(s->data + (v & OFF_MASK) + 2 + s->h->ncards * CARD_BYTES + len[i]);
			}
		}
		for (size_t i = 0; i < m; i++)
			found[base + i] = find_hashed(s, ids[base + i], len[i], h[i], &out[base + i]);
	}
}

void sc_snap_entry_card(const struct sc_snap_entry *e, size_t i,
			struct sc_card_result *out)
{
	const unsigned char *p = e->p + 4 + i * CARD_BYTES;

	memcpy(&out->score, p, 4);
	out->status = (enum sc_card_status)p[4];
	out->grade = (signed char)p[5];
	out->grade_by_score = out->grade;
	out->capped_by = -1;
}

/* The id of record row rid: the name table is sorted by row. */
static const char *name_find(const struct sc_snap *s, int64_t rid)
{
	uint64_t lo = 0, hi = s->h->nnames;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, off;
		int64_t r;
		memcpy(&r, s->names + mid * NAME_BYTES, 8);
		if (r == rid) {
			memcpy(&off, s->names + mid * NAME_BYTES + 8, 8);
			return s->strings + off;
		}
		if (r < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void sc_snap_entry_hit(const struct sc_snap_entry *e, size_t i,
		       struct sc_snap_hit *out)
{
	const unsigned char *p = e->p + 4 + e->ncards * CARD_BYTES + e->p[0] + i * HIT_BYTES;
	uint16_t list;

	memcpy(&out->since, p, 4);
	memcpy(&out->until, p + 4, 4);
	memcpy(&list, p + 8, 2);
	memcpy(&out->rid, p + 12, 8);
	out->list = list;
	out->record = NULL;
}

const char *sc_snap_hit_record(const struct sc_snap_entry *e, const struct sc_snap_hit *h)
{
	const char *name = name_find(e->s, h->rid);

	return name ? name : "";
}
