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
// source, ref), the CSV `socred generate` writes, loaded as text. It writes
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
	},
	postgres: {
		day: (x) => `(CAST(${x} AS date) - DATE '1970-01-01')`,
		int: (x) => `CAST(NULLIF(${x}, '') AS bigint)`,
		div: (a, b) => `(${a} / ${b})`,
		text: 'text',
		table: 'CREATE UNLOGGED TABLE',
	},
	duckdb: {
		day: (x) => `date_diff('day', DATE '1970-01-01', CAST(${x} AS DATE))`,
		int: (x) => `CAST(NULLIF(${x}, '') AS BIGINT)`,
		div: (a, b) => `(${a} // ${b})`,
		text: 'VARCHAR',
		table: 'CREATE TABLE',
	},
};

function dayOf(iso) {
	return Math.round(Date.parse(iso + 'T00:00:00Z') / 86400000);
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
const num = (v) => (v === undefined || v === null ? 'NULL' : String(v));

// The rulebook as four small tables.
function ruleTables(rb, D) {
	const cards = [], grades = [], rules = [], lists = [];
	rb.scorecards.forEach((c, ci) => {
		cards.push(`(${ci}, ${q(c.name)}, ${c.applies_to.includes('person') ? 1 : 0}, ` +
			`${c.applies_to.includes('org') ? 1 : 0}, ${c.consent === 'required' ? 1 : 0}, ` +
			`${c.base}, ${c.min}, ${c.max})`);
		c.grades.forEach((g, gi) => grades.push(`(${ci}, ${gi}, ${q(g.grade)}, ${g.min})`));
		c.rules.forEach((r, ri) => {
			const gcap = r.grade_cap === undefined ? null
				: c.grades.findIndex((g) => g.grade === r.grade_cap);
			const perUnit = r.points_per_unit !== undefined;
			rules.push(`(${ci}, ${ci * 1000 + ri}, ${q(r.type)}, ` +
				`${perUnit ? r.points_per_unit : r.points}, ${perUnit ? r.unit : 0}, ` +
				`${num(r.lapse_days)}, ${num(r.cap)}, ${num(gcap)}, ${r.repair_min_days ?? 0})`);
		});
	});
	rb.lists.forEach((l, li) => {
		for (const t of l.entered_by)
			lists.push(`(${li}, ${q(l.name)}, ${l.applies_to.includes('person') ? 1 : 0}, ` +
				`${l.applies_to.includes('org') ? 1 : 0}, ${q(t)}, ${l.grace_days ?? 0}, ` +
				`${num(l.duration_days)}, ${l.repair_min_days ?? 0})`);
	});
	return [
		`${D.table} rb_cards(card INTEGER, name ${D.text}, person INTEGER, org INTEGER, consent INTEGER, base INTEGER, lo INTEGER, hi INTEGER)`,
		`INSERT INTO rb_cards VALUES ${cards.join(', ')}`,
		`${D.table} rb_grades(card INTEGER, g INTEGER, name ${D.text}, lo INTEGER)`,
		`INSERT INTO rb_grades VALUES ${grades.join(', ')}`,
		`${D.table} rb_rules(card INTEGER, rule INTEGER, type ${D.text}, points INTEGER, unit INTEGER, lapse INTEGER, cap INTEGER, gcap INTEGER, repair INTEGER)`,
		`INSERT INTO rb_rules VALUES ${rules.join(', ')}`,
		`${D.table} rb_lists(list INTEGER, name ${D.text}, person INTEGER, org INTEGER, type ${D.text}, grace INTEGER, dur INTEGER, repair INTEGER)`,
		`INSERT INTO rb_lists VALUES ${lists.join(', ')}`,
	];
}

// Grade index by score, per scorecard: the first grade whose minimum the
// score reaches, else the last.
function gradeCase(rb) {
	const per = rb.scorecards.map((c, ci) => {
		const whens = c.grades.slice(0, -1).map((g, gi) => `WHEN t.score >= ${g.min} THEN ${gi}`);
		return `WHEN ${ci} THEN (CASE ${whens.join(' ')} ELSE ${c.grades.length - 1} END)`;
	});
	return `(CASE t.card ${per.join(' ')} END)`;
}

export function jobSql(dialect, rb, atIso) {
	const D = DIALECTS[dialect];
	const at = dayOf(atIso);
	const id7 = (a, n) => `substr(subject, ${a}, ${n})`;
	const isPerson = `(${id7(7, 2)} IN ('19', '20') AND ${id7(11, 2)} BETWEEN '01' AND '12'` +
		` AND ${id7(13, 2)} BETWEEN '01' AND '31')`;
	// a record's rectification ends its effect at max(start + repair, rectified)
	const repaired = (start) => `(r.rectified IS NOT NULL AND r.rectified <= ${at} AND ` +
		`${at} >= ${start} + u.repair)`;
	const listStart = 'r.day + l.grace';
	const listEnd = `CASE WHEN l.dur IS NULL THEN NULL ELSE ${listStart} + l.dur END`;
	const stop = `CASE WHEN ${listStart} + l.repair > r.rectified THEN ${listStart} + l.repair ELSE r.rectified END`;
	const until = `CASE WHEN r.rectified IS NOT NULL AND r.rectified <= ${at} THEN ` +
		`(CASE WHEN l.dur IS NULL OR ${stop} < ${listStart} + l.dur THEN ${stop} ELSE ${listStart} + l.dur END) ` +
		`ELSE ${listEnd} END`;
	return [
		...ruleTables(rb, D),
		`${D.table} subj AS SELECT subject AS id, CASE WHEN ${isPerson} THEN 1 ELSE 0 END AS person
		   FROM city WHERE coalesce(op, '') IN ('', 'consent', 'withdraw') GROUP BY subject`,
		`${D.table} ev AS SELECT record_id,
		   min(CASE WHEN op = 'rectify' THEN ${D.day('date')} END) AS rectified,
		   min(CASE WHEN op = 'revoke' THEN ${D.day('date')} END) AS revoked
		   FROM city WHERE op IN ('rectify', 'revoke') GROUP BY record_id`,
		`${D.table} rec AS SELECT c.record_id, c.subject, c.type, ${D.day('c.date')} AS day,
		   ${D.int('c.amount')} AS amount, e.rectified, e.revoked
		   FROM city c LEFT JOIN ev e ON e.record_id = c.record_id WHERE coalesce(c.op, '') = ''`,
		// every active contribution: in its window, not revoked, not repaired
		`${D.table} contrib AS SELECT r.subject, u.card, u.rule, u.cap, u.gcap,
		   CASE WHEN u.unit = 0 THEN u.points WHEN r.amount IS NULL OR r.amount < 0 THEN 0
		        ELSE u.points * ${D.div('r.amount', 'u.unit')} END AS pts
		   FROM rec r JOIN subj s ON s.id = r.subject JOIN rb_rules u ON u.type = r.type
		   JOIN rb_cards k ON k.card = u.card AND ((s.person = 1 AND k.person = 1) OR (s.person = 0 AND k.org = 1))
		   WHERE (r.revoked IS NULL OR r.revoked > ${at}) AND r.day <= ${at}
		     AND (u.lapse IS NULL OR ${at} < r.day + u.lapse) AND NOT ${repaired('r.day')}`,
		`${D.table} rule_tot AS SELECT subject, card, rule,
		   CASE WHEN cap < 0 AND sum(pts) < cap THEN cap WHEN cap > 0 AND sum(pts) > cap THEN cap
		        ELSE sum(pts) END AS pts, max(gcap) AS gcap
		   FROM contrib GROUP BY subject, card, rule, cap`,
		`${D.table} card_tot AS SELECT subject, card, sum(pts) AS pts, max(gcap) AS gcap
		   FROM rule_tot GROUP BY subject, card`,
		`${D.table} cons AS SELECT subject, name, op FROM (
		   SELECT c.subject, c.type AS name, c.op, row_number() OVER (
		     PARTITION BY c.subject, c.type ORDER BY ${D.day('c.date')} DESC) AS rn
		   FROM city c WHERE c.op IN ('consent', 'withdraw') AND ${D.day('c.date')} <= ${at}) x
		   WHERE rn = 1`,
		`${D.table} scored AS SELECT s.id AS subject, k.card, k.name,
		   CASE WHEN (s.person = 1 AND k.person = 0) OR (s.person = 0 AND k.org = 0) THEN 'not_applicable'
		        WHEN k.consent = 1 AND coalesce(c.op, '') <> 'consent' THEN 'no_consent'
		        ELSE 'scored' END AS status,
		   CASE WHEN k.base + coalesce(t.pts, 0) < k.lo THEN k.lo
		        WHEN k.base + coalesce(t.pts, 0) > k.hi THEN k.hi
		        ELSE k.base + coalesce(t.pts, 0) END AS score, t.gcap
		   FROM subj s CROSS JOIN rb_cards k
		   LEFT JOIN card_tot t ON t.subject = s.id AND t.card = k.card
		   LEFT JOIN cons c ON c.subject = s.id AND c.name = k.name`,
		`${D.table} res_cards AS SELECT t.subject, t.name AS scorecard, t.status,
		   CASE WHEN t.status = 'scored' THEN t.score ELSE 0 END AS score,
		   CASE WHEN t.status <> 'scored' THEN '-' ELSE g.name END AS grade
		   FROM (SELECT t.*, CASE WHEN t.gcap IS NOT NULL AND t.gcap > ${gradeCase(rb)} THEN t.gcap
		                         ELSE ${gradeCase(rb)} END AS g FROM scored t) t
		   JOIN rb_grades g ON g.card = t.card AND g.g = t.g`,
		`${D.table} res_lists AS SELECT r.subject, l.name AS list, ${listStart} AS since,
		   ${until} AS until, r.record_id
		   FROM rec r JOIN subj s ON s.id = r.subject JOIN rb_lists l ON l.type = r.type
		     AND ((s.person = 1 AND l.person = 1) OR (s.person = 0 AND l.org = 1))
		   WHERE (r.revoked IS NULL OR r.revoked > ${at}) AND ${listStart} <= ${at}
		     AND ((${until}) IS NULL OR ${at} < (${until}))`,
	].map((s) => s.replace(/\s+/g, ' ').trim());
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
	await con.run(`CREATE TABLE city AS SELECT * FROM read_csv(${q(csv)}, header = true, all_varchar = true)`);
	const t1 = performance.now();
	for (const s of jobSql('duckdb', rb, atIso))
		await con.run(s);
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
