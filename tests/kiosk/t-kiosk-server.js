// keycab-kiosk in a real Chromium (run by t-kiosk-server.sh, which starts
// keycab-sim, keycabd and the kiosk): the page paired as the display
// pairs it, its CSP, no request leaves the machine, PIN logins through
// /api/login, the op allow-list, bodies the kiosk refuses, the event
// stream across a keycabd restart, the idle end of a login and logout.
// Env: KIOSK_URL, KIOSK_PAIR, KIOSK_IDLE_S, T (the test's directory: the
// script asks the shell to stop and start keycabd through files there).
'use strict';
const { launch, pair, until, ok, bad, check, failures, shell } = require('./lib.js');

const URL0 = process.env.KIOSK_URL;
const IDLE_S = Number(process.env.KIOSK_IDLE_S);
const origin = new URL(URL0).origin;

// A request from the page, as its own scripts make them (raw: a body
// sent as it is, not as JSON).
function api(page, url, body, raw) {
  return page.evaluate(async ([u, b, asIs]) => {
    const init = b === undefined ? {} : {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: asIs ? b : JSON.stringify(b),
    };
    const r = await fetch(u, init);
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status: r.status, json, text, csp: r.headers.get('content-security-policy') };
  }, [url, body, raw]);
}

// Opens the page's event stream; what comes is kept in window.__ev.
function listen(page) {
  return page.evaluate(() => {
    window.__ev = [];
    const es = new EventSource('/api/events');
    for (const n of ['kiosk', 'keycabd', 'status', 'ev', 'link', 'login', 'logout']) {
      es.addEventListener(n, (e) => window.__ev.push({ n, d: JSON.parse(e.data), t: Date.now() }));
    }
    window.__es = es;
  });
}
// The text the kiosk gives with an answer, in both languages
// (common/msgs/): the Chinese in the desk's register (CJK, full-width
// punctuation, no English sentence), the English as sent.
/* people's names as registered ("王芳 Wang Fang") and keycab commands
 * stand in either language */
const plain = (s) => s.replace(/[\u4e00-\u9fff]{2,4} [A-Z][a-z]+ [A-Z][a-z]+/g, '').replace(/keycab [a-z]+/g, '');
function zhText(j) {
  const z = j && j.text && j.text['zh-CN'];
  return typeof z === 'string' && /[\u4e00-\u9fff]/.test(plain(z)) && !/[,;()]/.test(z) &&
    !/[A-Za-z]{2,}[ ,.;:]+[A-Za-z]{2,}/.test(plain(z));
}
function texts(j) {
  return j && j.text && zhText(j) && typeof j.text.en === 'string' && /^[\x20-\x7e]+$/.test(plain(j.text.en));
}
const events = (page) => page.evaluate(() => window.__ev);
async function waitEvent(page, pred, ms = 15000) {
  let found = null;
  await until(async () => { found = (await events(page)).find(pred); return !!found; }, ms);
  return found;
}

