/* The PostgreSQL ledger's schema and its migrations, versioned as the
 * SQLite ledger's are (its own numbering): meta.schema says which
 * migrations have run; each runs in its own transaction under the schema
 * lock, so two processes opening one database at once migrate it once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

/* Text columns that hold ids compare byte by byte (COLLATE "C"), as in
 * SQLite: results sort the same on both backends. Every row a write
 * transaction adds to the subject files carries its commit sequence number
 * (cseq, pg_impl.h); the default fails outside a write transaction. */
static const char schema_sql[] =
	"CREATE FUNCTION socred_cseq() RETURNS bigint LANGUAGE sql STABLE AS"
	" $$ SELECT current_setting('socred.cseq')::bigint $$;\n"
	"CREATE TABLE meta(key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL);\n"
	"CREATE TABLE rulebooks(id bigserial PRIMARY KEY, name text NOT NULL,"
	" version text NOT NULL, text text NOT NULL, installed_at text NOT NULL,"
	" effective integer);\n"
	"CREATE TABLE subjects(id bigserial PRIMARY KEY, ext_id text COLLATE \"C\" NOT NULL UNIQUE,"
	" kind integer NOT NULL, cseq bigint NOT NULL DEFAULT socred_cseq());\n"
	"CREATE TABLE types(id serial PRIMARY KEY, name text COLLATE \"C\" NOT NULL UNIQUE);\n"
	"CREATE TABLE sources(id serial PRIMARY KEY, name text COLLATE \"C\" NOT NULL UNIQUE);\n"
	"CREATE TABLE records(rid bigserial PRIMARY KEY,"
	" record_id text COLLATE \"C\" NOT NULL CONSTRAINT records_record_id UNIQUE,"
	" subject bigint NOT NULL,"
	" type integer NOT NULL, date integer NOT NULL,"
	" amount bigint, source integer NOT NULL, ref text,"
	" cseq bigint NOT NULL DEFAULT socred_cseq());\n"
	"CREATE INDEX records_subject ON records(subject);\n"
	"CREATE INDEX records_cseq ON records(cseq);\n"
	"CREATE TABLE events(seq bigserial PRIMARY KEY,"
	" rid bigint NOT NULL, op integer NOT NULL,"
	" date integer NOT NULL, ref text, cseq bigint NOT NULL DEFAULT socred_cseq(),"
	" CONSTRAINT events_rid_op UNIQUE(rid, op));\n"
	"CREATE INDEX events_cseq ON events(cseq);\n"
	"CREATE TABLE consents(seq bigserial PRIMARY KEY,"
	" subject bigint NOT NULL, scorecard text COLLATE \"C\" NOT NULL,"
	" granted integer NOT NULL, date integer NOT NULL,"
	" cseq bigint NOT NULL DEFAULT socred_cseq());\n"
	"CREATE INDEX consents_day ON consents(subject, scorecard, date);\n"
	"CREATE INDEX consents_cseq ON consents(cseq);\n"
	/* subjects whose file changed other than by a new row above: a
	 * dispute opened or decided, a record removed by retention, a kind */
	"CREATE TABLE changes(seq bigserial PRIMARY KEY, subject bigint NOT NULL,"
	" cseq bigint NOT NULL DEFAULT socred_cseq());\n"
	"CREATE INDEX changes_cseq ON changes(cseq);\n"
	"CREATE TABLE runs(id bigserial PRIMARY KEY, at integer NOT NULL,"
	" rulebook bigint REFERENCES rulebooks(id), started text NOT NULL,"
	" subjects bigint, seconds double precision);\n"
	"CREATE TABLE run_tallies(run bigint NOT NULL REFERENCES runs(id),"
	" scorecard text COLLATE \"C\" NOT NULL, status text COLLATE \"C\" NOT NULL,"
	" grade text COLLATE \"C\", subjects bigint NOT NULL);\n"
	"CREATE INDEX run_tallies_run ON run_tallies(run);\n"
	"CREATE TABLE run_lists(run bigint NOT NULL REFERENCES runs(id),"
	" list text COLLATE \"C\" NOT NULL, members bigint NOT NULL, entries bigint NOT NULL);\n"
	"CREATE INDEX run_lists_run ON run_lists(run);\n"
	"CREATE TABLE keys(id bigserial PRIMARY KEY, role text NOT NULL, name text NOT NULL,"
	" binding text NOT NULL, hash bytea NOT NULL, revoked integer NOT NULL DEFAULT 0,"
	" created text NOT NULL);\n"
	/* due process */
	"CREATE TABLE disputes(id bigserial PRIMARY KEY, rid bigint NOT NULL REFERENCES records(rid),"
	" reason text NOT NULL, opened integer NOT NULL, deadline integer NOT NULL,"
	" decided integer, outcome text, decided_by text, note text,"
	" opened_at text NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), decided_at text);\n"
	"CREATE INDEX disputes_rid ON disputes(rid);\n"
	"CREATE INDEX disputes_open ON disputes(deadline) WHERE decided IS NULL;\n"
	"CREATE TABLE statements(id bigserial PRIMARY KEY,"
	" rid bigint NOT NULL REFERENCES records(rid), text text NOT NULL, date integer NOT NULL);\n"
	"CREATE INDEX statements_rid ON statements(rid);\n"
	"CREATE TABLE repairs(id bigserial PRIMARY KEY, rid bigint NOT NULL REFERENCES records(rid),"
	" commitment text NOT NULL, applied integer NOT NULL, decided integer, outcome text,"
	" reason text, decided_by text);\n"
	"CREATE INDEX repairs_rid ON repairs(rid);\n"
	"CREATE INDEX repairs_open ON repairs(applied) WHERE decided IS NULL;\n"
	"CREATE TABLE shares(hash bytea PRIMARY KEY, subject bigint NOT NULL REFERENCES subjects(id),"
	" created integer NOT NULL, expires integer NOT NULL);\n"
	"CREATE TABLE names(subject bigint PRIMARY KEY REFERENCES subjects(id), name text NOT NULL,"
	" date integer NOT NULL, key text COLLATE \"C\" NOT NULL, org integer NOT NULL DEFAULT 0);\n"
	"CREATE INDEX names_key ON names(key);\n"
	"CREATE INDEX names_org ON names(key) WHERE org = 1;\n"
	/* the audit log: a chain per server node (and one for the command
	 * line, node 0), each with its own Merkle tree */
	"CREATE TABLE audit_nodes(node integer PRIMARY KEY, name text NOT NULL,"
	" created text NOT NULL);\n"
	/* a server's node id: new at each start, never given twice */
	"CREATE SEQUENCE audit_node_ids AS integer MINVALUE 1;\n"
	/* a chain's entries a batch at a time: one row per append (its first
	 * entry's seq, its count, its last entry's hash, the entries coded as
	 * audit_block.h says); the subject index a segment of 2^14 entries
	 * at a time, in chunks of sorted subjects (pg_audit.c) */
	"CREATE TABLE audit_blocks(node integer NOT NULL, seq bigint NOT NULL, n integer NOT NULL,"
	" hash text NOT NULL, data bytea NOT NULL, PRIMARY KEY(node, seq));\n"
	"CREATE TABLE audit_subjects(node integer NOT NULL, seg bigint NOT NULL,"
	" low text COLLATE \"C\" NOT NULL, data bytea NOT NULL, PRIMARY KEY(node, seg, low));\n"
	"CREATE TABLE audit_tree(node integer PRIMARY KEY, size bigint NOT NULL,"
	" frontier bytea NOT NULL);\n"
	"CREATE TABLE audit_subtrees(node integer NOT NULL, pos bigint NOT NULL,"
	" hash bytea NOT NULL, PRIMARY KEY(node, pos));\n"
	/* append-only, by construction: records and events may be deleted only
	 * by retention (socred.expiring set in its transaction) */
	"CREATE FUNCTION socred_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' AND TG_ARGV[0] = 'retained'"
	" AND current_setting('socred.expiring', true) = 'on' THEN RETURN OLD; END IF;"
	" RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'raise_exception';"
	" END $$;\n"
	"CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records"
	" FOR EACH ROW EXECUTE FUNCTION socred_append_only('retained');\n"
	"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
	" FOR EACH ROW EXECUTE FUNCTION socred_append_only('retained');\n"
	"CREATE TRIGGER audit_blocks_append_only BEFORE UPDATE OR DELETE ON audit_blocks"
	" FOR EACH ROW EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER audit_subjects_append_only BEFORE UPDATE OR DELETE ON audit_subjects"
	" FOR EACH ROW EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER audit_subtrees_append_only BEFORE UPDATE OR DELETE ON audit_subtrees"
	" FOR EACH ROW EXECUTE FUNCTION socred_append_only('never');\n"
	/* the references of records (subject, type, source), events (rid) and
	 * consents (subject), checked once per statement over its rows, an
	 * index probe each (a foreign key would run a query and lock the
	 * referenced row for every row and reference: most of an ingest's
	 * time); ids never change, and a row referred to is never deleted */
	"CREATE FUNCTION socred_refs_added() RETURNS trigger LANGUAGE plpgsql"
	" SET enable_hashjoin = off SET enable_mergejoin = off AS $$"
	" DECLARE bad boolean; BEGIN"
	" IF TG_TABLE_NAME = 'records' THEN"
	"  bad := EXISTS (SELECT 1 FROM (SELECT DISTINCT subject FROM n) q"
	"   WHERE NOT EXISTS (SELECT 1 FROM subjects x WHERE x.id = q.subject))"
	"  OR EXISTS (SELECT 1 FROM (SELECT DISTINCT type FROM n) q"
	"   WHERE NOT EXISTS (SELECT 1 FROM types x WHERE x.id = q.type))"
	"  OR EXISTS (SELECT 1 FROM (SELECT DISTINCT source FROM n) q"
	"   WHERE NOT EXISTS (SELECT 1 FROM sources x WHERE x.id = q.source));"
	" ELSIF TG_TABLE_NAME = 'events' THEN bad := EXISTS (SELECT 1 FROM n WHERE"
	"  NOT EXISTS (SELECT 1 FROM records x WHERE x.rid = n.rid));"
	" ELSE bad := EXISTS (SELECT 1 FROM n WHERE"
	"  NOT EXISTS (SELECT 1 FROM subjects x WHERE x.id = n.subject)); END IF;"
	" IF bad THEN"
	"  RAISE EXCEPTION 'a row of % refers to a row that does not exist', TG_TABLE_NAME"
	"  USING ERRCODE = 'foreign_key_violation';"
	" END IF; RETURN NULL; END $$;\n"
	"CREATE TRIGGER records_refs AFTER INSERT ON records REFERENCING NEW TABLE AS n"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_added();\n"
	"CREATE TRIGGER events_refs AFTER INSERT ON events REFERENCING NEW TABLE AS n"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_added();\n"
	"CREATE TRIGGER consents_refs AFTER INSERT ON consents REFERENCING NEW TABLE AS n"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_added();\n"
	"CREATE FUNCTION socred_refs_removed() RETURNS trigger LANGUAGE plpgsql"
	" SET enable_hashjoin = off SET enable_mergejoin = off AS $$"
	" DECLARE bad boolean; BEGIN"
	" IF TG_TABLE_NAME = 'subjects' THEN bad := EXISTS (SELECT 1 FROM o WHERE"
	"  EXISTS (SELECT 1 FROM records x WHERE x.subject = o.id)"
	"  OR EXISTS (SELECT 1 FROM consents x WHERE x.subject = o.id));"
	" ELSIF TG_TABLE_NAME = 'types' THEN"
	"  bad := EXISTS (SELECT 1 FROM o JOIN records x ON x.type = o.id);"
	" ELSIF TG_TABLE_NAME = 'sources' THEN"
	"  bad := EXISTS (SELECT 1 FROM o JOIN records x ON x.source = o.id);"
	" ELSE bad := EXISTS (SELECT 1 FROM o JOIN events x ON x.rid = o.rid); END IF;"
	" IF bad THEN"
	"  RAISE EXCEPTION 'a row of % is still referred to', TG_TABLE_NAME"
	"  USING ERRCODE = 'foreign_key_violation';"
	" END IF; RETURN NULL; END $$;\n"
	"CREATE TRIGGER subjects_refs AFTER DELETE ON subjects REFERENCING OLD TABLE AS o"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_removed();\n"
	"CREATE TRIGGER types_refs AFTER DELETE ON types REFERENCING OLD TABLE AS o"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_removed();\n"
	"CREATE TRIGGER sources_refs AFTER DELETE ON sources REFERENCING OLD TABLE AS o"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_removed();\n"
	"CREATE TRIGGER records_refs_removed AFTER DELETE ON records REFERENCING OLD TABLE AS o"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_refs_removed();\n"
	"CREATE FUNCTION socred_id_fixed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" RAISE EXCEPTION 'the ids of % never change', TG_TABLE_NAME"
	" USING ERRCODE = 'raise_exception'; END $$;\n"
	"CREATE TRIGGER subjects_id_fixed BEFORE UPDATE OF id ON subjects"
	" FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION socred_id_fixed();\n"
	"CREATE TRIGGER types_id_fixed BEFORE UPDATE OF id ON types"
	" FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION socred_id_fixed();\n"
	"CREATE TRIGGER sources_id_fixed BEFORE UPDATE OF id ON sources"
	" FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION socred_id_fixed();\n"
	"CREATE TRIGGER records_truncate BEFORE TRUNCATE ON records"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER events_truncate BEFORE TRUNCATE ON events"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER audit_blocks_truncate BEFORE TRUNCATE ON audit_blocks"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER audit_subjects_truncate BEFORE TRUNCATE ON audit_subjects"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_append_only('never');\n"
	"CREATE TRIGGER audit_subtrees_truncate BEFORE TRUNCATE ON audit_subtrees"
	" FOR EACH STATEMENT EXECUTE FUNCTION socred_append_only('never');\n"
	/* changes to a subject's file that add no row of its own */
	"CREATE FUNCTION socred_dispute_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" INSERT INTO changes(subject) SELECT subject FROM records WHERE rid = NEW.rid;"
	" RETURN NULL; END $$;\n"
	"CREATE TRIGGER disputes_changed AFTER INSERT OR UPDATE ON disputes"
	" FOR EACH ROW EXECUTE FUNCTION socred_dispute_changed();\n"
	"CREATE FUNCTION socred_record_removed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" INSERT INTO changes(subject) VALUES(OLD.subject); RETURN NULL; END $$;\n"
	"CREATE TRIGGER records_removed AFTER DELETE ON records"
	" FOR EACH ROW EXECUTE FUNCTION socred_record_removed();\n"
	"CREATE FUNCTION socred_kind_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" INSERT INTO changes(subject) VALUES(NEW.id);"
	" UPDATE names SET org = (NEW.kind = 2)::integer WHERE subject = NEW.id;"
	" RETURN NULL; END $$;\n"
	"CREATE TRIGGER subjects_kind AFTER UPDATE OF kind ON subjects"
	" FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)"
	" EXECUTE FUNCTION socred_kind_changed();\n"
	/* records: a subject found or filed (created) by ext_id (kind 0:
	 * unknown; a known kind fills an unknown one); ok false when the
	 * subject is of the other kind (have: its kind) */
	"CREATE FUNCTION socred_subject_get(p_ext text, p_kind integer, OUT sid bigint,"
	" OUT have integer, OUT ok boolean, OUT created boolean) LANGUAGE plpgsql AS $$ BEGIN"
	" ok := true; created := false;"
	" SELECT id, kind INTO sid, have FROM subjects WHERE ext_id = p_ext;"
	" IF NOT FOUND THEN"
	"  INSERT INTO subjects(ext_id, kind) VALUES(p_ext, p_kind) RETURNING id INTO sid;"
	"  have := p_kind; created := true;"
	" ELSIF have <> 0 AND p_kind <> 0 AND have <> p_kind THEN ok := false;"
	" ELSIF have = 0 AND p_kind <> 0 THEN"
	"  UPDATE subjects SET kind = p_kind WHERE id = sid; have := p_kind;"
	" END IF; END $$;\n"
	/* files a record: outcome 0 (filed: rid; f_sid its subject, created when
	 * filed for it), 1 (its record_id is taken: the filed record's
	 * fields), 2 (a subject of the other kind: have).
	 * What a taken record_id means is the caller's rule. */
	"CREATE FUNCTION socred_record_add(p_record_id text, p_subject text, p_kind integer,"
	" p_type text, p_date integer, p_amount bigint, p_source text, p_ref text,"
	" OUT outcome integer, OUT rid bigint, OUT have integer, OUT f_subject text,"
	" OUT f_type text, OUT f_date integer, OUT f_amount bigint, OUT f_source text,"
	" OUT f_ref text, OUT created boolean, OUT f_sid bigint) LANGUAGE plpgsql AS $$"
	" DECLARE k integer; tid integer; srcid integer;"
	" BEGIN"
	" created := false;"
	" SELECT id, kind INTO f_sid, k FROM subjects WHERE ext_id = p_subject;"
	" IF FOUND THEN"
	"  IF k <> 0 AND p_kind <> 0 AND k <> p_kind THEN outcome := 2; have := k; RETURN; END IF;"
	"  IF k = 0 AND p_kind <> 0 THEN UPDATE subjects SET kind = p_kind WHERE id = f_sid; END IF;"
	" END IF;"
	/* the type and source are interned before the record_id is
	 * looked at, as on SQLite: type and source ids follow its */
	" SELECT id INTO tid FROM types WHERE name = p_type;"
	" IF NOT FOUND THEN INSERT INTO types(name) VALUES(p_type) RETURNING id INTO tid; END IF;"
	" SELECT id INTO srcid FROM sources WHERE name = p_source;"
	" IF NOT FOUND THEN INSERT INTO sources(name) VALUES(p_source) RETURNING id INTO srcid; END IF;"
	" IF EXISTS (SELECT 1 FROM records WHERE record_id = p_record_id) THEN"
	"  SELECT r.rid, su.ext_id, t.name, r.date, r.amount, so.name, coalesce(r.ref, '')"
	"   INTO rid, f_subject, f_type, f_date, f_amount, f_source, f_ref FROM records r"
	"   JOIN subjects su ON su.id = r.subject JOIN types t ON t.id = r.type"
	"   JOIN sources so ON so.id = r.source WHERE r.record_id = p_record_id;"
	"  outcome := 1; RETURN;"
	" END IF;"
	" IF f_sid IS NULL THEN"
	"  INSERT INTO subjects(ext_id, kind) VALUES(p_subject, p_kind) RETURNING id INTO f_sid;"
	"  created := true;"
	" END IF;"
	" INSERT INTO records(record_id, subject, type, date, amount, source, ref)"
	"  VALUES(p_record_id, f_sid, tid, p_date, p_amount, srcid, p_ref)"
	"  ON CONFLICT ON CONSTRAINT records_record_id DO NOTHING RETURNING records.rid INTO rid;"
	" IF rid IS NULL THEN RAISE EXCEPTION 'record_id % was filed meanwhile', p_record_id; END IF;"
	" outcome := 0; END $$;\n"
	/* retention: the one way records and events leave the ledger, for
	 * the roles socred writes with (socred_app), each call logged */
	"CREATE TABLE retention_log(seq bigserial PRIMARY KEY, at text NOT NULL,"
	" by_role text NOT NULL, records bigint NOT NULL, rids bigint[] NOT NULL);\n"
	"CREATE FUNCTION socred_expire(p_rids bigint[]) RETURNS bigint LANGUAGE plpgsql"
	" SECURITY DEFINER SET search_path FROM CURRENT AS $$ DECLARE n bigint; BEGIN"
	" PERFORM set_config('socred.expiring', 'on', true);"
	" DELETE FROM events WHERE rid = ANY(p_rids);"
	" DELETE FROM disputes WHERE rid = ANY(p_rids);"
	" DELETE FROM statements WHERE rid = ANY(p_rids);"
	" DELETE FROM repairs WHERE rid = ANY(p_rids);"
	" DELETE FROM records WHERE rid = ANY(p_rids);"
	" GET DIAGNOSTICS n = ROW_COUNT;"
	" PERFORM set_config('socred.expiring', 'off', true);"
	" UPDATE meta SET value = greatest(value::bigint,"
	"  coalesce((SELECT max(x) FROM unnest(p_rids) x), 0))::text WHERE key = 'expired_max_rid';"
	" INSERT INTO retention_log(at, by_role, records, rids) VALUES(to_char(clock_timestamp()"
	"  AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), session_user, n, p_rids);"
	" RETURN n; END $$;\n"
	"REVOKE ALL ON FUNCTION socred_expire(bigint[]) FROM PUBLIC;\n"
	/* the role socred writes with: reads and appends everywhere, changes
	 * the tables that change (never records, events or the audit log),
	 * truncates nothing; made once per cluster when the owner may */
	"DO $$ BEGIN"
	" IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'socred_app') THEN"
	"  BEGIN CREATE ROLE socred_app NOLOGIN;"
	"  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;"
	"  WHEN insufficient_privilege THEN RETURN; END;"
	" END IF;"
	" EXECUTE format('GRANT USAGE ON SCHEMA %I TO socred_app', current_schema());"
	" EXECUTE format('GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA %I TO socred_app',"
	"  current_schema());"
	" EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO socred_app',"
	"  current_schema());"
	" GRANT UPDATE, DELETE ON meta, subjects, types, sources, consents, changes, runs,"
	"  run_tallies, run_lists, keys, disputes, statements, repairs, shares, names,"
	"  audit_nodes, audit_tree TO socred_app;"
	" REVOKE INSERT ON retention_log FROM socred_app;"
	" GRANT EXECUTE ON FUNCTION socred_expire(bigint[]) TO socred_app;"
	" END $$;\n"
	"INSERT INTO meta VALUES('ledger_id', replace(gen_random_uuid()::text, '-', '')),"
	" ('commit_seq', '0'), ('expired_max_rid', '0'), ('audit_v2_from', '1');\n"
	"INSERT INTO audit_nodes VALUES(0, 'cli', to_char(clock_timestamp() AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'));\n"
	"INSERT INTO meta VALUES('schema', '1');\n";
