// newsmon dashboard: polls /api/ and draws with uPlot (served by newsmon, no network needed).
// Text from articles is only ever set with textContent, never parsed as HTML.
'use strict';

const nm = {             // state; the browser test reads charts and data from here
  hours: 24, topic: '', entity: '', lang: '',
  refreshS: 15, refreshes: 0, lastOk: 0, status: null,
  charts: {}, data: {}, timer: null, busy: false,
};
window.nm = nm;

const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf3989', '#9a6700',
                 '#0a7b83', '#d1242f', '#6e7781', '#953800'];
const WEEK = 168;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

function utc(ms) {
  if (!Number.isFinite(ms)) return '';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function windowLabel(h) {
  return h === 0 ? 'all time' : h === 1 ? 'last hour' : h % 24 === 0 ? `last ${h / 24 === 1 ? '24 hours' : h / 24 + ' days'}` : `last ${h} hours`;
}

// display names from the rule files (/api/names); an id without one is shown as it is
let NAMES = { entities: {}, topics: {}, languages: {} };

// "person:vladimir_putin" -> "Vladimir Putin (person)"; topics keep their ids (the alert topics)
function label(id) {
  const e = NAMES.entities[id];
  return e ? `${e.name} (${e.type})` : id;
}
function topicTitle(id) { return NAMES.topics[id] || ''; }

async function api(path) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), 10000);
  try {
    const r = await fetch(path, { signal: ctl.signal, cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const err = new Error((body && body.error) || `HTTP ${r.status}`);
      err.redisDown = r.status === 503;
      throw err;
    }
    return body;
  } finally {
    clearTimeout(t);
  }
}

function q(params) {
  return Object.entries(params).filter(([, v]) => v !== '' && v != null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

// ---------------------------------------------------------------- status

function showStatus(kind, text) {
  const s = $('status');
  s.className = 'status ' + kind;
  s.textContent = text;
}

function updateStatus(err) {
  const now = Date.now();
  if (err) {
    const age = nm.lastOk ? ` (last good data ${utc(nm.lastOk)})` : '';
    showStatus('down', (err.redisDown ? 'Redis down: ' : 'dashboard unreachable: ') + err.message + age);
    return;
  }
  const st = nm.status;
  const newest = st.newest_hour == null ? null : st.newest_hour * 1000;
  // counts that stopped arriving: the newest counted hour is over two hours old
  if (newest == null) {
    showStatus('stale', `Redis up; no counts in the last 7 days (${st.articles} articles counted in all)`);
  } else if (now - newest > 2 * 3600 * 1000) {
    showStatus('stale', `stale: newest counts are from the hour of ${utc(newest)}`);
  } else {
    showStatus('ok', `live · ${st.articles} articles, ${st.relevant} relevant · updated ${utc(now).slice(11)}`);
  }
}

function staleWatch() {
  // no successful refresh for 2.5 intervals: the data on screen is old
  if (nm.lastOk && Date.now() - nm.lastOk > 2.5 * nm.refreshS * 1000 &&
      !$('status').classList.contains('down'))
    showStatus('stale', `stale: no update since ${utc(nm.lastOk)}`);
}

// ---------------------------------------------------------------- charts

function surgeKey(s) { return s.key || s.id_key || ''; }

// a dot on every hour with articles: a lone hour stays visible in a week
const nonzero = (u, si) => u.data[si].map((v, k) => (v > 0 ? k : -1)).filter((k) => k >= 0);

function drawChart(name, payload, surges) {
  const box = $('chart-' + name);
  const series = payload.series || [];
  if (!series.length) {
    if (nm.charts[name]) { nm.charts[name].destroy(); delete nm.charts[name]; }
    box.textContent = '';
    box.append(el('p', { class: 'empty', text: `No ${name} counted in the last 7 days.` }));
    return;
  }
  const data = [payload.t.slice()];
  const opts = {
    width: Math.max(320, box.clientWidth || 900), height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
    axes: [{ values: (u, splits) => splits.map((ts) => {
               const d = new Date(ts * 1000), h = d.getUTCHours();
               return h === 0 ? d.toISOString().slice(5, 10) : String(h).padStart(2, '0') + ':00';
             }) },
           { label: 'articles per hour', size: 50 }],
    legend: { live: true },
    series: [{ label: 'hour (UTC)' }],
  };
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    data.push(s.articles);
    opts.series.push({ label: label(s.id), stroke: color, width: 1.5,
                       points: { show: true, size: 6, space: 0, fill: color, filter: nonzero } });
    if (s.stories) {
      data.push(s.stories);
      opts.series.push({ label: label(s.id) + ' stories', stroke: color, dash: [4, 4], width: 1 });
    }
    // surge markers: the surge's count at its hour, baseline in the legend
    const mine = (surges || []).filter((g) => surgeKey(g).endsWith(s.id));
    if (mine.length) {
      const col = payload.t.map(() => null);
      for (const g of mine) {
        const at = typeof g.hour === 'number' ? g.hour : Date.parse(g.hour) / 1000;
        const k = payload.t.indexOf(Math.floor(at / 3600) * 3600);
        if (k >= 0) col[k] = g.count != null ? g.count : s.articles[k];
      }
      data.push(col);
      opts.series.push({ label: label(s.id) + ' surge', stroke: color, width: 0,
                         points: { show: true, size: 12, fill: color } });
    }
  });
  // same lines as before: new data in place (keeps the hover and the zoom)
  const labels = opts.series.map((x) => x.label).join('\n');
  const u = nm.charts[name];
  if (u && u.nmLabels === labels) {
    u.setData(data);
    return;
  }
  if (u) u.destroy();
  box.textContent = '';
  nm.charts[name] = new uPlot(opts, data, box);
  nm.charts[name].nmLabels = labels;
}

