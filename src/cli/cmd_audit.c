/* socred audit verify [--head FILE] [--key HEX] [--node N] | audit head
 * [--json] [--node N] | audit prove SEQ [--node N] | audit prove --check
 * FILE [--key HEX] | audit list [--subject ID]: the audit trail and its
 * signed tree; on PostgreSQL, a chain per node. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/audit_json.h"
#include "socred/audit_key.h"

/* One line per entry, its fields apart by tabs: every field shown through
 * sc_audit_show, so no entry (also one stored before fields were escaped)
 * prints a tab, a line break or a terminal control of its own. */
static enum sc_status print_entry(void *ctx, const struct sc_audit_entry *e)
{
	char at[4 * 32], action[4 * 256], subject[4 * 128], result[4 * 256];

	(void)ctx;
	sc_audit_show(at, sizeof(at), e->at);
	sc_audit_show(action, sizeof(action), e->action);
	sc_audit_show(subject, sizeof(subject), e->subject);
	sc_audit_show(result, sizeof(result), e->result);
	/* an entry of a server node's chain (PostgreSQL) shows as NODE:SEQ */
	if (e->node)
		printf("%d:", (int)e->node);
	printf("%" PRId64 "\t%s\t%" PRId64 "\t%s\t%s\t%s\t%s\n", e->seq, at, e->key_id,
	       sc_role_name(e->role), action, subject[0] ? subject : "-", result);
	return SC_OK;
}

static int key_path(struct cli *cli, char *out, size_t cap)
{
	if (!sc_audit_key_path(cli->db, out, cap))
		return cli_fail("the audit key's path is too long");
	return EXIT_OK;
}

/* ---- audit head ---- */

