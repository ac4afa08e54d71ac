/* socred audit verify | audit list --subject ID: the audit trail. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

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
	printf("%" PRId64 "\t%s\t%" PRId64 "\t%s\t%s\t%s\t%s\n", e->seq, at, e->key_id,
	       sc_role_name(e->role), action, subject[0] ? subject : "-", result);
	return SC_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *pos[1], *subject = NULL;
	const struct opt opts[] = {{"--subject", &subject, NULL}, {0}};
	struct sc_store *st = NULL;
	struct sc_rulebook *rb = NULL;
	struct sc_diag d;
	uint64_t count;
	int64_t bad;
	enum sc_status s;
	int n, rc = cli_parse(cli, &cmd_audit, argc, argv, opts, pos, 1, &n);

	if (rc >= 0)
		return rc;
	if (n != 1 || (strcmp(pos[0], "verify") && strcmp(pos[0], "list")))
		return cli_fail("usage: socred audit verify | socred audit list [--subject ID]");
	if ((rc = cli_open(cli, sc_date_today(), &st, &rb)))
		return rc;
	sc_diag_clear(&d);
	if (!strcmp(pos[0], "verify")) {
		s = sc_store_audit_verify(st, &count, &bad, &d);
		if (s == SC_OK) {
			printf("audit log intact: %" PRIu64 " entries\n", count);
			rc = EXIT_OK;
		} else if (s == SC_ECORRUPT) {
			printf("audit log broken at entry %" PRId64 ": it or the entry before it was altered, inserted or removed\n", bad);
			rc = EXIT_SOME;
		} else {
			cli_diag(&d);
			rc = EXIT_FATAL;
		}
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
	"audit", run, "audit verify | audit list [--subject ID]",
	"Recompute the audit log's hash chain and name the first broken entry (exit 1), or\n"
	"      list who looked at a subject's data, when, for what, and what they were told."};
