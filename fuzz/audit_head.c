/* Fuzzes the audit heads' text parser and a proof's offline check (the
 * input as JSON). Beyond not crashing: every head parsed formats to a text
 * that parses to the same head, and a check that passes passes again. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "socred/audit_head.h"
#include "socred/audit_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[SC_HEAD_TEXT_MAX];
	struct sc_audit_head *heads = NULL, *again = NULL;
	struct sc_diag d;
	size_t n, m;
	json_t *o;

	if (sc_audit_head_parse((const char *)data, size, "fuzz", &heads, &n, &d) == SC_OK) {
		for (size_t i = 0; i < n; i++) {
			size_t len = sc_audit_head_format(&heads[i], text);
			if (sc_audit_head_parse(text, len, "again", &again, &m, &d) != SC_OK || m != 1 ||
			    again[0].size != heads[i].size ||
			    memcmp(again[0].root, heads[i].root, sizeof(heads[i].root)) ||
			    memcmp(again[0].sig, heads[i].sig, sizeof(heads[i].sig)) ||
			    sc_audit_head_valid(&again[0]) != sc_audit_head_valid(&heads[i]))
				abort();
			free(again);
			again = NULL;
		}
	}
	free(heads);
	if ((o = json_loadb((const char *)data, size, 0, NULL))) {
		if (sc_audit_proof_check(o, NULL, "fuzz", &d) == SC_OK &&
		    sc_audit_proof_check(o, NULL, "fuzz", &d) != SC_OK)
			abort();
		json_decref(o);
	}
	return 0;
}