static int head(struct cli *cli, struct sc_store *st, bool json)
{
	struct sc_audit_head *h = malloc(sizeof(*h));
	char path[4096], *text = NULL;
	struct sc_diag d;
	bool created;
	int rc;

	sc_diag_clear(&d);
	if (!h)
		return cli_fail("out of memory");
	if ((rc = key_path(cli, path, sizeof(path))))
		goto out;
	if (sc_audit_head_make(st, path, true, h, &created, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if (created)
		fprintf(stderr, "socred: created the audit signing key %s (0600): keep it secret and"
				" keep a copy, heads are checked against it\n", path);
	if (json) {
		json_t *o = sc_audit_head_json(h);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if ((text = malloc(SC_HEAD_TEXT_MAX))) {
		sc_audit_head_format(h, text);
		fputs(text, stdout);
	}
	rc = EXIT_OK;
out:
	free(text);
	free(h);
	return rc;
}

/* ---- audit verify --head ---- */

/* The heads of a file: the text form (one or several), or JSON (a head, or
 * an array of heads, as GET /v1/audit/head serves them). */
static enum sc_status read_heads(const char *file, struct sc_audit_head **heads, size_t *n,
				 struct sc_diag *d)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	enum sc_status st = SC_OK;

	*heads = NULL;
	*n = 0;
	if (!f)
		return sc_diag_set(d, SC_EIO, file, 0, 0, NULL, "cannot open the heads file");
	do {
		if (len + 4096 > cap) {
			char *b = realloc(buf, cap = 2 * cap + 8192);
			if (!b) {
				st = sc_diag_set(d, SC_ENOMEM, file, 0, 0, NULL, "out of memory");
				goto out;
			}
			buf = b;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0 && len < (64u << 20));
	buf[len] = '\0';
	{
		size_t i = 0;
		while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r'))
			i++;
		if (i < len && (buf[i] == '{' || buf[i] == '[')) {
			json_error_t je;
			json_t *o = json_loadb(buf, len, 0, &je), *one;
			size_t k;
			if (!o) {
				st = sc_diag_set(d, SC_ESYNTAX, file, (unsigned long)je.line, (unsigned long)je.column,
						 NULL, "%s", je.text);
				goto out;
			}
			if (!json_is_array(o)) {
				json_t *a = json_array();
				json_array_append_new(a, o);
				o = a;
			}
			if (!(*heads = calloc(json_array_size(o) + 1, sizeof(**heads)))) {
				json_decref(o);
				st = sc_diag_set(d, SC_ENOMEM, file, 0, 0, NULL, "out of memory");
				goto out;
			}
			json_array_foreach(o, k, one) {
				if ((st = sc_audit_head_from_json(one, file, (unsigned)k + 1, &(*heads)[k], d)))
					break;
				(*n)++;
			}
			json_decref(o);
			if (!st && !*n)
				st = sc_diag_set(d, SC_ESYNTAX, file, 0, 0, NULL, "no audit head in the file");
			if (st) {
				free(*heads);
				*heads = NULL;
				*n = 0;
			}
			goto out;
		}
	}
	st = sc_audit_head_parse(buf, len, file, heads, n, d);
out:
	free(buf);
	fclose(f);
	return st;
}

struct against {
	struct sc_audit_head *h; /* by size */
	size_t n, next;
	struct sc_merkle_frontier f;
	signed char *ok;      /* per head: 1 matches, -1 differs, 0 not reached */
	uint64_t *lo, *hi;    /* a differing head: its first differing subtree */
};

static void compare(struct against *a, size_t i)
{
	const struct sc_audit_head *h = &a->h[i];
	unsigned char root[SC_MERKLE_BYTES];

	sc_merkle_frontier_root(&a->f, root);
	a->ok[i] = memcmp(root, h->root, SC_MERKLE_BYTES) ? -1 : 1;
	if (a->ok[i] > 0)
		return;
	a->lo[i] = 0;
	a->hi[i] = h->size;
	for (unsigned k = 0; k < SC_MERKLE_LEVELS; k++) {
		uint64_t lo, hi;
		unsigned lv;
		if ((unsigned)__builtin_popcountll(h->size) <= k)
			break;
		sc_merkle_frontier_range(h->size, k, &lo, &hi, &lv);
		if (memcmp(a->f.node[lv], h->tree.node[lv], SC_MERKLE_BYTES)) {
			a->lo[i] = lo;
			a->hi[i] = hi;
			break;
		}
	}
}

static enum sc_status against_leaf(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
				   const char *hash_hex)
{
	struct against *a = ctx;
	unsigned char leaf[SC_MERKLE_BYTES];

	(void)e;
	(void)prev_hex;
	if (sc_merkle_audit_leaf(hash_hex, leaf))
		return SC_ECORRUPT;
	sc_merkle_frontier_add(&a->f, leaf, NULL, NULL);
	while (a->next < a->n && a->h[a->next].size == a->f.size)
		compare(a, a->next++);
	return SC_OK;
}

static int by_size(const void *x, const void *y)
{
	const struct sc_audit_head *a = x, *b = y;

	return (a->size > b->size) - (a->size < b->size);
}

static int verify_heads(struct cli *cli, struct sc_store *st, const char *file, const char *key_hex)
{
	struct against a = {0};
	struct sc_merkle_frontier *stored = malloc(sizeof(*stored));
	unsigned char want[SC_HEAD_KEY_BYTES], sk[SC_HEAD_SECRET_BYTES];
	char path[4096], khex[65], hhex[65];
	struct sc_diag d;
	uint64_t first = 1, last = UINT64_MAX;
	int64_t bad = 0;
	bool cut = false, rewritten = false;
	enum sc_status s;
	int rc = EXIT_FATAL;

	sc_diag_clear(&d);
	if (!stored)
		return cli_fail("out of memory");
	if (key_hex) {
		if (!sc_unhex(key_hex, want, sizeof(want))) {
			rc = cli_fail("--key: the public key must be 64 hex digits");
			goto out;
		}
	} else {
		if ((rc = key_path(cli, path, sizeof(path))))
			goto out;
		if (sc_audit_key_load(path, false, sk, NULL, &d)) {
			cli_diag(&d);
			rc = EXIT_FATAL;
			goto out;
		}
		memcpy(want, sk + SC_HEAD_SEED_BYTES, sizeof(want));
	}
	if (read_heads(file, &a.h, &a.n, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	rc = EXIT_SOME;
	/* every head signed, by this ledger's key */
	for (size_t i = 0; i < a.n; i++) {
		if (!sc_audit_head_valid(&a.h[i])) {
			printf("audit head %s:%u (%" PRIu64 " entries): the signature does not verify:"
			       " the head was altered or forged\n", file, a.h[i].line, a.h[i].size);
			goto out;
		}
		if (memcmp(a.h[i].key, want, sizeof(want))) {
			sc_hex(a.h[i].key, 8, hhex);
			sc_hex(want, 8, khex);
			printf("audit head %s:%u: signed by key %s..., not this ledger's key %s...\n", file,
			       a.h[i].line, hhex, khex);
			goto out;
		}
	}
	qsort(a.h, a.n, sizeof(*a.h), by_size);
	a.ok = calloc(a.n, 1);
	a.lo = calloc(a.n, sizeof(*a.lo));
	a.hi = calloc(a.n, sizeof(*a.hi));
	if (!a.ok || !a.lo || !a.hi) {
		rc = cli_fail("out of memory");
		goto out;
	}
	sc_merkle_frontier_init(&a.f);
	while (a.next < a.n && a.h[a.next].size == 0)
		compare(&a, a.next++);
	/* one pass: the chain checked, the tree rebuilt, each head compared at its size */
	s = sc_store_audit_walk(st, 1, -1, against_leaf, &a, &bad, &d);
	if (s == SC_ECORRUPT && bad) {
		printf("audit log broken at entry %" PRId64 ": it or an entry after it in its block"
		       " was altered, inserted or removed\n", bad);
		goto out;
	}
	if (s) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	for (size_t i = 0; i < a.n; i++) {
		if (a.ok[i] > 0 && a.h[i].size + 1 > first)
			first = a.h[i].size + 1;
		if (a.ok[i] < 0) {
			rewritten = true;
			if (a.lo[i] + 1 > first)
				first = a.lo[i] + 1;
			if (a.hi[i] < last)
				last = a.hi[i];
		}
		if (!a.ok[i] && !cut) {
			cut = true;
			printf("audit log cut: the head at %s:%u holds %" PRIu64 " entries, the log %" PRIu64
			       ": entry %" PRIu64 " is the first missing\n", file, a.h[i].line, a.h[i].size,
			       a.f.size, a.f.size + 1);
		}
	}
	if (rewritten) {
		if (first == last)
			printf("audit log rewritten: entry %" PRIu64 " is the first that differs from the"
			       " saved heads\n", first);
		else
			printf("audit log rewritten: the first entry that differs from the saved heads is"
			       " one of entries %" PRIu64 " to %" PRIu64 "\n", first, last);
	}
	if (cut || rewritten)
		goto out;
	if (sc_store_audit_tree(st, stored, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	if (stored->size != a.f.size) {
		printf("audit tree holds %" PRIu64 " entries but the log %" PRIu64 ": entries were"
		       " removed or added outside socred\n", stored->size, a.f.size);
		goto out;
	}
	printf("audit log intact: %" PRIu64 " entries, a consistent extension of %zu saved head%s"
	       " (the last of %" PRIu64 " entries, signed %s)\n", a.f.size, a.n, a.n == 1 ? "" : "s",
	       a.h[a.n - 1].size, a.h[a.n - 1].time);
	rc = EXIT_OK;
out:
	free(a.h);
	free(a.ok);
	free(a.lo);
	free(a.hi);
	free(stored);
	return rc;
}

/* ---- audit prove ---- */

struct proved {
	json_t *o;
	struct sc_audit_proof *p;
	struct sc_audit_head *h;
};

static enum sc_status keep_entry(void *ctx, const struct sc_audit_entry *e, const char *prev_hex,
				 const char *hash_hex)
{
	struct proved *x = ctx;

	x->o = json_pack("{s:I,s:s,s:s,s:{s:s,s:I,s:s,s:s,s:s,s:s}}", "seq", (json_int_t)e->seq,
			 "prev", prev_hex, "hash", hash_hex, "entry", "at", e->at, "key",
			 (json_int_t)e->key_id, "role", sc_role_name(e->role), "action", e->action,
			 "subject", e->subject, "result", e->result);
	return x->o ? SC_OK : SC_ENOMEM;
}

static int prove(struct cli *cli, struct sc_store *st, const char *seq_text)
{
	struct sc_merkle_frontier *tree = malloc(sizeof(struct sc_merkle_frontier));
	struct sc_audit_proof *p = calloc(1, sizeof(*p));
	struct sc_audit_head *h = malloc(sizeof(*h));
	struct proved x = {0};
	unsigned char sk[SC_HEAD_SECRET_BYTES];
	char path[4096], *end, now[SC_HEAD_TIME_MAX];
	struct sc_diag d;
	long long seq = strtoll(seq_text, &end, 10);
	bool created;
	int rc = EXIT_FATAL;

	sc_diag_clear(&d);
	if (!tree || !p || !h) {
		rc = cli_fail("out of memory");
		goto out;
	}
	if (*end || seq < 1) {
		rc = cli_fail("audit prove: the entry must be a seq (1 or more), not '%s'", seq_text);
		goto out;
	}
	if ((rc = key_path(cli, path, sizeof(path))))
		goto out;
	p->tree = tree;
	if (sc_audit_key_load(path, true, sk, &created, &d) ||
	    sc_store_audit_prove(st, seq, p, keep_entry, &x, &d)) {
		cli_diag(&d);
		rc = EXIT_FATAL;
		goto out;
	}
	sc_audit_head_time(now);
	sc_audit_head_sign(h, tree, now, sk);
	{
		struct sc_audit_entry e;
		json_t *en = json_object_get(x.o, "entry"), *o;
		e.seq = seq;
		e.at = json_string_value(json_object_get(en, "at"));
		e.key_id = json_integer_value(json_object_get(en, "key"));
		e.role = SC_ROLE_PUBLIC;
		sc_role_parse(json_string_value(json_object_get(en, "role")), &e.role);
		e.action = json_string_value(json_object_get(en, "action"));
		e.subject = json_string_value(json_object_get(en, "subject"));
		e.result = json_string_value(json_object_get(en, "result"));
		o = sc_audit_proof_json(&e, json_string_value(json_object_get(x.o, "prev")),
					json_string_value(json_object_get(x.o, "hash")), p, h);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	rc = EXIT_OK;
out:
	json_decref(x.o);
	free(tree);
	free(p);
	free(h);
	return rc;
}

static int check_proof(const char *file, const char *key_hex)
{
	unsigned char key[SC_HEAD_KEY_BYTES];
	json_error_t je;
	json_t *o;
	struct sc_diag d;
	enum sc_status s;

	sc_diag_clear(&d);
	if (key_hex && !sc_unhex(key_hex, key, sizeof(key)))
		return cli_fail("--key: the public key must be 64 hex digits");
	if (!(o = json_load_file(file, 0, &je)))
		return cli_fail("%s:%d:%d: %s", file, je.line, je.column, je.text);
	s = sc_audit_proof_check(o, key_hex ? key : NULL, file, &d);
	if (s == SC_OK) {
		json_t *h = json_object_get(o, "head");
		printf("proof valid: entry %" JSON_INTEGER_FORMAT " is in the audit tree of %"
		       JSON_INTEGER_FORMAT " entries signed %s by key %s\n",
		       json_integer_value(json_object_get(o, "seq")),
		       json_integer_value(json_object_get(h, "size")),
		       json_string_value(json_object_get(h, "time")),
		       json_string_value(json_object_get(h, "key")));
	} else if (s == SC_EREFUSED) {
		printf("proof invalid: %s (%s)\n", d.message, d.field);
	} else {
		cli_diag(&d);
	}
	json_decref(o);
	return s == SC_OK ? EXIT_OK : s == SC_EREFUSED ? EXIT_SOME : EXIT_FATAL;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[2], *subject = NULL, *head_file = NULL, *check = NULL, *key = NULL;
	const char *node = NULL;
	bool json = false;
	const struct opt opts[] = {{"--subject", &subject, NULL}, {"--head", &head_file, NULL},
				   {"--check", &check, NULL}, {"--key", &key, NULL},
				   {"--node", &node, NULL}, {"--json", NULL, &json}, {0}};
	struct sc_audit_verdict v;
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	enum sc_status s;
	char *end;
	long long chain = 0;
	int n, rc = cli_parse(cli, &cmd_audit, argc, argv, opts, pos, 2, &n);

	if (rc >= 0)
		return rc;
	if (n < 1 || (strcmp(pos[0], "verify") && strcmp(pos[0], "list") && strcmp(pos[0], "head") &&
		      strcmp(pos[0], "prove")) ||
	    (n != 1 && (strcmp(pos[0], "prove") || check)) ||
	    (!strcmp(pos[0], "prove") && !check && n != 2))
		return cli_fail("usage: socred %s", cmd_audit.usage);
	if (!strcmp(pos[0], "prove") && check)
		return check_proof(check, key); /* offline: no ledger */
	if (node && ((chain = strtoll(node, &end, 10)) < 0 || *end || end == node ||
		     chain > INT32_MAX))
		return cli_fail("--node: an audit chain is named by its node (a whole number from 0),"
				" not '%s'", node);
	if ((rc = cli_open(cli, sc_date_today(), &st, &rb)))
		return rc;
	sc_diag_clear(&d);
	/* the chain head, prove and verify --head read: node 0's, the command
	 * line's, unless named */
	if (node && sc_store_audit_chain(st, (int32_t)chain, &d)) {
		cli_diag(&d);
		sc_store_close(st);
		sc_rulebook_free(rb);
		return EXIT_FATAL;
	}
	if (!strcmp(pos[0], "head")) {
		rc = head(cli, st, json);
	} else if (!strcmp(pos[0], "prove")) {
		rc = prove(cli, st, pos[1]);
	} else if (!strcmp(pos[0], "verify") && head_file) {
		rc = verify_heads(cli, st, head_file, key);
	} else if (!strcmp(pos[0], "verify")) {
		struct sc_merkle_frontier *tree = malloc(sizeof(*tree));
		s = sc_store_audit_verify_chains(st, &v, &d);
		/* one chain (SQLite's): its tree checked here; several
		 * (PostgreSQL's): each against its tree by the store */
		if (s == SC_OK && tree && v.chains == 1 && !(s = sc_store_audit_tree(st, tree, &d)) &&
		    tree->size != v.count) {
			printf("audit tree holds %" PRIu64 " entries but the log %" PRIu64 ": entries were"
			       " removed or added outside socred\n", tree->size, v.count);
			rc = EXIT_SOME;
		} else if (s == SC_OK && tree && v.chains > 1) {
			printf("audit log intact: %" PRIu64 " entries in %u chains\n", v.count, v.chains);
			rc = EXIT_OK;
		} else if (s == SC_OK && tree) {
			printf("audit log intact: %" PRIu64 " entries\n", v.count);
			rc = EXIT_OK;
		} else if (s == SC_ECORRUPT && v.bad && v.node) {
			printf("audit log broken at entry %" PRId64 " of node %d: it or the entry before it was altered, inserted or removed\n", v.bad, (int)v.node);
			rc = EXIT_SOME;
		} else if (s == SC_ECORRUPT && v.bad) {
			printf("audit log broken at entry %" PRId64 ": it or the entry before it was altered, inserted or removed\n", v.bad);
			rc = EXIT_SOME;
		} else if (s == SC_ECORRUPT && v.chains > 0) {
			printf("%s\n", d.message); /* a chain's tree does not match it */
			rc = EXIT_SOME;
		} else {
			if (!tree)
				fprintf(stderr, "socred: out of memory\n");
			else
				cli_diag(&d);
			rc = EXIT_FATAL;
		}
		free(tree);
	} else {
		printf("seq\tat\tkey\trole\taction\tsubject\tresult\n");
		if (subject)
			s = sc_store_audit_subject(st, subject, print_entry, NULL, &d);
		else
			s = sc_store_audit_subject(st, "", print_entry, NULL, &d);
		rc = s ? EXIT_FATAL : EXIT_OK;
		if (s)
			cli_diag(&d);
	}
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_audit = {
	"audit", run,
	"audit verify [--head FILE [--key HEX] [--node N]] | audit head [--json] [--node N] |"
	" audit prove SEQ [--node N] | audit prove --check FILE [--key HEX] | audit list [--subject ID]",
	"Recompute the audit log's hash chain and name the first broken entry (exit 1); with\n"
	"      --head, also prove the log extends every head saved in FILE (text or JSON) and\n"
	"      name the first entry cut or rewritten. `head` prints the signed tree head,\n"
	"      `prove` an entry's inclusion proof, `prove --check` checks one offline. `list`\n"
	"      shows who looked at a subject's data, when, for what, and what they were told.\n"
	"      On PostgreSQL each server node keeps its own chain: verify checks them all;\n"
	"      --node N names the chain head, prove and verify --head read (default 0, the\n"
	"      command line's)."};
