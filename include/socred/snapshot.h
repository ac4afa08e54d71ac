/* socred: the decision snapshot, what a check reads instead of the ledger.
 *
 * One immutable file per build (<ledger>.snap), mapped read-only: for every
 * subject with a file on the day it was built, its kind, each scorecard's
 * status, score and grade, and its list entries on that day (list, since,
 * until, the record's ledger row; the rows' record ids in a sorted table at
 * the end of the file). That is all a decision needs (sc_eval_check), so
 * a snapshot built for day D gives, for every subject not changed since its
 * mark, exactly the decision the ledger would give on D. It is derived data:
 * the header names the day, the rulebook (SHA-256 of its text) and the
 * ledger mark it was built at, and a reader that finds any of them
 * different goes to the ledger instead.
 *
 * The table is open addressing over 64-bit slots (a 24-bit tag of the id's
 * hash, a 40-bit offset), half full, so a hit costs one or two cache misses
 * for the slot and one for the entry. A file is written whole to a
 * temporary name, synced and renamed: readers see the old file or the new
 * one, never a mixture. */
#ifndef SOCRED_SNAPSHOT_H
#define SOCRED_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/date.h"
#include "socred/eval.h"
#include "socred/rulebook.h"
#include "socred/status.h"
#include "socred/store.h"

#define SC_SNAP_DIGEST 32
#define SC_SNAP_HITS_MAX 32 /* list entries kept per subject */

struct sc_snap;        /* an open snapshot, immutable, shareable by threads */
struct sc_snap_writer; /* one being built */

/* A list entry as the snapshot keeps it: the record's ledger row, and its
 * id (when added: NULL for "look it up when the file is written"; when
 * read, sc_snap_entry_hit leaves it NULL and sc_snap_hit_record gives it). */
struct sc_snap_hit {
	int32_t list;
	sc_day since, until;
	const char *record;
	int64_t rid;
};

/* The snapshot's place next to the ledger: "<db>.snap". */
void sc_snap_path(const char *db, char *buf, size_t size);

/* The rulebook's identity: SHA-256 of its text. */
void sc_snap_digest(const struct sc_rulebook *rb, unsigned char out[SC_SNAP_DIGEST]);

/* Starts a snapshot evaluated under rb on `at`. SC_OK or SC_ENOMEM. */
enum sc_status sc_snap_writer_new(const struct sc_rulebook *rb, sc_day at,
				  struct sc_snap_writer **out);
/* Room for about n more subjects of `bytes` bytes in all, so that a large
 * build does not grow (and copy) its buffers as it goes. A hint: adding
 * more still works. SC_OK or SC_ENOMEM. */
enum sc_status sc_snap_writer_reserve(struct sc_snap_writer *w, size_t n, size_t bytes);
/* Adds one subject: cards has one result per scorecard of rb; hits their
 * list entries in sc_eval_lists order, each with its ledger row and, if
 * known, its record id. Strings are copied. A subject with more than
 * SC_SNAP_HITS_MAX entries is kept as "ask the ledger". SC_OK, SC_ENOMEM,
 * SC_ELIMIT (an id or record id over its limit, a list over 65,535). */
enum sc_status sc_snap_writer_add(struct sc_snap_writer *w, const char *id,
				  enum sc_kind kind,
				  const struct sc_card_result *cards,
				  const struct sc_snap_hit *hits, size_t nhits);
/* Moves every subject of src (a writer for the same rulebook and day) to
 * the end of w, as if added to w in src's order: writers filled on
 * several threads become one without copying their entries. src is left
 * empty (still the caller's to free). SC_OK, SC_ENOMEM, SC_ELIMIT. */
enum sc_status sc_snap_writer_append(struct sc_snap_writer *w,
				     struct sc_snap_writer *src);
