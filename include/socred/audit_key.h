/* socred: the audit log's signing key, a file outside the ledger. Its
 * path: $SOCRED_AUDIT_KEY when set, else the ledger's path followed by
 * ".audit-key". The file holds the Ed25519 seed as 64 hex digits on a line
 * of its own ('#' lines are comments), is created 0600 (O_EXCL,
 * O_NOFOLLOW) by `socred init` or on first need, and is refused when
 * others may read or write it. */
#ifndef SOCRED_AUDIT_KEY_H
#define SOCRED_AUDIT_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "socred/audit_head.h"
#include "socred/status.h"
#include "socred/store.h"

#define SC_AUDIT_KEY_ENV "SOCRED_AUDIT_KEY"
#define SC_AUDIT_KEY_SUFFIX ".audit-key"

/* The key's path for the ledger at `ledger` into out (cap bytes). false:
 * too long. */
bool sc_audit_key_path(const char *ledger, char *out, size_t cap);
/* Reads the key at path into sk. create: when there is no file, a new key
 * is made and written there first (*created set). SC_OK; SC_ENOTFOUND (no
 * file, not create); SC_EIO; SC_ESYNTAX (not a key: names the line);
 * SC_EREFUSED (others may read or write it, or a symlink). */
enum sc_status sc_audit_key_load(const char *path, bool create,
				 unsigned char sk[SC_HEAD_SECRET_BYTES], bool *created,
				 struct sc_diag *d);

struct sc_store;

/* The head of st's audit tree now, signed with the key at key_path
 * (created when absent and create: *created set). The statuses of
 * sc_audit_key_load and sc_store_audit_tree. */
enum sc_status sc_audit_head_make(struct sc_store *st, const char *key_path, bool create,
				  struct sc_audit_head *h, bool *created, struct sc_diag *d);
/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void sc_audit_head_time(char out[SC_HEAD_TIME_MAX]);

#endif
