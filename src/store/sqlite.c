/* The SQLite ledger backend: WAL, foreign keys, append-only records enforced
 * by triggers, prepared statements for every write. Dates are day numbers
 * (days since 1970-01-01); amounts are fixed-point integers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/sidefile.h"
#include "sqlite_impl.h"


/* The page cache of a connection (KiB), except while it ingests (sized to
 * the ledger by ingest_sizes), and of an SC_STORE_LEAN one. */
#define CACHE_KIB 131072
#define CACHE_KIB_STR "131072"
#define LEAN_CACHE_KIB 4096
/* an ingest transaction's, at least (ingest_sizes) */
#define INGEST_MIN_KIB 32768

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE rulebooks(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" version TEXT NOT NULL, text TEXT NOT NULL, installed_at TEXT NOT NULL);\n"
	"CREATE TABLE subjects(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE,"
	" kind INTEGER NOT NULL);\n"
	"CREATE TABLE types(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE records(rid INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE,"
	" subject INTEGER NOT NULL REFERENCES subjects(id),"
	" type INTEGER NOT NULL REFERENCES types(id), date INTEGER NOT NULL,"
	" amount INTEGER, source INTEGER NOT NULL REFERENCES sources(id), ref TEXT);\n"
	"CREATE INDEX records_subject ON records(subject);\n"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY,"
	" rid INTEGER NOT NULL REFERENCES records(rid), op INTEGER NOT NULL,"
	" date INTEGER NOT NULL, ref TEXT, UNIQUE(rid, op));\n"
	"CREATE TABLE consents(seq INTEGER PRIMARY KEY,"
	" subject INTEGER NOT NULL REFERENCES subjects(id), scorecard TEXT NOT NULL,"
	" granted INTEGER NOT NULL, date INTEGER NOT NULL,"
	" UNIQUE(subject, scorecard, granted, date));\n"
	"CREATE INDEX consents_subject ON consents(subject);\n"
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	" rulebook INTEGER REFERENCES rulebooks(id), started TEXT NOT NULL,"
	" subjects INTEGER, seconds REAL);\n"
	"CREATE TABLE results(run INTEGER NOT NULL REFERENCES runs(id),"
	" subject INTEGER NOT NULL, scorecard TEXT NOT NULL, status TEXT NOT NULL,"
	" score INTEGER, grade TEXT, PRIMARY KEY(run, subject, scorecard)) WITHOUT ROWID;\n"
	"CREATE TABLE list_entries(run INTEGER NOT NULL REFERENCES runs(id),"
	" list TEXT NOT NULL, subject INTEGER NOT NULL, rid INTEGER NOT NULL,"
	" since INTEGER NOT NULL, until INTEGER);\n"
	/* append-only, by construction */
	"CREATE TRIGGER records_append_only_u BEFORE UPDATE ON records"
	" BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;\n"
	"CREATE TRIGGER records_append_only_d BEFORE DELETE ON records"
	" BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;\n"
	"CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;\n"
	"CREATE TRIGGER events_append_only_d BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;\n"
	"INSERT INTO meta VALUES('schema', '1');\n";

/* Migrations from schema N to N + 1, applied in order on open. */
static const char *const migrations[] = {
	/* 1 -> 2: API keys and the audit trail */
	"CREATE TABLE keys(id INTEGER PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL,"
	" binding TEXT NOT NULL, hash BLOB NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
	" created TEXT NOT NULL);\n"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, at TEXT NOT NULL, key_id INTEGER NOT NULL,"
	" role TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, result TEXT NOT NULL,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL);\n"
	"CREATE INDEX audit_subject ON audit(subject) WHERE subject <> '';\n"
	"CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
	"CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n",
	/* 2 -> 3: due process: disputes, statements, repair, shares, names */
	"CREATE TABLE disputes(id INTEGER PRIMARY KEY, rid INTEGER NOT NULL REFERENCES records(rid),"
	" reason TEXT NOT NULL, opened INTEGER NOT NULL, deadline INTEGER NOT NULL,"
	" decided INTEGER, outcome TEXT, decided_by TEXT, note TEXT,"
	" opened_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
	" decided_at TEXT);\n"
	"CREATE INDEX disputes_rid ON disputes(rid);\n"
	"CREATE INDEX disputes_open ON disputes(deadline) WHERE decided IS NULL;\n"
	"CREATE TABLE statements(id INTEGER PRIMARY KEY, rid INTEGER NOT NULL REFERENCES records(rid),"
	" text TEXT NOT NULL, date INTEGER NOT NULL);\n"
	"CREATE INDEX statements_rid ON statements(rid);\n"
	"CREATE TABLE repairs(id INTEGER PRIMARY KEY, rid INTEGER NOT NULL REFERENCES records(rid),"
	" commitment TEXT NOT NULL, applied INTEGER NOT NULL, decided INTEGER, outcome TEXT,"
	" reason TEXT, decided_by TEXT);\n"
	"CREATE INDEX repairs_rid ON repairs(rid);\n"
	"CREATE TABLE shares(hash BLOB PRIMARY KEY, subject INTEGER NOT NULL REFERENCES subjects(id),"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE names(subject INTEGER PRIMARY KEY REFERENCES subjects(id), name TEXT NOT NULL,"
	" date INTEGER NOT NULL);\n"
	"CREATE INDEX names_name ON names(name);\n",
	/* 3 -> 4: retention: deletions allowed only while `socred expire` runs */
	"DROP TRIGGER records_append_only_d;\n"
	"DROP TRIGGER events_append_only_d;\n"
	"CREATE TRIGGER records_append_only_d BEFORE DELETE ON records"
	" WHEN (SELECT value FROM meta WHERE key = 'expiring') IS NULL"
	" BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;\n"
	"CREATE TRIGGER events_append_only_d BEFORE DELETE ON events"
	" WHEN (SELECT value FROM meta WHERE key = 'expiring') IS NULL"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;\n",
	/* 4 -> 5: rulebook versions take effect on a date (NULL: always) */
	"ALTER TABLE rulebooks ADD COLUMN effective INTEGER;\n",
	/* 5 -> 6: subjects whose disputes changed, for derived data (records,
	 * events and consents are append-only and carry their own sequence) */
	"CREATE TABLE changes(seq INTEGER PRIMARY KEY, subject INTEGER NOT NULL);\n"
	"CREATE TRIGGER disputes_changed_i AFTER INSERT ON disputes BEGIN"
	" INSERT INTO changes(subject) SELECT subject FROM records WHERE rid = NEW.rid; END;\n"
	"CREATE TRIGGER disputes_changed_u AFTER UPDATE ON disputes BEGIN"
	" INSERT INTO changes(subject) SELECT subject FROM records WHERE rid = NEW.rid; END;\n",
	/* 6 -> 7: the audit trail's subject index by segments (see
	 * sqlite_impl.h): appends no longer write a random index page each */
	"DROP INDEX audit_subject;\n"
	"CREATE TABLE audit_index(seg INTEGER NOT NULL, subject TEXT NOT NULL,"
	" seq INTEGER NOT NULL, PRIMARY KEY(seg, subject, seq)) WITHOUT ROWID;\n"
	"INSERT INTO audit_index SELECT (seq - 1) >> " AUDIT_SEG_STR ", subject, seq FROM audit"
	" WHERE subject <> '' AND seq <= ((SELECT coalesce(max(seq), 0) FROM audit) >> "
	AUDIT_SEG_STR ") << " AUDIT_SEG_STR " ORDER BY 1, 2, 3;\n",
	/* 7 -> 8: a run stores its tallies, not a row per subject (those live
	 * in the decision snapshot), so it never holds the write lock while it
	 * evaluates; deletions (retention) and kind changes are changes to a
	 * subject's file for derived data; the ledger gets an identity that a
	 * derived file can name */
	"CREATE TABLE run_tallies(run INTEGER NOT NULL REFERENCES runs(id),"
	" scorecard TEXT NOT NULL, status TEXT NOT NULL, grade TEXT, subjects INTEGER NOT NULL);\n"
	"CREATE INDEX run_tallies_run ON run_tallies(run);\n"
	"CREATE TABLE run_lists(run INTEGER NOT NULL REFERENCES runs(id), list TEXT NOT NULL,"
	" members INTEGER NOT NULL, entries INTEGER NOT NULL);\n"
	"CREATE INDEX run_lists_run ON run_lists(run);\n"
	"INSERT INTO run_tallies SELECT run, scorecard, status, grade, count(*) FROM results"
	" GROUP BY run, scorecard, status, grade;\n"
	"INSERT INTO run_lists SELECT run, list, count(DISTINCT subject), count(*)"
	" FROM list_entries GROUP BY run, list;\n"
	"DROP TABLE results;\n"
	"DROP TABLE list_entries;\n"
	"CREATE TRIGGER records_changed_d AFTER DELETE ON records BEGIN"
	" INSERT INTO changes(subject) VALUES(OLD.subject); END;\n"
	"CREATE TRIGGER subjects_kind_u AFTER UPDATE OF kind ON subjects BEGIN"
	" INSERT INTO changes(subject) VALUES(NEW.id); END;\n"
	"INSERT OR IGNORE INTO meta VALUES('ledger_id', lower(hex(randomblob(16))));\n",
	/* 8 -> 9: the highest record row `expire` ever removed (SQLite gives a
	 * removed highest row number to the next record): rows above it have
	 * held the same record all along. Unknown before: every row so far. */
	("INSERT OR REPLACE INTO meta VALUES('expired_max_rid',"
	 " (SELECT coalesce(max(rid), 0) FROM records));\n"),
	/* 9 -> 10: the audit trail in blocks, one row per append
	 * (sqlite_audit.c); the audit table keeps the entries before */
	"CREATE TABLE audit_blocks(seq INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK(n > 0),"
	" hash TEXT NOT NULL, data BLOB NOT NULL);\n"
	"CREATE TRIGGER audit_blocks_append_only_u BEFORE UPDATE ON audit_blocks"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
	"CREATE TRIGGER audit_blocks_append_only_d BEFORE DELETE ON audit_blocks"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n",
	/* 10 -> 11: the audit log's subject index in chunks, a row per 128
	 * entries or more (sqlite_audit.c); audit_index keeps the segments
	 * indexed before */
	"CREATE TABLE audit_subjects(seg INTEGER NOT NULL, low TEXT NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(seg, low)) WITHOUT ROWID;\n",
	/* 11 -> 12: the records' subject index in sorted runs, written at each
	 * commit (sqlite_bysubject.c), in place of a B-tree insert per record;
	 * migrate() fills it from records_subject, then drops that. A
	 * consent's subject is looked up through its UNIQUE index. */
	"CREATE TABLE subject_runs(run INTEGER PRIMARY KEY, pairs INTEGER NOT NULL);\n"
	"CREATE TABLE subject_chunks(run INTEGER NOT NULL, low INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY(run, low)) WITHOUT ROWID;\n"
	"DROP INDEX consents_subject;\n",
	/* 12 -> 13: a source's open repair applications through an index of
	 * the open ones, as its open disputes (disputes_open) */
	"CREATE INDEX repairs_open ON repairs(applied) WHERE decided IS NULL;\n",
	/* 13 -> 14: row counts, moved by each commit (sqlite_counts.c) */
	"CREATE TABLE counts(name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;\n"
	"INSERT INTO counts SELECT 'subjects', count(*) FROM subjects"
	" UNION ALL SELECT 'records', count(*) FROM records"
	" UNION ALL SELECT 'events', count(*) FROM events"
	" UNION ALL SELECT 'consents', count(*) FROM consents;\n",
	/* 14 -> 15: subjects found by ext_id through two tiers of keys
	 * (sqlite_keys.c) in place of the UNIQUE index, which a new subject
	 * wrote a random page of at every commit; subjects is rebuilt without
	 * it (migrate() turns foreign keys off around this) */
	"CREATE TABLE subject_keys(ext_id TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE subject_keys_new(ext_id TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;\n"
	"INSERT INTO subject_keys SELECT ext_id, id FROM subjects ORDER BY ext_id;\n"
	"CREATE TABLE subjects_v15(id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL,"
	" kind INTEGER NOT NULL);\n"
	"INSERT INTO subjects_v15 SELECT id, ext_id, kind FROM subjects ORDER BY id;\n"
	"DROP TABLE subjects;\n"
	"ALTER TABLE subjects_v15 RENAME TO subjects;\n"
	"CREATE TRIGGER subjects_kind_u AFTER UPDATE OF kind ON subjects BEGIN"
	" INSERT INTO changes(subject) VALUES(NEW.id); END;\n"
	"INSERT INTO counts VALUES('subject_keys_new', 0), ('subject_key_merges', 0);\n",
	/* 15 -> 16: public search by a name's search key (sc_name_key: NFKC,
	 * case folded): a person by the whole key only, an organisation by its
	 * start as well (names_org); org follows the subject's kind */
	"ALTER TABLE names ADD COLUMN key TEXT;\n"
	"ALTER TABLE names ADD COLUMN org INTEGER NOT NULL DEFAULT 0;\n"
	"UPDATE names SET key = sc_name_key(name), org = coalesce((SELECT kind = " SC_KIND_ORG_STR
	" FROM subjects WHERE id = names.subject), 0);\n"
	"DROP INDEX names_name;\n"
	"CREATE INDEX names_key ON names(key);\n"
	"CREATE INDEX names_org ON names(key) WHERE org = 1;\n"
	"CREATE TRIGGER names_kind_u AFTER UPDATE OF kind ON subjects BEGIN"
	" UPDATE names SET org = (NEW.kind = " SC_KIND_ORG_STR ") WHERE subject = NEW.id; END;\n",
	/* 16 -> 17: audit entries from this seq on are hashed with their fields'
	 * lengths (sc_audit_hash); those before keep the encoding they were
	 * written with (sc_audit_hash_v1, sqlite_audit.c) */
	"INSERT OR IGNORE INTO meta VALUES('audit_v2_from', (SELECT max("
	" coalesce((SELECT max(seq + n) FROM audit_blocks), 1),"
	" coalesce((SELECT max(seq) + 1 FROM audit), 1))));\n",
	/* 17 -> 18: the audit log's Merkle tree (sqlite_merkle.c): its
	 * frontier after the last append, and its subtrees of 2^10 leaves and
	 * more; migrate() builds both from the entries so far */
	"DROP TABLE IF EXISTS audit_tree;\n"
	"DROP TABLE IF EXISTS audit_nodes;\n"
	"CREATE TABLE audit_tree(id INTEGER PRIMARY KEY CHECK(id = 1), size INTEGER NOT NULL,"
	" frontier BLOB NOT NULL);\n"
	"CREATE TABLE audit_nodes(pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);\n"
	"CREATE TRIGGER audit_nodes_append_only_u BEFORE UPDATE ON audit_nodes"
	" BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;\n"
	"CREATE TRIGGER audit_nodes_append_only_d BEFORE DELETE ON audit_nodes"
	" BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;\n",
	/* 18 -> 19: consent events in filing order, without UNIQUE(subject,
	 * scorecard, granted, date), which took a consent filed after a
	 * withdrawal on the same day for a duplicate of an earlier consent;
	 * sqlite_records.c now compares with the day's last event for the
	 * scorecard, found through consents_day */
	"CREATE TABLE consents_v16(seq INTEGER PRIMARY KEY,"
	" subject INTEGER NOT NULL REFERENCES subjects(id), scorecard TEXT NOT NULL,"
	" granted INTEGER NOT NULL, date INTEGER NOT NULL);\n"
	"INSERT INTO consents_v16 SELECT seq, subject, scorecard, granted, date FROM consents"
	" ORDER BY seq;\n"
	"DROP TABLE consents;\n"
	"ALTER TABLE consents_v16 RENAME TO consents;\n"
	"CREATE INDEX consents_day ON consents(subject, scorecard, date);\n",
	/* 19 -> 20: after each expire that removed the highest record or event
	 * row, the changes row it reached and the highest record and event
	 * rows it left: SQLite gives the next row the id above those, which a
	 * mark from before the expire already covers (sqlite_changes.c). The
	 * expiries before are unknown: if the ledger may have expired a record
	 * (expired_max_rid above 0), a mark from before its last change has
	 * every subject reported once.
	 * (A ledger of a later schema set back to this step keeps its rows.) */
	"CREATE TABLE IF NOT EXISTS expiries(seq INTEGER PRIMARY KEY, rid INTEGER NOT NULL,"
	" ev INTEGER NOT NULL);\n"
	"INSERT INTO expiries SELECT seq, 0, 0 FROM changes"
	" WHERE seq = (SELECT max(seq) FROM changes)"
	" AND (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'expired_max_rid') > 0"
	" ON CONFLICT(seq) DO UPDATE SET rid = 0, ev = 0;\n",
};
#define SCHEMA_BYSUBJECT 12
#define SCHEMA_KEYS 15
#define SCHEMA_MERKLE 18
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])) + 1)

