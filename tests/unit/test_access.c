/* Roles, key tokens, bindings and the audit hash chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socred/access.h"
#include "socred/sha256.h"
#include "socred/rulebook.h"

static void roles(void **state)
{
	enum sc_role r;

	(void)state;
	assert_int_equal(sc_role_parse("enforcer", &r), SC_OK);
	assert_int_equal(r, SC_ROLE_ENFORCER);
	assert_int_equal(sc_role_parse("public", &r), SC_EINVAL); /* no key has it */
	assert_int_equal(sc_role_parse("root", &r), SC_EINVAL);
	assert_string_equal(sc_role_name(SC_ROLE_SUBJECT), "subject");
	assert_int_equal(sc_role_parse("monitor", &r), SC_OK);
	assert_int_equal(r, SC_ROLE_MONITOR);
	assert_string_equal(sc_role_name(SC_ROLE_MONITOR), "monitor");
	assert_string_equal(sc_role_name((enum sc_role)6), "?");
}

static void tokens(void **state)
{
	char secret[SC_KEY_SECRET_HEX], token[SC_KEY_TOKEN_MAX];
	unsigned char h1[SC_KEY_HASH_BYTES], h2[SC_KEY_HASH_BYTES];
	int64_t id;

	(void)state;
	assert_int_equal(sc_key_secret(secret, h1), SC_OK);
	sc_key_token(42, secret, token);
	assert_int_equal(strncmp(token, "sck_42_", 7), 0);
	assert_int_equal(sc_key_parse(token, strlen(token), &id, h2), SC_OK);
	assert_int_equal(id, 42);
	assert_true(sc_key_hash_equal(h1, h2));
	token[strlen(token) - 1] ^= 1; /* one character off */
	if (sc_key_parse(token, strlen(token), &id, h2) == SC_OK)
		assert_false(sc_key_hash_equal(h1, h2));
	assert_int_equal(sc_key_parse("sck_42_abc", 10, &id, h2), SC_EINVAL);
	assert_int_equal(sc_key_parse("Bearer x", 8, &id, h2), SC_EINVAL);
	assert_int_equal(sc_key_parse("sck__0000000000000000000000000000000000000000000000000000000000000000", 69, &id, h2), SC_EINVAL);
}

static void bindings(void **state)
{
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	char out[256];

	(void)state;
	sc_diag_clear(&d);
	assert_int_equal(sc_rulebook_load(SOURCE_DIR "/rulebooks/default.yaml", &rb, &d), SC_OK);
	assert_int_equal(sc_key_binding(rb, SC_ROLE_ENFORCER, NULL, "air_travel,golf", NULL, out, sizeof(out), &d), SC_OK);
	assert_string_equal(out, "air_travel,golf");
	assert_int_equal(sc_key_binding(rb, SC_ROLE_ENFORCER, NULL, "air_travel,teleport", NULL, out, sizeof(out), &d), SC_EINVAL);
	assert_string_equal(d.message, "unknown action 'teleport'");
	assert_int_equal(sc_key_binding(rb, SC_ROLE_PROVIDER, NULL, NULL, NULL, out, sizeof(out), &d), SC_EINVAL);
	assert_string_equal(d.field, "source");
	assert_int_equal(sc_key_binding(rb, SC_ROLE_ADMIN, "court", NULL, NULL, out, sizeof(out), &d), SC_EINVAL);
	assert_int_equal(sc_key_binding(rb, SC_ROLE_SUBJECT, NULL, NULL, "360426199101010072", out, sizeof(out), &d), SC_EINVAL);
	assert_string_equal(d.field, "subject");
	sc_rulebook_free(rb);

	assert_true(sc_key_bound_to("air_travel,rail_high_speed", "rail_high_speed"));
	assert_true(sc_key_bound_to("air_travel", "air_travel"));
	assert_false(sc_key_bound_to("air_travel,rail_high_speed", "rail"));
	assert_false(sc_key_bound_to("air_travel", "air_travel,golf"));
	assert_false(sc_key_bound_to("air_travel", ""));
}

static void audit_records(void **state)
{
	(void)state;
	assert_true(sc_audit_names_record("deny c10 c1", "c1"));
	assert_true(sc_audit_names_record("deny c1 c10", "c10"));
	assert_false(sc_audit_names_record("deny c10 c11", "c1"));
	assert_false(sc_audit_names_record("deny", ""));
	assert_true(sc_audit_names_record("c1", "c1"));
}

