/* The cluster map: the subject hash is SHA-256's first eight bytes
 * (stable vectors, the same as PostgreSQL's sha256()), a good map parses
 * with relative paths from its folder and writes back to the same map, a
 * bad one is refused naming its file, line and field, the limits hold,
 * and the directory claims record ids and orders subjects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "socred/ingest.h"
#include "socred/limits.h"
#include "socred/shard.h"

static void hash_vectors(void **state)
{
	struct sc_shard_map m = {.count = 1024};

	(void)state;
	/* python3: int.from_bytes(hashlib.sha256(s).digest()[:8], 'big') */
	assert_true(sc_shard_hash("", 0) == 0xe3b0c44298fc1c14ULL);
	assert_true(sc_shard_hash("abc", 3) == 0xba7816bf8f01cfeaULL);
	assert_true(sc_shard_hash("11010119400102000X", 18) == 0x81d97d6efff0b8ecULL);
	assert_true(sc_shard_hash("91350100M000100Y43", 18) == 0x18e746db4fe8b8bdULL);
	assert_int_equal(sc_shard_of(&m, "11010119400102000X", 18), 236);
	assert_int_equal(sc_shard_of(&m, "abc", 3), 1002);
	m.count = 1;
	assert_int_equal(sc_shard_of(&m, "abc", 3), 0);
}

static const char good[] =
	"# a comment\n"
	"shards 8   # eight\n"
	"directory dir.db\n"
	"\n"
	"0-3 a.db\r\n"
	"4 /abs/b.db\n"
	"5-7 postgresql://u@h:5432/x?sslmode=disable\n";

static void parse_good(void **state)
{
	struct sc_shard_map *m = NULL;
	struct sc_diag d;
	char *text;

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_map_parse(good, strlen(good), "m", "/etc/x", &m, &d), SC_OK);
	assert_int_equal(m->count, 8);
	assert_int_equal(m->nledgers, 3);
	assert_string_equal(m->ledgers[0], "/etc/x/a.db");
	assert_string_equal(m->names[0], "a.db");
	assert_string_equal(m->ledgers[1], "/abs/b.db");
	assert_string_equal(m->ledgers[2], "postgresql://u@h:5432/x?sslmode=disable");
	assert_string_equal(m->directory, "/etc/x/dir.db");
	assert_int_equal(m->owner[0], 0);
	assert_int_equal(m->owner[3], 0);
	assert_int_equal(m->owner[4], 1);
	assert_int_equal(m->owner[7], 2);
	/* written back, it reads the same */
	assert_int_equal(sc_shard_map_assign(m, 3, "/abs/b.db", &d), SC_OK);
	text = sc_shard_map_format(m);
	assert_non_null(text);
	assert_non_null(strstr(text, "shards 8\ndirectory dir.db\n0-2 a.db\n3-4 /abs/b.db\n5-7 postgresql"));
	sc_shard_map_free(m);
	assert_int_equal(sc_shard_map_parse(text, strlen(text), "m", "", &m, &d), SC_OK);
	assert_int_equal(m->owner[3], 1);
	assert_int_equal(m->owner[2], 0);
	free(text);
	assert_int_equal(sc_shard_map_assign(m, 8, "x.db", &d), SC_EINVAL);
	sc_shard_map_free(m);
}

/* Parses text, expecting status st at line `line` naming field. */
static void refused(const char *text, enum sc_status st, unsigned long line, const char *field,
		    const char *words)
{
	struct sc_shard_map *m = NULL;
	struct sc_diag d;
	char msg[1024];

	sc_diag_clear(&d);
	assert_int_equal(sc_shard_map_parse(text, strlen(text), "bad.shards", "", &m, &d), st);
	assert_null(m);
	assert_string_equal(d.source, "bad.shards");
	assert_int_equal(d.line, line);
	assert_string_equal(d.field, field);
	sc_diag_format(&d, msg, sizeof(msg));
	if (!strstr(msg, words))
		fail_msg("'%s' lacks '%s'", msg, words);
}