static const char *const stmt_sql[S_COUNT] = {
	[S_SUBJ_GET] = "SELECT id, kind FROM subjects WHERE id = " SC_SUBJECT_ID("?1"),
	[S_SUBJ_GET_NEW] = "SELECT id, kind FROM subjects WHERE id = " SC_SUBJECT_ID_NEW("?1"),
	[S_SUBJ_ADD] = "INSERT INTO subjects(ext_id, kind) VALUES(?1, ?2)",
	[S_KEY_ADD] = "INSERT INTO subject_keys_new(ext_id, id) VALUES(?1, ?2)"
		      " ON CONFLICT(ext_id) DO NOTHING",
	[S_SUBJ_SETKIND] = "UPDATE subjects SET kind = ?2 WHERE id = ?1 AND kind = 0",
	[S_SUBJ_DEL] = "DELETE FROM subjects WHERE id = ?1",
	[S_KEY_DEL] = "DELETE FROM subject_keys_new WHERE ext_id = ?1",
	[S_TYPE_GET] = "SELECT id FROM types WHERE name = ?1",
	[S_TYPE_ADD] = "INSERT INTO types(name) VALUES(?1)",
	[S_SRC_GET] = "SELECT id FROM sources WHERE name = ?1",
	[S_SRC_ADD] = "INSERT INTO sources(name) VALUES(?1)",
	[S_REC_ADD] = "INSERT INTO records(record_id, subject, type, date, amount,"
		      " source, ref) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		      " ON CONFLICT(record_id) DO NOTHING",
	[S_REC_CMP] = "SELECT s.ext_id, t.name, r.date, r.amount, so.name,"
		      " coalesce(r.ref, '') FROM records r"
		      " JOIN subjects s ON s.id = r.subject JOIN types t ON t.id = r.type"
		      " JOIN sources so ON so.id = r.source WHERE r.record_id = ?1",
	[S_REC_FIND] = "SELECT r.rid, r.date, so.name FROM records r"
		       " JOIN sources so ON so.id = r.source WHERE r.record_id = ?1",
	[S_EV_LIST] = "SELECT op, date, coalesce(ref, '') FROM events WHERE rid = ?1",
	[S_EV_ADD] = "INSERT INTO events(rid, op, date, ref) VALUES(?1, ?2, ?3, ?4)",
	[S_CONSENT_ADD] = "INSERT INTO consents(subject, scorecard, granted, date)"
			  " VALUES(?1, ?2, ?3, ?4)",
	[S_CONSENT_LAST] = "SELECT granted FROM consents WHERE subject = ?1 AND scorecard = ?2"
			   " AND date = ?3 ORDER BY seq DESC LIMIT 1",
	[S_REC_NAME] = "SELECT record_id FROM records WHERE rid = ?1",
	[S_SUBJ_RECORDS] = "SELECT r.rid, r.record_id, t.name, r.date, r.amount, so.name,"
			   " coalesce(r.ref, ''),"
			   " (SELECT date FROM events e WHERE e.rid = r.rid AND e.op = 1),"
			   " (SELECT date FROM events e WHERE e.rid = r.rid AND e.op = 2),"
			   " EXISTS (SELECT 1 FROM disputes x WHERE x.rid = r.rid)"
			   " FROM records r JOIN types t ON t.id = r.type"
			   " JOIN sources so ON so.id = r.source"
			   " WHERE r.rid IN (SELECT rid FROM subject_rids(?1)) AND r.subject = ?1"
			   " ORDER BY r.date, r.rid",
	/* CROSS JOIN: the index first (SQLite keeps that order) */
	[S_SUBJ_DISPUTES] = "SELECT x.rid, x.deadline, x.decided FROM subject_rids(?1) i"
			    " CROSS JOIN records r ON r.rid = i.rid CROSS JOIN disputes x"
			    " ON x.rid = r.rid WHERE r.subject = ?1 ORDER BY x.id",
	[S_SUBJ_CONSENTS] = "SELECT scorecard, granted, date FROM consents"
			    " WHERE subject = ?1 ORDER BY seq",
	[S_KEY_GET] = "SELECT id, role, name, binding, hash, revoked, created FROM keys WHERE id = ?1",
};

