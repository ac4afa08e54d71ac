/* The shards' directory: a small SQLite file, the registry's control
 * ledger. records: which logical shard holds each record_id; subjects:
 * every subject in the order it was first filed (the rowid). It holds
 * no person's data beyond ids, and nothing a decision reads. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/limits.h"
#include "socred/shard.h"
#include "socred/sidefile.h"

struct sc_shard_dir {
	sqlite3 *db;
	sqlite3_stmt *get_record, *put_record, *put_subject, *get_subject;
	const char *path;
	/* the subject noted last (its lines tend to come together): noted
	 * again, it costs nothing */
	char last[SC_LIMIT_SUBJECT_ID + 1];
	size_t last_len;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS records(record_id TEXT PRIMARY KEY, lshard INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS subjects(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);"
	/* registry-wide ids of each ledger's disputes, repair applications
	 * and statements: (the ledger, its own id), and whose. The ledger,
	 * not the logical shard: the new ledger of a move numbers its copies
	 * itself, and the move points their ids at them */
	"CREATE TABLE IF NOT EXISTS disputes(gid INTEGER PRIMARY KEY, ledger TEXT NOT NULL,"
	" local INTEGER NOT NULL, subject TEXT NOT NULL, UNIQUE(ledger, local));"
	"CREATE TABLE IF NOT EXISTS repairs(gid INTEGER PRIMARY KEY, ledger TEXT NOT NULL,"
	" local INTEGER NOT NULL, subject TEXT NOT NULL, UNIQUE(ledger, local));"
	"CREATE TABLE IF NOT EXISTS statements(gid INTEGER PRIMARY KEY, ledger TEXT NOT NULL,"
	" local INTEGER NOT NULL, subject TEXT NOT NULL, UNIQUE(ledger, local));";

static const char *const item_table[] = {
	[SC_SHARD_DISPUTE] = "disputes", [SC_SHARD_REPAIR] = "repairs",
	[SC_SHARD_STATEMENT] = "statements"};

static enum sc_status failed(struct sc_shard_dir *dir, const char *what, struct sc_diag *d)
{
	return sc_diag_set(d, SC_ESTORE, dir->path, 0, 0, NULL, "shard directory: %s: %s", what,
			   sqlite3_errmsg(dir->db));
}

void sc_shard_dir_close(struct sc_shard_dir *dir)
{
	if (!dir)
		return;
	sqlite3_finalize(dir->get_record);
	sqlite3_finalize(dir->put_record);
	sqlite3_finalize(dir->put_subject);
	sqlite3_finalize(dir->get_subject);
	sqlite3_close(dir->db);
	free(dir);
}

enum sc_status sc_shard_dir_open(const char *path, int create,
				 struct sc_shard_dir **out, struct sc_diag *d)
{
	struct sc_shard_dir *dir = calloc(1, sizeof(*dir));
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

	*out = NULL;
	if (!dir)
		return SC_ENOMEM;
	dir->path = path;
	if (create) {
		/* ids of people: owner-only, as a ledger file is */
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, SC_SIDE_MODE);
		if (fd < 0 && errno != EEXIST) {
			free(dir);
			return sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL,
					   "cannot create the shard directory: %s", strerror(errno));
		}
		if (fd >= 0) {
			fchmod(fd, SC_SIDE_MODE);
			close(fd);
		}
	}
	if (sqlite3_open_v2(path, &dir->db, flags, NULL) != SQLITE_OK) {
		enum sc_status st = sc_diag_set(d, SC_ESTORE, path, 0, 0, NULL,
						"cannot open the shard directory: %s",
						dir->db ? sqlite3_errmsg(dir->db) : "out of memory");
		sc_shard_dir_close(dir);
		return st;
	}
	sqlite3_busy_timeout(dir->db, 10000);
	if (sqlite3_exec(dir->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(dir->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dir->db, "SELECT lshard FROM records WHERE record_id = ?", -1,
			       &dir->get_record, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dir->db, "INSERT OR IGNORE INTO records VALUES (?, ?)", -1,
			       &dir->put_record, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dir->db, "INSERT OR IGNORE INTO subjects(id) VALUES (?)", -1,
			       &dir->put_subject, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dir->db, "SELECT seq FROM subjects WHERE id = ?", -1,
			       &dir->get_subject, NULL) != SQLITE_OK) {
		enum sc_status st = failed(dir, "cannot prepare", d);
		sc_shard_dir_close(dir);
		return st;
	}
	*out = dir;
	return SC_OK;
}

