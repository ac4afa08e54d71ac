/* Bearer keys: "Authorization: Bearer sck_<id>_<secret>". The key is looked
 * up by id and its secret's hash compared in constant time. */
#include <string.h>

#include "http.h"

unsigned sc_auth_resolve(struct sc_req *r, struct sc_store *st)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char hash[SC_KEY_HASH_BYTES];
	int64_t id;

	r->role = SC_ROLE_PUBLIC;
	memset(&r->key, 0, sizeof(r->key));
	if (!h)
		return 0;
	if (strncmp(h, "Bearer ", 7) ||
	    sc_key_parse(h + 7, strlen(h + 7), &id, hash) ||
	    sc_store_key_get(st, id, &r->key, NULL) ||
	    !sc_key_hash_equal(hash, r->key.hash) || r->key.revoked) {
		memset(&r->key, 0, sizeof(r->key));
		return 401;
	}
	r->role = r->key.role;
	return 0;
}
