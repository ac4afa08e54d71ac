/* socred shards move N --to LEDGER: a logical shard's subjects' whole
 * files copied to another ledger, verified, then the map rewritten.
 *
 * A subject's file is what its report reads: its records, their events
 * (with their own dates and refs), its consents, disputes, statements,
 * repair applications (with their states, decisions and deciders), share
 * links, registered name, and the access log entries about it. The old
 * ledger's writer lock is held from the scan to the map's rewrite (a
 * second handle's write transaction, rolled back at the end): no write
 * lands on the old ledger in between, and a writer over the map that
 * waited for it finds the map rewritten (sc_shard_set_settled). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/process.h"
#include "socred/record.h"
#include "socred/shard.h"

#define MOVE_BATCH 1000 /* subjects per transaction on the new ledger */

/* ---- growable arrays of one subject's items ---- */

#define LIST(name, type)                                                          \
	struct name {                                                             \
		type *v;                                                          \
		size_t n, cap;                                                    \
	};                                                                        \
	static enum sc_status name##_push(void *ctx, const type *x)               \
	{                                                                         \
		struct name *l = ctx;                                             \
		if (l->n == l->cap) {                                             \
			size_t cap = l->cap ? 2 * l->cap : 4;                     \
			type *v = realloc(l->v, cap * sizeof(*v));                \
			if (!v)                                                   \
				return SC_ENOMEM;                                 \
			l->v = v;                                                 \
			l->cap = cap;                                             \
		}                                                                 \
		l->v[l->n++] = *x;                                                \
		return SC_OK;                                                     \
	}

LIST(disputes, struct sc_dispute)
LIST(statements, struct sc_statement)
LIST(repairs, struct sc_repair)
LIST(events, struct sc_event_row)
LIST(shares, struct sc_share_row)

/* A subject's due process on one ledger. */
struct proc {
	struct disputes disputes;
	struct statements statements;
	struct repairs repairs;
	struct events events;
	struct shares shares;
	char name[SC_LIMIT_PROCESS_TEXT + 1];
	sc_day name_date;
	bool named;
};

static void proc_release(struct proc *p)
{
	free(p->disputes.v);
	free(p->statements.v);
	free(p->repairs.v);
	free(p->events.v);
	free(p->shares.v);
	memset(p, 0, sizeof(*p));
}

static enum sc_status dispute_cb(void *c, const struct sc_dispute *x) { return disputes_push(c, x); }
static enum sc_status statement_cb(void *c, const struct sc_statement *x) { return statements_push(c, x); }
static enum sc_status repair_cb(void *c, const struct sc_repair *x) { return repairs_push(c, x); }
static enum sc_status event_cb(void *c, const struct sc_event_row *x) { return events_push(c, x); }
static enum sc_status share_cb(void *c, const struct sc_share_row *x) { return shares_push(c, x); }

static enum sc_status proc_read(struct sc_store *st, const char *id, struct proc *p,
				struct sc_diag *d)
{
	enum sc_status s;

	memset(p, 0, sizeof(*p));
	if ((s = sc_store_dispute_list(st, id, NULL, false, dispute_cb, &p->disputes, d)) ||
	    (s = sc_store_statement_list(st, id, statement_cb, &p->statements, d)) ||
	    (s = sc_store_repair_list(st, id, NULL, false, repair_cb, &p->repairs, d)) ||
	    (s = sc_store_event_list(st, id, event_cb, &p->events, d)) ||
	    (s = sc_store_share_list(st, id, share_cb, &p->shares, d)))
		return s;
	s = sc_store_name_dated(st, id, p->name, sizeof(p->name), &p->name_date, d);
	p->named = s == SC_OK;
	return s == SC_ENOTFOUND ? SC_OK : s;
}

/* ---- ids: the new ledger gives imported items ids of its own ---- */

/* The position of id among the subject's items (ids in ascending order),
 * or -1. */
static long dispute_at(const struct disputes *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return (long)i;
	return -1;
}