enum sc_status sc_lite_db_err(struct lite *l, struct sc_diag *d, const char *what)
{
	return sc_diag_set(d, SC_ESTORE, l->path, 0, 0, NULL, "%s: %s", what,
			   sqlite3_errmsg(l->db));
}

bool sc_lite_read_begin(struct lite *l)
{
	return !l->in_txn && sqlite3_get_autocommit(l->db) &&
	       sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void sc_lite_read_end(struct lite *l, bool own)
{
	if (own)
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
}

enum sc_status sc_lite_exec(struct lite *l, const char *sql, struct sc_diag *d)
{
	char *msg = NULL;

	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sc_diag_set(d, SC_ESTORE, l->path, 0, 0, NULL, "%s",
			    msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return SC_ESTORE;
	}
	return SC_OK;
}

enum sc_status sc_lite_prepare(struct lite *l, const char *sql, sqlite3_stmt **s,
			       struct sc_diag *d)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, s, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot prepare query");
	return SC_OK;
}

int64_t sc_lite_int_query(struct lite *l, const char *sql, enum sc_status *st,
			  struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if ((*st = sc_lite_prepare(l, sql, &s, d)))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		*st = sc_lite_db_err(l, d, "query failed");
	sqlite3_finalize(s);
	return v;
}

