/* The audit log's Merkle tree in the ledger: kept by appends of every size
 * (its head is the tree of the entries' chain hashes, recomputed here),
 * inclusion proofs of entries across stored subtrees and the unfinished
 * end, a ledger from before the tree migrated to the same head, old rows
 * of the audit table taken in, and an append refused once the newest
 * entries were deleted under the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "socred/access.h"
#include "socred/merkle.h"
#include "socred/store.h"
#include "ledger_files.h"

#define TOTAL 5000

static unsigned char leaves[TOTAL + 10][SC_MERKLE_BYTES];

static enum sc_status collect(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
			      const char *hash_hex)
{
	size_t *n = ctx;

	(void)prev_hex;
	assert_int_equal(e->seq, (int64_t)*n + 1);
	assert_int_equal(sc_merkle_audit_leaf(hash_hex, leaves[(*n)++]), SC_OK);
	return SC_OK;
}

/* the head recomputed from the log's entries, and the stored tree's */
static void heads(struct sc_store *st, unsigned char mine[SC_MERKLE_BYTES],
		  unsigned char stored[SC_MERKLE_BYTES], uint64_t *size)
{
	struct sc_merkle_frontier *f = malloc(sizeof(*f));
	struct sc_diag d;
	int64_t bad;
	size_t n = 0;

	assert_non_null(f);
	assert_int_equal(sc_store_audit_walk(st, 1, -1, collect, &n, &bad, &d), SC_OK);
	sc_merkle_root_of((const unsigned char(*)[SC_MERKLE_BYTES])leaves, n, mine);
	assert_int_equal(sc_store_audit_tree(st, f, &d), SC_OK);
	assert_int_equal(f->size, n);
	sc_merkle_frontier_root(f, stored);
	*size = n;
	free(f);
}

static void append(struct sc_store *st, size_t n, int64_t tag)
{
	struct sc_audit_entry *e = calloc(n, sizeof(*e));
	char subj[32];
	struct sc_diag d;

	snprintf(subj, sizeof(subj), "P%lld", (long long)tag % 7);
	for (size_t i = 0; i < n; i++)
		e[i] = (struct sc_audit_entry){.at = "2026-01-01T00:00:00.000Z", .key_id = tag,
			.role = SC_ROLE_ENFORCER, .action = "GET /v1/check air_travel",
			.subject = i % 3 ? subj : "", .result = "200 allow"};
	assert_int_equal(sc_store_audit_append(st, e, n, &d), SC_OK);
	free(e);
}

static void proofs(void **state)
{
	struct sc_merkle_frontier *f = malloc(sizeof(*f));
	struct sc_audit_proof *p = calloc(1, sizeof(*p));
	unsigned char mine[SC_MERKLE_BYTES], stored[SC_MERKLE_BYTES], root[SC_MERKLE_BYTES];
	struct sc_store *st;
	struct sc_diag d;
	char path[64];
	uint64_t size, done = 0;
	int64_t tag = 1;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/socred-test-tree-%ld.db", (long)getpid());
	remove_ledger(path);
	assert_int_equal(sc_store_open(path, SC_STORE_CREATE, &st, &d), SC_OK);
	/* batches of 1 to 1500, crossing the stored subtrees' 1,024 boundaries */
	while (done < TOTAL) {
		size_t n = (size_t)(tag * 7919 % 1500) + 1;
		if (n > TOTAL - done)
			n = TOTAL - done;
		append(st, n, tag++);
		done += n;
		if (tag % 5 == 0) {
			heads(st, mine, stored, &size);
			assert_int_equal(size, done);
			assert_memory_equal(mine, stored, SC_MERKLE_BYTES);
		}
	}
	heads(st, mine, stored, &size);
	assert_memory_equal(mine, stored, SC_MERKLE_BYTES);
	assert_true(ledger_count(path, NULL, "SELECT count(*) FROM audit_nodes") >= 4);
	p->tree = f;
	for (int64_t seq = 1; seq <= TOTAL; seq += seq < 40 || seq > TOTAL - 40 ? 1 : 97) {
		assert_int_equal(sc_store_audit_prove(st, seq, p, NULL, NULL, &d), SC_OK);
		assert_int_equal(f->size, TOTAL);
		sc_merkle_frontier_root(f, root);
		assert_memory_equal(root, mine, SC_MERKLE_BYTES);
		assert_memory_equal(p->leaf, leaves[seq - 1], SC_MERKLE_BYTES);
		assert_true(sc_merkle_path_check((uint64_t)seq - 1, TOTAL, p->leaf,
						 (const unsigned char(*)[SC_MERKLE_BYTES])p->path,
						 p->npath, root));
		assert_false(sc_merkle_path_check((uint64_t)seq % TOTAL, TOTAL, p->leaf,
						  (const unsigned char(*)[SC_MERKLE_BYTES])p->path,
						  p->npath, root));
	}
	assert_int_equal(sc_store_audit_prove(st, 0, p, NULL, NULL, &d), SC_ENOTFOUND);
	assert_int_equal(sc_store_audit_prove(st, TOTAL + 1, p, NULL, NULL, &d), SC_ENOTFOUND);
	sc_store_close(st);

	/* a ledger from before the tree (schema 17; the later migrations run
	 * again): built by the migration, to the same head */
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DROP TABLE audit_tree; DROP TABLE audit_nodes;"
					       " UPDATE meta SET value = '17' WHERE key = 'schema'",
					      NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	heads(st, root, stored, &size);
	assert_int_equal(size, TOTAL);
	assert_memory_equal(stored, mine, SC_MERKLE_BYTES);
	assert_int_equal(sc_store_audit_prove(st, 4321, p, NULL, NULL, &d), SC_OK);
	assert_true(sc_merkle_path_check(4320, TOTAL, leaves[4320],
					 (const unsigned char(*)[SC_MERKLE_BYTES])p->path, p->npath,
					 mine));
	append(st, 3, 99);
	heads(st, mine, stored, &size);
	assert_int_equal(size, TOTAL + 3);
	assert_memory_equal(mine, stored, SC_MERKLE_BYTES);
	sc_store_close(st);

	/* the newest entries deleted under the tree: the next append is
	 * refused, naming both sizes */
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_blocks_append_only_d;"
					      " DELETE FROM audit_blocks WHERE seq = (SELECT max(seq) FROM audit_blocks)",
					      NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
	{
		struct sc_audit_entry e = {.at = "2026-01-01T00:00:00.000Z", .action = "x", .subject = "",
					   .result = "y"};
		assert_int_equal(sc_store_audit_append(st, &e, 1, &d), SC_ECORRUPT);
		assert_non_null(strstr(d.message, "the audit tree holds 5003 entries but the log 5000"));
	}
	sc_store_close(st);
	remove_ledger(path);
	free(f);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(proofs)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
