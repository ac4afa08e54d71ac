/* The store contract of API keys and the audit log, on every backend
 * (conf.h): keys added, read, listed and revoked (the last admin key
 * kept); entries appended in batches and read back by subject, by walk and
 * by inclusion proof against the tree's head; an entry altered behind the
 * ledger's back (its guard disabled, as the owner of the tables can) named
 * by verify; chains selected and registered; two handles appending at
 * once, each to its own chain on PostgreSQL (to the one chain on SQLite),
 * every chain verified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "socred/access.h"
#include "socred/merkle.h"
#include "socred/store.h"
#include "conf.h"

static struct sc_store *open_fresh(enum conf_backend b, char *path, size_t cap)
{
	struct sc_store *st = NULL;
	struct sc_diag d;

	sc_diag_clear(&d);
	assert_int_equal(conf_fresh(b, path, cap), 0);
	if (sc_store_open(path, SC_STORE_CREATE, &st, &d))
		fail_msg("%s: cannot open %s: %s", conf_name(b), path, d.message);
	return st;
}

/* Runs sql on the ledger behind the store's back, as its owner. */
static void tamper(enum conf_backend b, const char *path, const char *sql)
{
	if (b == CONF_SQLITE) {
		sqlite3 *db;
		char *err = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("tamper: %s", err);
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(path);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("tamper: %s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	}
}

/* ---- keys ---- */

struct key_seen {
	int64_t ids[8];
	int n;
};

static enum sc_status take_key(void *ctx, const struct sc_key *k)
{
	struct key_seen *s = ctx;

	if (s->n < 8)
		s->ids[s->n] = k->id;
	s->n++;
	return SC_OK;
}

static void keys(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_key k = {.role = SC_ROLE_ADMIN}, p = {.role = SC_ROLE_PROVIDER}, got;
		struct key_seen seen = {0};
		struct sc_diag d;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		st = open_fresh((enum conf_backend)b, path, sizeof(path));
		sc_diag_clear(&d);
		snprintf(k.name, sizeof(k.name), "root");
		memset(k.hash, 0xab, sizeof(k.hash));
		snprintf(p.name, sizeof(p.name), "China \"Eastern\"");
		snprintf(p.binding, sizeof(p.binding), "airline");
		memset(p.hash, 0x01, sizeof(p.hash));
		assert_int_equal(sc_store_key_add(st, &k, &d), SC_OK);
		assert_int_equal(sc_store_key_add(st, &p, &d), SC_OK);
		assert_int_equal(k.id, 1); /* ids from 1, as SQLite's rowids */
		assert_int_equal(p.id, 2);

		assert_int_equal(sc_store_key_get(st, 2, &got, &d), SC_OK);
		assert_int_equal(got.role, SC_ROLE_PROVIDER);
		assert_string_equal(got.name, "China \"Eastern\"");
		assert_string_equal(got.binding, "airline");
		assert_memory_equal(got.hash, p.hash, SC_KEY_HASH_BYTES);
		assert_false(got.revoked);
		assert_int_equal(strlen(got.created), 20); /* YYYY-MM-DDTHH:MM:SSZ */
		assert_int_equal(got.created[19], 'Z');
		assert_int_equal(sc_store_key_get(st, 99, &got, &d), SC_ENOTFOUND);
		assert_string_equal(d.message, "no key 99");

		assert_int_equal(sc_store_key_list(st, take_key, &seen, &d), SC_OK);
		assert_int_equal(seen.n, 2);
		assert_int_equal(seen.ids[0], 1);
		assert_int_equal(seen.ids[1], 2);

		assert_int_equal(sc_store_key_revoke(st, 2, false, &d), SC_OK);
		assert_int_equal(sc_store_key_revoke(st, 2, false, &d), SC_OK); /* again: still */
		assert_int_equal(sc_store_key_get(st, 2, &got, &d), SC_OK);
		assert_true(got.revoked);
		/* the last admin key stays, unless forced */
		assert_int_equal(sc_store_key_revoke(st, 1, false, &d), SC_ECONFLICT);
		assert_non_null(strstr(d.message, "last active admin key"));
		assert_int_equal(sc_store_key_get(st, 1, &got, &d), SC_OK);
		assert_false(got.revoked);
		assert_int_equal(sc_store_key_revoke(st, 99, false, &d), SC_ENOTFOUND);
		assert_int_equal(sc_store_key_revoke(st, 1, true, &d), SC_OK);
		assert_int_equal(sc_store_key_get(st, 1, &got, &d), SC_OK);
		assert_true(got.revoked);
		sc_store_close(st);
		conf_drop((enum conf_backend)b, path);
	}
}

/* ---- the log ---- */

static const char *const subjects[3] = {"", "P1", "O\"2\\"};

static void fill(struct sc_audit_entry *e, int64_t i, char *buf)
{
	snprintf(buf, 64, "2026-12-07T10:00:%02d.%03dZ", (int)(i / 1000 % 60), (int)(i % 1000));
	*e = (struct sc_audit_entry){.at = buf, .key_id = i % 3, .role = (enum sc_role)(i % 5),
				     .action = "GET /v1/check air_travel",
				     .subject = subjects[i % 3], .result = i % 2 ? "200 deny" : "403"};
}

/* Appends entries first..last (1-based numbering of fill) in batches of
 * `batch`. */
static void append(struct sc_store *st, int64_t first, int64_t last, int64_t batch)
{
	struct sc_audit_entry *e = calloc((size_t)batch, sizeof(*e));
	char (*at)[64] = calloc((size_t)batch, 64);
	struct sc_diag d;

	assert_non_null(e);
	assert_non_null(at);
	for (int64_t i = first; i <= last; i += batch) {
		size_t n = 0;
		for (int64_t j = i; j <= last && j < i + batch; j++, n++)
			fill(&e[n], j, at[n]);
		if (sc_store_audit_append(st, e, n, &d))
			fail_msg("append: %s", d.message);
		assert_int_equal(e[0].seq, i);
	}
	free(e);
	free(at);
}

struct walked {
	int32_t node; /* the chain walked */
	int64_t first, last, n;
	int bad;
	char last_hash[SC_HASH_HEX];
};

static enum sc_status take_chain(void *ctx, const struct sc_audit_entry *e, const char *prev,
				 const char *hash)
{
	struct walked *w = ctx;
	struct sc_audit_entry x;
	char at[64], h[SC_HASH_HEX];

	fill(&x, e->seq, at);
	x.seq = e->seq;
	sc_audit_hash(&x, prev, h);
	if (strcmp(h, hash) || strcmp(e->at, x.at) || e->key_id != x.key_id || e->role != x.role ||
	    strcmp(e->action, x.action) || strcmp(e->subject, x.subject) ||
	    strcmp(e->result, x.result) || (w->n && strcmp(prev, w->last_hash)) ||
	    e->node != w->node)
		w->bad++;
	if (!w->n)
		w->first = e->seq;
	w->last = e->seq;
	w->n++;
	snprintf(w->last_hash, sizeof(w->last_hash), "%s", hash);
	return SC_OK;
}

static enum sc_status take_any_chain(void *ctx, const struct sc_audit_entry *e,
				     const char *prev, const char *hash)
{
	struct walked *w = ctx;

	(void)e;
	(void)prev;
	(void)hash;
	w->n++;
	return SC_OK;
}

struct listed {
	int64_t n, last;
	int bad;
	const char *subject;
};

static enum sc_status take_entry(void *ctx, const struct sc_audit_entry *e)
{
	struct listed *l = ctx;

	if (e->seq <= l->last || (l->subject && strcmp(e->subject, l->subject)) || e->node != 0)
		l->bad++;
	l->last = e->seq;
	l->n++;
	return SC_OK;
}

#define LOG 2100 /* past two stored subtrees of 1,024 leaves */

static void log_read_back(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_audit_verdict v;
		struct walked w = {0};
		struct listed l = {.subject = "O\"2\\"}, all = {0};
		struct sc_merkle_frontier *f;
		struct sc_audit_proof *p;
		unsigned char root[SC_MERKLE_BYTES];
		uint64_t count;
		int64_t bad;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		f = malloc(sizeof(*f));
		p = calloc(1, sizeof(*p));
		assert_non_null(f);
		assert_non_null(p);
		st = open_fresh((enum conf_backend)b, path, sizeof(path));
		sc_diag_clear(&d);
		/* an empty log verifies, its tree empty */
		assert_int_equal(sc_store_audit_verify(st, &count, &bad, &d), SC_OK);
		assert_int_equal(count, 0);
		assert_int_equal(sc_store_audit_tree(st, f, &d), SC_OK);
		assert_int_equal(f->size, 0);
		append(st, 1, 7, 1);
		append(st, 8, 1500, 700);
		append(st, 1501, LOG, 37);
		assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_OK);
		assert_int_equal(v.count, LOG);
		assert_int_equal(v.bad, 0);
		assert_int_equal(sc_store_audit_tree(st, f, &d), SC_OK);
		assert_int_equal(f->size, LOG);

		/* by subject: only its entries, in order; "": all of them */
		assert_int_equal(sc_store_audit_subject(st, l.subject, take_entry, &l, &d), SC_OK);
		assert_int_equal(l.n, LOG / 3);
		assert_int_equal(l.bad, 0);
		assert_int_equal(sc_store_audit_subject(st, "", take_entry, &all, &d), SC_OK);
		assert_int_equal(all.n, LOG);
		assert_int_equal(all.bad, 0);

		/* a walk: every field and hash as written, the links checked */
		assert_int_equal(sc_store_audit_walk(st, 5, 1030, take_chain, &w, &bad, &d), SC_OK);
		assert_int_equal(w.first, 5);
		assert_int_equal(w.last, 1030);
		assert_int_equal(w.n, 1026);
		assert_int_equal(w.bad, 0);
		memset(&w, 0, sizeof(w));
		assert_int_equal(sc_store_audit_walk(st, LOG - 1, LOG + 5, take_chain, &w, &bad, &d),
				 SC_ENOTFOUND);
		assert_int_equal(bad, LOG + 1);

		/* proofs against the tree's head, near and far from the end */
		sc_merkle_frontier_root(f, root);
		for (int64_t seq = 1; seq <= LOG; seq += 523) {
			p->tree = f;
			if (sc_store_audit_prove(st, seq, p, NULL, NULL, &d))
				fail_msg("%s: prove %lld: %s", conf_name(b), (long long)seq, d.message);
			assert_int_equal(f->size, LOG);
			assert_true(sc_merkle_path_check((uint64_t)seq - 1, LOG, p->leaf,
							  (const unsigned char(*)[SC_MERKLE_BYTES])p->path,
							  p->npath, root));
		}
		p->tree = f;
		assert_int_equal(sc_store_audit_prove(st, LOG + 1, p, NULL, NULL, &d), SC_ENOTFOUND);

		/* the only chain is node 0's; there is no node 99 */
		assert_int_equal(sc_store_audit_chain(st, 0, &d), SC_OK);
		assert_int_equal(sc_store_audit_chain(st, 99, &d), SC_ENOTFOUND);
		sc_store_close(st);

		/* an entry altered behind the ledger's back: verify names it */
		if (b == CONF_SQLITE)
			tamper(b, path, "DROP TRIGGER audit_blocks_append_only_u;"
					" UPDATE audit_blocks SET hash = 'x' || hash WHERE seq = 3");
		else
			tamper(b, path, "ALTER TABLE audit_blocks DISABLE TRIGGER audit_blocks_append_only;"
					" UPDATE audit_blocks SET hash = 'x' || hash WHERE node = 0 AND seq = 3");
		assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
		assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_ECORRUPT);
		assert_int_equal(v.bad, 3);
		assert_int_equal(v.node, 0);
		assert_string_equal(d.message, "audit log broken at entry 3");
		sc_store_close(st);
		conf_drop((enum conf_backend)b, path);
		free(f);
		free(p);
	}
}

