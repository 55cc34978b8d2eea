// The dashboard as a supervisor sees it (t-dashboard.py starts the service
// and passes the figures the data set gives in EXPECT): signs in with the
// form, reads each site's figures and charts, takes screenshots at
// 1366x768 and 390x844, then has CAB-NEW send new events (kc-forward-test,
// as the cabinet's forwarder would) and waits for the open page to show
// them without a reload.
'use strict';
const { execFileSync } = require('child_process');
const { URL, check, launch, submitLogin, run } = require('./console.js');

const EXPECT = JSON.parse(process.env.EXPECT);
const MONTH = process.env.MONTH;

// "2026-11" n months after month
function monthAdd(month, n) {
  let y = Number(month.slice(0, 4)), m = Number(month.slice(5, 7)) + n;
  while (m > 12) { m -= 12; y++; }
  while (m < 1) { m += 12; y--; }
  return `${y}-${String(m).padStart(2, '0')}`;
}

function monthsBetween(a, b) {
  return (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
}

run(async () => {
  const { browser, page, shot, text } = await launch();
  let navigations = 0;

  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    console.log('== sign in with the form');
    await page.goto(URL + '/');
    check(page.url().endsWith('/login'), 'without a session, / leads to the sign-in form', page.url());
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    check(new globalThis.URL(page.url()).pathname === '/', 'signed in, the home page is the dashboard', page.url());
    await page.waitForSelector('#dash');
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
    const t = await text();
    check(t.includes('总览'), 'the page is the dashboard (总览)', t.slice(0, 200));
    check(await page.locator('meta[name="viewport"]').count() === 1, 'a viewport meta tag');
    for (const code of ['tamper', 'wrong_slot', 'vacant', 'inspection', 'true', 'false', 'null', 'undefined'])
      check(!new RegExp(`\\b${code}\\b`).test(t), `no code "${code}" in the page's text`);
    check(!/\d\d:\d\d:\d\d(\.\d+)?Z/.test(t), 'no UTC time in the page');

    for (const [site, e] of Object.entries(EXPECT)) {
      console.log(`== ${site} ${e.name}`);
      const sec = page.locator(`section[data-site="${site}"]`);
      check(await sec.count() === 1, `a section for ${site}`);
      check((await sec.locator('h2').innerText()).includes(e.name), `the site by name: ${e.name}`);
      const cov = sec.locator('.card.coverage');
      const [pct, target, nv, ni] = await Promise.all(['data-pct', 'data-target', 'data-vacant', 'data-inspected']
        .map((a) => cov.getAttribute(a)));
      check(pct === e.pct && Number(target) === e.target && Number(nv) === e.vacant && Number(ni) === e.inspected,
            `this month: ${e.pct} % (${e.inspected}/${e.vacant}) against ${e.target} %`, `${pct} ${ni}/${nv} ${target}`);
      const covText = (await cov.innerText()).replace(/\s+/g, ' ');
      check(covText.includes(`${e.pct}%`) && covText.includes(`目标 ${e.target}%`) && covText.includes('未达标'),
            'the card says it: coverage, target, 未达标', covText);
      check(await cov.locator('svg.bar rect.value').getAttribute('width') === e.pct,
            `the bar is ${e.pct} wide of 100`, await cov.locator('svg.bar rect.value').getAttribute('width'));
      check(await cov.locator('svg.bar line.target').getAttribute('x1') === `${e.target}.0`,
            `the target mark at ${e.target}`);

      const trend = sec.locator('.card.trend');
      const last = await trend.getAttribute('data-last');
      check(await trend.getAttribute('data-first') === monthAdd(last, -11), `12 months, ${monthAdd(last, -11)} to ${last}`);
      const labels = await trend.locator('svg.trend text[text-anchor="middle"]').allTextContents();
      check(labels.length === 12 && labels[11] === `${Number(last.slice(5))}月`, 'each month labelled, as 11月',
            labels.join(' '));
      // where each month's point must be: x = 20 + 20 i, y = 100 - 0.9 pct
      const want = {};
      for (let i = 0; i < 12; i++) {
        const m = monthAdd(last, i - 11), d = monthsBetween(MONTH, m);
        const v = d === 0 ? e.trend[MONTH] : d === -1 ? e.trend.before : d > 0 ? e.trend.after : null;
        if (v !== null) want[20 + 20 * i] = (100 - 0.9 * v).toFixed(1);
      }
      const pts = (await trend.locator('svg.trend polyline.line').getAttribute('points')).trim().split(/\s+/);
      const got = Object.fromEntries(pts.map((p) => p.split(',')));
      check(JSON.stringify(got) === JSON.stringify(want),
            `the trend's points: ${MONTH} at ${e.trend[MONTH]} %, the month before at ${e.trend.before} %`,
            `${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      check(await trend.locator('svg.trend circle').count() === Object.keys(want).length,
            'a point for each month with vacant units');

      for (const f of ['keys_out', 'overdue', 'ids_held', 'unreviewed'])
        check(await sec.locator(`[data-figure="${f}"]`).innerText() === String(e[f]), `${f}: ${e[f]}`,
              await sec.locator(`[data-figure="${f}"]`).innerText());
      const alarms = sec.locator('.card.alarms');
      const kinds = Object.entries(e.alarms);
      check(await alarms.locator('li').count() === kinds.length, `${kinds.length} kind(s) of open alarm`);
      for (const [kind, [word, n]] of kinds) {
        const li = (await alarms.locator(`li[data-kind="${kind}"]`).innerText()).replace(/\s+/g, ' ');
        check(li === `${word} ${n}`, `open alarms by kind, as words: ${word} ${n}`, li);
      }
      if (!kinds.length)
        check((await alarms.innerText()).includes('无'), 'no open alarm: 无');

      for (const [cab, h] of Object.entries(e.cabinets)) {
        const c = sec.locator(`.cab[data-cabinet="${cab}"]`);
        check(await c.count() === 1, `cabinet ${cab} listed`);
        const ct = (await c.innerText()).replace(/\s+/g, ' ');
        check(Number(await c.getAttribute('data-backlog')) === h.backlog &&
              (h.backlog ? ct.includes(`至少 ${h.backlog} 条被拒收`) : ct.includes('无已知积压')),
              `${cab}: backlog ${h.backlog}`, ct);
        check(Number(await c.getAttribute('data-boards-fault')) === h.faults && ct.includes(`故障板 ${h.faults}`),
              `${cab}: boards in fault ${h.faults}`, ct);
        check(await c.getAttribute('data-chain') === h.chain && ct.includes('事件链 完整'), `${cab}: chain intact`, ct);
        const seen = await c.locator('[data-last-seen]').getAttribute('data-last-seen');
        check(seen && Date.now() - Date.parse(seen) < 10 * 60000 && /最近收到事件 \d{4}-\d\d-\d\d \d\d:\d\d（/.test(ct),
              `${cab}: last seen in local time, just now`, `${seen} ${ct}`);
      }
    }
    await shot('dashboard-1366x768');
    await shot('dashboard-1366x768-full', true);

    console.log('== on a phone, 390x844');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const boxes = await page.locator('section[data-site="SO"] .card').evaluateAll((els) =>
      els.map((el) => { const r = el.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.width)]; }));
    check(boxes.length >= 4 && boxes.every(([x, w]) => x === boxes[0][0] && w === boxes[0][1] && w <= 390),
          'the cards stack, one a row, within 390 px', JSON.stringify(boxes));
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    check(sw <= 390, 'no sideways scrolling', sw);
    await shot('dashboard-390x844');
    await shot('dashboard-390x844-full', true);
    await page.setViewportSize({ width: 1366, height: 768 });

    console.log('== CAB-NEW sends new events while the page is open');
    await page.evaluate(() => { window.kcNotReloaded = true; });
    const before = navigations;
    execFileSync(process.env.FWD, ['fill', process.env.LIVE_DB, process.env.LIVE_CABINET],
                 { input: process.env.LIVE_EVENTS });
    execFileSync(process.env.FWD, ['run', process.env.LIVE_DB, URL, process.env.LIVE_TOKEN, '--until-empty', '30']);
    const sn = 'section[data-site="SN"]';
    const changed = await page.waitForFunction((sel) => {
      const c = document.querySelector(`${sel} .card.coverage`);
      const k = document.querySelector(`${sel} [data-figure="keys_out"]`);
      return c && c.dataset.pct === '20.0' && k && k.textContent === '1';
    }, sn, { timeout: 20000 }).then(() => true, () => false);
    check(changed, 'the page shows N1 inspected (20.0 %) and one key out', await page.locator(sn).innerText());
    check(await page.locator(`${sn} svg.bar rect.value`).getAttribute('width') === '20.0', 'the bar grew to 20.0');
    const last = await page.locator(`${sn} .card.trend`).getAttribute('data-last');
    const x = 20 + 20 * (11 - monthsBetween(MONTH, last));
    const pts = await page.locator(`${sn} svg.trend polyline.line`).getAttribute('points');
    check(pts.split(/\s+/).includes(`${x},10.0`), `the late inspection moved ${MONTH}'s point to 100 % (${x},10.0)`, pts);
    check(await page.evaluate(() => window.kcNotReloaded === true) && navigations === before,
          'without reloading the page', `${navigations - before} navigation(s)`);
    await shot('dashboard-after-new-events');
  } finally {
    await browser.close();
  }
});
