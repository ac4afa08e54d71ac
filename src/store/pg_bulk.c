/* A first load into an empty ledger on PostgreSQL (sc_store_begin_lines
 * on a ledger without records): the way pg_restore loads a table. The
 * whole load is one transaction. At its start the three indexes of
 * records that only a filled ledger needs (record_id's unique index, by
 * subject, by commit sequence) are dropped; records go in by COPY with
 * their ids given here; at the commit the indexes are built in one pass
 * each, sorted, instead of grown row by row. A crash or a rollback at any
 * point takes the whole load back, the indexes included: DDL is
 * transactional in PostgreSQL. Only the tables' owner may drop indexes: a
 * load by a member of socred_app, or one that cannot have records' lock
 * within 2 s, goes in as into a filled ledger.
 *
 * Without the record_id index, duplicates and conflicts are found on this
 * side: a table from a 64-bit hash of each record_id filed by the load to
 * its rid. A line whose record_id hashes like a filed one has those
 * records read by rid (the primary key stays), and the front decides as
 * ever: the text is compared there, so a hash collision costs a read,
 * never a wrong answer.
 *
 * The load holds the writer lock from its first line to its commit, and
 * the dropped indexes hold records locked (ACCESS EXCLUSIVE): other
 * writers wait (and give up after the connection's lock_timeout), readers
 * of records wait too; server nodes go on answering from their decision
 * snapshots. Past SC_LIMIT_INGEST_BULK_RECORDS records, or when any op
 * other than sc_store_lines touches records, the indexes are built there
 * and the rest of the transaction files lines as on a filled ledger. */
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

struct pq_bulk {
	uint64_t *key;      /* 0: empty slot */
	int64_t *rid;
	size_t mask, n;
	int64_t first, next; /* the load's first rid, and the next to give */
};

uint64_t sc_pq_bulk_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	/* the finaliser of splitmix64: every bit of h reaches the low bits
	 * the table indexes by */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
	h ^= h >> 31;
	return h ? h : 1;
}

static bool grow(struct pq_bulk *b)
{
	size_t cap = b->mask ? 2 * (b->mask + 1) : 1u << 16;
	uint64_t *key = calloc(cap, sizeof(*key));
	int64_t *rid = malloc(cap * sizeof(*rid));

	if (!key || !rid) {
		free(key);
		free(rid);
		return false;
	}
	for (size_t i = 0; b->mask && i <= b->mask; i++) {
		size_t j;
		if (!b->key[i])
			continue;
		for (j = b->key[i] & (cap - 1); key[j]; j = (j + 1) & (cap - 1))
			;
		key[j] = b->key[i];
		rid[j] = b->rid[i];
	}
	free(b->key);
	free(b->rid);
	b->key = key;
	b->rid = rid;
	b->mask = cap - 1;
	return true;
}

bool sc_pq_bulk_add(struct pq_bulk *b, uint64_t h, int64_t rid)
{
	size_t j;

	if ((b->n + 1) * 4 > (b->mask + 1) * 3 && !grow(b))
		return false;
	for (j = h & b->mask; b->key[j]; j = (j + 1) & b->mask)
		;
	b->key[j] = h;
	b->rid[j] = rid;
	b->n++;
	return true;
}

size_t sc_pq_bulk_find(const struct pq_bulk *b, uint64_t h, int64_t *rids, size_t cap)
{
	size_t k = 0;

	for (size_t j = h & b->mask; b->key[j]; j = (j + 1) & b->mask)
		if (b->key[j] == h && k < cap)
			rids[k++] = b->rid[j];
	return k;
}

int64_t sc_pq_bulk_next(struct pq_bulk *b)
{
	return b->next++;
}

size_t sc_pq_bulk_room(const struct pq_bulk *b)
{
	return b->n < SC_LIMIT_INGEST_BULK_RECORDS ? SC_LIMIT_INGEST_BULK_RECORDS - b->n : 0;
}

void sc_pq_bulk_free(struct pq *p)
{
	if (!p->bulk)
		return;
	free(p->bulk->key);
	free(p->bulk->rid);
	free(p->bulk);
	p->bulk = NULL;
}

enum sc_status sc_pq_bulk_begin(struct pq *p, bool *bulk, struct sc_diag *d)
{
	struct pq_bulk *b;
	int64_t any, first;
	enum sc_status st;

	*bulk = false;
	if ((st = sc_pq_int(p, "SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1) r", 0, NULL,
			    &any, d)))
		return st;
	if (any)
		return SC_OK;
	if (!(b = calloc(1, sizeof(*b))) || !grow(b)) {
		free(b);
		return SC_ENOMEM;
	}
	/* Only the tables' owner may drop and build indexes (socred_app's
	 * members may not), and readers of records hold it for as long as
	 * their statements run: the indexes are dropped under a savepoint,
	 * waiting 2 s at most for the lock; if they cannot be, the ingest goes
	 * on as into a filled ledger. */
	if ((st = sc_pq_exec(p,
			     "SELECT set_config('socred.lock_timeout', current_setting('lock_timeout'),"
			     " true), set_config('lock_timeout', '2s', true); SAVEPOINT socred_load",
			     d)))
		goto fail;
	if (sc_pq_exec(p,
		       "ALTER TABLE records DROP CONSTRAINT records_record_id;"
		       " DROP INDEX records_subject; DROP INDEX records_cseq",
		       NULL)) {
		if ((st = sc_pq_exec(p, "ROLLBACK TO SAVEPOINT socred_load", d)))
			goto fail;
		free(b->key);
		free(b->rid);
		free(b);
		return sc_pq_exec(p,
				  "RELEASE SAVEPOINT socred_load; SELECT set_config('lock_timeout',"
				  " current_setting('socred.lock_timeout'), true)",
				  d);
	}
	/* the rids the load gives are the sequence's next ones, in line
	 * order, as bigserial would give them */
	if ((st = sc_pq_exec(p,
			     "RELEASE SAVEPOINT socred_load; SELECT set_config('lock_timeout',"
			     " current_setting('socred.lock_timeout'), true)",
			     d)) ||
	    (st = sc_pq_int(p, "SELECT nextval('records_rid_seq')", 0, NULL, &first, d)))
		goto fail;
	b->first = b->next = first;
	p->bulk = b;
	*bulk = true;
	return SC_OK;
fail:
	free(b->key);
	free(b->rid);
	free(b);
	return st;
}

enum sc_status sc_pq_bulk_end(struct pq *p, struct sc_diag *d)
{
	char v[SC_PQ_INT];
	const char *args[1];
	enum sc_status st;

	if (!p->bulk)
		return SC_OK;
	/* the sequence goes on after the last rid given (or gives the first
	 * one again when the load filed no record) */
	args[0] = sc_pq_i64(v, p->bulk->next - 1);
	st = p->bulk->next > p->bulk->first
		     ? sc_pq_query(p, "SELECT setval('records_rid_seq', $1::bigint)", 1, args, NULL, d)
		     : sc_pq_query(p, "SELECT setval('records_rid_seq', $1::bigint + 1, false)", 1,
				   args, NULL, d);
	if (!st)
		st = sc_pq_exec(p,
				"ALTER TABLE records ADD CONSTRAINT records_record_id UNIQUE (record_id);"
				" CREATE INDEX records_subject ON records(subject);"
				" CREATE INDEX records_cseq ON records(cseq)",
				d);
	sc_pq_bulk_free(p);
	return st;
}