/* ---- the subject index ---- */

#define MANY 40000 /* past two of PostgreSQL's indexed segments (16,384 entries) */
#define SUBJECTS 997

/* Appends entries first..last in batches of `batch`, entry i of subject
 * "S<i % SUBJECTS>" (i % SUBJECTS == 0: none). */
static void append_many(struct sc_store *st, int64_t first, int64_t last, int64_t batch)
{
	struct sc_audit_entry *e = calloc((size_t)batch, sizeof(*e));
	char (*at)[64] = calloc((size_t)batch, 64), (*subj)[16] = calloc((size_t)batch, 16);
	struct sc_diag d;

	assert_non_null(e);
	assert_non_null(at);
	assert_non_null(subj);
	for (int64_t i = first; i <= last; i += batch) {
		size_t n = 0;
		for (int64_t j = i; j <= last && j < i + batch; j++, n++) {
			fill(&e[n], j, at[n]);
			if (j % SUBJECTS)
				snprintf(subj[n], 16, "S%d", (int)(j % SUBJECTS));
			else
				subj[n][0] = '\0';
			e[n].subject = subj[n];
		}
		if (sc_store_audit_append(st, e, n, &d))
			fail_msg("append: %s", d.message);
	}
	free(e);
	free(at);
	free(subj);
}