static void parse_bad(void **state)
{
	(void)state;
	refused("shards 1000\n", SC_ELIMIT, 1, "shards", "power of two");
	refused("shards 0\n", SC_ELIMIT, 1, "shards", "power of two");
	refused("shards 131072\n", SC_ELIMIT, 1, "shards", "power of two");
	refused("shards 99999999999\n", SC_ESYNTAX, 1, "shards", "whole number");
	refused("shards 4\nshards 4\n", SC_ESYNTAX, 2, "shards", "twice");
	refused("0-3 a.db\n", SC_ESYNTAX, 1, "shards", "must come before");
	refused("shards 4\ndirectory d\n0-4 a.db\n", SC_ELIMIT, 3, "range", "past the count");
	refused("shards 4\ndirectory d\n3-1 a.db\n", SC_ESYNTAX, 3, "range", "after the last");
	refused("shards 4\ndirectory d\n0-3\n", SC_ESYNTAX, 3, "range", "FIRST-LAST LEDGER");
	refused("shards 4\ndirectory d\n0-3 a.db b.db\n", SC_ESYNTAX, 3, "ledger", "text after");
	refused("shards 4\ndirectory d\n0-3 a.db\n\n2-2 b.db\n", SC_ESYNTAX, 5, "range",
		"logical shard 2 is in two ranges");
	refused("shards 4\ndirectory d\n0-2 a.db\n", SC_ESYNTAX, 3, "range",
		"logical shard 3 is on no ledger");
	refused("shards 4\n0-3 a.db\n", SC_ESYNTAX, 2, "directory", "names no directory");
	refused("shards 4\ndirectory postgresql://h/x\n", SC_ESYNTAX, 2, "directory", "file path");
	refused("shards 4\ndirectory a b\n", SC_ESYNTAX, 2, "directory", "one path");
	refused("shards 4\nledgers 3\n", SC_ESYNTAX, 2, "statement", "unknown statement 'ledgers'");
	refused("shards 4\nx-1 a\n", SC_ESYNTAX, 2, "statement", "unknown statement");
	refused("shards 4\n0-x a\n", SC_ESYNTAX, 2, "range", "after '-'");
	{
		static const char nul[] = "shards 4\ndirectory d\n0-3 a\0b\n";
		struct sc_shard_map *m = NULL;
		struct sc_diag d;
		sc_diag_clear(&d);
		assert_int_equal(sc_shard_map_parse(nul, sizeof(nul) - 1, "bad.shards", "", &m, &d),
				 SC_ESYNTAX);
		assert_int_equal(d.line, 3);
		assert_non_null(strstr(d.message, "NUL byte"));
	}
}

static void parse_limits(void **state)
{
	size_t big = SC_LIMIT_SHARD_LEDGER + 64, n;
	char *text = malloc(big + SC_LIMIT_SHARD_LEDGERS * 40 + 256);
	struct sc_shard_map *m = NULL;
	struct sc_diag d;

	(void)state;
	assert_non_null(text);
	/* a ledger name over the limit */
	n = (size_t)sprintf(text, "shards 2\ndirectory d\n0-1 ");
	memset(text + n, 'x', SC_LIMIT_SHARD_LEDGER + 1);
	text[n + SC_LIMIT_SHARD_LEDGER + 1] = '\0';
	refused(text, SC_ELIMIT, 3, "ledger", "longer than the limit");
	/* more ledgers than the limit */
	n = (size_t)sprintf(text, "shards 1024\ndirectory d\n");
	for (int i = 0; i <= SC_LIMIT_SHARD_LEDGERS; i++)
		n += (size_t)sprintf(text + n, "%d l%d.db\n", i, i);
	refused(text, SC_ELIMIT, 2 + SC_LIMIT_SHARD_LEDGERS + 1, "ledger", "more than");
	/* the most logical shards, all on one ledger */
	sprintf(text, "shards %d\ndirectory d\n0-%d a\n", SC_LIMIT_SHARDS, SC_LIMIT_SHARDS - 1);
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_map_parse(text, strlen(text), "m", "", &m, &d), SC_OK);
	assert_int_equal(m->count, SC_LIMIT_SHARDS);
	sc_shard_map_free(m);
	/* a map larger than the limit */
	free(text);
	text = calloc(SC_LIMIT_SHARD_MAP_BYTES + 2, 1);
	assert_non_null(text);
	memset(text, '#', SC_LIMIT_SHARD_MAP_BYTES + 1);
	assert_int_equal(sc_shard_map_parse(text, SC_LIMIT_SHARD_MAP_BYTES + 1, "m", "", &m, &d),
			 SC_ELIMIT);
	free(text);
}

