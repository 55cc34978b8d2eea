// The browser side of the estate's end-to-end tests: one Chromium
// (Debian's, through playwright-core; NODE_PATH from tests/kiosk/npm-setup.sh)
// with two pages, the office's console (a desktop, signed in by its form as
// the admin) and the cabinet's terminal (a 1024x600 touchscreen, paired as
// its display pairs). The terminal's helpers are tests/kiosk/lib.js's.
// Screenshots of each step in $BUILD/test-logs/estate/<test>/.
// Environment: OFFICE (keyauditd's URL), ADMIN, ADMIN_PASS, KIOSK_PAIR, T,
// SIM_CONTROL.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const kiosk = require('../kiosk/lib.js');

const { check, until } = kiosk;

// The page's text, its white space folded.
async function text(page, sel = 'body') {
  return (await page.locator(sel).first().innerText()).replace(/\s+/g, ' ');
}

// Both pages in one browser; body({ browser, con, term, shot }) runs the test (a
// page of its own in a context of its own opened in browser as it needs); the
// process exits 1 when any check failed.
async function estateTest(test, body) {
  const shots = path.join(process.env.BUILD || '/tmp', 'test-logs', 'estate', test);
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  let step = 0;
  async function shot(page, what) {
    step++;
    await page.screenshot({ path: path.join(shots, `${String(step).padStart(2, '0')}-${what}.png`), fullPage: true });
  }
  try {
    const cctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    const con = await cctx.newPage();
    con.setDefaultTimeout(10000);
    con.on('pageerror', (e) => console.log(`       [console page error] ${e.message}`));
    const tctx = await browser.newContext({
      viewport: { width: 1024, height: 600 }, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    });
    const term = await tctx.newPage();
    term.setDefaultTimeout(10000);
    term.on('pageerror', (e) => console.log(`       [terminal page error] ${e.message}`));
    await body({ browser, con, term, shot: { con: (w) => shot(con, 'console-' + w), term: (w) => shot(term, 'terminal-' + w) } });
  } catch (e) {
    check(false, 'the browser test ran to its end', e.stack);
  } finally {
    await browser.close();
  }
  process.exit(kiosk.failures() ? 1 : 0);
}

// The admin signs in at the console by its form.
async function signIn(con) {
  await con.goto(process.env.OFFICE + '/login');
  await con.fill('form[action="/login"] input[name="user"]', process.env.ADMIN);
  await con.fill('form[action="/login"] input[name="password"]', process.env.ADMIN_PASS);
  await Promise.all([con.waitForNavigation(), con.click('form[action="/login"] button[type="submit"]')]);
  return new URL(con.url()).pathname === '/';
}

// The one-time enrolment code the console shows once a person is saved
// ('' when it shows none); kept in $T/enrol-codes for the shell to look
// for in the logs and the chains.
async function enrolCode(con) {
  const code = (await con.$('#enrol-code')) ? (await text(con, '#enrol-code')).trim() : '';
  if (code) fs.appendFileSync(path.join(process.env.T, 'enrol-codes'), code + '\n');
  return code;
}

// A click that loads a page (a link or a form's button).
async function go(page, sel) {
  await Promise.all([page.waitForNavigation(), page.click(sel)]);
}

module.exports = Object.assign({}, kiosk, { estateTest, signIn, enrolCode, go, text, check, until });
