/* Every ledger of a cluster map open at once, and an ingest's route over
 * them (socred/shard.h). */
#include <stdlib.h>
#include <string.h>

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