static void subject_index(void **state)
{
	static const char *const who[] = {"S1", "S5", "S996", "S99", "S9", "S1000", "R", "T"};
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_audit_verdict v;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		st = open_fresh((enum conf_backend)b, path, sizeof(path));
		sc_diag_clear(&d);
		/* a segment filled by an append ending on its last entry, made by
		 * a handle that did not write the entries before it; the next by
		 * one past it, from a handle that wrote the segment's entries */
		append_many(st, 1, 10000, 4096);
		sc_store_close(st);
		assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
		append_many(st, 10001, 16384, 6384);
		append_many(st, 16385, MANY, 997);
		assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_OK);
		assert_int_equal(v.count, MANY);
		for (size_t k = 0; k < sizeof(who) / sizeof(who[0]); k++) {
			struct listed l = {.subject = who[k]};
			int64_t want = 0;
			for (int64_t i = 1; i <= MANY; i++)
				if (i % SUBJECTS && who[k][0] == 'S' && atoi(who[k] + 1) == i % SUBJECTS)
					want++;
			assert_int_equal(sc_store_audit_subject(st, who[k], take_entry, &l, &d), SC_OK);
			assert_int_equal(l.n, want);
			assert_int_equal(l.bad, 0);
		}
		sc_store_close(st);
		if (b == CONF_PG) {
			struct listed l = {.subject = "S5"};
			/* the index damaged: the lookup says so */
			tamper(b, path, "ALTER TABLE audit_subjects DISABLE TRIGGER"
					" audit_subjects_append_only; UPDATE audit_subjects"
					" SET data = '\\xff'::bytea WHERE seg = 1");
			assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
			assert_int_equal(sc_store_audit_subject(st, "S5", take_entry, &l, &d), SC_ECORRUPT);
			assert_string_equal(d.message, "the audit index of node 0, segment 1 is damaged");
			sc_store_close(st);
		}
		conf_drop((enum conf_backend)b, path);
	}
}

