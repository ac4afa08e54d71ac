/* Bearer keys: "Authorization: Bearer sck_<id>_<secret>". The key is looked
 * up by id and its secret's hash compared in constant time. */
#include <string.h>
#include <time.h>

#include "http.h"

/* Keys read from the ledger are kept while the ledger's change counter
 * stays where it was when they were read: any key change (also a
 * revocation by `socred keys` in another process) moves it. While the
 * ledger's connection is lost (a PostgreSQL primary failing over), a key
 * known current within KEY_STALE_S is taken as it was: no revocation can
 * be read then, and the bound limits how long one committed elsewhere
 * meanwhile goes unseen. */
#define KEY_STALE_S 30.0

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool cached(struct sc_keycache *kc, int64_t id, uint64_t gen, struct sc_key *out)
{
	struct sc_keyslot *k = &kc->slots[(uint64_t)id % SC_KEYCACHE_SLOTS];
	bool hit;

	pthread_mutex_lock(&kc->mu);
	hit = k->valid && k->key.id == id && k->gen == gen;
	if (hit) {
		*out = k->key;
		k->current_at = mono();
	}
	pthread_mutex_unlock(&kc->mu);
	return hit;
}

/* The key as last known, if known current within KEY_STALE_S. */
static bool cached_recent(struct sc_keycache *kc, int64_t id, struct sc_key *out)
{
	struct sc_keyslot *k = &kc->slots[(uint64_t)id % SC_KEYCACHE_SLOTS];
	bool hit;

	pthread_mutex_lock(&kc->mu);
	hit = k->valid && k->key.id == id && mono() - k->current_at < KEY_STALE_S;
	if (hit)
		*out = k->key;
	pthread_mutex_unlock(&kc->mu);
	return hit;
}

static void keep(struct sc_keycache *kc, const struct sc_key *key, uint64_t gen)
{
	struct sc_keyslot *k = &kc->slots[(uint64_t)key->id % SC_KEYCACHE_SLOTS];

	pthread_mutex_lock(&kc->mu);
	k->key = *key;
	k->gen = gen;
	k->current_at = mono();
	k->valid = true;
	pthread_mutex_unlock(&kc->mu);
}

static enum sc_status key_get(struct sc_req *r, struct sc_store *st, int64_t id)
{
	uint64_t gen;
	bool counted = sc_part_change_count(&r->srv->parts[0], st, &gen);
	enum sc_status rc;

	if (counted && cached(&r->srv->keys, id, gen, &r->key))
		return SC_OK;
	if ((rc = sc_store_key_get(st, id, &r->key, NULL)))
		return rc != SC_ENOTFOUND && rc != SC_EINVAL && !sc_store_connected(st) &&
		       cached_recent(&r->srv->keys, id, &r->key) ? SC_OK : rc;
	/* without a counter the key is kept for cached_recent only (no
	 * counter reads UINT64_MAX) */
	keep(&r->srv->keys, &r->key, counted ? gen : UINT64_MAX);
	return SC_OK;
}

unsigned sc_auth_resolve(struct sc_req *r, struct sc_store *st)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char hash[SC_KEY_HASH_BYTES];
	enum sc_status rc = SC_EINVAL;
	int64_t id;

	r->role = SC_ROLE_PUBLIC;
	memset(&r->key, 0, sizeof(r->key));
	if (!h)
		return 0;
	if (!strncmp(h, "Bearer ", 7) && !sc_key_parse(h + 7, strlen(h + 7), &id, hash))
		rc = key_get(r, st, id);
	if (rc && rc != SC_ENOTFOUND && rc != SC_EINVAL) {
		/* the ledger did not answer (a PostgreSQL primary failing
		 * over, say): the key may well be good */
		memset(&r->key, 0, sizeof(r->key));
		return 503;
	}
	if (rc || !sc_key_hash_equal(hash, r->key.hash) || r->key.revoked) {
		memset(&r->key, 0, sizeof(r->key));
		return 401;
	}
	r->role = r->key.role;
	return 0;
}
