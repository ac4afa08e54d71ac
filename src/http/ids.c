/* Over a cluster map, the ids of disputes, repair applications and
 * statements are the registry's, from the map's directory
 * (sc_shard_dir_item_id): each ledger numbers its own, so its ids would
 * clash with the other ledgers'. The server shows registry-wide ids and
 * takes them back to a ledger and its own id. Given in the order they are
 * first shown, they are the numbers one ledger would give when every
 * item is made through the server. Each is kept with its ledger and its
 * subject (a move points the ids of the items it copies at the copies):
 * an item on a ledger that no longer holds its subject is not found, never
 * taken for another. Without a map, ids are the ledger's. */
#include <stdlib.h>
#include <string.h>

#include "http.h"

enum sc_status sc_ids_out(struct sc_server *srv, enum sc_shard_item kind,
			  const struct sc_part *part, const char *subject, json_t *o,
			  struct sc_diag *d)
{
	json_t *id = json_object_get(o, "id");
	int64_t gid;
	enum sc_status st;

	if (!srv->opts.map)
		return SC_OK;
	if (!subject)
		subject = json_string_value(json_object_get(o, "subject"));
	if (!subject || !json_is_integer(id))
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, NULL, "an item without subject or id");
	pthread_mutex_lock(&srv->dir_mu);
	st = sc_shard_dir_item_id(srv->dir, kind, part->db, json_integer_value(id), subject, &gid, d);
	pthread_mutex_unlock(&srv->dir_mu);
	if (!st)
		json_integer_set(id, gid);
	return st;
}

enum sc_status sc_ids_out_all(struct sc_server *srv, enum sc_shard_item kind,
			      const struct sc_part *part, json_t *arr, struct sc_diag *d)
{
	enum sc_status st = SC_OK;
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if ((st = sc_ids_out(srv, kind, part, NULL, o, d)))
			break;
	return st;
}

static enum sc_status not_found(enum sc_shard_item kind, int64_t id, struct sc_diag *d)
{
	/* what one ledger answers */
	return kind == SC_SHARD_DISPUTE
		       ? sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "dispute", "no dispute %lld",
				     (long long)id)
		       : sc_diag_set(d, SC_ENOTFOUND, NULL, 0, 0, "repair",
				     "no repair application %lld", (long long)id);
}

enum sc_status sc_ids_in(struct sc_req *r, enum sc_shard_item kind, int64_t id,
			 struct sc_part **part, struct sc_store **st, int64_t *local,
			 struct sc_diag *d)
{
	struct sc_server *srv = r->srv;
	char ledger[SC_LIMIT_SHARD_LEDGER + 1], subject[SC_LIMIT_SUBJECT_ID + 1];
	struct sc_part *p;
	enum sc_status s;
	size_t i;

	if (!srv->opts.map) {
		*part = &srv->parts[0];
		*local = id;
		return (*st = sc_req_ledger(r, 0)) ? SC_OK : SC_ENOMEM;
	}
	pthread_mutex_lock(&srv->dir_mu);
	s = sc_shard_dir_item_find(srv->dir, kind, id, ledger, local, subject, d);
	pthread_mutex_unlock(&srv->dir_mu);
	if (s == SC_ENOTFOUND)
		return not_found(kind, id, d);
	if (s)
		return s;
	for (i = 0; i < srv->nparts && strcmp(srv->parts[i].db, ledger); i++)
		;
	/* its ledger left the map, or no longer holds its subject (a move) */
	p = i < srv->nparts ? &srv->parts[i] : NULL;
	if (!p || sc_server_part_of(srv, subject, strlen(subject)) != p)
		return not_found(kind, id, d);
	if (!(*st = sc_req_ledger(r, i)))
		return SC_ENOMEM;
	*part = p;
	return SC_OK;
}

static int by_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return x < y ? -1 : x > y;
}

enum sc_status sc_ids_sort(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v, *o;

	if (n < 2)
		return SC_OK;
	if (!(v = malloc(n * sizeof(*v))))
		return SC_ENOMEM;
	json_array_foreach(arr, i, o)
		v[i] = json_incref(o);
	qsort(v, n, sizeof(*v), by_id);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return SC_OK;
}
