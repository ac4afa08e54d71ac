/* The decision snapshot's file format: writing and reading (see
 * socred/snapshot.h). Little-endian, as the machines it runs on. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/limits.h"
#include "socred/snapshot.h"

#define MAGIC "SCSNAP\0\1"
#define FORMAT 1u
#define HEADER_BYTES 192
#define OFF_BITS 40
#define OFF_MASK ((UINT64_C(1) << OFF_BITS) - 1)

struct header {
	char magic[8];
	uint32_t format;
	int32_t day;
	uint32_t ncards, reserved;
	uint64_t count, nslots, slots_off, data_off, data_len, file_len;
	int64_t mark[4];
	unsigned char digest[SC_SNAP_DIGEST];
};
_Static_assert(sizeof(struct header) <= HEADER_BYTES, "header fits");

/* Entry: u8 idlen, u8 kind, u8 nhits, u8 ncards; ncards x {i32 score,
 * i8 status, i8 grade, u16 0}; the id; nhits x {i32 since, i32 until,
 * u16 list, u8 idlen, the record id and a NUL}. */
#define CARD_BYTES 8
#define HIT_FIXED 11
#define LEDGER_ONLY 0xFF /* nhits: too many entries, ask the ledger */

struct sc_snap_writer {
	struct header h;
	unsigned char *data;
	size_t len, cap;
	uint64_t *keys; /* per subject: hash */
	uint64_t *offs; /* per subject: offset in data */
	size_t n, capn;
};

struct sc_snap {
	const unsigned char *map;
	size_t size;
	const struct header *h;
	const uint64_t *slots;
	const unsigned char *data;
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

void sc_snap_path(const char *db, char *buf, size_t size)
{
	snprintf(buf, size, "%s.snap", db);
}

void sc_snap_digest(const struct sc_rulebook *rb, unsigned char out[SC_SNAP_DIGEST])
{
	size_t len;
	const char *text = sc_rulebook_text(rb, &len);

	crypto_hash_sha256(out, (const unsigned char *)text, len);
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
	*out = w;
	return SC_OK;
}

static unsigned char *reserve(struct sc_snap_writer *w, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 20;
		unsigned char *p;
		while (cap < w->len + n)
			cap *= 2;
		if (!(p = realloc(w->data, cap)))
			return NULL;
		w->data = p;
		w->cap = cap;
	}
	w->len += n;
	return w->data + w->len - n;
}

/* Room for n subjects' keys and offsets. */
static bool reserve_subjects(struct sc_snap_writer *w, size_t n)
{
	size_t cap = w->capn ? w->capn : 65536;
	uint64_t *k, *o;

	if (n <= w->capn)
		return true;
	while (cap < n)
		cap *= 2;
	if (!(k = realloc(w->keys, cap * sizeof(*k))))
		return false;
	w->keys = k;
	if (!(o = realloc(w->offs, cap * sizeof(*o))))
		return false;
	w->offs = o;
	w->capn = cap;
	return true;
}

enum sc_status sc_snap_writer_add(struct sc_snap_writer *w, const char *id,
				  enum sc_kind kind,
				  const struct sc_card_result *cards,
				  const struct sc_snap_hit *hits, size_t nhits)
{
	size_t idlen = strlen(id), need = 4 + w->h.ncards * CARD_BYTES + idlen;
	size_t start = w->len;
	bool ledger_only = nhits > SC_SNAP_HITS_MAX;
	unsigned char *p;

	if (ledger_only)
		nhits = 0;

	if (idlen == 0 || idlen > SC_LIMIT_SUBJECT_ID)
		return SC_ELIMIT;
	for (size_t i = 0; i < nhits; i++) {
		size_t rl = strlen(hits[i].record);
		if (rl > SC_LIMIT_RECORD_ID || hits[i].list < 0 || hits[i].list > 0xFFFF)
			return SC_ELIMIT;
		need += HIT_FIXED + rl + 1;
	}
	if (start > OFF_MASK - 1)
		return SC_ELIMIT;
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
		size_t rl = strlen(hits[i].record);
		uint16_t list = (uint16_t)hits[i].list;
		memcpy(p, &hits[i].since, 4);
		memcpy(p + 4, &hits[i].until, 4);
		memcpy(p + 8, &list, 2);
		p[10] = (unsigned char)rl;
		memcpy(p + HIT_FIXED, hits[i].record, rl);
		p[HIT_FIXED + rl] = '\0';
		p += HIT_FIXED + rl + 1;
	}
	w->keys[w->n] = hash_id(id, idlen);
	w->offs[w->n] = start;
	w->n++;
	return SC_OK;
}

