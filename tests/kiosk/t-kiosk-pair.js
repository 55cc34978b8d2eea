// The browser side of t-kiosk-pair.sh: a browser that is not paired gets
// the refusal page; the display's browser pairs by navigation (the page
// keycab-kiosk --pairing-page wrote) and is the screen: its event stream
// works while 8 streams of local processes were tried, its PIN login
// goes through first time after the guesses of those processes, its
// writes are taken as JSON only when the media type is exactly JSON; a
// second pairing takes the screen over and the first browser is refused.
// Env: KIOSK_URL, KIOSK_PAIR, FAKE (the made-up cookie the shell tried).
'use strict';
const http = require('http');
const { browserTest, pair, until, check } = require('./lib.js');

const URL0 = process.env.KIOSK_URL;
const refusedZh = /不是本钥匙柜的终端屏幕/, refusedEn = /not this cabinet's terminal screen/;

// A request from the page, as its own scripts make them (type: the
// Content-Type its script gives).
function api(page, url, body, type = 'application/json') {
  return page.evaluate(async ([u, b, ty]) => {
    const init = b === undefined ? {} : { method: 'POST', headers: { 'Content-Type': ty }, body: JSON.stringify(b) };
    const r = await fetch(u, init);
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status: r.status, json, text };
  }, [url, body, type]);
}

// Opens an event stream in the page; what comes is kept in window.__ev.
function listen(page) {
  return page.evaluate(() => {
    window.__ev = [];
    const es = new EventSource('/api/events');
    for (const n of ['kiosk', 'keycabd', 'status', 'login', 'logout']) {
      es.addEventListener(n, (e) => window.__ev.push({ n, d: JSON.parse(e.data) }));
    }
    es.onerror = () => window.__ev.push({ n: 'error', d: es.readyState });
  });
}

// Attack, clearly: a local process asking with the cookie it made up.
function raw(path, cookie) {
  return new Promise((resolve) => {
    const u = new URL(path, URL0);
    const body = '{}';
    const rq = http.request(u, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Cookie: `kcterm=${cookie}` },
    }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: d }));
    });
    rq.on('error', (e) => resolve({ status: 0, text: String(e) }));
    rq.end(body);
  });
}

browserTest('t-kiosk-pair', async ({ terminal, shots }) => {
  console.log("== a browser that is not paired (a technician's laptop on the loopback)");
  const u = await terminal('unpaired');
  const resp = await u.page.goto(URL0);
  const utext = (await u.page.textContent('body')) || '';
  check(resp.status() === 401, 'it is answered 401', resp.status());
  check(refusedZh.test(utext) && refusedEn.test(utext), 'it shows why, in Chinese and in English', utext.slice(0, 300));
  check(!(await u.page.$('[data-t=idle]')) && !(await u.page.$('[data-t=login-pin]')), 'and no terminal');
  await u.shot('refused');
  check((await u.context.cookies()).length === 0, 'it was given no cookie', JSON.stringify(await u.context.cookies()));
  let r = await api(u.page, '/api/login', { person: 'S01', pin: '1111' });
  check(r.status === 401 && r.json && r.json.code === 'kiosk_not_paired' && r.json.text &&
    refusedZh.test(r.json.text['zh-CN']) && refusedEn.test(r.json.text.en),
  'a login from it: 401 kiosk_not_paired, its text in both languages', r.text.slice(0, 300));

  console.log('== the display pairs');
  const p = await terminal('screen');
  check(await pair(p), 'paired by navigation as the display does: the terminal at /', p.page.url());
  await p.shot('paired');
  const ck = (await p.context.cookies()).filter((c) => c.name === 'kcterm');
  check(ck.length === 1 && ck[0].httpOnly && ck[0].sameSite === 'Strict',
    'the screen holds the cookie the kiosk issued (HttpOnly, SameSite=Strict)', JSON.stringify(ck));
  check(ck.length === 1 && ck[0].value !== process.env.FAKE, 'not the one made up before');
  await p.page.goBack();
  const back = p.page.url();
  check(!/key=|\/pair/.test(back), `the pairing URL is not in the history (back: ${back})`, back);
  await p.page.goto(URL0);
  check(await until(async () => !!(await p.page.$('[data-t=idle]'))), 'a reload of / keeps the screen');

  console.log('== the screen beside the streams of other processes');
  await listen(p.page);
  const evs = () => p.page.evaluate(() => window.__ev);
  check(await until(async () => (await evs()).some((e) => e.n === 'keycabd' && e.d.up === true), 10000),
    "the screen's own event stream opens and says keycabd is up", JSON.stringify(await evs()));
  check(await until(async () => (await evs()).some((e) => e.n === 'status'), 5000), '... and gives the status');
  check(!(await p.page.isVisible('[data-t=down]')), 'the page shows no banner');
  await p.page.tap('[data-t=login-pin]');
  await p.page.tap('[data-t=name-S01]');
  for (const d of '1111') await p.page.tap(`[data-k="${d}"]`);
  await p.page.tap('[data-t=pin-ok]');
  await p.page.waitForSelector('[data-t=tile-find], [data-t=refusal]');
  check(!!(await p.page.$('[data-t=tile-find]')), 'S01 logs in at the screen with the right PIN at the first try',
    await p.page.textContent('body'));
  await p.shot('logged-in');
  r = await raw('/api/op/whoami', process.env.FAKE);
  check(r.status === 401 && !/S01/.test(r.text), 'the made-up cookie gets nothing of that login (401)', r.text);

  console.log('== writes: the media type exactly JSON');
  for (const [type, want] of [['application/jsonx', 403], ['application/json-seq', 403], ['text/plain', 403],
    ['application/json; charset=latin1', 403], ['application/json;x=1', 403], ['application/json', 200],
    ['application/json; charset=utf-8', 200], ['Application/JSON;charset=UTF-8', 200]]) {
    r = await api(p.page, '/api/op/ping', {}, type);
    check(r.status === want && (want === 200 ? r.json.ok : r.json.code === 'kiosk_not_own_page'),
      `Content-Type: ${type}: ${want}`, `${r.status} ${r.text.slice(0, 120)}`);
  }

  console.log('== a second pairing takes the screen over (the display restarted)');
  const n = await terminal('new-screen');
  check(await pair(n), 'another browser pairs with the same page');
  r = await api(n.page, '/api/op/whoami', {});
  check(r.status === 200 && r.json.ok === false && r.json.refused, 'the new screen starts with nobody logged in', r.text);
  check(await until(async () => refusedZh.test((await p.page.textContent('body').catch(() => '')) || ''), 15000),
    'the first browser is refused from then on: it shows the refusal page', await p.page.textContent('body').catch(() => ''));
  await p.shot('replaced');
  r = await api(p.page, '/api/op/keys', {});
  check(r.status === 401 && r.json && r.json.code === 'kiosk_not_paired', 'an op from it: 401', r.text.slice(0, 200));
  await n.shot('new-screen');
  console.log(`       screenshots: ${shots}`);
});