// ---------------------------------------------------------------- tables

function fillTable(id, rows, cols, onPick, selected) {
  const tb = $(id).querySelector('tbody');
  tb.textContent = '';
  if (!rows.length) {
    tb.append(el('tr', {}, el('td', { colspan: String(cols.length + 1), class: 'empty', text: 'no counts in this window' })));
    return;
  }
  rows.forEach((r, i) => {
    const tr = el('tr', { 'data-id': r.id }, el('td', { class: 'n', text: String(i + 1) }));
    for (const c of cols) {
      const v = typeof c === 'function' ? c(r) : r[c];
      tr.append(el('td', { class: (c === 'stories' ? 'stories-col ' : '') + (typeof v === 'number' ? 'n' : '') },
        v == null ? '–' : typeof v === 'number' ? String(Math.round(v * 100) / 100) : v));
    }
    if (r.id === selected) tr.classList.add('selected');
    tr.addEventListener('click', () => onPick(r.id));
    tb.append(tr);
  });
}

function setOptions(selectId, ids, first) {
  const s = $(selectId), keep = s.value;
  const want = [first, ...ids];
  const have = Array.from(s.options).map((o) => o.value);
  if (want.join('\n') === have.join('\n')) return;
  s.textContent = '';
  for (const id of want) {
    const text = id === '' ? s.dataset.all : selectId === 'f-lang' ? (NAMES.languages[id] ? `${id} (${NAMES.languages[id]})` : id)
                                        : selectId === 'f-topic' ? `${id}${topicTitle(id) ? ' — ' + topicTitle(id) : ''}` : label(id);
    s.append(el('option', { value: id, text }));
  }
  s.value = want.includes(keep) ? keep : '';
}

// ---------------------------------------------------------------- alerts

function evidenceOf(a) {
  const out = [];
  const add = (list, what) => {
    for (const e of list || []) if (e && (e.snippet || e.term)) out.push({ ...e, what: e.what || what });
  };
  add(a.evidence, '');
  for (const t of a.topics || []) if (t && typeof t === 'object') add(t.evidence, t.id);
  for (const t of a.entities || []) if (t && typeof t === 'object') add(t.evidence, t.id);
  return out;
}

const ids = (list) => (list || []).map((x) => (typeof x === 'string' ? x : x && x.id)).filter(Boolean);

