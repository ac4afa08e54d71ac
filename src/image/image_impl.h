/* The population image's file format and in-memory view. Internal to
 * src/image (file.c: the format; view.c: the view and sync; scan.c: the
 * threads).
 *
 * File: a header, then sections at 8-byte aligned offsets, native byte
 * order (the header says which; a file of another order is rebuilt):
 *   sid    int64[nsub]      ledger ids, ascending
 *   kind   uint8[nsub]
 *   idoff  uint64[nsub + 1] into ids (NUL-terminated)
 *   ids    char[]
 *   roff   uint64[nsub + 1] into recs
 *   coff   uint64[nsub + 1] into cons
 *   recs   struct img_rec[nrec]      grouped by subject, rid order
 *   extra  struct img_extra[nextra]  ascending rec
 *   cons   struct img_cons[ncons]
 *   typeoff/types, cardoff/cards     names ("" where the ledger has none)
 *   sums   uint32[nblocks]  CRC-32 of each SC_SUM_BLOCK of the body
 * The body is everything from the header's end to sums_off; the header
 * carries its own CRC-32 (hcrc, computed with hcrc 0) and the sums'. A
 * file whose sums disagree is not used: it is rebuilt from the ledger. */
#ifndef SOCRED_IMAGE_IMPL_H
#define SOCRED_IMAGE_IMPL_H

#include <stdint.h>

#include "socred/image.h"

#define IMG_MAGIC "SCIMAGE"
#define IMG_VERSION 2
#define IMG_ORDER 0x01020304u

enum img_sec {
	SEC_SID, SEC_KIND, SEC_IDOFF, SEC_IDS, SEC_ROFF, SEC_COFF, SEC_RECS,
	SEC_EXTRA, SEC_CONS, SEC_TYPEOFF, SEC_TYPES, SEC_CARDOFF, SEC_CARDS,
	SEC_COUNT
};

struct img_header {
	char magic[8];
	uint32_t version, order;
	char ledger[40]; /* SC_STORE_LEDGER_ID, NUL-padded */
	struct sc_store_mark mark;
	uint64_t nsub, nrec, nextra, ncons, ntypes, ncards;
	uint64_t off[SEC_COUNT], len[SEC_COUNT]; /* bytes */
	uint64_t size;
	uint64_t sums_off, nblocks;
	uint32_t sums_crc, hcrc;
};

struct img_rec {
	int64_t rid, amount;
	sc_day date;
	int32_t type; /* the ledger's type id */
};

/* A record's dates other than its own, for the few records that have one. */
struct img_extra {
	uint64_t rec;
	sc_day rectified, revoked, suspended_from, suspended_until;
};

struct img_cons {
	sc_day date;
	int16_t card;
	uint8_t granted, pad;
};

/* A mapped file (map NULL: none). */
struct img_file {
	void *map;
	size_t size;
	const struct img_header *h;
	const int64_t *sid;
	const uint8_t *kind;
	const uint64_t *idoff, *roff, *coff, *typeoff, *cardoff;
	const char *ids, *types, *cards;
	const struct img_rec *recs;
	const struct img_extra *extra;
	const struct img_cons *cons;
};

/* The view: the file with the re-read subjects laid over it. ent[i] is
 * subject i: a file index, or (ENT_POP | index) into pop. */
#define ENT_POP (UINT64_C(1) << 63)
struct sc_image {
	struct img_file f;
	struct sc_pop pop;
	uint64_t n, *ent;
	struct sc_store_mark mark;
	char ledger[SC_STORE_LEDGER_ID];
	const char **types, **cards; /* names by the view's ids */
	size_t ntypes, ncards;
	int32_t *popcard;            /* pop card index -> view card index */
	uint64_t nrec;               /* records in the view */
	uint64_t maxr, maxc;         /* most records, consents of one subject */
};

/* One subject of the view, unpacked: records with the ledger's type ids,
 * consents with the view's card ids. *extra: a cursor into the file's
 * extra table, which must only move forward (subjects in view order). */
struct img_subject {
	int64_t sid;
	const char *id;
	enum sc_kind kind;
	size_t nrecs, ncons;
};
/* Subject i's id, kind and sizes, without unpacking its rows. */
void img_view_head(const struct sc_image *v, uint64_t i, struct img_subject *out);
void img_view_subject(const struct sc_image *v, uint64_t i, uint64_t *extra,
		      struct sc_eval_record *recs, struct sc_pop_consent *cons,
		      struct img_subject *out);
/* Where the extra cursor starts for subject i. */
uint64_t img_extra_start(const struct sc_image *v, uint64_t i);

enum sc_status img_file_open(const char *path, struct img_file *f, struct sc_diag *d);
void img_file_close(struct img_file *f);
/* Writes the view v as a new file at path (temporary name, fsync, rename). */
enum sc_status img_file_write(const struct sc_image *v, const char *path,
			      struct sc_diag *d);

#endif
