/* socred portal: public search, my credit, counter check, operations.
 * Plain DOM (no innerHTML with data), SVG charts, keys kept in the tab's
 * session storage only. */
'use strict';

const main = document.getElementById('main');

function h(tag, attrs, ...kids) {
  const svg = ['svg', 'rect', 'text', 'polyline', 'line', 'g', 'title', 'circle'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function keyFor(role) { return sessionStorage.getItem('socred.key.' + role) || ''; }

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (opts.key) headers.Authorization = 'Bearer ' + opts.key;
  if (opts.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method: opts.method || 'GET', headers,
                                  body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : res.status + ' ' + res.statusText;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return body;
}

function show(...nodes) { main.replaceChildren(...nodes.flat().filter(n => n !== null && n !== undefined && n !== false)); }
function errorBox(e) { return h('p', { class: 'error', role: 'alert' }, e.message); }
function fmtUntil(u) { return u === null || u === undefined ? 'further notice' : u; }

/* ---- charts ---- */

function barChart(caption, items, opts = {}) {
  const w = opts.width || 460, rowH = 22, pad = 160;
  const max = Math.max(1, ...items.map(i => i.value));
  const svg = h('svg', { width: w, height: items.length * rowH + 10, role: 'img',
                         'aria-label': caption + ': ' + items.map(i => i.label + ' ' + i.value).join(', ') });
  items.forEach((it, k) => {
    const y = k * rowH + 4, bw = Math.round((w - pad - 60) * it.value / max);
    svg.append(h('text', { x: 4, y: y + 14 }, it.label),
               h('rect', { class: 'bar', x: pad, y, width: Math.max(bw, 1), height: rowH - 6 },
                 h('title', {}, it.label + ': ' + it.value)),
               h('text', { x: pad + bw + 6, y: y + 14 }, String(it.value)));
  });
  return h('figure', {}, h('figcaption', {}, caption), svg);
}

function lineChart(caption, points) {
  const w = 520, ht = 180, padL = 44, padB = 22;
  const vals = points.map(p => p.value).filter(v => v !== null);
  const svg = h('svg', { width: w, height: ht, role: 'img',
                         'aria-label': caption + (vals.length ? ': from ' + vals[0] + ' to ' + vals[vals.length - 1] : ': no scores') });
  if (!vals.length) {
    svg.append(h('text', { x: 10, y: 20 }, 'No score in this period (no consent, or not scored).'));
    return h('figure', {}, h('figcaption', {}, caption), svg);
  }
  const lo = Math.min(...vals) - 10, hi = Math.max(...vals) + 10;
  const x = i => padL + (w - padL - 10) * i / Math.max(1, points.length - 1);
  const y = v => ht - padB - (ht - padB - 10) * (v - lo) / (hi - lo);
  svg.append(h('line', { class: 'axis', x1: padL, y1: ht - padB, x2: w - 10, y2: ht - padB }),
             h('text', { x: 2, y: y(hi - 10) + 4 }, String(hi - 10)),
             h('text', { x: 2, y: y(lo + 10) + 4 }, String(lo + 10)),
             h('text', { x: padL, y: ht - 6 }, points[0].at),
             h('text', { x: w - 80, y: ht - 6 }, points[points.length - 1].at));
  const pts = points.map((p, i) => p.value === null ? null : x(i) + ',' + y(p.value)).filter(Boolean);
  svg.append(h('polyline', { class: 'line', points: pts.join(' ') }));
  return h('figure', {}, h('figcaption', {}, caption), svg);
}

/* ---- login ---- */

function loginForm(role, what, then) {
  const input = h('input', { id: 'key-' + role, name: 'key', type: 'password', autocomplete: 'off', required: true, size: 40 });
  const msg = h('div');
  const form = h('form', { 'aria-label': 'Sign in as ' + role, onsubmit: async ev => {
    ev.preventDefault();
    try {
      const me = await api('/v1/me', { key: input.value.trim() });
      if (me.role !== role) throw new Error('this is a ' + me.role + ' key, not a ' + role + ' key');
      sessionStorage.setItem('socred.key.' + role, input.value.trim());
      then();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', { for: 'key-' + role }, 'Your ' + what + ' key', input), h('button', { type: 'submit' }, 'Sign in'));
  return [form, msg];
}

function logout(role, then) {
  return h('button', { class: 'secondary', type: 'button', onclick: () => { sessionStorage.removeItem('socred.key.' + role); then(); } }, 'Sign out');
}

/* ---- public search ---- */

function viewSearch() {
  const q = h('input', { id: 'q', name: 'q', required: true, size: 32 });
  const out = h('div', { id: 'results' });
  const form = h('form', { role: 'search', 'aria-label': 'Search the public lists', onsubmit: async ev => {
    ev.preventDefault();
    try {
      const r = await api('/v1/search?q=' + encodeURIComponent(q.value.trim()));
      if (!r.results.length) { out.replaceChildren(h('p', {}, 'Nobody on a public list matches "' + r.q + '".')); return; }
      out.replaceChildren(h('p', { class: 'muted' }, r.results.length + ' entries on public lists at ' + r.at),
        ...r.results.map(e => h('article', { class: 'card result' },
          h('h3', {}, e.label),
          h('p', {}, h('strong', {}, e.name || e.subject), ' ', h('span', { class: 'muted' }, e.subject)),
          h('p', {}, 'Finding: ', e.finding, ' by ', e.issued_by, e.case ? ', case ' + e.case : ''),
          h('p', {}, 'Listed since ', e.since, ' until ', fmtUntil(e.until)),
          h('p', { class: 'muted' }, 'Basis: ', e.basis))));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  } }, h('label', { for: 'q' }, 'Name or identity number', q), h('button', { type: 'submit' }, 'Search'));
  show(h('h2', {}, 'Public search'),
       h('p', {}, 'Look up a person by the whole name or identity number, or an organisation by its name or the start of it. Persons are shown masked.'), form, out);
}

/* ---- my credit ---- */

async function viewMe() {
  const key = keyFor('subject');
  if (!key) { show(h('h2', {}, 'My credit'), ...loginForm('subject', 'subject', viewMe)); return; }
  let me, rep;
  try {
    me = await api('/v1/me', { key });
    rep = await api('/v1/subjects/' + encodeURIComponent(me.binding) + '/report', { key });
  } catch (e) { show(h('h2', {}, 'My credit'), errorBox(e), logout('subject', viewMe)); return; }
  const id = me.binding, base = '/v1/subjects/' + encodeURIComponent(id);
  const status = h('div', { role: 'status' });
  /* on success the view is rebuilt from the server, then the message shown */
  const act = async (path, json, done) => {
    let r;
    try { r = await api(base + path, { key, method: 'POST', json }); }
    catch (e) { status.replaceChildren(errorBox(e)); return; }
    await viewMe();
    main.prepend(h('div', { role: 'status' }, h('p', {}, done(r))));
  };
  const recOptions = () => rep.records.filter((r, i, a) => a.findIndex(x => x.record === r.record) === i)
    .map(r => h('option', { value: r.record }, r.record + ' (' + r.type + ', ' + r.date + ')'));
  const cards = rep.scorecards.filter(c => c.status !== 'not_applicable');
  const hist = cards.map(c => lineChart('Score history: ' + c.scorecard + ' (month ends)',
                                        rep.history.map(p => ({ at: p.at, value: p[c.scorecard] === undefined ? null : p[c.scorecard] }))));
  const recRows = rep.records.filter(r => r.state !== 'not_applicable').map(r => h('tr', {},
    h('td', {}, r.record), h('td', {}, r.type), h('td', {}, r.date), h('td', {}, r.scorecard || '-'),
    h('td', {}, r.points === null ? 'not scored' : r.points > 0 ? '+' + r.points : String(r.points)), h('td', {}, r.until === null ? 'never' : r.until),
    h('td', { class: 'state-' + r.state }, r.state)));
  const field = (id2, label, el) => h('span', { class: 'field' }, h('label', { for: id2 }, label), el);
  const sel = id2 => h('select', { id: id2, name: 'record', required: true }, recOptions());
  const dRec = sel('dispute-record'), dWhy = h('textarea', { id: 'dispute-reason', name: 'reason', required: true, rows: 2, cols: 50 });
  const sRec = sel('statement-record'), sText = h('textarea', { id: 'statement-text', name: 'text', required: true, rows: 2, cols: 50 });
  const rRec = sel('repair-record'), rText = h('textarea', { id: 'repair-commitment', name: 'commitment', required: true, rows: 2, cols: 50 });
  const cCard = h('select', { id: 'consent-card', name: 'scorecard' }, cards.map(c => h('option', { value: c.scorecard }, c.scorecard)));
  const days = h('input', { id: 'share-days', name: 'days', type: 'number', min: 1, max: 90, value: 7, required: true });
  show(
    h('h2', {}, 'My credit: ', id), logout('subject', viewMe), status,
    ...cards.map(c => h('section', { class: 'card', 'aria-label': 'Scorecard ' + c.scorecard },
      h('h3', {}, 'Scorecard ', c.scorecard),
      c.status === 'scored' ? h('p', {}, h('span', { class: 'big score' }, String(c.score)), h('span', { class: 'grade' }, 'grade ' + c.grade))
                            : h('p', {}, c.status === 'no_consent' ? 'Not scored: you have not given consent. Your records and their windows are kept; no points or score are computed.' : c.status))),
    h('div', { class: 'charts' }, hist),
    h('h3', {}, 'Lists'), rep.lists.length ? h('ul', {}, rep.lists.map(l => h('li', {}, l.list, ' (', l.kind, ') since ', l.since, ' until ', fmtUntil(l.until), ', record ', l.record)))
                                           : h('p', {}, 'You are on no list.'),
    h('h3', {}, 'Records: what each costs and when it lapses'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Record', 'Type', 'Date', 'Scorecard', 'Points', 'Counts until', 'State'].map(t => h('th', { scope: 'col' }, t)))), h('tbody', {}, recRows)),
    h('h3', {}, 'Incentives'), h('ul', {}, rep.incentives.map(i => h('li', {}, i.action, ': ', i.decision === 'grant' ? 'granted (instead of ' + i.standard_terms + ')' : 'standard terms: ' + i.standard_terms + ' (' + i.reasons.map(x => x.reason.replace('_', ' ') + (x.required ? ' ' + x.required : '')).join('; ') + ')'))),
    h('h3', {}, 'Who looked at my file'),
    h('table', { id: 'inquiries' }, h('thead', {}, h('tr', {}, ['When', 'Who', 'For', 'Told'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rep.inquiries.map(q => h('tr', {}, h('td', {}, q.at), h('td', {}, q.who), h('td', {}, q.action), h('td', {}, q.result))))),
    h('h3', {}, 'My disputes'),
    h('ul', { id: 'disputes' }, rep.disputes.map(d => h('li', {}, 'Dispute ', d.id, ' of ', d.record, ': ', d.status,
      d.status === 'open' ? ', decision due by ' + d.deadline : ', ' + d.outcome + ' on ' + d.decided, '. ', d.reason))),
    h('h3', {}, 'Act on my file'),
    h('form', { class: 'stack', 'aria-label': 'Dispute a record', onsubmit: ev => { ev.preventDefault(); act('/disputes', { record: dRec.value, reason: dWhy.value }, r => 'Dispute ' + r.id + ' filed; decision due by ' + r.deadline + '.'); } },
      h('h4', {}, 'Dispute a record'), field('dispute-record', 'Record', dRec), field('dispute-reason', 'Why it is wrong', dWhy), h('button', { type: 'submit' }, 'File dispute')),
    h('form', { class: 'stack', 'aria-label': 'Explain a record', onsubmit: ev => { ev.preventDefault(); act('/statements', { record: sRec.value, text: sText.value }, () => 'Statement attached.'); } },
      h('h4', {}, 'Attach an explanatory statement'), field('statement-record', 'Record', sRec), field('statement-text', 'Statement', sText), h('button', { type: 'submit' }, 'Attach')),
    h('form', { class: 'stack', 'aria-label': 'Apply for credit repair', onsubmit: ev => { ev.preventDefault(); act('/repairs', { record: rRec.value, commitment: rText.value }, r => 'Repair application ' + r.id + ' filed.'); } },
      h('h4', {}, 'Apply for credit repair'), field('repair-record', 'Record', rRec), field('repair-commitment', 'Public credit commitment', rText), h('button', { type: 'submit' }, 'Apply')),
    h('form', { 'aria-label': 'Consent', onsubmit: ev => { ev.preventDefault(); act('/consent', { scorecard: cCard.value, granted: ev.submitter.value === 'yes' }, r => (r.granted ? 'Consent given' : 'Consent withdrawn') + ' from ' + r.from + '.'); } },
      field('consent-card', 'Consent to scoring by', cCard), h('button', { type: 'submit', value: 'yes' }, 'Give consent'), h('button', { class: 'secondary', type: 'submit', value: 'no' }, 'Withdraw consent')),
    h('form', { 'aria-label': 'Share', onsubmit: ev => { ev.preventDefault(); act('/shares', { days: Number(days.value) }, r => 'Share link (score and grade only, until ' + r.expires + '): ' + location.origin + r.url); } },
      field('share-days', 'Share score and grade for (days)', days), h('button', { type: 'submit' }, 'Create link')));
}

/* ---- counter check ---- */

async function viewCounter() {
  const key = keyFor('enforcer');
  if (!key) { show(h('h2', {}, 'Counter check'), ...loginForm('enforcer', 'counter (enforcer)', viewCounter)); return; }
  let me;
  try { me = await api('/v1/me', { key }); } catch (e) { show(h('h2', {}, 'Counter check'), errorBox(e), logout('enforcer', viewCounter)); return; }
  const subject = h('input', { id: 'check-subject', name: 'subject', required: true, size: 24 });
  const action = h('select', { id: 'check-action', name: 'action' }, me.binding.split(',').map(a => h('option', { value: a }, a)));
  const out = h('div', { id: 'decision' });
  show(h('h2', {}, 'Counter check'), logout('enforcer', viewCounter),
    h('form', { 'aria-label': 'Check a subject', onsubmit: async ev => {
      ev.preventDefault();
      try {
        const r = await api('/v1/check?subject=' + encodeURIComponent(subject.value.trim()) + '&action=' + encodeURIComponent(action.value), { key });
        out.replaceChildren(h('p', { class: 'decision ' + r.decision, role: 'status' }, r.decision.replace('_', ' ').toUpperCase()),
          h('p', { class: 'muted' }, r.action, ' for ', r.subject, ' on ', r.at),
          r.standard_terms ? h('p', {}, r.decision === 'grant' ? 'Granted instead of the standard terms: ' : 'Standard terms: ', r.standard_terms) : null,
          ...r.reasons.map(x => h('div', { class: 'card' },
            x.list ? h('p', {}, 'Listed on ', h('strong', {}, x.list), x.since ? ' since ' + x.since + ' until ' + fmtUntil(x.until) : '') : null,
            x.required ? h('p', {}, 'Requires grade ', x.required, ' on ', x.scorecard) : null,
            h('p', {}, 'Measure issued by ', x.issued_by), h('p', { class: 'muted' }, 'Basis: ', x.basis))));
      } catch (e) { out.replaceChildren(errorBox(e)); }
    } }, h('span', { class: 'field' }, h('label', { for: 'check-subject' }, 'Identity number'), subject),
       h('span', { class: 'field' }, h('label', { for: 'check-action' }, 'Action'), action), h('button', { type: 'submit' }, 'Check')),
    out);
}

/* ---- operations ---- */

async function viewOps() {
  const key = keyFor('admin');
  if (!key) { show(h('h2', {}, 'Operations'), ...loginForm('admin', 'operator (admin)', viewOps)); return; }
  let s, rb;
  try { [s, rb] = await Promise.all([api('/v1/stats', { key }), api('/v1/rulebook')]); }
  catch (e) { show(h('h2', {}, 'Operations'), errorBox(e), logout('admin', viewOps)); return; }
  const gradeCharts = rb.scorecards.map(c => barChart('Grades on ' + c.name + (s.run_at ? ' (run of ' + s.run_at + ')' : ''),
    c.grades.map(g => ({ label: g.grade, value: (s.grades[c.name] || {})[g.grade] || 0 }))));
  show(h('h2', {}, 'Operations'), logout('admin', viewOps),
    h('p', {}, 'Active rulebook ', h('strong', {}, rb.rulebook + ' ' + rb.version), '; disputes are decided within ', rb.review_days, ' days; today is ', s.today, '.'),
    s.run_at ? null : h('p', { class: 'muted' }, 'No population run yet: run `socred run` for grades and list sizes.'),
    h('div', { class: 'charts' }, gradeCharts,
      barChart('List sizes (subjects)', rb.lists.map(l => ({ label: l.name, value: s.lists[l.name] || 0 }))),
      barChart('Records by source', Object.entries(s.records_by_source).map(([k, v]) => ({ label: k, value: v })))),
    h('h3', {}, 'Open disputes'),
    s.open_disputes.length ? h('table', { id: 'open-disputes' }, h('thead', {}, h('tr', {}, ['Dispute', 'Record', 'Source', 'Opened', 'Decide by', 'Reason'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, s.open_disputes.map(d => h('tr', {}, h('td', {}, d.id), h('td', {}, d.record), h('td', {}, d.source), h('td', {}, d.opened), h('td', {}, d.deadline), h('td', {}, d.reason)))))
      : h('p', {}, 'No open disputes.'));
}

/* ---- router ---- */

const views = { search: viewSearch, me: viewMe, counter: viewCounter, ops: viewOps };
function route(ev) {
  const name = (location.hash.replace(/^#\//, '') || 'search').split('/')[0];
  const view = views[name] || viewSearch;
  document.querySelectorAll('nav a').forEach(a => {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  view();
  if (ev) main.focus(); /* after navigation, not on the first load */
}
window.addEventListener('hashchange', route);
route(null);