static long repair_at(const struct repairs *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return (long)i;
	return -1;
}

/* The ref of an event a decision made names its item by id ("dispute 3
 * corrected", front_process.c): *item 'd' or 'r' and *id, or false. */
static bool ref_item(const char *ref, char *item, long long *id)
{
	char tail[16];

	if (sscanf(ref, "dispute %lld %15s", id, tail) == 2 && !strcmp(tail, "corrected")) {
		*item = 'd';
		return true;
	}
	if (sscanf(ref, "credit repair %lld %15s", id, tail) == 2 && !strcmp(tail, "approved")) {
		*item = 'r';
		return true;
	}
	return false;
}

/* ref with the item it names by id in `from` named by its id in `to`
 * (items at the same positions), into out. */
static void ref_map(const char *ref, const struct proc *from, const struct proc *to,
		    char out[SC_LIMIT_REF + 1])
{
	char item;
	long long id;
	long at;

	snprintf(out, SC_LIMIT_REF + 1, "%s", ref);
	if (!ref_item(ref, &item, &id))
		return;
	if (item == 'd' && (at = dispute_at(&from->disputes, id)) >= 0 &&
	    (size_t)at < to->disputes.n)
		snprintf(out, SC_LIMIT_REF + 1, "dispute %lld corrected",
			 (long long)to->disputes.v[at].id);
	else if (item == 'r' && (at = repair_at(&from->repairs, id)) >= 0 &&
		 (size_t)at < to->repairs.n)
		snprintf(out, SC_LIMIT_REF + 1, "credit repair %lld approved",
			 (long long)to->repairs.v[at].id);
}

/* ---- comparing a subject's due process on two ledgers ---- */

static bool same_dispute(const struct sc_dispute *a, const struct sc_dispute *b)
{
	return !strcmp(a->record_id, b->record_id) && !strcmp(a->subject, b->subject) &&
	       !strcmp(a->source, b->source) && !strcmp(a->reason, b->reason) &&
	       a->opened == b->opened && a->deadline == b->deadline && a->decided == b->decided &&
	       !strcmp(a->outcome, b->outcome) && !strcmp(a->decided_by, b->decided_by) &&
	       !strcmp(a->note, b->note) && !strcmp(a->opened_at, b->opened_at) &&
	       !strcmp(a->decided_at, b->decided_at);
}

static bool same_statement(const struct sc_statement *a, const struct sc_statement *b)
{
	return !strcmp(a->record_id, b->record_id) && !strcmp(a->text, b->text) &&
	       a->date == b->date;
}

static bool same_repair(const struct sc_repair *a, const struct sc_repair *b)
{
	return !strcmp(a->record_id, b->record_id) && !strcmp(a->subject, b->subject) &&
	       !strcmp(a->source, b->source) && !strcmp(a->commitment, b->commitment) &&
	       a->applied == b->applied && a->decided == b->decided &&
	       !strcmp(a->outcome, b->outcome) && !strcmp(a->reason, b->reason) &&
	       !strcmp(a->decided_by, b->decided_by);
}

/* true when b (the new ledger) holds a's due process, ids aside. */
static bool same_proc(const struct proc *a, const struct proc *b)
{
	if (a->disputes.n != b->disputes.n || a->statements.n != b->statements.n ||
	    a->repairs.n != b->repairs.n || a->events.n != b->events.n ||
	    a->shares.n != b->shares.n || a->named != b->named)
		return false;
	for (size_t i = 0; i < a->disputes.n; i++)
		if (!same_dispute(&a->disputes.v[i], &b->disputes.v[i]))
			return false;
	for (size_t i = 0; i < a->statements.n; i++)
		if (!same_statement(&a->statements.v[i], &b->statements.v[i]))
			return false;
	for (size_t i = 0; i < a->repairs.n; i++)
		if (!same_repair(&a->repairs.v[i], &b->repairs.v[i]))
			return false;
	for (size_t i = 0; i < a->events.n; i++) {
		const struct sc_event_row *x = &a->events.v[i], *y = &b->events.v[i];
		char ref[SC_LIMIT_REF + 1];
		ref_map(x->ref, a, b, ref);
		if (strcmp(x->record_id, y->record_id) || x->op != y->op || x->date != y->date ||
		    strcmp(ref, y->ref))
			return false;
	}
	for (size_t i = 0; i < a->shares.n; i++)
		if (memcmp(a->shares.v[i].hash, b->shares.v[i].hash, SC_KEY_HASH_BYTES) ||
		    a->shares.v[i].created != b->shares.v[i].created ||
		    a->shares.v[i].expires != b->shares.v[i].expires)
			return false;
	return !a->named || (!strcmp(a->name, b->name) && a->name_date == b->name_date);
}