(async () => {
  const { browser, terminal, shots } = await launch({ test: 't-kiosk-server' });
  try {
    const a = await terminal('A');

    console.log('== the page: paired, its CSP, its cookie, nothing from outside');
    check(await pair(a), 'paired as the display pairs it', a.page.url());
    const resp = await a.page.goto(URL0);
    check(resp.status() === 200, 'GET / answers 200', resp.status());
    const csp = resp.headers()['content-security-policy'] || '';
    check(/default-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval|\*/.test(csp),
      `a strict Content-Security-Policy: ${csp}`, csp);
    check(resp.headers()['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
    check(/钥匙柜/.test(await a.page.title()), 'the page is the terminal\'s', await a.page.title());
    await a.shot('page');
    const cookies = await a.context.cookies();
    const c = cookies.find((x) => x.name === 'kcterm');
    check(c && c.httpOnly && c.sameSite === 'Strict', 'the page cookie is HttpOnly and SameSite=Strict',
      JSON.stringify(cookies));
    // the CSP holds in the browser: an inline script does not run, an
    // image from elsewhere is not fetched
    const blocked = await a.page.evaluate(() => new Promise((res) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.appendChild(s);
      const img = document.createElement('img');
      img.src = 'http://example.invalid/x.png';
      document.body.appendChild(img);
      setTimeout(() => res({ inline: window.__inline, seen }), 500);
    }));
    check(blocked.inline === undefined && blocked.seen.some((d) => d.startsWith('script-src')) &&
      blocked.seen.some((d) => d.startsWith('img-src')),
    'the browser enforces it: an inline script and an outside image are refused', JSON.stringify(blocked));
    const st = await api(a.page, '/static/index.html');
    check(st.status === 200 && st.csp === csp, '/static/<file> serves a file of www/ with the same CSP', st.status);
    const nf = await api(a.page, '/static/nothing.js');
    check(nf.status === 404 && nf.csp === csp && nf.json && nf.json.code === 'kiosk_no_file' &&
      texts(nf.json) && nf.json.text['zh-CN'] === '没有这个文件。' && nf.json.error === 'No such file.',
    'a file not in www/ is 404, a code with its text in Chinese and English, with the CSP', nf.text);
    const fav = await api(a.page, await a.page.evaluate(() => document.querySelector('link[rel=icon]') &&
      new URL(document.querySelector('link[rel=icon]').href).pathname));
    check(fav.status === 200, 'the page names its icon, and the kiosk serves it', fav.status);

    console.log('== PIN logins through /api/login');
    await listen(a.page);
    check(await waitEvent(a.page, (e) => e.n === 'keycabd' && e.d.up === true),
      'the event stream says keycabd is up');
    const kiosk = await waitEvent(a.page, (e) => e.n === 'kiosk');
    check(kiosk && kiosk.d.language === 'zh-CN' && kiosk.d.idle_timeout_s === IDLE_S,
      'and gives the terminal\'s settings first (zh-CN, the idle timeout)', kiosk && JSON.stringify(kiosk.d));
    const ros = await api(a.page, '/api/roster');
    console.log(`       /api/roster: ${ros.status} ${ros.text.slice(0, 120)}`);
    check(ros.status === 200 && ros.json && typeof ros.json.ok === 'boolean',
      '/api/roster gives keycabd\'s reply as it is');
    let r = await api(a.page, '/api/login', { person: 'S01', pin: '9999' });
    check(r.status === 200 && r.json.ok === false && r.json.refused === true && r.json.rule === 1 &&
      /PIN/i.test(r.json.reason), `a wrong PIN: keycabd's refusal: ${r.json && r.json.reason}`, r.text);
    check(r.json.text && /\(S01\)/.test(r.json.reason) && r.json.text.en === r.json.reason.replace(' (S01)', '') &&
      !/S01/.test(JSON.stringify(r.json.text)),
    'with its text: in English keycabd\'s reason, the person\'s code (a command-line hint) left out', r.text);
    check(texts(r.json), '... and in Chinese', r.json.text && r.json.text['zh-CN']);
    r = await api(a.page, '/api/login', { person: 'S01', card: 'X' });
    check(r.status === 400 && r.json.code === 'kiosk_login_fields' && texts(r.json), 'a card cannot be sent by a page (only the reader logs in by card)',
      r.text);
    r = await api(a.page, '/api/login', { person: 'S01', pin: '1111' });
    check(r.json && r.json.ok === true && r.json.person === 'S01' && r.json.name === '王芳 Wang Fang',
      'the right PIN: logged in as 王芳 Wang Fang', r.text);
    check(!('session' in r.json) && !/[0-9a-f]{32}/.test(r.text), 'the reply holds no session token', r.text);
    check(r.json.idle_timeout_s === IDLE_S, `idle_timeout_s is the terminal's (${IDLE_S} s)`, r.json.idle_timeout_s);
    r = await api(a.page, '/api/op/whoami', {});
    check(r.json && r.json.ok && r.json.person === 'S01', 'an op goes with the session the kiosk keeps', r.text);
    r = await api(a.page, '/api/op/keys', {});
    check(r.json && r.json.ok && r.json.keys.length === 24, 'a read at the terminal: 24 keys', r.text.slice(0, 100));
    r = await api(a.page, '/api/op/release', { key: 'K-NOPE', purpose: 'inspection', due_in_s: 3600, borrower: 'E01' });
    check(r.status === 200 && r.json.ok === false && r.json.refused && r.json.rule === 0,
      `a refusal comes back as keycabd gives it: ${r.json && r.json.reason}`, r.text);
    check(texts(r.json) && r.json.text.en === 'There is no key "K-NOPE" in this cabinet; check the key code.',
      'with its text in Chinese and English', r.json.text && r.json.text['zh-CN']);
    check(/keycab keys/.test(r.json.reason) && !/keycab|--/.test(JSON.stringify(r.json.text)),
      'the command-line hint in keycabd\'s text, not in the terminal\'s', JSON.stringify(r.json.text));
    await a.shot('logged-in');

    console.log('== only the ops of the allow-list: the kiosk column of controller/ops.def');
    const spec = require('fs').readFileSync(require('path').join(__dirname, '../../controller/ops.def'), 'utf8');
    const notKiosk = [...spec.matchAll(/^KC_OP\("([a-z.]+)", \w+, NO,/gm)].map(function (m) { return m[1]; });
    check(['import', 'person.add', 'test.clock', 'entrust', 'unit.vacancy', 'login', 'subscribe', 'roster']
      .every(function (op) { return notKiosk.includes(op); }), `the spec keeps the terminal from ${notKiosk.join(', ')}`, notKiosk);
    for (const op of notKiosk) {
      r = await api(a.page, `/api/op/${op}`, {});
      check(r.status === 403 && r.json.code === 'kiosk_op_not_allowed' && texts(r.json), `/api/op/${op}: refused (403)`, r.text);
    }
    console.log('== bodies the kiosk refuses');
    r = await api(a.page, '/api/op/ping', '[1]', true);
    check(r.status === 400 && r.json.code === 'kiosk_bad_body' && texts(r.json), 'a body that is no JSON object: 400', r.text);
    r = await api(a.page, '/api/op/ping', 'x'.repeat(70000), true);
    check(r.status === 413 && r.json.code === 'kiosk_too_large' && texts(r.json), 'a body over 64 KiB: 413', r.text);

    console.log('== the screen without a login');
    r = await api(a.page, '/api/logout', {});
    check(r.json && r.json.ok, 'logout', r.text);
    r = await api(a.page, '/api/op/keys', {});
    check(r.status === 401 && r.json.refused && r.json.rule === 1 && r.json.code === 'kiosk_login_first' &&
      r.json.text['zh-CN'] === '请先登录。' && r.json.text.en === r.json.reason &&
      r.json.missing_text && r.json.missing_text['zh-CN'].join() === '登录',
    'an op without a login: refused (401), 请先登录, missing 登录', r.text);
    r = await api(a.page, '/api/op/whoami', {});
    check(r.status === 200 && r.json.ok === false && r.json.refused && r.json.rule === 1,
      'asking whoami without a login is no error: the same refusal as 200', r.text);
    r = await api(a.page, '/api/op/ping', {});
    check(r.json && r.json.ok && r.json.time_zone, `ping needs no login (time_zone ${r.json && r.json.time_zone})`, r.text);
    r = await api(a.page, '/api/op/keys', { session: 'forged' });
    check(r.status === 401, 'a session in the body is not taken', r.text);
    const b = await terminal('B');
    await b.page.goto(URL0);
    r = await api(b.page, '/api/op/ping', {});
    check(r.status === 401 && r.json.code === 'kiosk_not_paired' && texts(r.json),
      'another browser, not paired: even ping is refused (401 kiosk_not_paired)', r.text);
    r = await api(a.page, '/api/login', { person: 'S01', pin: '1111' });
    check(r.json && r.json.ok, 'logged in again', r.text);

    console.log('== keycabd restarted under an open page');
    const t0 = Date.now();
    await shell('stop');
    const down = await waitEvent(a.page, (e) => e.n === 'keycabd' && e.d.up === false && e.t >= t0);
    check(down, `the page is told keycabd is down (${down ? down.t - t0 : '-'} ms)`);
    r = await api(a.page, '/api/op/whoami', {});
    check(r.status === 503 && r.json.code === 'kiosk_keycabd_down' &&
      r.json.text['zh-CN'] === '柜机控制程序未连接，请稍候。' && texts(r.json),
    'an op meanwhile: 503, keycabd down, in Chinese (full-width comma) and English', r.text);
    await a.shot('keycabd-down');
    const t1 = Date.now();
    await shell('start');
    const up = await waitEvent(a.page, (e) => e.n === 'keycabd' && e.d.up === true && e.t >= t1);
    check(up, `then that it is up again (${up ? up.t - t1 : '-'} ms after it was started)`);
    r = await api(a.page, '/api/op/ping', {});
    check(r.json && r.json.ok, 'ops reach the new keycabd', r.text);
    await a.shot('keycabd-up');

    console.log('== a login ends when idle, and at logout');
    r = await api(a.page, '/api/login', { person: 'S02', pin: '2222' });
    check(r.json && r.json.ok && r.json.name === '李娜 Li Na', 'logged in again as 李娜 Li Na', r.text);
    const t2 = Date.now();
    const idle = await waitEvent(a.page, (e) => e.n === 'logout' && e.d.reason === 'idle' && e.t >= t2,
      (IDLE_S + 5) * 1000);
    check(idle && idle.t - t2 >= IDLE_S * 1000 - 100,
      `after ${IDLE_S} s without a request the login ends (event: logout, idle, after ${idle ? idle.t - t2 : '-'} ms)`);
    r = await api(a.page, '/api/op/keys', {});
    check(r.status === 401, 'and the next op is refused', r.text);
    r = await api(a.page, '/api/login', { person: 'S01', pin: '1111' });
    check(r.json && r.json.ok, 'a login', r.text);
    r = await api(a.page, '/api/logout', {});
    check(r.json && r.json.ok, 'logout', r.text);
    check(await waitEvent(a.page, (e) => e.n === 'logout' && e.d.reason === 'logout'), 'the page is told (logout)');
    r = await api(a.page, '/api/op/keys', {});
    check(r.status === 401, 'the next op is refused', r.text);
    await a.shot('logged-out');

    // (the image the CSP refused above is the one request elsewhere the
    // page was made to try; the pairing page is the display's file)
    const foreign = [...a.requests, ...b.requests].filter((u) => !u.startsWith(origin + '/') &&
      u !== 'http://example.invalid/x.png' && u !== process.env.KIOSK_PAIR);
    check(foreign.length === 0, `every request the pages made went to the kiosk (${a.requests.length + b.requests.length})`,
      foreign.join(' '));
    console.log(`       screenshots: ${shots}`);
  } catch (e) {
    bad(`exception: ${e.stack}`);
  } finally {
    await browser.close();
  }
  process.exit(failures() ? 1 : 0);
})();