static void save_load(void **state)
{
	char path[256];
	struct sc_shard_map *m = NULL, *back = NULL;
	struct sc_diag d;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/socred-test-shards-%ld.map", (long)getpid());
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_map_load(path, &m, &d), SC_EIO);
	assert_string_equal(d.source, path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fclose(f);
	assert_int_equal(sc_shard_map_load(path, &m, &d), SC_OK);
	assert_string_equal(m->ledgers[0], "/tmp/a.db");
	assert_int_equal(sc_shard_map_assign(m, 0, "/abs/b.db", &d), SC_OK);
	assert_int_equal(sc_shard_map_save(m, path, &d), SC_OK);
	assert_int_equal(sc_shard_map_load(path, &back, &d), SC_OK);
	assert_string_equal(back->ledgers[back->owner[0]], "/abs/b.db");
	assert_string_equal(back->ledgers[back->owner[1]], "/tmp/a.db");
	assert_string_equal(back->ledgers[back->owner[4]], "/abs/b.db");
	sc_shard_map_free(m);
	sc_shard_map_free(back);
	unlink(path);
}

/* An ingest's check that its map still stands: unchanged (also written
 * again with the same assignment), it passes; a logical shard moved, it
 * stops naming the shard. */
static void watch(void **state)
{
	char path[256];
	struct sc_shard_map *m = NULL, *moved = NULL;
	struct sc_shard_set set = {0};
	struct sc_ingest_route route = {0};
	struct sc_diag d;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/socred-test-shards-watch-%ld.map", (long)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fclose(f);
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_map_load(path, &m, &d), SC_OK);
	set.map = m;
	sc_shard_set_watch(&set, path, &route);
	assert_non_null(route.settled);
	assert_int_equal(sc_shard_set_settled(&set, &d), SC_OK);
	assert_int_equal(sc_shard_set_settled(&set, &d), SC_OK);
	/* the same assignment written again */
	assert_int_equal(sc_shard_map_save(m, path, &d), SC_OK);
	assert_int_equal(sc_shard_set_settled(&set, &d), SC_OK);
	/* logical shard 1 moved */
	assert_int_equal(sc_shard_map_load(path, &moved, &d), SC_OK);
	assert_int_equal(sc_shard_map_assign(moved, 1, "/abs/moved.db", &d), SC_OK);
	assert_int_equal(sc_shard_map_save(moved, path, &d), SC_OK);
	assert_int_equal(sc_shard_set_settled(&set, &d), SC_ESTATE);
	assert_non_null(strstr(d.message, "logical shard 1 moved to /abs/moved.db"));
	/* a map that cannot be read stops it too */
	unlink(path);
	assert_int_equal(sc_shard_set_settled(&set, &d), SC_EIO);
	sc_shard_map_free(m);
	sc_shard_map_free(moved);
}