enum sc_status sc_snap_writer_append(struct sc_snap_writer *w,
				     const struct sc_snap_writer *src)
{
	size_t base = w->len;

	if (src->h.ncards != w->h.ncards || base + src->len > OFF_MASK)
		return SC_ELIMIT;
	if (!reserve_subjects(w, w->n + src->n) || (src->len && !reserve(w, src->len)))
		return SC_ENOMEM;
	if (src->len)
		memcpy(w->data + base, src->data, src->len);
	memcpy(w->keys + w->n, src->keys, src->n * sizeof(*w->keys));
	for (size_t i = 0; i < src->n; i++)
		w->offs[w->n + i] = src->offs[i] + base;
	w->n += src->n;
	return SC_OK;
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

enum sc_status sc_snap_writer_finish(struct sc_snap_writer *w,
				     const struct sc_store_mark *mark,
				     const char *path, struct sc_snap **opened,
				     struct sc_diag *d)
{
	static atomic_uint seq;
	char tmp[4096];
	uint64_t nslots = 16, *slots;
	enum sc_status st = SC_OK;
	unsigned char pad[HEADER_BYTES] = {0};
	int fd;

	if (opened)
		*opened = NULL;
	while (nslots < 2 * (uint64_t)w->n)
		nslots *= 2;
	if (!(slots = calloc(nslots, sizeof(*slots))))
		return SC_ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		uint64_t j = w->keys[i] & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (w->keys[i] >> OFF_BITS << OFF_BITS) | (w->offs[i] + 1);
	}
	w->h.count = w->n;
	w->h.nslots = nslots;
	w->h.slots_off = HEADER_BYTES;
	w->h.data_off = HEADER_BYTES + nslots * sizeof(uint64_t);
	w->h.data_len = w->len;
	w->h.file_len = w->h.data_off + w->len;
	w->h.mark[0] = mark->records;
	w->h.mark[1] = mark->events;
	w->h.mark[2] = mark->consents;
	w->h.mark[3] = mark->changes;
	memcpy(pad, &w->h, sizeof(w->h));
	/* a name of its own: a server and `socred run` may both be writing */
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.%u.tmp", path, (long)getpid(),
		     atomic_fetch_add(&seq, 1)) >= (int)sizeof(tmp)) {
		free(slots);
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "snapshot path is too long");
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		free(slots);
		return sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot create snapshot: %s",
				   strerror(errno));
	}
	if (write_all(fd, pad, sizeof(pad)) ||
	    write_all(fd, slots, nslots * sizeof(*slots)) ||
	    write_all(fd, w->data ? (const void *)w->data : "", w->len) || fsync(fd) != 0)
		st = sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot write snapshot: %s",
				 strerror(errno));
	if (close(fd) != 0 && !st)
		st = sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot write snapshot: %s",
				 strerror(errno));
	if (!st && opened && (st = sc_snap_open(tmp, opened, d)))
		*opened = NULL;
	if (!st && rename(tmp, path) != 0)
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot put snapshot in place: %s",
				 strerror(errno));
	if (st) {
		unlink(tmp);
		if (opened && *opened) {
			sc_snap_close(*opened);
			*opened = NULL;
		}
	}
	free(slots);
	return st;
}

void sc_snap_writer_free(struct sc_snap_writer *w)
{
	if (!w)
		return;
	free(w->data);
	free(w->keys);
	free(w->offs);
	free(w);
}

/* ---- reading ---- */

enum sc_status sc_snap_open(const char *path, struct sc_snap **out,
			    struct sc_diag *d)
{
	struct sc_snap *s;
	struct stat sb;
	const struct header *h;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sc_diag_set(d, errno == ENOENT ? SC_ENOTFOUND : SC_EIO, path, 0, 0, NULL,
				   "cannot open snapshot: %s", strerror(errno));
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
	if (memcmp(h->magic, MAGIC, 8) || h->format != FORMAT ||
	    h->file_len != (uint64_t)sb.st_size || h->slots_off != HEADER_BYTES ||
	    h->nslots == 0 || (h->nslots & (h->nslots - 1)) ||
	    h->nslots > ((uint64_t)sb.st_size - HEADER_BYTES) / sizeof(uint64_t) ||
	    h->data_off != HEADER_BYTES + h->nslots * sizeof(uint64_t) ||
	    h->data_off + h->data_len != h->file_len || h->ncards > SC_LIMIT_SCORECARDS) {
		munmap(map, (size_t)sb.st_size);
		return sc_diag_set(d, SC_ECORRUPT, path, 0, 0, NULL,
				   "not a socred snapshot of this version");
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
	m->records = s->h->mark[0];
	m->events = s->h->mark[1];
	m->consents = s->h->mark[2];
	m->changes = s->h->mark[3];
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
		e->p = p;
		e->kind = (enum sc_kind)p[1];
		e->ledger_only = p[2] == LEDGER_ONLY;
		e->nhits = e->ledger_only ? 0 : p[2];
		e->ncards = p[3];
		return e->ncards == ncards;
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
	e->p = p;
	e->kind = (enum sc_kind)p[1];
	e->ledger_only = p[2] == LEDGER_ONLY;
	e->nhits = e->ledger_only ? 0 : p[2];
	e->ncards = ncards;
	*id = (const char *)p + 4 + ncards * CARD_BYTES;
	*idlen = p[0];
	for (size_t i = 0; i < e->nhits; i++) {
		if (*pos + need + HIT_FIXED > s->h->data_len)
			return false;
		need += HIT_FIXED + p[need + 10] + 1;
		if (*pos + need > s->h->data_len)
			return false;
	}
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
	enum { W = 32 };
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
			if (v && (v & OFF_MASK) - 1 < s->h->data_len)
				__builtin_prefetch(s->data + (v & OFF_MASK) - 1);
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

void sc_snap_entry_hit(const struct sc_snap_entry *e, size_t i,
		       struct sc_snap_hit *out)
{
	/* entries are few (a listed subject has one or two): walk to the i-th */
	const unsigned char *p = e->p + 4 + e->ncards * CARD_BYTES + e->p[0];
	uint16_t list;

	for (size_t k = 0; k < i; k++)
		p += HIT_FIXED + p[10] + 1;
	memcpy(&out->since, p, 4);
	memcpy(&out->until, p + 4, 4);
	memcpy(&list, p + 8, 2);
	out->list = list;
	out->record = (const char *)p + HIT_FIXED;
}
