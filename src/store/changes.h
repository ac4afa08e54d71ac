/* The ledger's change counter: a 64-bit word in a small file next to the
 * ledger (<ledger>.changes), mapped shared by every process that opens it.
 * A writer adds one after each commit that changes a subject's file; a
 * reader (the server) compares it with what it last saw and, when it moved,
 * asks the ledger what changed. It is a hint that makes that question cheap
 * to skip, never the record: a lost bump (a writer killed between commit
 * and bump) is caught by the server's periodic look at the ledger. Internal
 * to src/store. */
#ifndef SOCRED_STORE_CHANGES_H
#define SOCRED_STORE_CHANGES_H

#include <stdint.h>

#include "socred/status.h"

struct sc_changes;

/* Maps <db>.changes, creating it (owner-only) when missing. SC_OK with
 * *out NULL when it cannot (a read-only folder): callers then treat every
 * read as "changed". SC_EREFUSED (d names it) when it is a symbolic link:
 * the counter is never written through one. */
enum sc_status sc_changes_open(const char *db, struct sc_changes **out,
			       struct sc_diag *d);
void sc_changes_close(struct sc_changes *c);
void sc_changes_bump(struct sc_changes *c);
/* UINT64_MAX when c is NULL. */
uint64_t sc_changes_read(const struct sc_changes *c);

#endif