/* ---- two chains at once ---- */

#define ROUNDS 60
#define BATCH 5

struct writer {
	const char *path;
	bool own_chain; /* registers a chain of its own, as a server does */
	int32_t node;
	int failed;
	char why[SC_DIAG_MESSAGE_MAX + 64];
};

static void *write_chain(void *arg)
{
	struct writer *w = arg;
	struct sc_store *st = NULL;
	struct sc_audit_entry e[BATCH];
	struct sc_diag d;
	char name[32];

	sc_diag_clear(&d);
	snprintf(name, sizeof(name), "writer %p", arg);
	if (sc_store_open(w->path, 0, &st, &d) ||
	    (w->own_chain && sc_store_audit_node(st, name, &w->node, &d))) {
		snprintf(w->why, sizeof(w->why), "%s", d.message);
		w->failed = 1;
		sc_store_close(st);
		return NULL;
	}
	for (int r = 0; r < ROUNDS && !w->failed; r++) {
		enum sc_status s;
		int tries = 0;
		for (int i = 0; i < BATCH; i++)
			e[i] = (struct sc_audit_entry){.at = "2026-12-07T11:00:00.000Z", .key_id = 1,
						       .role = SC_ROLE_ADMIN, .action = "ingest",
						       .subject = "P1", .result = "ok"};
		/* SQLite's one chain: the other handle may hold the lock */
		while ((s = sc_store_audit_append(st, e, BATCH, &d)) == SC_EBUSY && ++tries < 100)
			;
		if (s) {
			snprintf(w->why, sizeof(w->why), "%s", d.message);
			w->failed = 1;
		} else if (e[0].node != w->node) {
			snprintf(w->why, sizeof(w->why), "appended to node %d, not %d", (int)e[0].node,
				 (int)w->node);
			w->failed = 1;
		}
	}
	sc_store_close(st);
	return NULL;
}