static void directory(void **state)
{
	char path[256];
	struct sc_shard_dir *dir = NULL;
	struct sc_diag d;
	uint32_t l;
	int64_t o;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/socred-test-shards-%ld.dir", (long)getpid());
	unlink(path);
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_dir_open(path, 0, &dir, &d), SC_ESTORE);
	assert_int_equal(sc_shard_dir_open(path, 1, &dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_begin(dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_record(dir, "r1", 2, &l, &d), SC_ENOTFOUND);
	assert_int_equal(sc_shard_dir_claim(dir, "r1", 2, 7, "s-b", 3, &d), SC_OK);
	assert_int_equal(sc_shard_dir_subject(dir, "s-a", 3, &d), SC_OK);
	/* a second claim keeps the first */
	assert_int_equal(sc_shard_dir_claim(dir, "r1", 2, 9, "s-c", 3, &d), SC_OK);
	assert_int_equal(sc_shard_dir_subject(dir, "s-b", 3, &d), SC_OK);
	assert_int_equal(sc_shard_dir_commit(dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_record(dir, "r1", 2, &l, &d), SC_OK);
	assert_int_equal(l, 7);
	assert_int_equal(sc_shard_dir_order(dir, "s-b", 3, &o, &d), SC_OK);
	assert_int_equal(o, 1);
	assert_int_equal(sc_shard_dir_order(dir, "s-a", 3, &o, &d), SC_OK);
	assert_int_equal(o, 2);
	assert_int_equal(sc_shard_dir_order(dir, "s-c", 3, &o, &d), SC_OK);
	assert_int_equal(o, 3);
	/* a rolled-back claim is gone */
	assert_int_equal(sc_shard_dir_begin(dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_claim(dir, "r2", 2, 1, "s-d", 3, &d), SC_OK);
	sc_shard_dir_rollback(dir);
	assert_int_equal(sc_shard_dir_record(dir, "r2", 2, &l, &d), SC_ENOTFOUND);
	assert_int_equal(sc_shard_dir_order(dir, "s-d", 3, &o, &d), SC_ENOTFOUND);
	sc_shard_dir_close(dir);
	unlink(path);
}

/* registry-wide ids of disputes, repairs and statements: in the order
 * first asked, one sequence per kind, the same id when asked again */
static void directory_items(void **state)
{
	char path[256];
	struct sc_shard_dir *dir = NULL;
	struct sc_diag d;
	int64_t g, local;
	char who[SC_LIMIT_SUBJECT_ID + 1], led[SC_LIMIT_SHARD_LEDGER + 1];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/socred-test-items-%ld.dir", (long)getpid());
	unlink(path);
	sc_diag_clear(&d);
	assert_int_equal(sc_shard_dir_open(path, 1, &dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_DISPUTE, "L5", 1, "s-5", &g, &d), SC_OK);
	assert_int_equal(g, 1);
	/* the same id of another ledger */
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_DISPUTE, "L900", 1, "s-900", &g, &d), SC_OK);
	assert_int_equal(g, 2);
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_DISPUTE, "L5", 1, "s-5", &g, &d), SC_OK);
	assert_int_equal(g, 1);
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_REPAIR, "L900", 3, "s-900", &g, &d), SC_OK);
	assert_int_equal(g, 1);
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_STATEMENT, "L7", 4, "s-7", &g, &d), SC_OK);
	assert_int_equal(g, 1);
	assert_int_equal(sc_shard_dir_item_find(dir, SC_SHARD_DISPUTE, 2, led, &local, who, &d), SC_OK);
	assert_string_equal(led, "L900");
	assert_int_equal(local, 1);
	assert_string_equal(who, "s-900");
	assert_int_equal(sc_shard_dir_item_find(dir, SC_SHARD_REPAIR, 1, led, &local, who, &d), SC_OK);
	assert_string_equal(led, "L900");
	assert_int_equal(local, 3);
	assert_int_equal(sc_shard_dir_item_find(dir, SC_SHARD_REPAIR, 2, led, &local, who, &d), SC_ENOTFOUND);
	assert_int_equal(sc_shard_dir_item_find(dir, (enum sc_shard_item)7, 1, led, &local, who, &d), SC_EINVAL);
	sc_shard_dir_close(dir);
	/* kept */
	assert_int_equal(sc_shard_dir_open(path, 0, &dir, &d), SC_OK);
	assert_int_equal(sc_shard_dir_item_id(dir, SC_SHARD_DISPUTE, "L900", 1, "s-900", &g, &d), SC_OK);
	assert_int_equal(g, 2);
	sc_shard_dir_close(dir);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_vectors), cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),    cmocka_unit_test(parse_limits),
		cmocka_unit_test(save_load),    cmocka_unit_test(directory),
		cmocka_unit_test(watch),        cmocka_unit_test(directory_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