/* ---- records, events and consents ---- */

static struct sc_text text(const char *s)
{
	return (struct sc_text){s ? s : "", s ? strlen(s) : 0};
}

static bool same_text(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* true when two loads of one subject hold the same file. */
static bool same_file(const struct sc_loaded *a, const struct sc_loaded *b)
{
	const struct sc_subject *x = &a->view, *y = &b->view;

	if (x->kind != y->kind || x->nrecs != y->nrecs || x->nconsents != y->nconsents)
		return false;
	for (size_t i = 0; i < x->nrecs; i++) {
		const struct sc_eval_record *r = &x->recs[i], *s = &y->recs[i];
		if (r->date != s->date || r->amount != s->amount || r->type != s->type ||
		    r->rectified != s->rectified || r->revoked != s->revoked ||
		    r->suspended_from != s->suspended_from ||
		    r->suspended_until != s->suspended_until ||
		    !same_text(a->record_ids[i], b->record_ids[i]) ||
		    !same_text(a->sources[i], b->sources[i]) || !same_text(a->refs[i], b->refs[i]))
			return false;
	}
	for (size_t i = 0; i < x->nconsents; i++)
		if (x->consents[i].date != y->consents[i].date ||
		    x->consents[i].scorecard != y->consents[i].scorecard ||
		    x->consents[i].granted != y->consents[i].granted)
			return false;
	return true;
}

/* Files the subject's records in ledger order and its consents; a record
 * or consent filed already is a duplicate (a move run again). */
static enum sc_status copy_records(struct sc_store *st, const struct sc_rulebook *rb,
				   const struct sc_loaded *l, struct sc_diag *d)
{
	const struct sc_subject *v = &l->view;
	enum sc_status s;

	for (size_t i = 0; i < v->nrecs; i++) {
		const struct sc_eval_record *r = &v->recs[i];
		struct sc_store_add a = {.record_id = text(l->record_ids[i]), .subject = text(l->id),
					 .type = text(l->types[i]), .source = text(l->sources[i]),
					 .ref = text(l->refs[i]), .kind = v->kind, .date = r->date,
					 .amount = r->amount};
		if ((s = sc_store_record_add(st, &a, d)) && s != SC_EDUPLICATE)
			return s;
	}
	for (size_t i = 0; i < v->nconsents; i++) {
		const struct sc_eval_consent *c = &v->consents[i];
		s = sc_store_consent(st, text(l->id), v->kind,
				     text(sc_rulebook_scorecard_name(rb, c->scorecard)), c->granted,
				     c->date, d);
		if (s && s != SC_EDUPLICATE)
			return s;
	}
	return SC_OK;
}

struct tally {
	size_t subjects, records, disputes, statements, repairs, shares, names, inquiries;
	int64_t first_seq, last_seq; /* the copied access entries' seqs on the new ledger */
};

/* Files the due process `from` holds (read) that `to` lacks (have, read
 * from `to`): items at a position `to` has already are kept (a move run
 * again), then events with the refs of decisions naming `to`'s ids. */
static enum sc_status copy_proc(struct sc_store *to, const char *id, enum sc_kind kind,
				const struct proc *from, struct proc *have, struct tally *t,
				struct sc_diag *d)
{
	enum sc_status s;
	int64_t nid;

	for (size_t i = have->disputes.n; i < from->disputes.n; i++) {
		struct sc_dispute x = from->disputes.v[i];
		if ((s = sc_store_dispute_import(to, &x, &nid, d)))
			return s;
		x.id = nid;
		if ((s = disputes_push(&have->disputes, &x)))
			return s;
		t->disputes++;
	}
	for (size_t i = have->statements.n; i < from->statements.n; i++) {
		struct sc_statement x = from->statements.v[i];
		if ((s = sc_store_statement_import(to, id, &x, &nid, d)))
			return s;
		x.id = nid;
		if ((s = statements_push(&have->statements, &x)))
			return s;
		t->statements++;
	}
	for (size_t i = have->repairs.n; i < from->repairs.n; i++) {
		struct sc_repair x = from->repairs.v[i];
		if ((s = sc_store_repair_import(to, &x, &nid, d)))
			return s;
		x.id = nid;
		if ((s = repairs_push(&have->repairs, &x)))
			return s;
		t->repairs++;
	}
	for (size_t i = 0; i < from->events.n; i++) {
		struct sc_event_row e = from->events.v[i];
		ref_map(from->events.v[i].ref, from, have, e.ref);
		if ((s = sc_store_event_import(to, id, &e, d)) && s != SC_EDUPLICATE)
			return s;
	}
	for (size_t i = 0; i < from->shares.n; i++) {
		const struct sc_share_row *x = &from->shares.v[i];
		char who[SC_LIMIT_SUBJECT_ID + 1];
		sc_day exp;
		if ((s = sc_store_share_get(to, x->hash, who, &exp, d)) == SC_OK)
			continue;
		if (s != SC_ENOTFOUND ||
		    (s = sc_store_share_add(to, id, x->hash, x->created, x->expires, d)))
			return s;
		t->shares++;
	}
	if (from->named) {
		s = sc_store_name_set(to, text(id), kind, text(from->name), from->name_date, d);
		if (s && s != SC_EDUPLICATE)
			return s;
		t->names += s == SC_OK;
	}
	return SC_OK;
}

/* ---- the access log: the entries about each subject ---- */

struct entry {
	struct sc_audit_entry e;
	char *at, *action, *subject, *result;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void entries_release(struct entries *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].at);
		free(l->v[i].action);
		free(l->v[i].subject);
		free(l->v[i].result);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static enum sc_status entry_cb(void *ctx, const struct sc_audit_entry *e)
{
	struct entries *l = ctx;
	struct entry *x;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return SC_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n];
	*x = (struct entry){.e = *e, .at = strdup(e->at), .action = strdup(e->action),
			    .subject = strdup(e->subject), .result = strdup(e->result)};
	l->n++;
	if (!x->at || !x->action || !x->subject || !x->result)
		return SC_ENOMEM;
	x->e.at = x->at;
	x->e.action = x->action;
	x->e.subject = x->subject;
	x->e.result = x->result;
	x->e.node = 0;
	return SC_OK;
}

