/* The population as rulebook-free rows (struct sc_pop), built above the
 * seam from the rows a backend reads: records grouped by subject with
 * counting sorts, events and the dispute-suspension rule applied. Every
 * backend's pop_load feeds it (store_impl.h). */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

void sc_pop_free(struct sc_pop *p)
{
	if (!p)
		return;
	free(p->sid);
	free(p->kind);
	free(p->idoff);
	free(p->ids);
	free(p->roff);
	free(p->coff);
	free(p->recs);
	free(p->cons);
	for (size_t i = 0; i < p->ntypes; i++)
		free(p->types[i]);
	free(p->types);
	for (size_t i = 0; i < p->ncards; i++)
		free(p->cards[i]);
	free(p->cards);
	memset(p, 0, sizeof(*p));
}

void sc_file_event(struct sc_eval_record *r, int op, sc_day date)
{
	if (op == SC_OP_RECTIFY)
		r->rectified = date;
	else if (op == SC_OP_REVOKE)
		r->revoked = date;
}

void sc_file_dispute(struct sc_eval_record *r, sc_day deadline, sc_day decided)
{
	/* decided in time: the dispute never suspended the record */
	if (decided != SC_DAY_NONE && decided <= deadline)
		return;
	r->suspended_from = deadline;
	r->suspended_until = decided;
}

enum sc_status sc_pop_push_subject(struct sc_pop *p, size_t *capsub, size_t *capids,
				   int64_t sid, const char *id, size_t len, int kind)
{
	uint64_t i = p->nsub;
	size_t old = *capsub;
	void *a, *b, *e, *f;

	if (!sc_grow((void **)&p->sid, capsub, i + 2, sizeof(*p->sid)))
		return SC_ENOMEM;
	if (*capsub != old) { /* the per-subject arrays follow sid's capacity */
		if ((a = realloc(p->kind, *capsub * sizeof(*p->kind))))
			p->kind = a;
		if ((b = realloc(p->idoff, *capsub * sizeof(*p->idoff))))
			p->idoff = b;
		if ((e = realloc(p->roff, *capsub * sizeof(*p->roff))))
			p->roff = e;
		if ((f = realloc(p->coff, *capsub * sizeof(*p->coff))))
			p->coff = f;
		if (!a || !b || !e || !f)
			return SC_ENOMEM;
	}
	if (i == 0)
		p->idoff[0] = 0;
	if (!sc_grow((void **)&p->ids, capids, p->idoff[i] + len + 1, 1))
		return SC_ENOMEM;
	memcpy(p->ids + p->idoff[i], id, len);
	p->ids[p->idoff[i] + len] = '\0';
	p->idoff[i + 1] = p->idoff[i] + len + 1;
	p->sid[i] = sid;
	p->kind[i] = (uint8_t)kind;
	p->roff[i] = p->nrec;
	p->coff[i] = p->ncons;
	p->roff[i + 1] = p->nrec;
	p->coff[i + 1] = p->ncons;
	p->nsub++;
	return SC_OK;
}

int32_t sc_pop_card(struct sc_pop *p, const char *name, size_t len)
{
	char **n;

	for (size_t i = 0; i < p->ncards; i++)
		if (!strncmp(p->cards[i], name, len) && !p->cards[i][len])
			return (int32_t)i;
	if (p->ncards >= INT16_MAX || !(n = realloc(p->cards, (p->ncards + 1) * sizeof(*n))))
		return -1;
	p->cards = n;
	if (!(n[p->ncards] = strndup(name, len)))
		return -1;
	return (int32_t)p->ncards++;
}

enum sc_status sc_pop_types_init(struct sc_pop *p, int64_t max_id)
{
	if (max_id < 0 || !(p->types = calloc((size_t)max_id + 1, sizeof(*p->types))))
		return SC_ENOMEM;
	p->ntypes = (size_t)max_id + 1;
	return SC_OK;
}

enum sc_status sc_pop_finish(struct sc_pop *p)
{
	if (p->roff)
		return SC_OK;
	p->idoff = calloc(1, sizeof(*p->idoff));
	p->roff = calloc(1, sizeof(*p->roff));
	p->coff = calloc(1, sizeof(*p->coff));
	return p->idoff && p->roff && p->coff ? SC_OK : SC_ENOMEM;
}

/* ---- the builder ---- */

void sc_pop_build_init(struct sc_pop_build *b, struct sc_pop *out)
{
	memset(b, 0, sizeof(*b));
	memset(out, 0, sizeof(*out));
	b->p = out;
	b->max_rid = -1;
}

enum sc_status sc_pop_build_reserve(struct sc_pop_build *b, size_t nrec, size_t ncons)
{
	size_t c = b->cap, cc = b->capc;

	if (nrec > b->cap && (!sc_grow((void **)&b->recs, &b->cap, nrec, sizeof(*b->recs)) ||
			      !sc_grow((void **)&b->rsubj, &c, b->cap, sizeof(*b->rsubj))))
		return SC_ENOMEM;
	if (ncons > b->capc && (!sc_grow((void **)&b->cons, &b->capc, ncons, sizeof(*b->cons)) ||
				!sc_grow((void **)&b->csubj, &cc, b->capc, sizeof(*b->csubj))))
		return SC_ENOMEM;
	return SC_OK;
}

