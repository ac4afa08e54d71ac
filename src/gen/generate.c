/* The synthetic city: valid resident identity numbers with real region
 * codes, unified social credit codes (a few legal pilot codes that fail the
 * checksum), a record mix by source at plausible yearly rates, consent for
 * about three quarters of people, some rectifications and revocations. */
#include "socred/generate.h"

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "socred/id.h"

/* Real county-level region codes (GB/T 2260). */
static const char *const regions[] = {
	"110101", "110105", "110108", "120101", "130102", "140105", "210102",
	"220102", "230103", "310101", "310104", "310115", "320102", "320505",
	"330102", "330106", "340104", "350203", "360426", "370102", "370202",
	"371082", "410105", "420106", "430104", "440104", "440305", "440306",
	"450103", "460106", "500103", "510104", "520102", "530102", "610113",
	"620102", "630102", "640104", "650102", "371002"};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

struct kind_rate {
	const char *type;
	const char *source;
	double per_year;      /* expected records per subject-year */
	double rectify;       /* share rectified later */
	int rect_min, rect_max; /* days after the record */
	int amount_max;       /* > 0: an amount in [1, amount_max] */
};

static const struct kind_rate person_mix[] = {
	{"traffic.violation", "traffic", 0.80, 0, 0, 0, 0},
	{"traffic.drunk_driving", "traffic", 0.004, 0, 0, 0, 0},
	{"bank.arrears", "bank", 0.15, 0.5, 10, 200, 0},
	{"contract.default", "bank", 0.04, 0.3, 30, 400, 0},
	{"lending.private_breach", "bank", 0.01, 0.2, 30, 400, 0},
	{"lending.illegal_fundraising", "bank", 0.001, 0, 0, 0, 0},
	{"commerce.fraud", "market", 0.002, 0, 0, 0, 0},
	{"commerce.counterfeit", "market", 0.002, 0, 0, 0, 0},
	{"utility.arrears", "utility", 0.10, 0.6, 5, 120, 0},
	{"utility.arrears_judgment", "court", 0.004, 0.4, 60, 500, 0},
	{"utility.tampering", "utility", 0.002, 0, 0, 0, 0},
	{"utility.theft", "utility", 0.001, 0, 0, 0, 0},
	{"utility.vandalism", "utility", 0.0005, 0, 0, 0, 0},
	{"court.judgment_default", "court", 0.012, 0.4, 30, 600, 0},
	{"contract.breach_judgment", "court", 0.006, 0.3, 60, 700, 0},
	{"tax.arrears", "tax", 0.01, 0.5, 20, 300, 0},
	{"civic.volunteering", "civil", 0.60, 0, 0, 0, 40},
	{"civic.blood_donation", "civil", 0.12, 0, 0, 0, 0},
	{"civic.heroic_act", "civil", 0.002, 0, 0, 0, 0},
	{"civic.honour", "civil", 0.01, 0, 0, 0, 0},
};

