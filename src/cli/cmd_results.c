/* socred results: every subject's result of the last run, from the decision
 * snapshot (the ledger keeps only a run's tallies): one line per scorecard
 * and one per list entry, tab-separated, for export and checking. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "socred/snapshot.h"

static int run(struct cli *cli, int argc, char **argv)
{
	const struct opt opts[] = {{0}};
	struct sc_rulebook *rb = NULL;
	struct sc_store *st = NULL;
	struct sc_snap *s = NULL;
	struct sc_snap_entry e;
	struct sc_diag d;
	char path[4096], a[16], b[16];
	const char *id;
	size_t idlen;
	uint64_t pos = 0, n = 0;
	int k, rc = cli_parse(cli, &cmd_results, argc, argv, opts, NULL, 0, &k);

	if (rc >= 0)
		return rc;
	sc_diag_clear(&d);
	sc_snap_path(cli->db, path, sizeof(path));
	if (sc_snap_open(path, &s, &d)) {
		cli_diag(&d);
		return cli_fail("no results: run `socred run` first");
	}
	if ((rc = cli_open(cli, sc_snap_day(s), &st, &rb)))
		goto out;
	{
		unsigned char dig[SC_SNAP_DIGEST];
		sc_snap_digest(rb, dig);
		if (memcmp(dig, sc_snap_rulebook(s), sizeof(dig))) {
			rc = cli_fail("%s: the last run was under another rulebook than the one"
				      " in force on its day; run again", path);
			goto out;
		}
	}
	if ((rc = cli_audit(st, "results", NULL, "the run at %s, %llu subjects", cli_day(sc_snap_day(s), a),
			    (unsigned long long)sc_snap_count(s))))
		goto out;
	printf("# run at %s: card SUBJECT SCORECARD STATUS SCORE GRADE;"
	       " list SUBJECT LIST SINCE UNTIL RECORD\n", cli_day(sc_snap_day(s), a));
	while (sc_snap_next(s, &pos, &e, &id, &idlen)) {
		for (size_t i = 0; i < e.ncards && i < sc_rulebook_scorecard_count(rb); i++) {
			struct sc_card_result r;
			sc_snap_entry_card(&e, i, &r);
			printf("card\t%.*s\t%s\t%s\t%d\t%s\n", (int)idlen, id,
			       sc_rulebook_scorecard_name(rb, (int)i), sc_card_status_name(r.status),
			       r.status == SC_CARD_SCORED ? r.score : 0,
			       r.status == SC_CARD_SCORED && r.grade >= 0
				       ? sc_rulebook_grade_name(rb, (int)i, r.grade) : "-");
		}
		for (size_t i = 0; i < e.nhits; i++) {
			struct sc_snap_hit h;
			sc_snap_entry_hit(&e, i, &h);
			printf("list\t%.*s\t%s\t%s\t%s\t%s\n", (int)idlen, id,
			       sc_rulebook_list_name(rb, h.list), cli_day(h.since, a),
			       cli_day(h.until, b), sc_snap_hit_record(&e, &h));
		}
		n++;
	}
	rc = n == sc_snap_count(s) ? EXIT_SUCCESS
				   : cli_fail("%s: damaged after %llu of %llu subjects", path,
					      (unsigned long long)n,
					      (unsigned long long)sc_snap_count(s));
out:
	sc_snap_close(s);
	sc_store_close(st);
	sc_rulebook_free(rb);
	return rc;
}

const struct cmd cmd_results = {
	"results", run, "results",
	"Print every subject's result of the last run, from the decision snapshot:\n"
	"      one tab-separated line per scorecard (card SUBJECT SCORECARD STATUS\n"
	"      SCORE GRADE) and per list entry (list SUBJECT LIST SINCE UNTIL RECORD)."};