enum sc_status sc_pop_build_type(struct sc_pop_build *b, int64_t id, const char *name,
				 size_t len)
{
	struct sc_pop *p = b->p;

	if (id < 0)
		return SC_OK;
	if ((size_t)id >= p->ntypes) {
		size_t n = (size_t)id + 1;
		char **t = realloc(p->types, n * sizeof(*t));
		if (!t)
			return SC_ENOMEM;
		memset(t + p->ntypes, 0, (n - p->ntypes) * sizeof(*t));
		p->types = t;
		p->ntypes = n;
	}
	free(p->types[id]);
	return (p->types[id] = strndup(name, len)) ? SC_OK : SC_ENOMEM;
}

static enum sc_status key_of(struct sc_pop_build *b, int64_t sid, uint32_t *key)
{
	if (sid < 0 || sid >= (int64_t)UINT32_MAX)
		return SC_ELIMIT;
	*key = (uint32_t)sid;
	if ((uint64_t)sid > b->maxkey)
		b->maxkey = (uint64_t)sid;
	return SC_OK;
}

enum sc_status sc_pop_build_record(struct sc_pop_build *b, int64_t sid,
				   const struct sc_eval_record *r)
{
	size_t c = b->cap;

	if (b->n >= (size_t)UINT32_MAX - 1)
		return SC_ELIMIT;
	if (!sc_grow((void **)&b->recs, &b->cap, b->n + 1, sizeof(*b->recs)))
		return SC_ENOMEM;
	if (b->cap != c && !sc_grow((void **)&b->rsubj, &c, b->cap, sizeof(*b->rsubj)))
		return SC_ENOMEM;
	if (r->rid < 0)
		return SC_ELIMIT;
	if (b->n && r->rid <= b->last_rid)
		b->unsorted = true;
	b->last_rid = r->rid;
	if (r->rid > b->max_rid)
		b->max_rid = r->rid;
	b->recs[b->n] = *r;
	b->recs[b->n].rectified = b->recs[b->n].revoked = SC_DAY_NONE;
	b->recs[b->n].suspended_from = b->recs[b->n].suspended_until = SC_DAY_NONE;
	return key_of(b, sid, &b->rsubj[b->n++]);
}

static int cmp_rid(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, e = ((const struct sc_eval_record *)elem)->rid;
	return k < e ? -1 : k > e;
}

struct keyed {
	struct sc_eval_record r;
	uint32_t subj;
};

static int cmp_keyed(const void *a, const void *b)
{
	int64_t x = ((const struct keyed *)a)->r.rid, y = ((const struct keyed *)b)->r.rid;
	return x < y ? -1 : x > y;
}

/* Records in rid order, each with its subject, and the map from rid to
 * record when rids are dense (ledger rows numbered from 1, few gaps): a
 * backend that read them in storage order gets them sorted once, by the
 * map in one pass when there is one. */
static enum sc_status prepare(struct sc_pop_build *b)
{
	bool dense = b->max_rid >= 0 && (uint64_t)b->max_rid < 4 * (uint64_t)b->n + 4096;

	if (b->ready)
		return SC_OK;
	if (dense) {
		size_t m = (size_t)b->max_rid + 1;
		if (!(b->byrid = malloc(m * sizeof(*b->byrid))))
			return SC_ENOMEM;
		memset(b->byrid, 0xff, m * sizeof(*b->byrid));
		for (size_t i = 0; i < b->n; i++)
			b->byrid[b->recs[i].rid] = (uint32_t)i;
	}
	if (b->unsorted && dense) {
		struct sc_eval_record *r = malloc((b->n ? b->n : 1) * sizeof(*r));
		uint32_t *s = malloc((b->n ? b->n : 1) * sizeof(*s));
		size_t k = 0;
		if (!r || !s) {
			free(r);
			free(s);
			return SC_ENOMEM;
		}
		for (size_t rid = 0; rid <= (size_t)b->max_rid; rid++) {
			uint32_t i = b->byrid[rid];
			if (i == UINT32_MAX)
				continue;
			r[k] = b->recs[i];
			s[k] = b->rsubj[i];
			b->byrid[rid] = (uint32_t)k++;
		}
		free(b->recs);
		free(b->rsubj);
		b->recs = r;
		b->rsubj = s;
		b->cap = b->n;
	} else if (b->unsorted) {
		struct keyed *k = malloc(b->n * sizeof(*k));
		if (!k)
			return SC_ENOMEM;
		for (size_t i = 0; i < b->n; i++)
			k[i] = (struct keyed){b->recs[i], b->rsubj[i]};
		qsort(k, b->n, sizeof(*k), cmp_keyed);
		for (size_t i = 0; i < b->n; i++) {
			b->recs[i] = k[i].r;
			b->rsubj[i] = k[i].subj;
		}
		free(k);
	}
	b->unsorted = false;
	b->ready = true;
	return SC_OK;
}

