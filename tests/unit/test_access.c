/* Roles, key tokens, bindings and the audit hash chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "socred/access.h"
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
	sc_audit_hash(&e, "", a);
	sc_audit_hash(&e, "", b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	e.result = "allow";
	sc_audit_hash(&e, "", c);
	assert_string_not_equal(a, c); /* any field changes the hash */
	e.result = "deny c1";
	sc_audit_hash(&e, a, c);
	assert_string_not_equal(a, c); /* and so does the previous hash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles), cmocka_unit_test(tokens), cmocka_unit_test(bindings),
		cmocka_unit_test(audit_records), cmocka_unit_test(chain)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