function alertItem(a) {
  const li = el('li', { class: 'alert', 'data-id': a.id || '' });
  const safe = typeof a.url === 'string' && /^https?:\/\//i.test(a.url);
  const title = safe ? el('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer', text: a.title || a.id })
                     : el('span', { text: a.title || a.id });
  li.append(el('div', { class: 'title' }, title));
  const meta = [a.source || 'unknown source', `lang ${a.lang || '?'}`];
  if (a.published_at) meta.push(`published ${a.published_at}`);
  if (a.processed_at) meta.push(`processed ${a.processed_at.slice(0, 16).replace('T', ' ')} UTC`);
  li.append(el('div', { class: 'meta' }, el('span', { class: 'score', text: `score ${Number(a.score).toFixed(1)}` }),
    ' · ' + meta.join(' · ')));
  const chips = el('div', { class: 'chips' });
  for (const t of ids(a.topics)) chips.append(el('span', { class: 'chip topic', text: t, title: topicTitle(t) }));
  for (const e of ids(a.entities)) chips.append(el('span', { class: 'chip', text: label(e) }));
  li.append(chips);
  const ev = evidenceOf(a);
  const ul = el('ul', { class: 'evidence' });
  for (const e of ev.slice(0, 8)) {
    ul.append(el('li', { class: 'ev' },
      el('span', { class: 'term', text: e.term || '' }), ' ',
      el('span', { class: 'snippet', text: e.snippet || '' }), ' ',
      el('span', { class: 'where', text: `(${[e.what, e.field, e.rule].filter(Boolean).join(', ')})` })));
  }
  if (!ev.length) ul.append(el('li', { class: 'empty', text: 'no evidence recorded with this alert' }));
  li.append(ul);
  return li;
}

function drawAlerts(all) {
  const langs = [...new Set(all.map((a) => a.lang).filter(Boolean))].sort();
  setOptions('f-lang', langs, '');
  const shown = all.filter((a) => (!nm.topic || ids(a.topics).includes(nm.topic)) &&
                                  (!nm.entity || ids(a.entities).includes(nm.entity)) &&
                                  (!nm.lang || a.lang === nm.lang));
  const ol = $('alerts');
  ol.textContent = '';
  for (const a of shown) ol.append(alertItem(a));
  const f = [nm.topic && `topic ${nm.topic}`, nm.entity && `entity ${label(nm.entity)}`, nm.lang && `language ${nm.lang}`].filter(Boolean);
  $('alerts-label').textContent = `${shown.length} of the ${all.length} newest` + (f.length ? ` · ${f.join(', ')}` : '');
  if (!nm.status.alerts)
    $('note-alerts').textContent = 'No alert recorded in Redis yet (newsmon keeps the newest alerts in a capped list as it publishes them).';
  else if (!shown.length)
    $('note-alerts').textContent = 'No recorded alert matches the filters.';
  else $('note-alerts').textContent = 'Newest first. Each alert lists the terms that matched and the text around them.';
}

// ---------------------------------------------------------------- refresh