void sc_lite_col(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

sqlite3_stmt *sc_lite_stmt(struct lite *l, enum stmt_id id)
{
	sqlite3_stmt *s = l->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void lite_close(void *impl)
{
	struct lite *l = impl;

	if (!l)
		return;
	sc_lite_ckpt_stop(l->ckpt); /* before the close's own checkpoint */
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(l->stmt[i]);
	for (int i = 0; i <= SC_ADD_RUN; i++)
		sqlite3_finalize(l->runs[i]);
	sc_lite_tree_free(l->tree);
	sqlite3_close(l->db);
	sc_changes_close(l->changes);
	free(l->cache);
	free(l->recent);
	sc_lite_audit_free(l->audit);
	free(l->filter.bits);
	free(l->pend.v);
	free(l);
}

/* Creates the first schema in an empty file (*created) when flags allow. */
static enum sc_status check_schema(struct lite *l, unsigned flags, bool *created,
				   struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc, has_meta;

	if (sqlite3_prepare_v2(l->db,
			       "SELECT count(*) FROM sqlite_master WHERE name = 'meta'",
			       -1, &s, NULL) != SQLITE_OK)
		return sc_diag_set(d, SC_ESTORE, l->path, 0, 0, NULL,
				   "not a socred ledger: %s", sqlite3_errmsg(l->db));
	rc = sqlite3_step(s);
	has_meta = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sc_lite_db_err(l, d, "cannot read ledger");
	if (!has_meta) {
		sqlite3_stmt *c = NULL;
		int n = 0;
		if (!(flags & SC_STORE_CREATE))
			return sc_diag_set(d, SC_ESTORE, l->path, 0, 0, NULL,
					   "not a socred ledger (run 'socred init')");
		/* refuse to take over a database that holds other tables */
		if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM sqlite_master",
				       -1, &c, NULL) == SQLITE_OK &&
		    sqlite3_step(c) == SQLITE_ROW)
			n = sqlite3_column_int(c, 0);
		sqlite3_finalize(c);
		if (n)
			return sc_diag_set(d, SC_ESTORE, l->path, 0, 0, NULL,
					   "database holds other tables: not a socred ledger");
		*created = true;
		return sc_lite_exec(l, "BEGIN IMMEDIATE", d) ||
				       sc_lite_exec(l, schema_sql, d) || sc_lite_exec(l, "COMMIT", d)
			       ? SC_ESTORE
			       : SC_OK;
	}
	return SC_OK;
}

/* Brings the schema up to SCHEMA_VERSION, one transaction per step,
 * telling upgrade (may be NULL) before each. */
static enum sc_status migrate(struct lite *l, sc_store_upgrade_fn upgrade, void *ctx,
			      struct sc_diag *d)
{
	sqlite3_stmt *s = NULL;
	int v = 0;
	char sql[96];

