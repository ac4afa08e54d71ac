/* Every ledger of a cluster map open at once, and an ingest's route over
 * them (socred/shard.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socred/ingest.h"
#include "socred/shard.h"
#include "socred/store.h"

void sc_shard_set_close(struct sc_shard_set *set)
{
	if (set->stores)
		for (size_t i = 0; i < set->map->nledgers; i++)
			sc_store_close(set->stores[i]);
	free(set->stores);
	sc_shard_dir_close(set->dir);
	set->stores = NULL;
	set->dir = NULL;
}

enum sc_status sc_shard_set_open(const struct sc_shard_map *m, unsigned flags,
				 struct sc_shard_set *set, struct sc_diag *d)
{
	enum sc_status st;

	set->map = m;
	set->dir = NULL;
	if (!(set->stores = calloc(m->nledgers, sizeof(*set->stores))))
		return SC_ENOMEM;
	for (size_t i = 0; i < m->nledgers; i++)
		if ((st = sc_store_open(m->ledgers[i], flags, &set->stores[i], d)))
			goto fail;
	if ((st = sc_shard_dir_open(m->directory, (flags & SC_STORE_CREATE) != 0, &set->dir, d)))
		goto fail;
	return SC_OK;
fail:
	sc_shard_set_close(set);
	return st;
}

static enum sc_status pick(void *ctx, enum sc_op op, struct sc_text subject,
			   struct sc_text rid, size_t *store, struct sc_diag *d)
{
	struct sc_shard_set *set = ctx;
	const struct sc_shard_map *m = set->map;
	uint32_t own, filed;
	enum sc_status st;

	if (op == SC_OP_RECTIFY || op == SC_OP_REVOKE) {
		st = sc_shard_dir_record(set->dir, rid.p, rid.n, &filed, d);
		if (st && st != SC_ENOTFOUND)
			return st;
		*store = st ? 0 : m->owner[filed];
		return SC_OK;
	}
	own = sc_shard_of(m, subject.p, subject.n);
	*store = m->owner[own];
	if (op != SC_OP_ADD)
		return SC_OK;
	st = sc_shard_dir_record(set->dir, rid.p, rid.n, &filed, d);
	if (st == SC_ENOTFOUND || (st == SC_OK && filed == own))
		return SC_OK;
	if (st)
		return st;
	return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "subject",
			   "record_id '%.*s' is already filed with a different subject",
			   (int)rid.n, rid.p);
}

static enum sc_status filed(void *ctx, enum sc_op op, struct sc_text subject,
			    struct sc_text rid, size_t store, struct sc_diag *d)
{
	struct sc_shard_set *set = ctx;

	(void)store;
	if (op == SC_OP_ADD)
		return sc_shard_dir_claim(set->dir, rid.p, rid.n,
					  sc_shard_of(set->map, subject.p, subject.n), subject.p,
					  subject.n, d);
	if (op == SC_OP_RECTIFY || op == SC_OP_REVOKE)
		return SC_OK;
	return sc_shard_dir_subject(set->dir, subject.p, subject.n, d);
}

static enum sc_status begin(void *ctx, struct sc_diag *d)
{
	return sc_shard_dir_begin(((struct sc_shard_set *)ctx)->dir, d);
}

static enum sc_status commit(void *ctx, struct sc_diag *d)
{
	return sc_shard_dir_commit(((struct sc_shard_set *)ctx)->dir, d);
}

static void rollback(void *ctx)
{
	sc_shard_dir_rollback(((struct sc_shard_set *)ctx)->dir);
}

void sc_shard_set_route(struct sc_shard_set *set, struct sc_ingest_route *route)
{
	*route = (struct sc_ingest_route){.stores = set->stores, .nstores = set->map->nledgers,
					  .pick = pick, .filed = filed, .begin = begin,
					  .commit = commit, .rollback = rollback, .ctx = set};
}

/* ---- the map watched: a batch never writes by a map rewritten since ---- */

static void stamp_of(const struct stat *sb, uint64_t stamp[4])
{
	stamp[0] = (uint64_t)sb->st_dev;
	stamp[1] = (uint64_t)sb->st_ino;
	stamp[2] = (uint64_t)sb->st_size;
	stamp[3] = (uint64_t)sb->st_mtim.tv_sec * 1000000000u + (uint64_t)sb->st_mtim.tv_nsec;
}

enum sc_status sc_shard_set_settled(struct sc_shard_set *set, struct sc_diag *d)
{
	const struct sc_shard_map *m = set->map;
	struct sc_shard_map *now = NULL;
	struct stat sb;
	uint64_t stamp[4];
	enum sc_status st;

	if (!set->map_path)
		return SC_OK;
	if (stat(set->map_path, &sb))
		return sc_diag_set(d, SC_EIO, set->map_path, 0, 0, NULL,
				   "cannot read the cluster map");
	stamp_of(&sb, stamp);
	if (!memcmp(stamp, set->stamp, sizeof(stamp)))
		return SC_OK;
	if ((st = sc_shard_map_load(set->map_path, &now, d)))
		return st;
	if (now->count != m->count) {
		st = sc_diag_set(d, SC_ESTATE, set->map_path, 0, 0, NULL,
				 "the cluster map was rewritten with %u logical shards since it was"
				 " read", now->count);
		goto out;
	}
	for (uint32_t n = 0; n < m->count; n++)
		if (strcmp(now->ledgers[now->owner[n]], m->ledgers[m->owner[n]])) {
			st = sc_diag_set(d, SC_ESTATE, set->map_path, 0, 0, NULL,
					 "the cluster map was rewritten since it was read (logical"
					 " shard %u moved to %.200s)", n, now->names[now->owner[n]]);
			goto out;
		}
	memcpy(set->stamp, stamp, sizeof(stamp));
out:
	sc_shard_map_free(now);
	return st;
}

static enum sc_status settled(void *ctx, struct sc_diag *d)
{
	return sc_shard_set_settled(ctx, d);
}

void sc_shard_set_watch(struct sc_shard_set *set, const char *path,
			struct sc_ingest_route *route)
{
	set->map_path = path;
	memset(set->stamp, 0, sizeof(set->stamp));
	route->settled = settled;
}
