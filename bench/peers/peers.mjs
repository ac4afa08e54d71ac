// The peers' side of bench/peers.sh: the default rulebook's semantics as SQL
// (scores with windows, repair, revocation, caps, clamps, grades and grade
// caps, consent, and list membership with grace, duration and repair), in
// the dialects of SQLite, PostgreSQL and DuckDB, and DuckDB itself run in
// process through @duckdb/node-api.
//
//   node peers.mjs sql DIALECT RULEBOOK.json AT      the job's SQL on stdout
//   node peers.mjs export DIALECT                    the results as socred
//                                                    prints them
//   node peers.mjs duckdb CSV RULEBOOK.json AT OUT   load, job, export; JSON
//                                                    timings on stdout
//
// The SQL reads one table, city(op, record_id, subject, type, date, amount,
// source, ref), the CSV `socred generate` writes, loaded as each engine
// loads a CSV: typed (date a DATE, amount an integer) in PostgreSQL and
// DuckDB, text in SQLite (.import; SQLite has no date type). It writes
// res_cards(subject, scorecard, status, score, grade) and res_lists(subject,
// list, since, until, record_id), days counted from 1970-01-01, which
// peers.sh compares with `socred results`.
//
// A subject's kind: a person when characters 7-14 of its id read as a date
// of birth (19xx or 20xx, month 01-12, day 01-31), otherwise an
// organisation. This is the resident identity number's shape; socred also
// checks both ids' check characters, which the generated ids all pass.
// Consent ties (a grant and a withdrawal on one day) do not occur in the
// generated data; socred breaks them by filing order, which SQL tables do
// not keep.
import { readFileSync } from 'node:fs';

const DIALECTS = {
	sqlite: {
		day: (x) => `CAST(julianday(${x}) - 2440587.5 AS INTEGER)`,
		int: (x) => `CAST(NULLIF(${x}, '') AS INTEGER)`,
		div: (a, b) => `(${a} / ${b})`,
		text: 'TEXT',
		table: 'CREATE TABLE',
		mid: 'CREATE TABLE',
	},
	postgres: {
		day: (x) => `(${x} - DATE '1970-01-01')`,
		int: (x) => x,
		div: (a, b) => `(${a} / ${b})`,
		text: 'text',
		table: 'CREATE UNLOGGED TABLE',
		mid: 'CREATE UNLOGGED TABLE',
	},
	duckdb: {
		day: (x) => `date_diff('day', DATE '1970-01-01', ${x})`,
		int: (x) => x,
		div: (a, b) => `(${a} // ${b})`,
		text: 'VARCHAR',
		table: 'CREATE TABLE',
		mid: 'CREATE TABLE',
	},
};