async function refresh() {
  if (nm.busy) return;
  nm.busy = true;
  try {
    if (!nm.names) { nm.names = await api('/api/names'); NAMES = nm.names; }
    const st = await api('/api/status');
    nm.status = st;
    if (st.refresh_s && st.refresh_s !== nm.refreshS) { nm.refreshS = st.refresh_s; schedule(); }
    $('refresh-s').textContent = String(nm.refreshS);
    const H = nm.hours;
    const [topE, topT, movers, alerts, surges, allE, allT] = await Promise.all([
      api('/api/top?' + q({ kind: 'entity', hours: H, n: 15 })),
      api('/api/top?' + q({ kind: 'topic', hours: H, n: 32 })),
      api('/api/movers?' + q({ kind: 'entity', hours: H === 0 ? 24 : H, n: 10 })),
      api('/api/alerts?n=200'),
      st.surges ? api('/api/surges?n=200') : Promise.resolve({ surges: [] }),
      api('/api/top?kind=entity&hours=0&n=200'),
      api('/api/top?kind=topic&hours=0&n=32'),
    ]);
    const topMoversT = await api('/api/movers?' + q({ kind: 'topic', hours: H === 0 ? 24 : H, n: 10 }));
    const entityIds = nm.entity ? [nm.entity] : topE.rows.slice(0, 8).map((r) => r.id);
    const [serT, serE] = await Promise.all([
      api('/api/series?' + q(nm.topic ? { kind: 'topic', hours: WEEK, ids: nm.topic } : { kind: 'topic', hours: WEEK, n: 32 })),
      entityIds.length ? api('/api/series?' + q({ kind: 'entity', hours: WEEK, ids: entityIds.join(',') }))
                       : Promise.resolve({ t: [], series: [] }),
    ]);
    nm.data = { status: st, topE, topT, movers, topMoversT, alerts, surges, serT, serE };

    setOptions('f-entity', allE.rows.map((r) => r.id), '');
    setOptions('f-topic', allT.rows.map((r) => r.id), '');
    document.querySelectorAll('.window-label').forEach((e) => { e.textContent = windowLabel(H) + ', articles'; });
    fillTable('top-entities', topE.rows, ['id', 'articles', 'mentions', 'stories'].map((c) => (c === 'id' ? (r) => label(r.id) : c)),
      (id) => pick('entity', id), nm.entity);
    fillTable('top-topics', topT.rows, [(r) => r.id, 'articles', 'stories'], (id) => pick('topic', id), nm.topic);
    document.querySelectorAll('#top-topics tbody tr[data-id]').forEach((tr) => { tr.title = topicTitle(tr.dataset.id); });
    document.querySelectorAll('.stories-col').forEach((e) => e.classList.toggle('absent', !st.stories));
    const mv = [...movers.rows, ...topMoversT.rows].sort((a, b) => b.ratio - a.ratio || b.current - a.current).slice(0, 10);
    const mh = H === 0 ? 24 : H;
    $('movers-label').textContent = `${windowLabel(mh)} vs the ${mh} h before`;
    const tb = $('movers').querySelector('tbody');
    tb.textContent = '';
    for (const r of mv) tb.append(el('tr', { 'data-id': r.id }, el('td', { text: label(r.id) }),
      el('td', { class: 'n', text: String(r.current) }), el('td', { class: 'n', text: String(r.previous) }),
      el('td', { class: 'n', text: r.ratio.toFixed(1) + '×' })));
    if (!mv.length) tb.append(el('tr', {}, el('td', { colspan: '4', class: 'empty', text: 'nothing counted in this window' })));

    drawChart('topics', serT, surges.surges);
    drawChart('entities', serE, surges.surges);
    $('entities-which').textContent = nm.entity ? label(nm.entity) : `(the top ${entityIds.length} of the ${windowLabel(H)})`;
    const extra = (st.stories ? 'Dashed: distinct stories per hour. ' : 'Distinct stories (copies of one story counted once) appear here once newsmon counts them. ') +
      (st.surges ? 'Large dots: surges newsmon recorded.' : 'Surge markers and their baseline appear once newsmon records surges.');
    $('note-topics').textContent = `Hourly buckets, ${serT.t.length} hours up to now, UTC. ` + extra;
    $('note-entities').textContent = `Hourly buckets, UTC. Hover for values. ` + extra;
    $('features').textContent = `Optional records in Redis: stories ${st.stories ? 'yes' : 'not yet'}, surges ${st.surges ? 'yes' : 'not yet'}, recent alerts ${st.alerts ? 'yes' : 'none yet'}.`;
    drawAlerts(alerts.alerts);

    nm.lastOk = Date.now();
    updateStatus(null);
  } catch (err) {
    updateStatus(err);
    if (!nm.lastOk) $('note-alerts').textContent = 'No data yet: see the status at the top right.';
  } finally {
    nm.busy = false;
    nm.refreshes++;
  }
}

function pick(kind, id) {
  nm[kind] = nm[kind] === id ? '' : id;
  $('f-' + kind).value = nm[kind];
  refresh();
}

function schedule() {
  if (nm.timer) clearInterval(nm.timer);
  nm.timer = setInterval(() => { refresh(); }, nm.refreshS * 1000);
}

function init() {
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  $('f-topic').dataset.all = 'all topics';
  $('f-entity').dataset.all = 'top entities';
  $('f-lang').dataset.all = 'all languages';
  $('f-hours').addEventListener('change', (e) => { nm.hours = Number(e.target.value); refresh(); });
  for (const k of ['topic', 'entity', 'lang'])
    $('f-' + k).addEventListener('change', (e) => { nm[k] = e.target.value; refresh(); });
  window.addEventListener('resize', () => {
    for (const [name, u] of Object.entries(nm.charts)) u.setSize({ width: Math.max(320, $('chart-' + name).clientWidth), height: 260 });
  });
  setInterval(staleWatch, 5000);
  schedule();
  refresh();
}

init();