struct ordered {
	char last[64];
	int32_t node;
	int64_t seq, n;
	int bad;
};

static enum sc_status take_ordered(void *ctx, const struct sc_audit_entry *e)
{
	struct ordered *o = ctx;
	int c = strcmp(e->at, o->last);

	if (o->n && (c < 0 || (!c && (e->node < o->node || (e->node == o->node && e->seq <= o->seq)))))
		o->bad++;
	snprintf(o->last, sizeof(o->last), "%s", e->at);
	o->node = e->node;
	o->seq = e->seq;
	o->n++;
	return SC_OK;
}

static void two_chains(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_audit_verdict v;
		struct writer w[2] = {{.path = path, .own_chain = true},
				      {.path = path, .own_chain = true}};
		struct ordered o = {0};
		struct walked x = {0};
		pthread_t t[2];
		int64_t bad;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		st = open_fresh((enum conf_backend)b, path, sizeof(path));
		sc_diag_clear(&d);
		append(st, 1, 3, 3); /* node 0's */
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, write_chain, &w[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 2; i++)
			if (w[i].failed)
				fail_msg("%s: writer %d: %s", conf_name(b), i, w[i].why);
		if (b == CONF_PG) {
			assert_true(w[0].node > 0 && w[1].node > 0 && w[0].node != w[1].node);
		} else {
			assert_int_equal(w[0].node, 0);
			assert_int_equal(w[1].node, 0);
		}
		assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_OK);
		assert_int_equal(v.count, 3 + 2 * ROUNDS * BATCH);
		assert_int_equal(v.chains, b == CONF_PG ? 3 : 1);
		/* across chains: by time, then node, then seq */
		assert_int_equal(sc_store_audit_subject(st, "P1", take_ordered, &o, &d), SC_OK);
		assert_int_equal(o.n, 1 + 2 * ROUNDS * BATCH);
		assert_int_equal(o.bad, 0);
		if (b == CONF_PG) {
			struct sc_merkle_frontier f;
			/* a chain selected: its walk, its tree */
			assert_int_equal(sc_store_audit_chain(st, w[1].node, &d), SC_OK);
			x.node = w[1].node;
			assert_int_equal(sc_store_audit_walk(st, 1, -1, take_chain, &x, &bad, &d), SC_OK);
			assert_int_equal(x.n, ROUNDS * BATCH);
			assert_int_equal(sc_store_audit_tree(st, &f, &d), SC_OK);
			assert_int_equal(f.size, ROUNDS * BATCH);
			sc_store_close(st);
			/* an entry of a server's chain altered (a byte of its stamp, in
			 * the block of entries 6 to 10): verify names the chain and the
			 * block's first entry; the byte put back, the chain verifies */
			{
				char sql[256], want[96];
				snprintf(sql, sizeof(sql),
					 "ALTER TABLE audit_blocks DISABLE TRIGGER audit_blocks_append_only;"
					 " UPDATE audit_blocks SET data = set_byte(data, 2, get_byte(data, 2) # 1)"
					 " WHERE node = %d AND seq = 6",
					 (int)w[1].node);
				tamper(b, path, sql);
				assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
				assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_ECORRUPT);
				assert_int_equal(v.node, w[1].node);
				assert_int_equal(v.bad, 6);
				snprintf(want, sizeof(want), "audit log of node %d broken at entry 6",
					 (int)w[1].node);
				assert_string_equal(d.message, want);
				sc_store_close(st);
				tamper(b, path, sql);
				assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
				assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_OK);
				sc_store_close(st);
				/* a block cut short (undecodable): named by its first entry */
				snprintf(sql, sizeof(sql),
					 "UPDATE audit_blocks SET data = substring(data from 1 for"
					 " length(data) - 1) WHERE node = %d AND seq = 11", (int)w[1].node);
				tamper(b, path, sql);
				assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
				assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_ECORRUPT);
				assert_int_equal(v.node, w[1].node);
				assert_int_equal(v.bad, 11);
				sc_store_close(st);
				/* a block removed: the entry missing named */
				snprintf(sql, sizeof(sql),
					 "DELETE FROM audit_blocks WHERE node = %d AND seq = 1", (int)w[1].node);
				tamper(b, path, sql);
				assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
				assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_ECORRUPT);
				assert_int_equal(v.node, w[1].node);
				assert_int_equal(v.bad, 1);
			}
			/* a chain's tree cut short: named */
			sc_store_close(st);
			tamper(b, path, "UPDATE audit_tree SET size = size - 1, frontier = ''::bytea"
					" WHERE node = 0");
			assert_int_equal(sc_store_open(path, 0, &st, &d), SC_OK);
			assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_ECORRUPT);
			assert_int_equal(v.node, 0);
			assert_int_equal(v.bad, 0);
		}
		sc_store_close(st);
		conf_drop((enum conf_backend)b, path);
	}
}