static struct sc_eval_record *rec_find(struct sc_pop_build *b, int64_t rid)
{
	if (!b->ready && prepare(b))
		return NULL;
	if (b->byrid) {
		if (rid < 0 || rid > b->max_rid || b->byrid[rid] == UINT32_MAX)
			return NULL;
		return &b->recs[b->byrid[rid]];
	}
	return bsearch(&rid, b->recs, b->n, sizeof(*b->recs), cmp_rid);
}

void sc_pop_build_event(struct sc_pop_build *b, int64_t rid, int op, sc_day date)
{
	struct sc_eval_record *r = rec_find(b, rid);

	if (r)
		sc_file_event(r, op, date);
}

void sc_pop_build_dispute(struct sc_pop_build *b, int64_t rid, sc_day deadline, sc_day decided)
{
	struct sc_eval_record *r = rec_find(b, rid);

	if (r)
		sc_file_dispute(r, deadline, decided);
}

enum sc_status sc_pop_build_consent(struct sc_pop_build *b, int64_t sid, const char *card,
				    size_t len, bool granted, sc_day date)
{
	size_t c = b->capc;
	int32_t k = sc_pop_card(b->p, card, len);

	if (k < 0)
		return SC_ENOMEM;
	if (!sc_grow((void **)&b->cons, &b->capc, b->nc + 1, sizeof(*b->cons)))
		return SC_ENOMEM;
	if (b->capc != c && !sc_grow((void **)&b->csubj, &c, b->capc, sizeof(*b->csubj)))
		return SC_ENOMEM;
	b->cons[b->nc] = (struct sc_pop_consent){.date = date, .card = k, .granted = granted};
	return key_of(b, sid, &b->csubj[b->nc++]);
}

/* Stable counting sort of n items by key (<= nkeys): order and offsets. */
static bool group(const uint32_t *key, size_t n, uint64_t nkeys, uint32_t **order,
		  uint64_t **off)
{
	uint64_t *o = calloc(nkeys + 2, sizeof(uint64_t));
	uint32_t *ord = malloc((n ? n : 1) * sizeof(uint32_t));

	if (!o || !ord) {
		free(o);
		free(ord);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		o[key[i] + 1]++;
	for (uint64_t k = 0; k <= nkeys; k++)
		o[k + 1] += o[k];
	for (size_t i = 0; i < n; i++)
		ord[o[key[i]]++] = (uint32_t)i;
	for (uint64_t k = nkeys + 1; k > 0; k--)
		o[k] = o[k - 1];
	o[0] = 0;
	*order = ord;
	*off = o;
	return true;
}

/* Groups the rows by subject, into the final arrays allocated once at
 * their size. */
static enum sc_status group_all(struct sc_pop_build *b)
{
	struct sc_pop *p = b->p;

	if (prepare(b))
		return SC_ENOMEM;
	if (!group(b->rsubj, b->n, b->maxkey, &b->order, &b->off) ||
	    !group(b->csubj, b->nc, b->maxkey, &b->corder, &b->coff))
		return SC_ENOMEM;
	free(b->rsubj);
	free(b->csubj);
	b->rsubj = b->csubj = NULL;
	p->recs = malloc((b->n ? b->n : 1) * sizeof(*p->recs));
	p->cons = malloc((b->nc ? b->nc : 1) * sizeof(*p->cons));
	if (!p->recs || !p->cons)
		return SC_ENOMEM;
	b->grouped = true;
	return SC_OK;
}

enum sc_status sc_pop_build_subject(struct sc_pop_build *b, int64_t sid, const char *id,
				    size_t len, int kind)
{
	struct sc_pop *p = b->p;
	enum sc_status st;

	if (!b->grouped && (st = group_all(b)))
		return st;
	if ((st = sc_pop_push_subject(p, &b->capsub, &b->capids, sid, id, len, kind)))
		return st;
	if (sid >= 0 && (uint64_t)sid <= b->maxkey) {
		for (uint64_t i = b->off[sid]; i < b->off[sid + 1]; i++)
			p->recs[p->nrec++] = b->recs[b->order[i]];
		for (uint64_t i = b->coff[sid]; i < b->coff[sid + 1]; i++)
			p->cons[p->ncons++] = b->cons[b->corder[i]];
	}
	p->roff[p->nsub] = p->nrec;
	p->coff[p->nsub] = p->ncons;
	return SC_OK;
}

static void scratch_free(struct sc_pop_build *b)
{
	free(b->recs);
	free(b->rsubj);
	free(b->cons);
	free(b->csubj);
	free(b->order);
	free(b->corder);
	free(b->off);
	free(b->coff);
	free(b->byrid);
	b->byrid = NULL;
	b->recs = NULL;
	b->cons = NULL;
	b->rsubj = b->csubj = b->order = b->corder = NULL;
	b->off = b->coff = NULL;
}

enum sc_status sc_pop_build_end(struct sc_pop_build *b)
{
	scratch_free(b);
	return sc_pop_finish(b->p);
}

void sc_pop_build_release(struct sc_pop_build *b)
{
	scratch_free(b);
	sc_pop_free(b->p);
}