_Static_assert(SC_KIND_ORG == 2, "socred_kind_changed's org test");

/* migrations[N] takes schema N to N + 1, applied in order on open (index
 * 0 is unused: schema_sql makes schema 1). Append only; never edit one
 * that has shipped. */
static const char *const migrations[] = {
	NULL,
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static enum sc_status schema_version(struct pq *p, int *v, bool *exists, struct sc_diag *d)
{
	PGresult *r = NULL;
	enum sc_status st;

	*exists = false;
	*v = 0;
	if ((st = sc_pq_query(p, "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, &r, d)))
		return st;
	*exists = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!*exists)
		return SC_OK;
	if ((st = sc_pq_query(p, "SELECT value FROM meta WHERE key = 'schema'", 0, NULL, &r, d)))
		return st;
	if (PQntuples(r) == 1)
		*v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return SC_OK;
}

enum sc_status sc_pq_schema(struct pq *p, bool create, sc_store_upgrade_fn upgrade, void *ctx,
			    struct sc_diag *d)
{
	enum sc_status st;
	bool exists;
	int v;
	/* the schema lock, for the session: held while the schema is read,
	 * made or moved on */
	char lock[96], unlock[96];

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%lld)", (long long)SC_PQ_LOCK_SCHEMA);
	snprintf(unlock, sizeof(unlock), "SELECT pg_advisory_unlock(%lld)",
		 (long long)SC_PQ_LOCK_SCHEMA);
	if ((st = sc_pq_exec(p, lock, d)))
		return st;
	if ((st = schema_version(p, &v, &exists, d)))
		goto out;
	if (!exists) {
		if (!create) {
			st = sc_diag_set(d, SC_ESTORE, p->where, 0, 0, NULL,
					 "no socred ledger in this database: run 'socred init' first");
			goto out;
		}
		if ((st = sc_pq_exec(p, "BEGIN", d)))
			goto out;
		if ((st = sc_pq_exec(p, schema_sql, d))) {
			sc_pq_exec(p, "ROLLBACK", NULL);
			goto out;
		}
		if ((st = sc_pq_exec(p, "COMMIT", d)))
			goto out;
		v = 1;
	}
	if (v < 1 || v > SCHEMA_VERSION) {
		st = sc_diag_set(d, SC_ECORRUPT, p->where, 0, 0, NULL,
				 "ledger schema version %d is not one this socred knows (1 to %d)",
				 v, SCHEMA_VERSION);
		goto out;
	}
	for (; v < SCHEMA_VERSION; v++) {
		char bump[96];

		if (upgrade)
			upgrade(ctx, v, SCHEMA_VERSION);
		snprintf(bump, sizeof(bump), "UPDATE meta SET value = '%d' WHERE key = 'schema'",
			 v + 1);
		if ((st = sc_pq_exec(p, "BEGIN", d)))
			goto out;
		if ((st = sc_pq_exec(p, migrations[v], d)) || (st = sc_pq_exec(p, bump, d))) {
			sc_pq_exec(p, "ROLLBACK", NULL);
			goto out;
		}
		if ((st = sc_pq_exec(p, "COMMIT", d)))
			goto out;
	}
out:
	sc_pq_exec(p, unlock, NULL);
	return st;
}
