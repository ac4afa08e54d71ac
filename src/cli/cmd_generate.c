/* socred generate: a deterministic synthetic city as CSV on stdout. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "socred/generate.h"

static bool count(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == '\0';
}

static int run(struct cli *cli, int argc, char **argv)
{
	const char *people = "0", *orgs = "0", *seed = "1";
	const char *from = "2021-01-01", *to = "2025-12-31";
	const struct opt opts[] = {{"--people", &people, NULL}, {"--orgs", &orgs, NULL},
				   {"--seed", &seed, NULL}, {"--from", &from, NULL},
				   {"--to", &to, NULL}, {0}};
	struct sc_gen_opts o = {0};
	struct sc_gen_stats gs;
	struct sc_diag d;
	static char buf[1 << 20];
	int n, rc = cli_parse(cli, &cmd_generate, argc, argv, opts, NULL, 0, &n);

	if (rc >= 0)
		return rc;
	if (!count(people, &o.people) || !count(orgs, &o.orgs) || !count(seed, &o.seed))
		return cli_fail("generate: --people, --orgs and --seed take whole numbers");
	if (!sc_date_parse(from, strlen(from), &o.from) || !sc_date_parse(to, strlen(to), &o.to))
		return cli_fail("generate: --from and --to take real days as YYYY-MM-DD");
	if (o.to > sc_date_today())
		return cli_fail("generate: --to %s is after today: ingest refuses lines dated after today", to);
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	sc_diag_clear(&d);
	if (sc_generate(&o, stdout, &gs, &d)) {
		cli_diag(&d);
		return EXIT_FATAL;
	}
	fprintf(stderr, "generated %llu people and %llu organisations: %llu lines (%llu records, %llu rectifications, %llu revocations, %llu consents, %llu withdrawals)\n",
		(unsigned long long)o.people, (unsigned long long)o.orgs,
		(unsigned long long)gs.lines, (unsigned long long)gs.adds,
		(unsigned long long)gs.rectifies, (unsigned long long)gs.revokes,
		(unsigned long long)gs.consents, (unsigned long long)gs.withdrawals);
	return EXIT_OK;
}

const struct cmd cmd_generate = {
	"generate", run,
	"generate --people N --orgs M [--seed S] [--from DATE --to DATE]",
	"Write a deterministic synthetic population (valid ids, real region codes, a\n"
	"      record mix by source, consents, rectifications, revocations) as CSV to stdout."};