static bool same_entry(const struct sc_audit_entry *a, const struct sc_audit_entry *b)
{
	return !strcmp(a->at, b->at) && a->key_id == b->key_id && a->role == b->role &&
	       !strcmp(a->action, b->action) && !strcmp(a->result, b->result);
}

/* Appends to `to`'s chain the entries about id that `from` holds and `to`
 * lacks (its first ones match from's: a move run again), with their time
 * stamps, keys, roles, actions and results; their seq is `to`'s. */
static enum sc_status copy_entries(struct sc_store *from, struct sc_store *to, const char *id,
				   struct tally *t, struct sc_diag *d)
{
	struct entries a = {0}, b = {0};
	struct sc_audit_entry *e = NULL;
	size_t k = 0, n = 0;
	enum sc_status s;

	if ((s = sc_store_audit_subject(from, id, entry_cb, &a, d)) ||
	    (s = sc_store_audit_subject(to, id, entry_cb, &b, d)))
		goto out;
	for (size_t i = 0; i < a.n; i++) {
		if (k < b.n && same_entry(&a.v[i].e, &b.v[k].e)) {
			k++;
			continue;
		}
		if (!e && !(e = calloc(a.n, sizeof(*e)))) {
			s = SC_ENOMEM;
			goto out;
		}
		e[n++] = a.v[i].e;
	}
	if (n && !(s = sc_store_audit_append(to, e, n, d))) {
		if (!t->first_seq)
			t->first_seq = e[0].seq;
		t->last_seq = e[n - 1].seq;
		t->inquiries += n;
	}
out:
	free(e);
	entries_release(&a);
	entries_release(&b);
	return s;
}