/* Writes the file (a temporary made with mkstemp next to path, 0600,
 * checksummed as it is written, fsync, rename to path), recording
 * that it shows the ledger as of `mark`. The record ids of list entries
 * added without one are taken from the file at path when it is of the
 * same ledger and the row cannot have been reused (sc_store_identity),
 * and the rest looked up in st (one read transaction, in row order),
 * while another thread writes the slots and the entries; st may be NULL
 * when every entry came with its id. opened (may be NULL): also maps
 * the file written, before the rename, so the caller has this file even
 * when another process renames its own over it. SC_OK, SC_EIO with d
 * naming the file, SC_ENOMEM, SC_EINVAL (an entry's record id was neither
 * given nor found: st NULL), SC_EREFUSED (path is a symbolic link: left
 * as it is), sc_store_record_names's errors. The writer
 * stays the caller's to free. */
enum sc_status sc_snap_writer_finish(struct sc_snap_writer *w,
				     const struct sc_store_mark *mark,
				     struct sc_store *st, const char *path,
				     struct sc_snap **opened, struct sc_diag *d);
/* How the last finish found the record ids: carried over from the file it
 * replaced (same ledger, rows never expired), looked up in the ledger. */
void sc_snap_writer_ids(const struct sc_snap_writer *w, uint64_t *carried,
			uint64_t *looked_up);
void sc_snap_writer_free(struct sc_snap_writer *w);

/* Maps a snapshot file, after checking its checksums (the header, the
 * table of block sums and every block). SC_OK; SC_ENOTFOUND (no file);
 * SC_ECORRUPT (not a snapshot, another format version, or damaged: a size
 * or a checksum that disagrees); SC_EREFUSED (a symbolic link); SC_EIO;
 * d names the file. */
enum sc_status sc_snap_open(const char *path, struct sc_snap **out,
			    struct sc_diag *d);
void sc_snap_close(struct sc_snap *s);

sc_day sc_snap_day(const struct sc_snap *s);
const unsigned char *sc_snap_rulebook(const struct sc_snap *s); /* digest */
void sc_snap_mark(const struct sc_snap *s, struct sc_store_mark *m);
uint64_t sc_snap_count(const struct sc_snap *s);
size_t sc_snap_bytes(const struct sc_snap *s);

/* One subject's entry, borrowed from the mapping. */
struct sc_snap_entry {
	const struct sc_snap *s;
	const unsigned char *p;
	enum sc_kind kind;
	size_t ncards, nhits;
	bool ledger_only; /* more entries than a snapshot keeps: ask the ledger */
};
/* Finds id; false when the snapshot has no entry for it. */
bool sc_snap_find(const struct sc_snap *s, const char *id, size_t len,
		  struct sc_snap_entry *e);
/* Walks every entry in the order they were added: *pos starts at 0; false
 * at the end (or at damage). *id (not NUL-terminated, *idlen bytes) is
 * borrowed from the mapping. */
bool sc_snap_next(const struct sc_snap *s, uint64_t *pos, struct sc_snap_entry *e,
		  const char **id, size_t *idlen);
/* n lookups at once (found[i], out[i] for ids[i]): the memory reads of
 * many lookups overlap instead of following one another, which is what
 * makes bulk checks fast; the answers are sc_snap_find's. */
void sc_snap_find_batch(const struct sc_snap *s, const char *const *ids, size_t n,
			struct sc_snap_entry *out, bool *found);
void sc_snap_entry_card(const struct sc_snap_entry *e, size_t i,
			struct sc_card_result *out);
void sc_snap_entry_hit(const struct sc_snap_entry *e, size_t i,
		       struct sc_snap_hit *out);
/* The record id of a hit read from e (borrowed from the snapshot's
 * mapping; "" when the file names none): a search of the name table, which
 * a decision does not need, so sc_snap_entry_hit does not make it. */
const char *sc_snap_hit_record(const struct sc_snap_entry *e, const struct sc_snap_hit *h);

/* Adds the subject last evaluated by ev (a population run's visit,
 * socred/poprun.h, which is what builds snapshots), its list entries by
 * ledger row (sc_snap_writer_finish names them). SC_OK, SC_ENOMEM,
 * SC_ELIMIT. */
enum sc_status sc_snap_writer_add_eval(struct sc_snap_writer *w, const char *id,
				       const struct sc_subject *s,
				       const struct sc_eval *ev);

#endif
