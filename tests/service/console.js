// keyauditd's console in a real headless Chromium (Debian's chromium,
// driven by playwright-core; NODE_PATH from tests/kiosk/npm-setup.sh), for
// signin.js and pages.js. Pages are filled and clicked as a person does:
// nothing here sets a header or a cookie. Environment: KC_URL (the
// service), KC_USER, KC_PASS, KC_SHOTS (a directory for screenshots).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const URL = process.env.KC_URL;
let fails = 0;

function check(cond, what, detail) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} - ${what}${!cond && detail !== undefined ? ': ' + detail : ''}`);
  if (!cond) fails++;
  return !!cond;
}

// The browser with one page; shot(what) keeps a screenshot of the page as
// NN-what.png, each response's basic-auth challenge is recorded.
async function launch() {
  const shots = process.env.KC_SHOTS;
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const challenges = [];
  let step = 0;

  page.setDefaultTimeout(10000);
  page.on('response', (r) => {
    if (r.headers()['www-authenticate']) challenges.push(`${r.status()} ${r.url()}`);
  });
  return {
    browser, context, page, challenges,
    async shot(what, full) {
      step++;
      const file = path.join(shots, `${String(step).padStart(2, '0')}-${what}.png`);
      await page.screenshot({ path: file, fullPage: !!full });
      return file;
    },
    // the page's text, its white space folded
    async text() { return (await page.locator('body').innerText()).replace(/\s+/g, ' '); },
  };
}

// Types user and password into the sign-in form on the page and presses
// its button; resolves when the answer has loaded.
async function submitLogin(page, user, password) {
  await page.fill('form[action="/login"] input[name="user"]', user);
  await page.fill('form[action="/login"] input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
}

// Runs main(), then exits 0 when every check held.
function run(main) {
  main().then(() => {
    console.log(fails ? `${fails} check(s) failed` : 'all checks passed');
    process.exit(fails ? 1 : 0);
  }, (e) => {
    console.log(`FAIL - ${e.stack || e}`);
    process.exit(1);
  });
}

module.exports = { URL, check, launch, submitLogin, run };