/* ---- the move ---- */

/* The ids of logical shard n's subjects in ledger order (scan). */
struct collect {
	const struct sc_shard_map *m;
	uint32_t n;
	char **ids;
	size_t count, cap;
};

static enum sc_status collect(void *ctx, int64_t sid, const char *id, const struct sc_subject *s)
{
	struct collect *c = ctx;

	(void)sid;
	(void)s;
	if (sc_shard_of(c->m, id, strlen(id)) != c->n)
		return SC_OK;
	if (c->count == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char **grown = realloc(c->ids, cap * sizeof(*grown));
		if (!grown)
			return SC_ENOMEM;
		c->ids = grown;
		c->cap = cap;
	}
	if (!(c->ids[c->count] = strdup(id)))
		return SC_ENOMEM;
	c->count++;
	return SC_OK;
}

/* An item's id on the old ledger and on the new, to point its
 * registry-wide id (the map's directory) at the copy. */
struct renumber {
	enum sc_shard_item kind;
	int64_t from, to;
};

struct move {
	struct cli old, neu;
	struct sc_store *from, *dest, *lock;
	struct sc_rulebook *rb;
	struct collect c;
	struct tally t;
	struct renumber *ids;
	size_t nids, capids;
};

static enum sc_status renumbered(struct move *mv, enum sc_shard_item kind, int64_t from,
				 int64_t to)
{
	if (mv->nids == mv->capids) {
		size_t cap = mv->capids ? 2 * mv->capids : 64;
		struct renumber *v = realloc(mv->ids, cap * sizeof(*v));
		if (!v)
			return SC_ENOMEM;
		mv->ids = v;
		mv->capids = cap;
	}
	mv->ids[mv->nids++] = (struct renumber){kind, from, to};
	return SC_OK;
}

/* Each of the subject's items on the old ledger with its copy's id (the
 * copies are at the same places in have). */
static enum sc_status renumber_all(struct move *mv, const struct proc *from,
				   const struct proc *have)
{
	enum sc_status s = SC_OK;

	for (size_t i = 0; !s && i < from->disputes.n && i < have->disputes.n; i++)
		s = renumbered(mv, SC_SHARD_DISPUTE, from->disputes.v[i].id, have->disputes.v[i].id);
	for (size_t i = 0; !s && i < from->repairs.n && i < have->repairs.n; i++)
		s = renumbered(mv, SC_SHARD_REPAIR, from->repairs.v[i].id, have->repairs.v[i].id);
	for (size_t i = 0; !s && i < from->statements.n && i < have->statements.n; i++)
		s = renumbered(mv, SC_SHARD_STATEMENT, from->statements.v[i].id,
			       have->statements.v[i].id);
	return s;
}

/* One subject's whole file from mv->from onto mv->dest; d names the
 * failure. */
static enum sc_status copy_subject(struct move *mv, const char *id, struct sc_diag *d)
{
	struct sc_loaded l;
	struct proc from, have;
	enum sc_status s;

	if ((s = sc_store_subject_open(mv->from, mv->rb, id, &l, d)))
		return s;
	s = copy_records(mv->dest, mv->rb, &l, d);
	mv->t.records += l.view.nrecs;
	if (!s && !(s = proc_read(mv->from, id, &from, d))) {
		if (!(s = proc_read(mv->dest, id, &have, d)) &&
		    !(s = copy_proc(mv->dest, id, l.view.kind, &from, &have, &mv->t, d)))
			s = renumber_all(mv, &from, &have);
		proc_release(&have);
		proc_release(&from);
	}
	sc_loaded_release(&l);
	return s;
}

