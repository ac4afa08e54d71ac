/* socred: shards, one registry over several ledgers.
 *
 * A cluster map file cuts the registry into a power-of-two count of
 * logical shards and maps ranges of them to ledgers (SQLite files or
 * PostgreSQL URIs, anything sc_store_open takes). A subject belongs to
 * the logical shard sc_shard_hash(id) mod count, the hash being the first
 * eight bytes of the SHA-256 of the id's bytes, read big-endian: the same
 * in C, in SQL (PostgreSQL's sha256()) and on every machine.
 *
 * The map's text, one statement per line ('#' starts a comment):
 *
 *   shards 1024                  the count of logical shards
 *   directory socred.shards.dir  the record-id and subject directory
 *   0-511 a.db                   logical shards 0 to 511 on ledger a.db
 *   512-1023 postgresql://h/db   the rest on a PostgreSQL ledger
 *
 * Every logical shard is named by exactly one range. A relative file path
 * (a ledger or the directory) is taken from the map's folder.
 *
 * The directory (sc_shard_dir) is a small SQLite file of its own, the
 * registry's control ledger: which logical shard holds each record_id
 * (so that a record_id is unique registry-wide and rectify and revoke
 * lines find their record), and each subject in the order it was first
 * filed (so that listings merged from the shards come in the order one
 * ledger would give). */
#ifndef SOCRED_SHARD_H
#define SOCRED_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "socred/limits.h"
#include "socred/status.h"

struct sc_shard_map {
	uint32_t count;     /* logical shards, a power of two */
	size_t nledgers;
	char **ledgers;     /* [nledgers], in the order the map first names them:
			     * paths as used (relative ones from the map's folder) */
	char **names;       /* [nledgers]: as the map writes them */
	uint32_t *owner;    /* [count]: logical shard -> index in ledgers */
	char *directory;    /* the directory's path, as used */
	char *directory_name; /* as the map writes it */
};

/* SHA-256 of the id's bytes, its first eight bytes big-endian. */
uint64_t sc_shard_hash(const char *id, size_t len);
/* The logical shard of a subject id under m. */
uint32_t sc_shard_of(const struct sc_shard_map *m, const char *id, size_t len);
/* The ledger index holding a subject id under m. */
size_t sc_shard_ledger(const struct sc_shard_map *m, const char *id, size_t len);

/* Parses a map's text (len bytes; name for diagnostics; base: the folder
 * relative paths are taken from, "" for none). SC_OK with *out the map
 * (sc_shard_map_free), or SC_ESYNTAX / SC_ELIMIT with d naming the line
 * and field, SC_ENOMEM. */
enum sc_status sc_shard_map_parse(const char *text, size_t len, const char *name,
				  const char *base, struct sc_shard_map **out,
				  struct sc_diag *d);
/* Reads and parses the map file at path. SC_EIO when it cannot be read. */
enum sc_status sc_shard_map_load(const char *path, struct sc_shard_map **out,
				 struct sc_diag *d);
/* The map as text (malloc'd, NUL-terminated; NULL: out of memory): ranges
 * of consecutive logical shards on one ledger, paths as they are. */
char *sc_shard_map_format(const struct sc_shard_map *m);
/* Writes the map to path in one step readers cannot see halfway: a
 * temporary file next to it, fsync, rename, fsync of the folder. SC_OK or
 * SC_EIO. */
enum sc_status sc_shard_map_save(const struct sc_shard_map *m, const char *path,
				 struct sc_diag *d);
/* Points logical shard n at ledger (added to the map's ledgers when new;
 * a relative file path is from the working folder and written absolute).
 * SC_OK, SC_EINVAL (n out of range), SC_ELIMIT, SC_ENOMEM. */
enum sc_status sc_shard_map_assign(struct sc_shard_map *m, uint32_t n,
				   const char *ledger, struct sc_diag *d);
void sc_shard_map_free(struct sc_shard_map *m);

/* ---- the directory (directory.c) ---- */

struct sc_shard_dir;

/* Opens (create: makes it when missing) the directory at path. SC_OK,
 * SC_ESTORE with d naming the file. */
enum sc_status sc_shard_dir_open(const char *path, int create,
				 struct sc_shard_dir **out, struct sc_diag *d);
void sc_shard_dir_close(struct sc_shard_dir *dir);
enum sc_status sc_shard_dir_begin(struct sc_shard_dir *dir, struct sc_diag *d);
enum sc_status sc_shard_dir_commit(struct sc_shard_dir *dir, struct sc_diag *d);
void sc_shard_dir_rollback(struct sc_shard_dir *dir);
/* The logical shard a record_id is filed on: SC_OK, SC_ENOTFOUND,
 * SC_ESTORE. */
enum sc_status sc_shard_dir_record(struct sc_shard_dir *dir, const char *rid,
				   size_t len, uint32_t *lshard, struct sc_diag *d);
/* Claims a record_id for a logical shard, and notes its subject's first
 * filing (a no-op for what the directory holds already). SC_OK,
 * SC_ESTORE. */