static void chain(void **state)
{
	struct sc_audit_entry e = {.seq = 1, .at = "2026-01-01T00:00:00.000Z", .key_id = 3,
				   .role = SC_ROLE_ENFORCER, .action = "air_travel",
				   .subject = "p1", .result = "deny c1"};
	char a[SC_HASH_HEX], b[SC_HASH_HEX], c[SC_HASH_HEX];

	(void)state;
	sc_audit_hash_v1(&e, "", a);
	sc_audit_hash_v1(&e, "", b);
	assert_string_equal(a, b);
	/* the old encoding, which the entries of ledgers already written
	 * keep: SHA-256 of each field and a 0x1f (Python's hashlib gave this) */
	assert_string_equal(a, "07dc526ac47cda93b31807714605de8c1c25cd2a6196bc094fb12ca3d34406d2");
	assert_int_equal(strlen(a), 64);
	e.result = "allow";
	sc_audit_hash_v1(&e, "", c);
	assert_string_not_equal(a, c); /* any field changes the hash */
	e.result = "deny c1";
	sc_audit_hash_v1(&e, a, c);
	assert_string_not_equal(a, c); /* and so does the previous hash */
	/* seq and key id as printf writes them, at every width and sign */
	{
		static const int64_t v[] = {0, 9, 10, -1, 1234567, INT64_MAX, INT64_MIN};
		for (size_t i = 0; i < 7; i++)
			for (size_t j = 0; j < 7; j++) {
				static const char sep = 0x1f;
				char seq[24], key[24], want[SC_HASH_HEX];
				unsigned char out[SC_SHA256_BYTES];
				struct sc_bytes parts[16];
				const char *f[8] = {a, seq, e.at, key, "enforcer", e.action, e.subject,
						    e.result};
				snprintf(seq, sizeof(seq), "%" PRId64, v[i]);
				snprintf(key, sizeof(key), "%" PRId64, v[j]);
				for (size_t k = 0; k < 8; k++) {
					parts[2 * k] = (struct sc_bytes){f[k], strlen(f[k])};
					parts[2 * k + 1] = (struct sc_bytes){&sep, 1};
				}
				sc_sha256_parts(parts, 16, out);
				for (size_t k = 0; k < sizeof(out); k++)
					snprintf(want + 2 * k, 3, "%02x", out[k]);
				e.seq = v[i];
				e.key_id = v[j];
				sc_audit_hash_v1(&e, a, c);
				assert_string_equal(c, want);
			}
	}
}

/* The encoding entries get now: every field with its length, so fields
 * that ran together under the old one (a 0x1f inside a field) no longer
 * hash alike; the definition pinned by Python's hashlib:
 * sha256(b"socred audit entry v2\0" + L(prev) + be64(seq) + L(at) +
 * be64(key) + bytes([role]) + L(action) + L(subject) + L(result)), L(s) =
 * be64(len(s)) + s. */
static void chain_unambiguous(void **state)
{
	struct sc_audit_entry e = {.seq = 1, .at = "2026-01-01T00:00:00.000Z", .key_id = 3,
				   .role = SC_ROLE_ENFORCER, .action = "air_travel",
				   .subject = "p1", .result = "deny c1"};
	struct sc_audit_entry x = e, y = e;
	char a[SC_HASH_HEX], b[SC_HASH_HEX];

	(void)state;
	sc_audit_hash(&e, "", a);
	assert_string_equal(a, "28575c93d8a31f7c73bf1b2fa55eb171ddd97be61db800b336f74e6dd5659c92");
	/* the old encoding let these two collide */
	x.action = "a\x1f" "b";
	x.subject = "c";
	y.action = "a";
	y.subject = "b\x1f" "c";
	sc_audit_hash_v1(&x, "", a);
	sc_audit_hash_v1(&y, "", b);
	assert_string_equal(a, b);
	sc_audit_hash(&x, "", a);
	sc_audit_hash(&y, "", b);
	assert_string_not_equal(a, b);
	/* a field moved into the next one */
	x = e;
	x.subject = "";
	x.result = "p1deny c1";
	sc_audit_hash(&e, "", a);
	sc_audit_hash(&x, "", b);
	assert_string_not_equal(a, b);
}

static void check_field(const char *in, const char *want)
{
	char out[256];

	sc_audit_field(out, sizeof(out), in, strlen(in));
	assert_string_equal(out, want);
}

/* What a request may put into an audit field: control bytes, tabs, line
 * breaks, backslashes and bytes outside UTF-8 escaped; key and share-link
 * secrets and credentials redacted; cut to fit at a whole escape. */