/* true when the subject's file reads the same on both (d: why not). */
static enum sc_status verify_subject(struct move *mv, const char *id, struct sc_diag *d)
{
	struct sc_loaded a, b;
	struct proc x, y;
	enum sc_status s;
	bool same;

	if ((s = sc_store_subject_open(mv->from, mv->rb, id, &a, d)))
		return s;
	if ((s = sc_store_subject_open(mv->dest, mv->rb, id, &b, d))) {
		sc_loaded_release(&a);
		return s;
	}
	same = same_file(&a, &b);
	sc_loaded_release(&a);
	sc_loaded_release(&b);
	if (!same)
		return sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "records",
				   "subject '%.64s': its records, events or consents differ", id);
	if ((s = proc_read(mv->from, id, &x, d)))
		return s;
	if (!(s = proc_read(mv->dest, id, &y, d)) && !same_proc(&x, &y))
		s = sc_diag_set(d, SC_ECONFLICT, NULL, 0, 0, "process",
				"subject '%.64s': its disputes, statements, repair applications,"
				" events, share links or name differ", id);
	proc_release(&x);
	proc_release(&y);
	return s;
}

static int fatal(const struct sc_diag *d)
{
	cli_diag(d);
	return EXIT_FATAL;
}

/* Copies and verifies every subject (the old ledger locked): EXIT_OK, or
 * printed failure. */
static int copy_all(struct move *mv)
{
	struct sc_diag d;
	size_t i;

	sc_diag_clear(&d);
	for (i = 0; i < mv->c.count; i++) {
		if (i % MOVE_BATCH == 0 &&
		    ((i > 0 && sc_store_commit(mv->dest, &d)) || sc_store_begin(mv->dest, &d)))
			return fatal(&d);
		if (copy_subject(mv, mv->c.ids[i], &d)) {
			sc_store_rollback(mv->dest);
			cli_diag(&d);
			return cli_fail("shards move: subject '%s' could not be copied; the map is"
					" unchanged", mv->c.ids[i]);
		}
		mv->t.subjects++;
	}
	if (mv->c.count && sc_store_commit(mv->dest, &d))
		return fatal(&d);
	/* the access log: entries about each subject, appended to the new
	 * ledger's chain */
	for (i = 0; i < mv->c.count; i++)
		if (copy_entries(mv->from, mv->dest, mv->c.ids[i], &mv->t, &d))
			return fatal(&d);
	for (i = 0; i < mv->c.count; i++)
		if (verify_subject(mv, mv->c.ids[i], &d)) {
			cli_diag(&d);
			return cli_fail("shards move: subject '%s' reads differently on %s; the map"
					" is unchanged", mv->c.ids[i], cli_where(&mv->neu));
		}
	return EXIT_OK;
}

/* Points the registry-wide ids of the moved items (the map's directory)
 * from ledger `from` to their copies on `to` (as the map names both), in
 * one transaction of the directory. EXIT_OK, or printed failure. */
static int repoint(struct move *mv, const struct sc_shard_map *m, const char *from,
		   const char *to)
{
	struct sc_shard_dir *dir = NULL;
	struct sc_diag d;
	enum sc_status s;

	if (!mv->nids)
		return EXIT_OK;
	sc_diag_clear(&d);
	if ((s = sc_shard_dir_open(m->directory, 0, &dir, &d)) || (s = sc_shard_dir_begin(dir, &d)))
		goto out;
	for (size_t i = 0; !s && i < mv->nids; i++)
		s = sc_shard_dir_item_move(dir, mv->ids[i].kind, from, mv->ids[i].from, to,
					   mv->ids[i].to, &d);
	if (s)
		sc_shard_dir_rollback(dir);
	else
		s = sc_shard_dir_commit(dir, &d);
out:
	sc_shard_dir_close(dir);
	if (!s)
		return EXIT_OK;
	cli_diag(&d);
	return cli_fail("shards move: the map names %s, but the ids of its disputes, repair"
			" applications and statements still name %s", cli_where(&mv->neu),
			cli_where(&mv->old));
}