enum sc_status sc_shard_dir_claim(struct sc_shard_dir *dir, const char *rid,
				  size_t rlen, uint32_t lshard, const char *subject,
				  size_t slen, struct sc_diag *d);
/* Notes a subject's first filing (a consent, a name) without a record. */
enum sc_status sc_shard_dir_subject(struct sc_shard_dir *dir, const char *subject,
				    size_t slen, struct sc_diag *d);
/* The order of a subject's first filing (1, 2, ...): SC_OK, SC_ENOTFOUND,
 * SC_ESTORE. */
enum sc_status sc_shard_dir_order(struct sc_shard_dir *dir, const char *subject,
				  size_t slen, int64_t *order, struct sc_diag *d);

/* Disputes, repair applications and statements: each ledger numbers its
 * own; the directory gives each a registry-wide id, in the order they are
 * first asked for, kept with its ledger (as the map's ledgers name it),
 * the ledger's own id and its subject. The ledger, not the logical shard:
 * a move copies a subject's items to the new ledger, which numbers them
 * itself, and points their ids at the copies (sc_shard_dir_item_move). */
enum sc_shard_item { SC_SHARD_DISPUTE = 0, SC_SHARD_REPAIR = 1, SC_SHARD_STATEMENT = 2 };
/* The registry-wide id of item `local` of subject on ledger, given now
 * when it has none. SC_OK, SC_EINVAL (kind), SC_ESTORE. */
enum sc_status sc_shard_dir_item_id(struct sc_shard_dir *dir, enum sc_shard_item kind,
				    const char *ledger, int64_t local, const char *subject,
				    int64_t *gid, struct sc_diag *d);
/* Where a registry-wide id is, and whose: SC_OK, SC_ENOTFOUND, SC_EINVAL,
 * SC_ESTORE. */
enum sc_status sc_shard_dir_item_find(struct sc_shard_dir *dir, enum sc_shard_item kind,
				      int64_t gid, char ledger[SC_LIMIT_SHARD_LEDGER + 1],
				      int64_t *local, char subject[SC_LIMIT_SUBJECT_ID + 1],
				      struct sc_diag *d);

/* Points registry-wide id of item `from_local` on ledger `from` at item
 * `to_local` on ledger `to` (socred shards move copies a subject's items,
 * which the new ledger numbers itself): the id users see stays. SC_OK
 * (also when the item has no registry-wide id yet, or `to`'s item has one
 * already: nothing changes), SC_EINVAL (kind), SC_ESTORE. */
enum sc_status sc_shard_dir_item_move(struct sc_shard_dir *dir, enum sc_shard_item kind,
				      const char *from, int64_t from_local, const char *to,
				      int64_t to_local, struct sc_diag *d);

/* ---- every ledger of a map, open (route.c) ---- */

struct sc_store;
struct sc_ingest_route;

struct sc_shard_set {
	const struct sc_shard_map *map; /* borrowed */
	struct sc_store **stores;       /* [map->nledgers] */
	struct sc_shard_dir *dir;
	/* the map file an ingest watches (sc_shard_set_watch), borrowed; NULL:
	 * none */
	const char *map_path;
	uint64_t stamp[4];              /* its device, inode, size, mtime (ns)
					 * when last found unchanged */
};

/* Opens every ledger of m (sc_store_open with flags) and its directory
 * (made when SC_STORE_CREATE is in flags). SC_OK, or the first failure
 * with d naming the ledger; set is then empty. */
enum sc_status sc_shard_set_open(const struct sc_shard_map *m, unsigned flags,
				 struct sc_shard_set *set, struct sc_diag *d);
void sc_shard_set_close(struct sc_shard_set *set);
/* An ingest's route over set (socred/ingest.h): a record goes to its
 * subject's shard, unless the directory has its record_id on another
 * (then it is refused as a conflict on "subject", as one ledger refuses a
 * record_id filed for another subject); rectify and revoke go to the
 * shard the directory names (the first ledger when it names none: it
 * answers "no such record" as one ledger does). route is filled. */
void sc_shard_set_route(struct sc_shard_set *set, struct sc_ingest_route *route);
/* Makes the route check, at each batch once every ledger's batch has begun
 * (each holding its ledger's write lock), that the map at path still gives
 * every logical shard the ledger set->map gives it: a map rewritten since
 * (socred shards move, which holds the old ledger's write lock until the
 * map is rewritten) stops the ingest with SC_ESTATE naming the first
 * logical shard moved, the batch rolled back. Call after
 * sc_shard_set_route; path is borrowed. */
void sc_shard_set_watch(struct sc_shard_set *set, const char *path,
			struct sc_ingest_route *route);
/* That check, now: SC_OK, SC_ESTATE, SC_EIO (the map cannot be read),
 * SC_ESYNTAX, SC_ENOMEM. */
enum sc_status sc_shard_set_settled(struct sc_shard_set *set, struct sc_diag *d);

#endif