static void audit_fields(void **state)
{
	char out[16];
	static const char secret[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char in[160];

	(void)state;
	check_field("GET /v1/x\n42\t2026\tadmin", "GET /v1/x\\n42\\t2026\\tadmin");
	check_field("a\\nb", "a\\\\nb");
	check_field("\r\x1b[2J\x7f\x01", "\\r\\x1b[2J\\x7f\\x01");
	check_field("caf\xc3\xa9 \xe5\xbc\xa0", "caf\xc3\xa9 \xe5\xbc\xa0"); /* UTF-8 kept */
	check_field("\xff\xc3(", "\\xff\\xc3("); /* not UTF-8 */
	check_field("\xc2\x9b" "1m \xe2\x80\xae" "x", "\\xc2\\x9b1m \\xe2\\x80\\xaex"); /* C1, bidi */
	/* secrets */
	snprintf(in, sizeof(in), "GET /v1/shares/%s", secret);
	check_field(in, "GET /v1/shares/[redacted:a8ae6e6e]");
	snprintf(in, sizeof(in), "key sck_12_%s!", secret);
	check_field(in, "key sck_12_[redacted:a8ae6e6e]!");
	check_field("sck_3_short", "sck_3_[redacted:f9b0078b]");
	check_field("Authorization: Bearer abc.def", "Authorization: Bearer [redacted:ebb3127b]");
	check_field("deadbeef c1", "deadbeef c1"); /* short hex stays */
	/* cut at a whole escape */
	assert_int_equal(sc_audit_field(out, sizeof(out), "abcdefghijklmn\n", 15), 14);
	assert_string_equal(out, "abcdefghijklmn");
	assert_int_equal(sc_audit_field(out, sizeof(out), "abcdefghijklm\xe5\xbc\xa0", 16), 13);
	/* display: raw bytes of entries stored before escaped, a backslash
	 * as it is */
	sc_audit_show(out, sizeof(out), "a\nb\\n\tc");
	assert_string_equal(out, "a\\nb\\n\\tc");
}

static void sha256_vectors(void **state)
{
	/* FIPS 180-2's "abc", and a message over several blocks in parts */
	static const unsigned char abc[SC_SHA256_BYTES] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	char text[200];
	unsigned char one[SC_SHA256_BYTES], parts[SC_SHA256_BYTES];
	struct sc_bytes b[3];
	int64_t id;

	(void)state;
	sc_sha256("abc", 3, one);
	assert_memory_equal(one, abc, sizeof(abc));
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	sc_sha256(text, sizeof(text), one);
	b[0] = (struct sc_bytes){text, 1};
	b[1] = (struct sc_bytes){text + 1, 100};
	b[2] = (struct sc_bytes){text + 101, 99};
	sc_sha256_parts(b, 3, parts);
	assert_memory_equal(one, parts, sizeof(one));
	/* a key's hash is SHA-256 of its secret's 64 hex digits */
	memset(text, 0, sizeof(text));
	strcpy(text, "sck_7_");
	for (int i = 0; i < 32; i++)
		strcat(text, "ab");
	assert_int_equal(sc_key_parse(text, strlen(text), &id, one), SC_OK);
	assert_int_equal(id, 7);
	sc_sha256(text + 6, 64, parts);
	assert_memory_equal(one, parts, sizeof(one));
	assert_int_equal(one[0], 0x27);
	assert_int_equal(one[31], 0x9a);
}

struct tally {
	uint64_t total, other;
	size_t clients;
};

static void tally(void *ctx, const char *addr, uint64_t n)
{
	struct tally *t = ctx;

	t->total += n;
	if (addr)
		t->clients++;
	else
		t->other += n;
}

/* Refusals per client: a count per address; past 3/4 of the table's
 * slots, further addresses share one count; nothing lost; cleared for the
 * next minute. */
static void refusals(void **state)
{
	struct sc_refusals *t = calloc(1, sizeof(*t));
	struct tally x = {0};
	char addr[64];

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 6123; i++)
		sc_refusals_add(t, "203.0.113.7");
	sc_refusals_add(t, "2001:db8::1");
	sc_refusals_each(t, tally, &x);
	assert_int_equal(x.clients, 2);
	assert_int_equal(x.total, 6124);
	assert_int_equal(x.other, 0);
	for (size_t i = 0; i < 2 * SC_LIMIT_REFUSAL_CLIENTS; i++) {
		snprintf(addr, sizeof(addr), "10.%zu.%zu.1", i / 256, i % 256);
		sc_refusals_add(t, addr);
		sc_refusals_add(t, addr);
	}
	x = (struct tally){0};
	sc_refusals_each(t, tally, &x);
	assert_int_equal(x.clients, 3 * SC_LIMIT_REFUSAL_CLIENTS / 4);
	assert_int_equal(x.total, 6124 + 4 * SC_LIMIT_REFUSAL_CLIENTS);
	assert_int_equal(x.other, x.total - 6124 - 2 * (x.clients - 2));
	sc_refusals_clear(t);
	x = (struct tally){0};
	sc_refusals_each(t, tally, &x);
	assert_int_equal(x.total, 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles), cmocka_unit_test(tokens), cmocka_unit_test(bindings),
		cmocka_unit_test(audit_records), cmocka_unit_test(chain), cmocka_unit_test(chain_unambiguous),
		cmocka_unit_test(audit_fields), cmocka_unit_test(refusals),
		cmocka_unit_test(sha256_vectors)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