static const struct kind_rate org_mix[] = {
	{"tax.late_filing", "tax", 0.30, 0, 0, 0, 0},
	{"tax.arrears", "tax", 0.08, 0.6, 20, 300, 0},
	{"tax.evasion", "tax", 0.005, 0.2, 200, 900, 0},
	{"tax.rating_a", "tax", 0.15, 0, 0, 0, 0},
	{"org.annual_report_missing", "market", 0.06, 0.5, 30, 400, 0},
	{"admin.penalty_general", "market", 0.20, 0.3, 90, 300, 0},
	{"admin.penalty_serious", "market", 0.02, 0.2, 365, 900, 0},
	{"commerce.fraud", "market", 0.01, 0, 0, 0, 0},
	{"commerce.counterfeit", "market", 0.01, 0, 0, 0, 0},
	{"court.judgment_default", "court", 0.03, 0.4, 30, 600, 0},
	{"contract.breach_judgment", "court", 0.03, 0.3, 60, 700, 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SUBJECTS 100000000ull
#define MAX_PER_SUBJECT 512

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
	return (double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? splitmix(s) % n : 0;
}

static unsigned poisson(uint64_t *s, double lambda)
{
	double l = exp(-lambda), p = 1.0;
	unsigned k = 0;

	do {
		k++;
		p *= uniform(s);
	} while (p > l && k < 64);
	return k - 1;
}

/* A unique resident identity number for person i. */
static void person_id(uint64_t i, uint64_t seed, char out[19])
{
	const uint64_t days = 24000; /* births from 1940-01-01 */
	uint64_t k = i / NREGIONS;
	sc_day birth = sc_date_from_ymd(1940, 1, 1) +
		       (sc_day)((k % days * 7919 + seed) % days);
	int y, m, d;

	sc_date_to_ymd(birth, &y, &m, &d);
	snprintf(out, 19, "%s%04d%02d%02d%03u", regions[i % NREGIONS], y, m, d,
		 (unsigned)(k / days % 1000));
	out[17] = sc_id_ric_check(out);
	out[18] = '\0';
}

/* A unique unified social credit code for organisation i. */
static void org_id(uint64_t i, uint64_t *rng, char out[19])
{
	static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	char code[9];
	int sum = 0, c;

	snprintf(code, sizeof(code), "%08llu", (unsigned long long)(i % 100000000ull));
	for (int k = 0; k < 8; k++)
		sum += (code[k] - '0') * w[k];
	c = 11 - sum % 11;
	snprintf(out, 19, "91%s%s%c", regions[i % NREGIONS], code,
		 c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c));
	out[17] = sc_id_uscc_check(out);
	out[18] = '\0';
	if (below(rng, 500) == 0) /* an early pilot code: fails the checksum */
		out[17] = out[17] == 'A' ? 'B' : 'A'; /* a letter: never RIC-shaped */
}

struct pending {
	sc_day date;
	int op; /* 0 add, 1 rectify, 2 revoke */
	uint64_t rec;
	const struct kind_rate *k;
	int amount;
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->op != y->op)
		return x->op == 0 ? -1 : y->op == 0 ? 1 : 0;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static void put_date(FILE *out, sc_day day)
{
	char b[SC_DATE_LEN + 1];

	sc_date_format(day, b);
	fputs(b, out);
}

static void subject_lines(FILE *out, const char *id, bool person,
			  const struct sc_gen_opts *o, uint64_t *rng,
			  uint64_t *recno, struct sc_gen_stats *st)
{
	const struct kind_rate *mix = person ? person_mix : org_mix;
	size_t nmix = person ? COUNT(person_mix) : COUNT(org_mix);
	struct pending p[MAX_PER_SUBJECT];
	size_t n = 0, nadd;
	sc_day from = o->from, birth;
	double years;

	/* nothing a person did before being born */
	if (person && sc_id_ric_birth(id, strlen(id), &birth) && birth > from)
		from = birth;
	if (from > o->to)
		return;
	years = (double)(o->to - from + 1) / 365.25;
	for (size_t k = 0; k < nmix; k++) {
		unsigned cnt = poisson(rng, mix[k].per_year * years);
		for (unsigned j = 0; j < cnt && n < MAX_PER_SUBJECT / 2; j++) {
			p[n++] = (struct pending){
				.date = from + (sc_day)below(rng, (uint64_t)(o->to - from + 1)),
				.op = 0, .rec = (*recno)++, .k = &mix[k],
				.amount = mix[k].amount_max ? 1 + (int)below(rng, (uint64_t)mix[k].amount_max) : 0};
		}
	}
	nadd = n;
	for (size_t j = 0; j < nadd; j++) {
		const struct kind_rate *k = p[j].k;
		if (k->rectify > 0 && uniform(rng) < k->rectify) {
			sc_day when = p[j].date + k->rect_min +
				      (sc_day)below(rng, (uint64_t)(k->rect_max - k->rect_min + 1));
			if (when <= o->to)
				p[n++] = (struct pending){.date = when, .op = 1, .rec = p[j].rec, .k = k};
		} else if (!k->amount_max && strncmp(k->type, "civic.", 6) &&
			   strcmp(k->type, "tax.rating_a") && below(rng, 100) == 0) {
			sc_day when = p[j].date + 1 + (sc_day)below(rng, 60);
			if (when <= o->to)
				p[n++] = (struct pending){.date = when, .op = 2, .rec = p[j].rec, .k = k};
		}
	}
	qsort(p, n, sizeof(p[0]), cmp_pending);
	for (size_t j = 0; j < n; j++) {
		const struct kind_rate *k = p[j].k;
		if (p[j].op == 0) {
			fprintf(out, ",%s-%09llu,%s,%s,", k->source,
				(unsigned long long)p[j].rec, id, k->type);
			put_date(out, p[j].date);
			if (k->amount_max)
				fprintf(out, ",%d", p[j].amount);
			else
				fputc(',', out);
			if (!strcmp(k->source, "court"))
				fprintf(out, ",%s,(%d)Z%04lluZhi%llu\n", k->source,
					1970 + p[j].date / 365, (unsigned long long)(p[j].rec % 9973),
					(unsigned long long)p[j].rec);
			else
				fprintf(out, ",%s,\n", k->source);
			st->adds++;
		} else {
			fprintf(out, "%s,%s-%09llu,,,", p[j].op == 1 ? "rectify" : "revoke",
				k->source, (unsigned long long)p[j].rec);
			put_date(out, p[j].date);
			fprintf(out, ",,%s,\n", k->source);
			if (p[j].op == 1)
				st->rectifies++;
			else
				st->revokes++;
		}
		st->lines++;
	}
	if (person && below(rng, 4) != 0) {
		sc_day when = from + (sc_day)below(rng, 365);
		fprintf(out, "consent,,%s,public,", id);
		put_date(out, when > o->to ? o->to : when);
		fputs(",,,\n", out);
		st->consents++;
		st->lines++;
		if (below(rng, 20) == 0) {
			sc_day w = when + 30 + (sc_day)below(rng, 700);
			if (w <= o->to) {
				fprintf(out, "withdraw,,%s,public,", id);
				put_date(out, w);
				fputs(",,,\n", out);
				st->withdrawals++;
				st->lines++;
			}
		}
	}
}

enum sc_status sc_generate(const struct sc_gen_opts *o, FILE *out,
			   struct sc_gen_stats *stats, struct sc_diag *d)
{
	struct sc_gen_stats local = {0};
	struct sc_gen_stats *st = stats ? stats : &local;
	uint64_t recno = 1;
	char id[19];

	if (o->from > o->to)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "from",
				   "--from is after --to");
	if (o->people > MAX_SUBJECTS || o->orgs > MAX_SUBJECTS)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "people",
				   "at most %llu people and %llu organisations",
				   MAX_SUBJECTS, MAX_SUBJECTS);
	memset(st, 0, sizeof(*st));
	fputs("op,record_id,subject,type,date,amount,source,ref\n", out);
	for (uint64_t i = 0; i < o->people; i++) {
		uint64_t rng = o->seed * 0x100000001B3ull ^ (i << 1);
		person_id(i, o->seed, id);
		subject_lines(out, id, true, o, &rng, &recno, st);
	}
	for (uint64_t i = 0; i < o->orgs; i++) {
		uint64_t rng = o->seed * 0x100000001B3ull ^ (i << 1 | 1);
		org_id(i, &rng, id);
		subject_lines(out, id, false, o, &rng, &recno, st);
	}
	if (fflush(out) || ferror(out))
		return sc_diag_set(d, SC_EIO, NULL, 0, 0, NULL, "cannot write the population");
	return SC_OK;
}