	if (sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key = 'schema'",
			       -1, &s, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot read ledger schema");
	if (sqlite3_step(s) == SQLITE_ROW)
		v = atoi((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (v < 1 || v > SCHEMA_VERSION)
		return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, NULL,
				   "ledger schema version %d: this socred knows 1 to %d",
				   v, SCHEMA_VERSION);
	for (; v < SCHEMA_VERSION; v++) {
		/* rebuilding subjects drops the table others refer to: no
		 * checks (a no-op inside a transaction, so before it), which
		 * would read every referring row */
		bool fk_off = v + 1 == SCHEMA_KEYS;

		if (upgrade)
			upgrade(ctx, v, SCHEMA_VERSION);
		snprintf(sql, sizeof(sql), "UPDATE meta SET value = '%d' WHERE key = 'schema'", v + 1);
		if ((fk_off && sc_lite_exec(l, "PRAGMA foreign_keys=OFF", d)) ||
		    sc_lite_exec(l, "BEGIN IMMEDIATE", d))
			goto fail;
		if (sc_lite_exec(l, migrations[v - 1], d) ||
		    (v + 1 == SCHEMA_BYSUBJECT &&
		     (sc_lite_bysubj_build(l, d) ||
		      sc_lite_exec(l, "DROP INDEX records_subject", d))) ||
		    (v + 1 == SCHEMA_MERKLE && sc_lite_tree_build(l, d)) ||
		    sc_lite_exec(l, sql, d) || sc_lite_exec(l, "COMMIT", d)) {
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		if (fk_off && sc_lite_exec(l, "PRAGMA foreign_keys=ON", d))
			return SC_ESTORE;
	}
	return SC_OK;
fail:
	sqlite3_exec(l->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	return SC_ESTORE;
}

static pthread_once_t configured = PTHREAD_ONCE_INIT;

/* Process-wide SQLite settings, before the first connection: no global
 * memory statistics (a mutex taken on every allocation). */
static void configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* After every commit (SQLite calls it once the commit is durable and the
 * write lock released): move the shared change counter, then checkpoint
 * once the WAL holds 1,000 frames, as the default hook would: on the
 * checkpointer's thread while an ingest has one, until the WAL reaches its
 * bound (sqlite_ckpt.c). */
static int on_commit(void *ctx, sqlite3 *db, const char *name, int pages)
{
	struct lite *l = ctx;
	int added = pages > l->wal_frames ? pages - l->wal_frames : pages;

	l->wal_frames = pages;
	if (!l->quiet)
		sc_changes_bump(l->changes);
	if (pages < 1000)
		return SQLITE_OK;
	if (l->ckpt && !sc_lite_ckpt_due(pages, added, l->page_size)) {
		sc_lite_ckpt_kick(l->ckpt);
		return SQLITE_OK;
	}
	if (l->ckpt)
		sc_lite_ckpt_wait(l->ckpt);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static void cache_set(struct lite *l, int64_t kib)
{
	char sql[64];

	if (kib == l->cache_kib)
		return;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%lld", (long long)kib);
	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		l->cache_kib = kib;
}

/* Before SQLite opens the ledger: its journal, WAL, shared memory and
 * change counter are not links (SQLite would refuse them with only
 * "unable to open database file"), and a ledger created now is created by
 * us, owner-only: SQLite gives its journal, WAL and shared memory files
 * the ledger's own mode. */
static enum sc_status side_files(const char *path, unsigned flags, struct sc_diag *d)
{
	static const char *const ext[] = {"-journal", "-wal", "-shm", ".changes"};
	char p[4096];
	enum sc_status st;
	int fd;

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		if (snprintf(p, sizeof(p), "%s%s", path, ext[i]) >= (int)sizeof(p))
			return sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL, "ledger path is too long");
		if ((st = sc_side_not_link(p, d)))
			return st;
	}
	if (!(flags & SC_STORE_CREATE))
		return SC_OK;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, SC_SIDE_MODE);
	if (fd < 0)
		return errno == EEXIST ? SC_OK /* SQLite says whether it is a ledger */
				       : sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL,
						     "cannot create ledger: %s", strerror(errno));
	if (fchmod(fd, SC_SIDE_MODE) != 0) {
		st = sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL, "cannot set the ledger's mode: %s",
				 strerror(errno));
		close(fd);
		unlink(path);
		return st;
	}
	close(fd);
	return SC_OK;
}

static enum sc_status lite_open(const char *path, unsigned flags,
				sc_store_upgrade_fn upgrade, void *ctx, void **impl,
				struct sc_diag *d)
{
	struct lite *l = calloc(1, sizeof(*l));
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	bool mem = !strcmp(path, ":memory:"), created = false;
	enum sc_status st;
	struct stat sb;

	if (!l)
		return SC_ENOMEM;
	pthread_once(&configured, configure);
	snprintf(l->path, sizeof(l->path), "%s", path);
	if (!mem && !(flags & SC_STORE_CREATE) && stat(path, &sb) != 0) {
		st = sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL,
				 "no ledger here: run 'socred init' first (or set --db / SOCRED_DB)");
		goto fail;
	}
	if (!mem && (st = side_files(path, flags, d)))
		goto fail;
	if (flags & SC_STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &l->db, oflags, NULL) != SQLITE_OK) {
		st = sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL,
				 "cannot open ledger: %s",
				 l->db ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 5000);
	/* 16 KiB pages for a new ledger (an existing one keeps its own):
	 * shallower B-trees, fewer page splits and WAL frames per record;
	 * ingest measured 14% faster than with 4 KiB (bench/README.md) */
	if ((flags & SC_STORE_CREATE) && (st = sc_lite_exec(l, "PRAGMA page_size=16384", d)))
		goto fail;
	if ((st = sc_lite_exec(l, mem ? "PRAGMA foreign_keys=ON"
			      : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				" PRAGMA foreign_keys=ON; PRAGMA cache_size=-" CACHE_KIB_STR,
		       d)))
		goto fail;
	l->cache_kib = l->base_kib = CACHE_KIB;
	if (flags & SC_STORE_LEAN)
		cache_set(l, l->base_kib = LEAN_CACHE_KIB);
	/* a ledger created now is brought up to date untold */
	if ((st = sc_lite_bysubj_register(l, d)) || (st = sc_lite_names_register(l, d)) ||
	    (st = check_schema(l, flags, &created, d)) ||
	    (st = migrate(l, created ? NULL : upgrade, ctx, d)))
		goto fail;
	if (!mem) {
		if ((st = sc_changes_open(path, &l->changes, d)))
			goto fail;
		sqlite3_wal_hook(l->db, on_commit, l);
	}
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &l->stmt[i],
				       NULL) != SQLITE_OK) {
			st = sc_lite_db_err(l, d, "cannot prepare statement");
			goto fail;
		}
	}
	l->run_rows = SC_ADD_RUN;
	l->cache = calloc(SUBJ_CACHE_SLOTS, sizeof(*l->cache));
	l->recent = calloc(RECENT_SLOTS, sizeof(*l->recent));
	if (!l->cache || !l->recent) {
		st = SC_ENOMEM;
		goto fail;
	}
	*impl = l;
	return SC_OK;