enum sc_status sc_shard_dir_begin(struct sc_shard_dir *dir, struct sc_diag *d)
{
	if (sqlite3_exec(dir->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return failed(dir, "cannot begin", d);
	return SC_OK;
}

enum sc_status sc_shard_dir_commit(struct sc_shard_dir *dir, struct sc_diag *d)
{
	if (sqlite3_exec(dir->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		enum sc_status st = failed(dir, "cannot commit", d);
		sc_shard_dir_rollback(dir);
		return st;
	}
	return SC_OK;
}

void sc_shard_dir_rollback(struct sc_shard_dir *dir)
{
	if (!dir)
		return;
	sqlite3_exec(dir->db, "ROLLBACK", NULL, NULL, NULL);
	dir->last_len = 0;
}

enum sc_status sc_shard_dir_record(struct sc_shard_dir *dir, const char *rid,
				   size_t len, uint32_t *lshard, struct sc_diag *d)
{
	sqlite3_stmt *s = dir->get_record;
	int rc;

	sqlite3_bind_text(s, 1, rid, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*lshard = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return SC_OK;
	return rc == SQLITE_DONE ? SC_ENOTFOUND : failed(dir, "cannot read", d);
}

static enum sc_status put_subject(struct sc_shard_dir *dir, const char *subject,
				  size_t slen, struct sc_diag *d)
{
	sqlite3_stmt *s = dir->put_subject;
	int rc;

	if (slen == dir->last_len && !memcmp(subject, dir->last, slen))
		return SC_OK;
	sqlite3_bind_text(s, 1, subject, (int)slen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return failed(dir, "cannot write", d);
	if (slen <= SC_LIMIT_SUBJECT_ID) {
		memcpy(dir->last, subject, slen);
		dir->last_len = slen;
	}
	return SC_OK;
}

enum sc_status sc_shard_dir_claim(struct sc_shard_dir *dir, const char *rid,
				  size_t rlen, uint32_t lshard, const char *subject,
				  size_t slen, struct sc_diag *d)
{
	sqlite3_stmt *s = dir->put_record;
	int rc;

	sqlite3_bind_text(s, 1, rid, (int)rlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, lshard);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return failed(dir, "cannot write", d);
	return put_subject(dir, subject, slen, d);
}

enum sc_status sc_shard_dir_subject(struct sc_shard_dir *dir, const char *subject,
				    size_t slen, struct sc_diag *d)
{
	return put_subject(dir, subject, slen, d);
}

enum sc_status sc_shard_dir_order(struct sc_shard_dir *dir, const char *subject,
				  size_t slen, int64_t *order, struct sc_diag *d)
{
	sqlite3_stmt *s = dir->get_subject;
	int rc;

	sqlite3_bind_text(s, 1, subject, (int)slen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*order = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return SC_OK;
	return rc == SQLITE_DONE ? SC_ENOTFOUND : failed(dir, "cannot read", d);
}

/* Runs sql (a format with one %s: the item's table), binding ?1 to the
 * text t1 (or the integer n when t1 is NULL) and ?2 to n; found: a row
 * came, its columns: an integer into out, a text into text_out (cap),
 * an integer into out2, a text into text2_out (cap2), as asked. */
static enum sc_status item_step(struct sc_shard_dir *dir, const char *fmt,
				enum sc_shard_item kind, const char *t1, int64_t n,
				const char *t3, int64_t *out, char *text_out, size_t cap,
				int64_t *out2, char *text2_out, size_t cap2, bool *found,
				struct sc_diag *d)
{
	char sql[200];
	sqlite3_stmt *s = NULL;
	int rc;

	snprintf(sql, sizeof(sql), fmt, item_table[kind]);
	if (sqlite3_prepare_v2(dir->db, sql, -1, &s, NULL) != SQLITE_OK)
		return failed(dir, "cannot prepare", d);
	if (t1)
		sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, n);
	if (sqlite3_bind_parameter_count(s) > 1)
		sqlite3_bind_int64(s, 2, n);
	if (sqlite3_bind_parameter_count(s) > 2)
		sqlite3_bind_text(s, 3, t3, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (*found && out)
		*out = sqlite3_column_int64(s, 0);
	if (*found && text_out)
		snprintf(text_out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	if (*found && out2)
		*out2 = sqlite3_column_int64(s, 1);
	if (*found && text2_out)
		snprintf(text2_out, cap2, "%s", (const char *)sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(dir, "cannot read or write", d);
	return SC_OK;
}

enum sc_status sc_shard_dir_item_id(struct sc_shard_dir *dir, enum sc_shard_item kind,
				    const char *ledger, int64_t local, const char *subject,
				    int64_t *gid, struct sc_diag *d)
{
	static const char get[] = "SELECT gid FROM %s WHERE ledger = ?1 AND local = ?2";
	enum sc_status st;
	bool found;

	if ((unsigned)kind > SC_SHARD_STATEMENT)
		return SC_EINVAL;
	if ((st = item_step(dir, get, kind, ledger, local, NULL, gid, NULL, 0, NULL, NULL, 0, &found,
			    d)) || found)
		return st;
	if ((st = item_step(dir, "INSERT OR IGNORE INTO %s(ledger, local, subject) VALUES (?1, ?2, ?3)",
			    kind, ledger, local, subject, NULL, NULL, 0, NULL, NULL, 0, &found, d)) ||
	    (st = item_step(dir, get, kind, ledger, local, NULL, gid, NULL, 0, NULL, NULL, 0, &found,
			    d)))
		return st;
	return found ? SC_OK : failed(dir, "cannot give an id", d);
}

enum sc_status sc_shard_dir_item_find(struct sc_shard_dir *dir, enum sc_shard_item kind,
				      int64_t gid, char ledger[SC_LIMIT_SHARD_LEDGER + 1],
				      int64_t *local, char subject[SC_LIMIT_SUBJECT_ID + 1],
				      struct sc_diag *d)
{
	enum sc_status st;
	bool found;

	if ((unsigned)kind > SC_SHARD_STATEMENT)
		return SC_EINVAL;
	if ((st = item_step(dir, "SELECT ledger, local, subject FROM %s WHERE gid = ?1", kind, NULL,
			    gid, NULL, NULL, ledger, SC_LIMIT_SHARD_LEDGER + 1, local, subject,
			    SC_LIMIT_SUBJECT_ID + 1, &found, d)))
		return st;
	return found ? SC_OK : SC_ENOTFOUND;
}

enum sc_status sc_shard_dir_item_move(struct sc_shard_dir *dir, enum sc_shard_item kind,
				      const char *from, int64_t from_local, const char *to,
				      int64_t to_local, struct sc_diag *d)
{
	char sql[200];
	sqlite3_stmt *s = NULL;
	int rc;

	if ((unsigned)kind > SC_SHARD_STATEMENT)
		return SC_EINVAL;
	snprintf(sql, sizeof(sql), "UPDATE OR IGNORE %s SET ledger = ?3, local = ?4"
		 " WHERE ledger = ?1 AND local = ?2", item_table[kind]);
	if (sqlite3_prepare_v2(dir->db, sql, -1, &s, NULL) != SQLITE_OK)
		return failed(dir, "cannot prepare", d);
	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, from_local);
	sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, to_local);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SC_OK : failed(dir, "cannot move an id", d);
}