int cli_shards_move(struct cli *cli, struct sc_shard_map *m, const char *nstr, const char *to)
{
	struct move mv = {.old = *cli, .neu = *cli, .c = {.m = m}};
	struct sc_diag d;
	char *end;
	unsigned long n = strtoul(nstr, &end, 10);
	bool locked = false;
	const char *old_key;
	int rc;

	if (*end || !*nstr || n >= m->count)
		return cli_fail("shards move: '%s' is not a logical shard (0 to %u)", nstr, m->count - 1);
	mv.c.n = (uint32_t)n;
	mv.old.db = old_key = m->ledgers[m->owner[n]];
	mv.neu.db = to;
	if (!strcmp(m->names[m->owner[n]], to) || !strcmp(mv.old.db, to)) {
		printf("logical shard %lu is on %s already\n", n, cli_where(&mv.neu));
		return EXIT_OK;
	}
	if ((rc = cli_open(&mv.old, SC_DAY_NONE, &mv.from, &mv.rb)) ||
	    (rc = cli_store_open(&mv.neu, 0, &mv.dest)) ||
	    (rc = cli_store_open(&mv.old, 0, &mv.lock)))
		goto out;
	sc_diag_clear(&d);
	/* the old ledger's writer lock, from the scan to the map's rewrite */
	if (sc_store_begin(mv.lock, &d)) {
		cli_diag(&d);
		rc = cli_fail("shards move: cannot take the write lock of %s; the map is unchanged",
			      cli_where(&mv.old));
		goto out;
	}
	locked = true;
	if (sc_store_scan(mv.from, mv.rb, collect, NULL, &mv.c, &d)) {
		rc = fatal(&d);
		goto out;
	}
	if ((rc = copy_all(&mv)))
		goto out;
	sc_diag_clear(&d);
	if (sc_shard_map_assign(m, (uint32_t)n, to, &d) ||
	    sc_shard_map_save(m, cli->db + strlen("shards:"), &d)) {
		rc = fatal(&d);
		goto out;
	}
	/* the registry-wide ids of the subjects' items: at their copies */
	if ((rc = repoint(&mv, m, old_key, m->ledgers[m->owner[n]])))
		goto out;
	sc_store_rollback(mv.lock); /* it wrote nothing */
	locked = false;
	if ((rc = cli_audit(mv.from, "shards move", NULL,
			    "shard %lu to %.60s: %zu subjects, the map rewritten", n,
			    cli_where(&mv.neu), mv.t.subjects)) ||
	    (rc = cli_audit(mv.dest, "shards move", NULL,
			    "shard %lu from %.50s: %zu subjects, %zu access entries copied (seq %lld"
			    " to %lld)", n, cli_where(&mv.old), mv.t.subjects, mv.t.inquiries,
			    (long long)mv.t.first_seq, (long long)mv.t.last_seq)))
		goto out;
	printf("moved logical shard %lu: %zu subjects, %zu records, %zu disputes, %zu statements,"
	       " %zu repair applications, %zu share links, %zu names, %zu access entries, copied"
	       " and verified; the map names %s\n", n, mv.t.subjects, mv.t.records, mv.t.disputes,
	       mv.t.statements, mv.t.repairs, mv.t.shares, mv.t.names, mv.t.inquiries,
	       cli_where(&mv.neu));
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < mv.c.count; i++)
		free(mv.c.ids[i]);
	free(mv.c.ids);
	free(mv.ids);
	if (locked)
		sc_store_rollback(mv.lock);
	sc_store_close(mv.lock);
	sc_store_close(mv.from);
	sc_store_close(mv.dest);
	sc_rulebook_free(mv.rb);
	return rc;
}