fail:
	lite_close(l);
	return st;
}

/* ---- rulebook ---- */

static enum sc_status lite_rulebook_put(void *impl, const struct sc_rulebook *rb,
					sc_day effective, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	size_t len;
	const char *text = sc_rulebook_text(rb, &len);
	int rc;

	if (sqlite3_prepare_v2(l->db,
			       "INSERT INTO rulebooks(name, version, text, installed_at, effective)"
			       " VALUES(?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?4)",
			       -1, &s, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot store rulebook");
	sqlite3_bind_text(s, 1, sc_rulebook_name(rb), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sc_rulebook_version(rb), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text, (int)len, SQLITE_STATIC);
	if (effective != SC_DAY_NONE)
		sqlite3_bind_int(s, 4, effective);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SC_OK : sc_lite_db_err(l, d, "cannot store rulebook");
}

static enum sc_status lite_rulebook_get(void *impl, sc_day at, char **text,
					size_t *len, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st = SC_OK;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT text FROM rulebooks"
				      " WHERE coalesce(effective, -2147483648) <= ?1"
				      " ORDER BY coalesce(effective, -2147483648) DESC, id DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot read rulebook");
	sqlite3_bind_int(s, 1, at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 0);
		char *p = malloc((size_t)n + 1);
		if (!p) {
			st = SC_ENOMEM;
		} else {
			memcpy(p, sqlite3_column_text(s, 0), (size_t)n);
			p[n] = '\0';
			*text = p;
			*len = (size_t)n;
		}
	} else if (rc == SQLITE_DONE) {
		st = sc_diag_set(d, SC_ENOTFOUND, l->path, 0, 0, NULL,
				 "ledger has no rulebook in force: run 'socred init'");
	} else {
		st = sc_lite_db_err(l, d, "cannot read rulebook");
	}
	sqlite3_finalize(s);
	return st;
}

