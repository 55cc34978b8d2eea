// The browser side of the terminal's tests: Debian's Chromium driven by
// playwright-core (tests/kiosk/npm-setup.sh installs it; NODE_PATH points
// at it). It starts nothing but the browser: keycabd, keycab-sim and
// keycab-kiosk are the test script's. A page is a 1024x600 touchscreen in
// zh-CN; every request it makes is recorded, and shot() keeps a
// screenshot of each step under $BUILD/test-logs/kiosk/<test>/.
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let fails = 0;
function ok(what) { console.log(`ok   - ${what}`); }
function bad(what) { console.log(`FAIL - ${what}`); fails++; }
function check(cond, what, detail) {
  if (cond) ok(what); else bad(detail === undefined ? what : `${what}: ${detail}`);
  return !!cond;
}
function failures() { return fails; }

// The browser, for one test. opts: test (the screenshots' directory),
// width, height, locale, timezoneId, args (Chromium's, added).
async function launch(opts) {
  const test = opts.test || 'kiosk';
  const shots = path.join(process.env.BUILD || '/tmp', 'test-logs', 'kiosk', test);
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const args = (process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []).concat(opts.args || []);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  let step = 0;

  // A terminal: its own cookies, its requests recorded.
  async function terminal(name) {
    const context = await browser.newContext({
      viewport: { width: opts.width || 1024, height: opts.height || 600 },
      hasTouch: true,
      isMobile: false,
      locale: opts.locale || 'zh-CN',
      timezoneId: opts.timezoneId || 'UTC',
    });
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => console.log(`       [${name} console] ${m.text()}`));
    page.on('pageerror', (e) => console.log(`       [${name} page error] ${e.message}`));
    return {
      context, page, requests,
      // a screenshot of this step: NN-name-what.png
      async shot(what) {
        step++;
        const file = path.join(shots, `${String(step).padStart(2, '0')}-${name}-${what}.png`);
        await page.screenshot({ path: file });
        return file;
      },
    };
  }
  return { browser, terminal, shots };
}

// Runs a browser test: body({ browser, terminal, shots }) (launch's); an
// exception is a failed check; the browser closed, exits 1 when any check
// failed. opts: launch's, besides test.
async function browserTest(test, body, opts) {
  const env = await launch(Object.assign({}, opts, { test }));
  try {
    await body(env);
  } catch (e) {
    check(false, 'the browser test ran to its end', e.stack);
  } finally {
    await env.browser.close();
  }
  process.exit(failures() ? 1 : 0);
}

// Pairs a page with the kiosk as the cabinet's display does
// (keycab-kiosk-display.service): it opens the page keycab-kiosk
// --pairing-page wrote (pairPage, default $KIOSK_PAIR: a file:// URL),
// which goes on to the kiosk's pairing URL; the kiosk gives the screen's
// cookie and the page replaces itself with the terminal (the pairing URL
// does not stay in the history). Nothing is set by hand: the browser
// navigates. True once the terminal's idle screen shows at the kiosk's /.
async function pair(term, pairPage = process.env.KIOSK_PAIR) {
  const page = term.page || term;
  await page.goto(pairPage);
  return until(async () => {
    try {
      return /^http:\/\/127\.0\.0\.1:\d+\/$/.test(page.url()) && !!(await page.$('[data-t=idle]'));
    } catch (e) {
      return false; /* between two documents */
    }
  }, 15000);
}

// Waits for fn() to be true (polling), up to ms; true when it was.
async function until(fn, ms = 10000, every = 50) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

// One command to keycab-sim's control socket ($SIM_CONTROL); its answer.
function sim(cmd) {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(process.env.SIM_CONTROL);
    let buf = '';
    s.on('data', (d) => { buf += d; if (buf.endsWith('\n')) { s.end(); resolve(buf.trim()); } });
    s.on('error', reject);
    s.write(cmd + '\n');
  });
}
// How many times slot's coil went on since the last clear-history.
async function coilOns(slot) {
  return ((await sim('history ' + slot)).match(/ ON@/g) || []).length;
}

// Asks the test script to do something (keycabd, keyauditd, ...) through
// files in $T: writes req-WHAT, waits for done-WHAT.
async function shell(what) {
  const T = process.env.T;
  fs.writeFileSync(path.join(T, `req-${what}`), '');
  const done = path.join(T, `done-${what}`);
  if (!(await until(() => fs.existsSync(done), 30000))) throw new Error(`the shell did not ${what}`);
}

// A PIN login at a terminal's page, as a person taps it: the name, the pad,
// OK; waits out keycabd's slowing of the terminal's failed logins. Logged
// in, home may lie under alarms that take the screen over.
async function loginPin(term, person, pin) {
  const page = term.page;
  await page.tap('[data-t=login-pin]');
  await page.tap(`[data-t=name-${person}]`);
  for (let i = 0; i < 6; i++) {
    for (const d of pin) await page.tap(`[data-k="${d}"]`);
    await page.tap('[data-t=pin-ok]');
    await page.waitForSelector('[data-t=tile-find], [data-t=refusal]', { state: 'attached' });
    if (await page.$('[data-t=tile-find]')) return true;
    const w = /请等待 (\d+) 秒/.exec(await page.textContent('[data-t=refusal]'));
    if (!w) return false;
    await page.waitForTimeout(Number(w[1]) * 1000 + 300);
  }
  return false;
}

module.exports = { launch, browserTest, pair, until, ok, bad, check, failures, sim, coilOns, shell, loginPin };
