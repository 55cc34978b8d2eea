// The browser side of tests/kiosk/t-card-vm.sh: the kiosk's page in
// Chromium on this host, keycab-kiosk in the VM, cards typed on the VM's
// uinput reader through card-typer's serial line ($CARD_CMD). The page is
// paired as the display pairs it ($KIOSK_PAIR); a known card logs its
// person in on that screen, by name, even when another local process
// opened an event stream after it with a cookie of its own making (that
// stream gets no login, and the cookie no session); a card the cabinet
// does not know is refused on the page and logs nobody in.
'use strict';
const http = require('http');
const net = require('net');
const { URL: Url } = require('url');
const { launch, pair, until, check, failures } = require('./lib.js');

const URL = process.env.KIOSK_URL;
const E = process.env;

// Types a card (and Enter) on the VM's reader; resolves when typed.
function typeCard(id) {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(E.CARD_CMD);
    let buf = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('card-typer did not answer')); }, 20000);
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { clearTimeout(timer); s.end(); resolve(buf.trim()); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.write(`card ${id}\n`);
  });
}

// Attack, clearly: a local process opening the event stream with a
// cookie it made up (of the kiosk's form: 43 characters of base64url);
// what the stream carries is kept in .data.
function rogueStream(cookie) {
  const st = { data: '', status: 0 };
  st.req = http.get(new Url('/api/events', URL), { headers: { Cookie: `kcterm=${cookie}` } }, (res) => {
    st.status = res.statusCode;
    res.on('data', (c) => { st.data += c; });
  });
  st.req.on('error', () => {});
  return st;
}
function rogueAsk(path, cookie) {
  return new Promise((resolve) => {
    const rq = http.request(new Url(path, URL), { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 2, Cookie: `kcterm=${cookie}` } }, (res) => {
      let d = '';
      res.on('data', (c) => { d += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: d }));
    });
    rq.on('error', (e) => resolve({ status: 0, text: String(e) }));
    rq.end('{}');
  });
}

function api(page, url, body) {
  return page.evaluate(async ([u, b]) => {
    const r = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
    return { status: r.status, json: await r.json().catch(() => null) };
  }, [url, body]);
}

(async () => {
  const { browser, terminal } = await launch({ test: 'card-vm' });
  try {
    const t = await terminal('card');
    const page = t.page;
    const who = async () => (await page.textContent('#who')) || '';
    check(await pair(t), 'paired as the display pairs, through the hostfwd: the idle screen', page.url());
    await t.shot('idle');

    /* a card nobody has: refused on the page, nobody logged in */
    let typed = await typeCard(E.CARD_UNKNOWN);
    check(typed === 'typed 0', 'an unknown card typed on the uinput reader; a plain reader beside the kiosk saw none of its keys (the grab)', typed);
    const refused = await until(async () => /未能登录/.test((await page.textContent('body')) || ''), 10000);
    await t.shot('unknown-card');
    check(refused, 'the unknown card: the page says 未能登录 (refused)',
      (await page.textContent('body')).slice(0, 300));
    const why = (await page.textContent('[data-t=card-refused]')) || '';
    check(/此卡未登记/.test(why) && !/[A-Za-z]{3,}/.test(why), 'the unknown card: why, in Chinese', why);
    let w = await api(page, '/api/op/whoami', {});
    check(!(w.json && w.json.ok), 'the unknown card: whoami says nobody is logged in', JSON.stringify(w.json));
    check(!(await who()).trim(), 'the unknown card: no name in the header', await who());

    /* a local process opens the event stream after the screen did, with a
     * cookie it made up, then S01's card is tapped */
    const fake = require('crypto').randomBytes(32).toString('base64url');
    const rogue = rogueStream(fake);
    await until(async () => rogue.status !== 0, 5000);
    check(rogue.status === 401, `the made-up cookie's event stream is refused (${rogue.status})`, rogue.status);
    typed = await typeCard(E.CARD_S01);
    check(typed === 'typed 0', "S01's card typed; no key reached the plain reader", typed);
    check(await until(async () => (await who()).includes(E.NAME_S01.split(' ')[0]), 15000),
      `S01's card: the header names ${E.NAME_S01}`, await who());
    check(!!(await page.$('[data-t=tile-find]')), "S01's card: the home screen's tiles");
    await t.shot('s01');
    w = await api(page, '/api/op/whoami', {});
    check(w.json && w.json.ok && w.json.person === 'S01', "S01's card: whoami is S01", JSON.stringify(w.json));
    check(!/event: login/.test(rogue.data) && !/S01/.test(rogue.data),
      "the other process's stream got no login", rogue.data.slice(-300));
    const asked = await rogueAsk('/api/op/whoami', fake);
    check(asked.status === 401 && !/S01/.test(asked.text), 'its cookie holds no session (whoami: 401)',
      `${asked.status} ${asked.text.slice(0, 200)}`);
    rogue.req.destroy();
    await page.tap('[data-t=logout]');
    check(await until(async () => !!(await page.$('[data-t=login-pin]')), 10000), 'logged out: the idle screen');

    /* E01's card: another person, named */
    typed = await typeCard(E.CARD_E01);
    check(typed === 'typed 0', "E01's card typed; no key reached the plain reader", typed);
    check(await until(async () => (await who()).includes(E.NAME_E01.split(' ')[0]), 15000),
      `E01's card: the header names ${E.NAME_E01}`, await who());
    w = await api(page, '/api/op/whoami', {});
    check(w.json && w.json.ok && w.json.person === 'E01', "E01's card: whoami is E01", JSON.stringify(w.json));
    await t.shot('e01');
  } catch (e) {
    check(false, 'the browser test ran to its end', e.stack);
  } finally {
    await browser.close();
  }
  process.exit(failures() ? 1 : 0);
})();