static enum sc_status lite_rulebook_list(void *impl, sc_store_rulebook_fn cb,
					 void *ctx, struct sc_diag *d)
{
	struct lite *l = impl;
	sqlite3_stmt *s = NULL;
	enum sc_status st = SC_OK;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(l->db, "SELECT id, effective, text, installed_at FROM rulebooks ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return sc_lite_db_err(l, d, "cannot list rulebooks");
	while (!st && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = cb(ctx, sqlite3_column_int64(s, 0),
			sqlite3_column_type(s, 1) == SQLITE_NULL ? SC_DAY_NONE : sqlite3_column_int(s, 1),
			(const char *)sqlite3_column_text(s, 2), (size_t)sqlite3_column_bytes(s, 2),
			(const char *)sqlite3_column_text(s, 3));
	if (!st && rc != SQLITE_DONE)
		st = sc_lite_db_err(l, d, "cannot list rulebooks");
	sqlite3_finalize(s);
	return st;
}

/* ---- transactions ---- */

/* Foreign keys back on after an ingest batch, once no transaction is open
 * (the pragma is a no-op inside one, so it is set around it). */
static void checks_on(struct lite *l)
{
	if (l->unchecked && sqlite3_get_autocommit(l->db)) {
		sqlite3_exec(l->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
		l->unchecked = false;
	}
}

/* An ingest transaction's size and page cache, from the subjects the
 * ledger holds. A new subject lands at a random place in the
 * subjects.ext_id index, and a commit writes every page the transaction
 * touched (to the WAL, then again at the checkpoint). With 100,000 lines
 * per transaction, at 10 M subjects each of the ~9,000 new subjects of a
 * transaction dirtied a 16 KiB page of its own: the WAL grew with the
 * index, and ingest slowed to a third of its rate (bench/README.md, "Ingest
 * at 100 M records"). So a transaction takes more lines as the index grows
 * (one per 8 subjects, so its pages gather several new entries each before
 * they are written), and the page cache holds the index (64 bytes per
 * subject) and the transaction's own pages (128 bytes a line), within the
 * limits. No more: pages the cache never needs again still cost a page
 * fault each as it fills, and a 1.1 M-line ingest measured 12% faster
 * with 32 MiB than with 128 MiB (bench/README.md). The ingest's cache stays
 * with this connection until its next transaction that is not an ingest
 * one. Since schema 15 a new subject's key lands in the small tier of keys
 * (sqlite_keys.c), and the large tier is written at merges only, in key
 * order: the cache no longer needs to hold the index, so its limit fell
 * from 1 GiB to SC_LIMIT_INGEST_CACHE_MIB (128 MiB), which a 112 M-line
 * ingest reaches, at the same speed and with 185 MiB of peak memory
 * instead of 843 (bench/README.md, sixteenth session). */
static void ingest_sizes(struct lite *l, size_t *lines)
{
	struct sc_diag ignored;
	enum sc_status st = SC_OK;
	int64_t n = sc_lite_int_query(l, "SELECT coalesce(max(id), 0) FROM subjects", &st, &ignored);
	int64_t kib;

	if (st) /* the sizes are advice: the defaults then */
		n = 0;
	kib = n / 16; /* 64 bytes a subject */
	n /= 8;
	*lines = n < SC_LIMIT_INGEST_BATCH ? SC_LIMIT_INGEST_BATCH
		 : n > SC_LIMIT_INGEST_BATCH_MAX ? SC_LIMIT_INGEST_BATCH_MAX
						  : (size_t)n;
	kib += (int64_t)*lines / 8; /* 128 bytes a line */
	if (kib < INGEST_MIN_KIB)
		kib = INGEST_MIN_KIB;
	if (kib > (int64_t)SC_LIMIT_INGEST_CACHE_MIB * 1024)
		kib = (int64_t)SC_LIMIT_INGEST_CACHE_MIB * 1024;
	cache_set(l, kib);
}

static enum sc_status lite_begin(void *impl, size_t *lines, struct sc_diag *d)
{
	struct lite *l = impl;
	enum sc_status st;

	if (lines) { /* an ingest batch */
		ingest_sizes(l, lines);
		if (!l->ckpt && strcmp(l->path, ":memory:")) {
			struct sc_diag ignored;
			enum sc_status ps = SC_OK;
			/* the thread is advice, like the sizes: none if this fails */
			l->page_size = (int)sc_lite_int_query(l, "PRAGMA page_size", &ps, &ignored);
			if (ps == SC_OK)
				l->ckpt = sc_lite_ckpt_start(l->path);
		}
		if (!l->unchecked && (st = sc_lite_exec(l, "PRAGMA foreign_keys=OFF", d)))
			return st;
		l->unchecked = true;
	} else {
		checks_on(l);
		cache_set(l, l->base_kib);
	}
	sc_lite_recent_clear(l);
	l->filter.checked = false;
	st = sc_lite_exec(l, "BEGIN IMMEDIATE", d);
	l->in_txn = st == SC_OK;
	if (st)
		checks_on(l);
	return st;
}

static void lite_rollback(void *impl)
{
	struct lite *l = impl;

	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_txn = false;
	checks_on(l);
	sc_lite_bysubj_drop(l);
	sc_lite_counts_drop(l);
	sc_lite_recent_clear(l);
	l->filter.checked = false;
	/* subjects created in the transaction are gone: forget them */
	memset(l->cache, 0, SUBJ_CACHE_SLOTS * sizeof(*l->cache));
	l->types.n = l->sources.n = l->types.last = l->sources.last = 0;
}

static enum sc_status lite_commit(void *impl, struct sc_diag *d)
{
	struct lite *l = impl;
	enum sc_status st = sc_lite_bysubj_flush(l, d);

	if (!st)
		st = sc_lite_keys_merge(l, d);
	if (!st)
		st = sc_lite_counts_flush(l, d);
	if (!st)
		st = sc_lite_exec(l, "COMMIT", d);
	if (st) {
		/* the transaction is lost whole (SQLite may have rolled it back
		 * already, e.g. on a full disk): end it, and forget the subject
		 * ids it created, which an unchecked ingest batch would
		 * otherwise file records under */
		lite_rollback(l);
		return st;
	}
	l->in_txn = false;
	checks_on(l);
	sc_lite_recent_clear(l);
	l->filter.checked = false;
	return SC_OK;
}

/* A write outside any transaction is made inside one of its own, so that
 * what it counts (sqlite_counts.c) and indexes (sqlite_bysubject.c) is
 * committed with it, or not at all. */
enum sc_status sc_lite_own_begin(struct lite *l, bool *own, struct sc_diag *d)
{
	*own = !l->in_txn && sqlite3_get_autocommit(l->db);
	return *own ? lite_begin(l, NULL, d) : SC_OK;
}

enum sc_status sc_lite_own_end(struct lite *l, bool own, enum sc_status st,
			       struct sc_diag *d)
{
	enum sc_status cs;

	if (!own)
		return st;
	if (st == SC_ESTORE || st == SC_ENOMEM) {
		lite_rollback(l);
		return st;
	}
	cs = lite_commit(l, d); /* a refused line changed nothing: commit too */
	return cs ? cs : st;
}

static enum sc_status lite_own_begin(void *impl, bool *own, struct sc_diag *d)
{
	return sc_lite_own_begin(impl, own, d);
}

static enum sc_status lite_own_end(void *impl, bool own, enum sc_status st, struct sc_diag *d)
{
	return sc_lite_own_end(impl, own, st, d);
}

/* ---- subjects and names ---- */

static uint32_t hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static bool slot_holds(const struct subj_slot *slot, struct sc_text id)
{
	return slot->sid && slot->len == id.n && !memcmp(slot->id, id.p, id.n);
}

/* Files a subject whose ext_id is in no large tier of keys: its row,
 * appended, and its key, in the small tier (sqlite_keys.c). When the
 * small tier holds the key already, the row goes again and *added is
 * false. */
static enum sc_status subject_add(struct lite *l, struct sc_text id,
				  enum sc_kind kind, int64_t *sid, bool *added,
				  struct sc_diag *d)
{
	sqlite3_stmt *s = sc_lite_stmt(l, S_SUBJ_ADD);

	sc_lite_bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, kind);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot add subject");
	*sid = sqlite3_last_insert_rowid(l->db);
	s = sc_lite_stmt(l, S_KEY_ADD);
	sc_lite_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, *sid);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot add subject");
	*added = sqlite3_changes(l->db) == 1;
	if (!*added) {
		s = sc_lite_stmt(l, S_SUBJ_DEL);
		sqlite3_bind_int64(s, 1, *sid);
		if (sqlite3_step(s) != SQLITE_DONE)
			return sc_lite_db_err(l, d, "cannot add subject");
		return SC_OK;
	}
	sc_lite_count(l, SC_COUNT_SUBJECTS, 1);
	sc_lite_count(l, SC_COUNT_KEYS_NEW, 1);
	return SC_OK;
}

/* Finds (or creates) a subject. *created is set when a row was inserted.
 * Past the cache, one lookup through both tiers of keys (the small one
 * first; the large one unless its filter rules the ext_id out), then an
 * insert when it is new. While the subjects met are new (a bulk load: the
 * last one past the cache was) and the large tier is ruled out, the insert
 * goes first, and its key's conflict in the small tier, if any, sends it
 * to the lookup: a descent of the small tier saved per new subject, 6% of
 * an ingest's samples (bench/README.md). Writers hold the write lock
 * (BEGIN IMMEDIATE, or sc_lite_own_begin), so no other connection files
 * the subject between a lookup and an insert. */
enum sc_status sc_lite_subject_get(struct lite *l, struct sc_text id,
				  enum sc_kind kind, int64_t *sid,
				  bool *created, struct sc_diag *d)
{
	struct subj_slot *slot = l->last;
	bool hit = slot && slot_holds(slot, id), large, added;
	enum sc_status st;
	sqlite3_stmt *s;
	int rc;

	*created = false;
	/* a file's lines come by subject: the last one first, then its slot
	 * (where l->last stays, for the caller too) */
	if (!hit) {
		l->last = slot = &l->cache[hash(id.p, id.n) % SUBJ_CACHE_SLOTS];
		hit = slot_holds(slot, id);
	}
	if (hit && (slot->kind == kind || kind == SC_KIND_NONE)) {
		*sid = slot->sid;
		return SC_OK;
	}
	large = sc_lite_keys_maybe_large(l, id);
	if (!large && l->subjects_new) {
		if ((st = subject_add(l, id, kind, sid, &added, d)))
			return st;
		if (added) {
			*created = true;
			goto cache;
		}
	}
	/* the large tier only when its filter cannot rule it out */
	s = sc_lite_stmt(l, large ? S_SUBJ_GET : S_SUBJ_GET_NEW);
	sc_lite_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	l->subjects_new = rc == SQLITE_DONE;
	if (rc == SQLITE_ROW) {
		enum sc_kind have = (enum sc_kind)sqlite3_column_int(s, 1);
		*sid = sqlite3_column_int64(s, 0);
		sqlite3_reset(s); /* a statement left on a row pins a read snapshot */
		if (have != SC_KIND_NONE && kind != SC_KIND_NONE && have != kind)
			return sc_front_kind_conflict(id, have, kind, d);
		if (have == SC_KIND_NONE && kind != SC_KIND_NONE) {
			s = sc_lite_stmt(l, S_SUBJ_SETKIND);
			sqlite3_bind_int64(s, 1, *sid);
			sqlite3_bind_int(s, 2, kind);
			if (sqlite3_step(s) != SQLITE_DONE)
				return sc_lite_db_err(l, d, "cannot update subject");
		} else if (kind == SC_KIND_NONE) {
			kind = have;
		}
	} else if (rc == SQLITE_DONE) {
		sc_lite_keys_missed(l);
		if ((st = subject_add(l, id, kind, sid, &added, d)))
			return st;
		if (!added) /* found in neither tier, then there: never */
			return sc_diag_set(d, SC_ECORRUPT, l->path, 0, 0, "subject",
					   "subject '%.*s' has a key but no row", (int)id.n, id.p);
		*created = true;
	} else {
		return sc_lite_db_err(l, d, "cannot look up subject");
	}
cache:
	slot->sid = *sid;
	slot->kind = (uint8_t)kind;
	slot->len = (uint8_t)id.n;
	memcpy(slot->id, id.p, id.n);
	return SC_OK;
}

/* Leaves no trace of a subject filed for a record that was not: its row,
 * its key (in the small tier: merges come at commits only) and its cache
 * slot. */
enum sc_status sc_lite_subject_unfile(struct lite *l, struct sc_text id, int64_t sid,
				      struct sc_diag *d)
{
	struct subj_slot *slot = &l->cache[hash(id.p, id.n) % SUBJ_CACHE_SLOTS];
	sqlite3_stmt *s = sc_lite_stmt(l, S_SUBJ_DEL);

	sqlite3_bind_int64(s, 1, sid);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot remove subject");
	sc_lite_count(l, SC_COUNT_SUBJECTS, -sqlite3_changes(l->db));
	s = sc_lite_stmt(l, S_KEY_DEL);
	sc_lite_bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		return sc_lite_db_err(l, d, "cannot remove subject key");
	sc_lite_count(l, SC_COUNT_KEYS_NEW, -sqlite3_changes(l->db));
	if (slot->sid == sid)
		slot->sid = 0;
	return SC_OK;
}

enum sc_status sc_lite_intern(struct lite *l, struct intern *t,
			     enum stmt_id get, enum stmt_id add,
			     struct sc_text name, int64_t *out,
			     struct sc_diag *d)
{
	sqlite3_stmt *s;
	int rc;

	for (int k = 0; k < t->n; k++) {
		int i = (t->last + k) % t->n;
		if (t->lens[i] == name.n && !memcmp(t->names[i], name.p, name.n)) {
			*out = t->ids[i];
			t->last = i;
			return SC_OK;
		}
	}
	s = sc_lite_stmt(l, get);
	sc_lite_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		s = sc_lite_stmt(l, add);
		sc_lite_bind_text(s, 1, name);
		if (sqlite3_step(s) != SQLITE_DONE)
			return sc_lite_db_err(l, d, "cannot add name");
		*out = sqlite3_last_insert_rowid(l->db);
	} else {
		return sc_lite_db_err(l, d, "cannot look up name");
	}
	if (t->n < INTERN_MAX && name.n <= SC_LIMIT_TYPE) {
		memcpy(t->names[t->n], name.p, name.n);
		t->names[t->n][name.n] = '\0';
		t->lens[t->n] = (uint8_t)name.n;
		t->last = t->n;
		t->ids[t->n++] = *out;
	}
	return SC_OK;
}