/* Two command-line processes at once: both on node 0, taking turns. */
static void one_chain_two_writers(void **state)
{
	(void)state;
	for (int b = 0; b < CONF_N; b++) {
		char path[512];
		struct sc_store *st;
		struct sc_diag d;
		struct sc_audit_verdict v;
		struct writer w[2] = {{.path = path}, {.path = path}};
		struct walked x = {0};
		pthread_t t[2];
		int64_t bad;

		if (!conf_enabled((enum conf_backend)b))
			continue;
		st = open_fresh((enum conf_backend)b, path, sizeof(path));
		sc_diag_clear(&d);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, write_chain, &w[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 2; i++)
			if (w[i].failed)
				fail_msg("%s: writer %d: %s", conf_name(b), i, w[i].why);
		assert_int_equal(sc_store_audit_verify_chains(st, &v, &d), SC_OK);
		assert_int_equal(v.count, 2 * ROUNDS * BATCH);
		assert_int_equal(v.chains, 1);
		assert_int_equal(sc_store_audit_walk(st, 1, -1, take_any_chain, &x, &bad, &d), SC_OK);
		assert_int_equal(x.n, 2 * ROUNDS * BATCH);
		sc_store_close(st);
		conf_drop((enum conf_backend)b, path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys),
		cmocka_unit_test(log_read_back),
		cmocka_unit_test(subject_index),
		cmocka_unit_test(two_chains),
		cmocka_unit_test(one_chain_two_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
