/* Where a ledger is, and where its local files go.
 *
 * A ledger is a file (SQLite, the embedded default) or a PostgreSQL
 * database named by a libpq connection URI ("postgresql://..." or
 * "postgres://..."). The files derived from it on one machine (the
 * population image, the decision snapshot, the audit signing key) sit next
 * to a ledger file; for a ledger in PostgreSQL they sit in the state
 * folder: $SOCRED_STATE_DIR, else $XDG_STATE_HOME/socred, else
 * $HOME/.local/state/socred (made owner-only when missing). */
#ifndef SOCRED_LEDGER_PATH_H
#define SOCRED_LEDGER_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* true when db names a PostgreSQL database */
bool sc_ledger_is_pg(const char *db);

/* The base path of db's local files ("<base>.image", "<base>.snap", ...):
 * db itself for a ledger file; for PostgreSQL, "<state>/pg-<16 hex>", the
 * hex from the SHA-256 of the URI without its password. false when it
 * does not fit in cap or the state folder cannot be made. */
bool sc_ledger_local(const char *db, char *out, size_t cap);

/* db fit to print: a URI without its password ("postgresql://u@h/db");
 * a file path as it is. Always NUL-terminated (cut to cap). */
void sc_ledger_display(const char *db, char *out, size_t cap);

#endif