function dayOf(iso) {
	return Math.round(Date.parse(iso + 'T00:00:00Z') / 86400000);
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
const num = (v) => (v === undefined || v === null ? 'NULL' : String(v));

// The rulebook as two small tables: the rules (with a slot for each capped
// rule, whose sum is capped before it joins its scorecard's total) and the
// lists' entry rules (one row per entering type).
function ruleTables(rb, D) {
	const rules = [], lists = [];
	let slot = 0;
	rb.scorecards.forEach((c, ci) => {
		c.rules.forEach((r) => {
			const gcap = r.grade_cap === undefined ? null
				: c.grades.findIndex((g) => g.grade === r.grade_cap);
			const perUnit = r.points_per_unit !== undefined;
			rules.push(`(${ci}, ${r.cap === undefined ? 'NULL' : slot++}, ${q(r.type)}, ` +
				`${c.applies_to.includes('person') ? 1 : 0}, ${c.applies_to.includes('org') ? 1 : 0}, ` +
				`${perUnit ? r.points_per_unit : r.points}, ${perUnit ? r.unit : 0}, ` +
				`${num(r.lapse_days)}, ${num(gcap)}, ${r.repair_min_days ?? 0})`);
		});
	});
	rb.lists.forEach((l, li) => {
		for (const t of l.entered_by)
			lists.push(`(${li}, ${q(l.name)}, ${l.applies_to.includes('person') ? 1 : 0}, ` +
				`${l.applies_to.includes('org') ? 1 : 0}, ${q(t)}, ${l.grace_days ?? 0}, ` +
				`${num(l.duration_days)}, ${l.repair_min_days ?? 0})`);
	});
	return [
		`${D.table} rb_rules(card INTEGER, slot INTEGER, type ${D.text}, person INTEGER, org INTEGER, points INTEGER, unit INTEGER, lapse INTEGER, gcap INTEGER, repair INTEGER)`,
		`INSERT INTO rb_rules VALUES ${rules.join(', ')}`,
		`${D.table} rb_lists(list INTEGER, name ${D.text}, person INTEGER, org INTEGER, type ${D.text}, grace INTEGER, dur INTEGER, repair INTEGER)`,
		`INSERT INTO rb_lists VALUES ${lists.join(', ')}`,
	];
}

// The job, written the way one writes SQL for speed: each record joined to
// its rules (a hash join against a table of a few dozen rows), every
// subject summed in one GROUP BY (a sum per scorecard, one per capped rule,
// the grade caps and the consent dates), then each scorecard's caps, clamp,
// grade and grade cap computed per subject from the rulebook's numbers.
export function jobSql(dialect, rb, atIso) {
	const D = DIALECTS[dialect];
	const at = dayOf(atIso);
	const isPerson = (col) => `(substr(${col}, 7, 2) IN ('19', '20') AND substr(${col}, 11, 2)` +
		` BETWEEN '01' AND '12' AND substr(${col}, 13, 2) BETWEEN '01' AND '31')`;
	const sums = [], cards = [];
	let slot = 0;
	rb.scorecards.forEach((c, ci) => {
		sums.push(`sum(CASE WHEN x.card = ${ci} AND x.slot IS NULL THEN x.pts END) AS u${ci}`);
		const parts = [`coalesce(a.u${ci}, 0)`];
		for (const r of c.rules) {
			if (r.cap === undefined)
				continue;
			const col = `c${slot}`, v = `coalesce(a.${col}, 0)`;
			sums.push(`sum(CASE WHEN x.slot = ${slot++} THEN x.pts END) AS ${col}`);
			parts.push(r.cap < 0 ? `(CASE WHEN ${v} < ${r.cap} THEN ${r.cap} ELSE ${v} END)`
				: `(CASE WHEN ${v} > ${r.cap} THEN ${r.cap} ELSE ${v} END)`);
		}
		const hasCap = c.rules.some((r) => r.grade_cap !== undefined);
		if (hasCap)
			sums.push(`max(CASE WHEN x.card = ${ci} THEN x.gcap END) AS gcap${ci}`);
		if (c.consent === 'required')
			for (const op of ['consent', 'withdraw'])
				sums.push(`max(CASE WHEN x.ccard = ${ci} AND x.op = '${op}' THEN x.day END) AS ${op}${ci}`);
		const total = `(${c.base} + ${parts.join(' + ')})`;
		const score = `(CASE WHEN ${total} < ${c.min} THEN ${c.min} WHEN ${total} > ${c.max} THEN ${c.max} ELSE ${total} END)`;
		const applies = c.applies_to.includes('person') && c.applies_to.includes('org') ? '1 = 1'
			: c.applies_to.includes('person') ? isPerson('a.subject') : `NOT ${isPerson('a.subject')}`;
		// consent in force: the latest grant after the latest withdrawal
		const consent = c.consent !== 'required' ? '1 = 1'
			: `(a.consent${ci} IS NOT NULL AND (a.withdraw${ci} IS NULL OR a.consent${ci} > a.withdraw${ci}))`;
		const byScore = `(CASE ${c.grades.slice(0, -1).map((g, gi) => `WHEN s.score >= ${g.min} THEN ${gi}`).join(' ')} ELSE ${c.grades.length - 1} END)`;
		const g = hasCap ? `(CASE WHEN s.gcap IS NOT NULL AND s.gcap > ${byScore} THEN s.gcap ELSE ${byScore} END)` : byScore;
		const name = `(CASE ${g} ${c.grades.map((x, xi) => `WHEN ${xi} THEN ${q(x.grade)}`).join(' ')} END)`;
		cards.push(`SELECT s.subject, ${q(c.name)} AS scorecard, s.status,
			CASE WHEN s.status = 'scored' THEN s.score ELSE 0 END AS score,
			CASE WHEN s.status = 'scored' THEN ${name} ELSE '-' END AS grade
			FROM (SELECT a.subject, ${score} AS score, ${hasCap ? `a.gcap${ci}` : 'NULL'} AS gcap,
			      CASE WHEN NOT ${applies} THEN 'not_applicable' WHEN NOT ${consent} THEN 'no_consent'
			           ELSE 'scored' END AS status FROM agg a) s`);
	});
	const consentCard = `CASE ${rb.scorecards.map((c, ci) => `WHEN c.type = ${q(c.name)} THEN ${ci}`).join(' ')} END`;
	// a record with the dates of its rectification and revocation, if any
	const recs = `SELECT c.subject, c.record_id, c.type, ${D.day('c.date')} AS day,
		${D.int('c.amount')} AS amount, e.rectified, e.revoked
		FROM city c LEFT JOIN ev e ON e.record_id = c.record_id WHERE coalesce(c.op, '') = ''`;
	// in the rule's window, not revoked, not repaired (a rectification ends
	// the record's effect at max(date + repair_min_days, rectified))
	const active = `((r.revoked IS NULL OR r.revoked > ${at}) AND r.day <= ${at}
		AND (u.lapse IS NULL OR ${at} < r.day + u.lapse)
		AND NOT (r.rectified IS NOT NULL AND r.rectified <= ${at} AND ${at} >= r.day + u.repair))`;
	const pts = `CASE WHEN u.unit = 0 THEN u.points WHEN r.amount IS NULL OR r.amount < 0 THEN 0
		ELSE u.points * ${D.div('r.amount', 'u.unit')} END`;
	const listStart = 'r.day + l.grace';
	const listEnd = `CASE WHEN l.dur IS NULL THEN NULL ELSE ${listStart} + l.dur END`;
	const stop = `CASE WHEN ${listStart} + l.repair > r.rectified THEN ${listStart} + l.repair ELSE r.rectified END`;
	const until = `CASE WHEN r.rectified IS NOT NULL AND r.rectified <= ${at} THEN ` +
		`(CASE WHEN l.dur IS NULL OR ${stop} < ${listStart} + l.dur THEN ${stop} ELSE ${listStart} + l.dur END) ` +
		`ELSE ${listEnd} END`;
	return [
		...ruleTables(rb, D),
		`${D.mid} ev AS SELECT record_id,
		   min(CASE WHEN op = 'rectify' THEN ${D.day('date')} END) AS rectified,
		   min(CASE WHEN op = 'revoke' THEN ${D.day('date')} END) AS revoked
		   FROM city WHERE op IN ('rectify', 'revoke') GROUP BY record_id`,
		// every subject: its records' rules (an inactive record still names
		// its subject) and its consents, in one pass
		`${D.mid} agg AS SELECT x.subject, ${sums.join(', ')} FROM (
		   SELECT r.subject, u.card, u.slot, CASE WHEN ${active} THEN ${pts} END AS pts,
		          CASE WHEN ${active} THEN u.gcap END AS gcap, NULL AS ccard, NULL AS op, NULL AS day
		   FROM (${recs}) r LEFT JOIN rb_rules u ON u.type = r.type
		   UNION ALL
		   SELECT c.subject, NULL, NULL, NULL, NULL, ${consentCard}, c.op, ${D.day('c.date')}
		   FROM city c WHERE c.op IN ('consent', 'withdraw') AND ${D.day('c.date')} <= ${at}) x
		   GROUP BY x.subject`,
		`${D.table} res_cards AS ${cards.join(' UNION ALL ')}`,
		`${D.table} res_lists AS SELECT r.subject, l.name AS list, ${listStart} AS since,
		   ${until} AS until, r.record_id
		   FROM (${recs}) r JOIN rb_lists l ON l.type = r.type
		     AND (CASE WHEN ${isPerson('r.subject')} THEN l.person ELSE l.org END) = 1
		   WHERE (r.revoked IS NULL OR r.revoked > ${at}) AND ${listStart} <= ${at}
		     AND ((${until}) IS NULL OR ${at} < (${until}))`,
	].map((x) => x.replace(/\s+/g, ' ').trim());
}

// The result tables as `socred results` prints them (tab-separated, dates
// as YYYY-MM-DD, '-' for none), for peers.sh to compare.
const ISO = {
	sqlite: (x) => `date(${x} * 86400, 'unixepoch')`,
	postgres: (x) => `CAST(DATE '1970-01-01' + CAST(${x} AS integer) AS text)`,
	duckdb: (x) => `CAST(DATE '1970-01-01' + CAST(${x} AS INTEGER) AS VARCHAR)`,
};
export function exportSql(dialect) {
	const iso = ISO[dialect];
	return "SELECT 'card', subject, scorecard, status, CAST(score AS VARCHAR(12)), grade FROM res_cards UNION ALL " +
		`SELECT 'list', subject, list, ${iso('since')}, coalesce(${iso('until')}, '-'), record_id FROM res_lists`;
}

async function runDuck(csv, rb, atIso, out) {
	const { DuckDBInstance } = await import('@duckdb/node-api');
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const t0 = performance.now();
	await con.run(`CREATE TABLE city AS SELECT * FROM read_csv(${q(csv)}, header = true, columns = {
		'op': 'VARCHAR', 'record_id': 'VARCHAR', 'subject': 'VARCHAR', 'type': 'VARCHAR',
		'date': 'DATE', 'amount': 'BIGINT', 'source': 'VARCHAR', 'ref': 'VARCHAR'})`);
	const t1 = performance.now();
	for (const s of jobSql('duckdb', rb, atIso)) {
		const ts = performance.now();
		await con.run(s);
		if (process.env.PEERS_PROFILE) // where the job's time goes
			console.error(`${((performance.now() - ts) / 1000).toFixed(3)} s  ${s.slice(0, 60)}`);
	}
	const t2 = performance.now();
	await con.run(`COPY (${exportSql('duckdb')}) TO ${q(out)} (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '')`);
	const rows = await con.runAndReadAll('SELECT (SELECT count(*) FROM res_cards), (SELECT count(*) FROM res_lists)');
	const [cards, lists] = rows.getRows()[0].map(Number);
	console.log(JSON.stringify({ load: (t1 - t0) / 1000, job: (t2 - t1) / 1000, cards, lists }));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'sql') {
	const [dialect, rbPath, at] = args;
	for (const s of jobSql(dialect, JSON.parse(readFileSync(rbPath, 'utf8')), at))
		console.log(s + ';');
} else if (cmd === 'export') {
	console.log(exportSql(args[0]) + ';');
} else if (cmd === 'duckdb') {
	const [csv, rbPath, at, out] = args;
	await runDuck(csv, JSON.parse(readFileSync(rbPath, 'utf8')), at, out);
} else {
	console.error('usage: peers.mjs sql DIALECT RULEBOOK.json AT | duckdb CSV RULEBOOK.json AT OUT');
	process.exit(2);
}