const struct sc_store_ops sc_store_sqlite_ops = {
	.version = SC_STORE_OPS_VERSION,
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.rulebook_put = lite_rulebook_put,
	.rulebook_get = lite_rulebook_get,
	.rulebook_list = lite_rulebook_list,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.own_begin = lite_own_begin,
	.own_end = lite_own_end,
	.record_add = sc_lite_record_add,
	.record_add_run = sc_lite_record_add_run,
	.record_find = sc_lite_record_find,
	.event_add = sc_lite_event_add,
	.consent_last = sc_lite_consent_last,
	.consent_add = sc_lite_consent_add,
	.subject_rows = sc_lite_subject_rows,
	.changed_since = sc_lite_changed_since,
	.change_count = sc_lite_change_count,
	.record_names = sc_lite_record_names,
	.identity = sc_lite_identity,
	.counts = sc_lite_counts,
	.key_add = sc_lite_key_add,
	.key_get = sc_lite_key_get,
	.key_revoke = sc_lite_key_revoke,
	.key_list = sc_lite_key_list,
	.audit_append = sc_lite_audit_append,
	.audit_verify = sc_lite_audit_verify,
	.audit_subject = sc_lite_audit_subject,
	.audit_walk = sc_lite_audit_walk,
	.audit_tree = sc_lite_audit_tree,
	.audit_prove = sc_lite_audit_prove,
	.process = &sc_store_sqlite_process_ops,
	.expire = sc_lite_expire,
	.tally = sc_lite_tally,
	.run_save = sc_lite_run_save,
	.pop_load = sc_lite_pop_load,
};
