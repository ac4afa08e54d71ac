/* The store conformance suite's backends: a test written once against the
 * store API runs on a fresh ledger of each backend. SQLite always; a
 * PostgreSQL database of its own too when SOCRED_TEST_PG names a cluster
 * (an admin URI, as tests/pg/with_pg.sh sets it). With SOCRED_TEST_PG_ONLY
 * set, PostgreSQL only (how ctest runs the pg_conf_* copies: the SQLite
 * side already ran as unit_conf_*). With SOCRED_TEST_KEEP set, the
 * PostgreSQL databases are left behind for inspection. */
#ifndef SOCRED_TEST_CONF_H
#define SOCRED_TEST_CONF_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_files.h"

enum conf_backend { CONF_SQLITE, CONF_PG, CONF_N };

static inline const char *conf_name(enum conf_backend b)
{
	return b == CONF_PG ? "postgresql" : "sqlite";
}

/* Whether backend b is under test in this run. */
static inline int conf_enabled(enum conf_backend b)
{
	const char *pg = getenv("SOCRED_TEST_PG");
	int pg_only = getenv("SOCRED_TEST_PG_ONLY") != NULL;

	if (b == CONF_PG)
		return pg && *pg;
	return !pg_only;
}

/* Runs sql on the cluster's admin database; 0 on success. */
static inline int conf_admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("SOCRED_TEST_PG"));
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "conf: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "conf: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* A fresh, empty place for a ledger on backend b, in path (a file path
 * or a URI): pass it to sc_store_open with SC_STORE_CREATE. 0 on success.
 * Release it with conf_drop. */
static inline int conf_fresh(enum conf_backend b, char *path, size_t cap)
{
	static unsigned n;
	char sql[256];

	n++;
	if (b == CONF_SQLITE) {
		snprintf(path, cap, "/tmp/socred-conf-%d-%u.db", (int)getpid(), n);
		remove_ledger(path);
		return 0;
	} else {
		const char *admin = getenv("SOCRED_TEST_PG");
		const char *slash = strrchr(admin, '/');
		char db[64];

		snprintf(db, sizeof(db), "socred_conf_%d_%u", (int)getpid(), n);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
		if (!slash || conf_admin(sql))
			return -1;
		snprintf(path, cap, "%.*s/%s", (int)(slash - admin), admin, db);
		return 0;
	}
}

static inline void conf_drop(enum conf_backend b, const char *path)
{
	char sql[256];
	const char *db = strrchr(path, '/');

	if (b == CONF_SQLITE) {
		remove_ledger(path);
		return;
	}
	if (!db || getenv("SOCRED_TEST_KEEP"))
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db + 1);
	conf_admin(sql);
}

#endif
