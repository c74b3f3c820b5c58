// browser.js - loads the newsmon dashboard in Debian's headless Chromium
// (playwright-core drives /usr/bin/chromium; no browser is downloaded) and
// prints what the page shows as one JSON document on stdout:
//   console (every console message and page error), requests (every URL the
//   page asked for), charts (uPlot's series labels and data, as plotted),
//   tables, alerts (title, link, meta, evidence as rendered), status text.
// test_web.sh checks that JSON against Redis and `newsmon top`.
//
//   node browser.js URL SCREENSHOT.png PROFILE_DIR [ACTION]
// ACTION "filter-lang=xx" picks a language in the filter before reading.
// With Redis down the page has no data: charts and tables come back empty.
'use strict';
const { chromium } = require('playwright-core');

const [url, shot, profile, action] = process.argv.slice(2);

async function main() {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.NM_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1600 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const consoleMsgs = [], requests = [], failed = [];
  page.on('console', (m) => consoleMsgs.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => consoleMsgs.push({ type: 'pageerror', text: String(e) }));
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => failed.push({ url: r.url(), error: r.failure() && r.failure().errorText }));
  page.on('response', (r) => { if (r.status() >= 400) failed.push({ url: r.url(), status: r.status() }); });

  await page.goto(url, { waitUntil: 'load', timeout: 20000 });
  // the first refresh is over (good data, or an error the page shows)
  await page.waitForFunction(() => window.nm && window.nm.refreshes > 0 && !window.nm.busy, null,
                             { timeout: 20000 });
  if (action && action.startsWith('filter-lang=')) {
    const lang = action.slice('filter-lang='.length);
    const before = await page.evaluate(() => window.nm.refreshes);
    await page.selectOption('#f-lang', lang);
    await page.waitForFunction((n) => window.nm.refreshes > n && !window.nm.busy, before, { timeout: 20000 });
  }
  const shown = await page.evaluate(() => {
    const nm = window.nm;
    const charts = {};
    for (const [name, u] of Object.entries(nm.charts))
      charts[name] = { labels: u.series.map((s) => s.label), data: u.data.map((col) => Array.from(col)) };
    const table = (id) => Array.from(document.querySelectorAll(`#${id} tbody tr[data-id]`)).map((tr) => ({
      id: tr.dataset.id, cells: Array.from(tr.children).map((td) => td.textContent) }));
    const alerts = Array.from(document.querySelectorAll('#alerts > li.alert')).map((li) => {
      const a = li.querySelector('.title a');
      return {
        id: li.dataset.id, title: li.querySelector('.title').textContent, href: a ? a.getAttribute('href') : null,
        meta: li.querySelector('.meta').textContent,
        chips: Array.from(li.querySelectorAll('.chip')).map((c) => c.textContent),
        evidence: Array.from(li.querySelectorAll('.evidence li.ev')).map((e) => ({
          term: e.querySelector('.term').textContent, snippet: e.querySelector('.snippet').textContent })),
      };
    });
    return {
      status: document.getElementById('status').textContent,
      statusClass: document.getElementById('status').className,
      what: document.getElementById('what').textContent,
      notes: ['note-topics', 'note-entities', 'note-alerts', 'features'].map((id) => document.getElementById(id).textContent),
      chartIds: nm.data.serT ? { topics: nm.data.serT.series.map((s) => s.id), entities: nm.data.serE.series.map((s) => s.id) } : {},
      charts, topEntities: table('top-entities'), topTopics: table('top-topics'), movers: table('movers'),
      alerts, canvases: document.querySelectorAll('.chart canvas').length,
      now: nm.data.serT ? nm.data.serT.now : null,
    };
  });
  await page.screenshot({ path: shot, fullPage: true });
  await ctx.close();
  process.stdout.write(JSON.stringify({ console: consoleMsgs, requests, failed, shown }) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
