// The browser side of tests/kiosk/t-card-vm.sh: the kiosk's page in
// Chromium on this host, keycab-kiosk in the VM, cards typed on the VM's
// uinput reader through card-typer's serial line ($CARD_CMD). A known card
// logs its person in on the page in front, by name; a card the cabinet
// does not know is refused on the page and logs nobody in.
'use strict';
const net = require('net');
const { launch, until, check, failures } = require('./lib.js');

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
    await page.goto(URL);
    check(await until(async () => !!(await page.$('[data-t=login-pin]')), 20000), 'the idle screen through the hostfwd');
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

    /* S01's card: the page in front shows 王芳 */
    typed = await typeCard(E.CARD_S01);
    check(typed === 'typed 0', "S01's card typed; no key reached the plain reader", typed);
    check(await until(async () => (await who()).includes(E.NAME_S01.split(' ')[0]), 15000),
      `S01's card: the header names ${E.NAME_S01}`, await who());
    check(!!(await page.$('[data-t=tile-find]')), "S01's card: the home screen's tiles");
    await t.shot('s01');
    w = await api(page, '/api/op/whoami', {});
    check(w.json && w.json.ok && w.json.person === 'S01', "S01's card: whoami is S01", JSON.stringify(w.json));
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
