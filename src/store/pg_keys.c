/* The PostgreSQL backend's API keys: the same rows, ids and messages as the
 * SQLite backend's (sqlite_access.c). A key is written under the ledger's
 * writer lock, so the count of admin keys a revocation tests cannot change
 * before its update, and every node hears of the commit. */
#include <string.h>

#include "pg_impl.h"

#define KEY_COLS "id, role, name, binding, hash, revoked, created"

enum sc_status sc_pq_key_add(void *impl, struct sc_key *k, struct sc_diag *d)
{
	struct pq *p = impl;
	char hash[2 * SC_KEY_HASH_BYTES + 3];
	const char *v[4] = {sc_role_name(k->role), k->name, k->binding,
			    sc_pq_bytea(hash, k->hash, SC_KEY_HASH_BYTES)};
	int64_t id = 0;
	bool own;
	enum sc_status st;

	if ((st = sc_pq_own_begin(p, &own, d)))
		return st;
	st = sc_pq_int(p,
		       "INSERT INTO keys(role, name, binding, hash, created)"
		       " VALUES($1, $2, $3, $4::bytea, to_char(now() AT TIME ZONE 'UTC',"
		       " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) RETURNING id",
		       4, v, &id, d);
	if ((st = sc_pq_own_end(p, own, st, d)))
		return st;
	k->id = id;
	return SC_OK;
}

static void read_key(const PGresult *r, int i, struct sc_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sc_pq_get_i64(r, i, 0);
	sc_role_parse(PQgetvalue(r, i, 1), &k->role);
	sc_pq_get_text(k->name, sizeof(k->name), r, i, 2);
	sc_pq_get_text(k->binding, sizeof(k->binding), r, i, 3);
	if (!sc_pq_get_bytes(k->hash, SC_KEY_HASH_BYTES, r, i, 4))
		memset(k->hash, 0, sizeof(k->hash));
	k->revoked = sc_pq_get_i64(r, i, 5) != 0;
	sc_pq_get_text(k->created, sizeof(k->created), r, i, 6);
}

enum sc_status sc_pq_key_get(void *impl, int64_t id, struct sc_key *out, struct sc_diag *d)
{
	struct pq *p = impl;
	char a[SC_PQ_INT];
	const char *v[1] = {sc_pq_i64(a, id)};
	PGresult *r;
	enum sc_status st = sc_pq_query(p, "SELECT " KEY_COLS " FROM keys WHERE id = $1", 1, v,
					&r, d);

	if (st)
		return st;
	if (PQntuples(r) == 1)
		read_key(r, 0, out);
	else
		st = sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "key", "no key %lld", (long long)id);
	PQclear(r);
	return st;
}

enum sc_status sc_pq_key_revoke(void *impl, int64_t id, bool force, struct sc_diag *d)
{
	struct pq *p = impl;
	char a[SC_PQ_INT];
	const char *v[2] = {sc_pq_i64(a, id), force ? "true" : "false"};
	PGresult *r = NULL;
	struct sc_key k;
	bool own, changed = false;
	enum sc_status st;

	if ((st = sc_pq_own_begin(p, &own, d)))
		return st;
	st = sc_pq_query(p,
			 "UPDATE keys SET revoked = 1 WHERE id = $1 AND"
			 " ($2::boolean OR role <> 'admin' OR revoked <> 0 OR (SELECT count(*) FROM keys"
			 " WHERE role = 'admin' AND revoked = 0) > 1)",
			 2, v, &r, d);
	if (!st) {
		changed = strcmp(PQcmdTuples(r), "0") != 0;
		PQclear(r);
		if (!changed && !(st = sc_pq_key_get(p, id, &k, d)))
			st = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "key",
					 "key %lld is the last active admin key: revoking it would leave"
					 " nobody able to manage keys; add another admin key first",
					 (long long)id);
	}
	/* a refused revocation changes nothing: its transaction is rolled
	 * back, the caller's (not own) is left to the caller */
	return sc_pq_own_end(p, own, st, d);
}

enum sc_status sc_pq_key_list(void *impl, sc_store_key_fn cb, void *ctx, struct sc_diag *d)
{
	struct pq *p = impl;
	PGresult *r;
	struct sc_key k;
	enum sc_status st = sc_pq_query(p, "SELECT " KEY_COLS " FROM keys ORDER BY id", 0, NULL,
					&r, d);

	for (int i = 0; !st && i < PQntuples(r); i++) {
		read_key(r, i, &k);
		st = cb(ctx, &k);
	}
	PQclear(r);
	return st;
}
