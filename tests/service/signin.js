// A supervisor at keyauditd's console in a real headless Chromium (Debian's
// chromium, driven by playwright-core; t-signin.py starts the service and
// runs this with NODE_PATH from tests/kiosk/npm-setup.sh). Everything in
// the page is typed and clicked as a person does: no header and no cookie
// is set by hand. The one thing read from outside the page is the session
// cookie the browser keeps, to show from a second client (Node's http) that
// it works while signed in and is refused once signed out.
// Environment: KC_URL (the service), KC_USER, KC_PASS, KC_SHOTS (a
// directory for a screenshot of each step).
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');

const URL = process.env.KC_URL;
const USER = process.env.KC_USER;
const PASS = process.env.KC_PASS;
const SHOTS = process.env.KC_SHOTS;
let fails = 0;

function check(cond, what, detail) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} - ${what}${!cond && detail !== undefined ? ': ' + detail : ''}`);
  if (!cond) fails++;
  return !!cond;
}

// A GET from another client than the browser, with the browser's session
// cookie: [status, location, body].
function second_client(p, cookie) {
  return new Promise((resolve, reject) => {
    const req = http.get(URL + p, { headers: { Cookie: `${cookie.name}=${cookie.value}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve([res.statusCode, res.headers.location || '', body]));
    });
    req.on('error', reject);
  });
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const challenges = [];
  let step = 0;
  const shot = async (what) => {
    step++;
    await page.screenshot({ path: path.join(SHOTS, `${String(step).padStart(2, '0')}-${what}.png`) });
  };
  const text = async () => (await page.locator('body').innerText()).replace(/\s+/g, ' ');
  page.on('response', (r) => {
    if (r.headers()['www-authenticate']) challenges.push(`${r.status()} ${r.url()}`);
  });

  try {
    console.log('== the console\'s address, as a person opens it');
    const first = await page.goto(URL + '/').catch((e) => e);
    check(!(first instanceof Error) && first.status() === 200, 'opening / answers a page (200)',
          first instanceof Error ? first.message.split('\n')[0] : first.status());
    check(challenges.length === 0, 'no basic-auth challenge (the browser\'s own pop-up)', challenges.join(', '));
    if (first instanceof Error) // the rest of the way in, by the sign-in page's own address
      await page.waitForURL('chrome-error://chromewebdata/').then(() => page.goto(URL + '/login'));
    await shot('open');
    check(await page.locator('form[action="/login"] input[name="user"]').count() === 1 &&
          await page.locator('input[name="password"][type="password"]').count() === 1,
          'the sign-in form is shown', await text());

    console.log('== a wrong password');
    await page.fill('input[name="user"]', USER);
    await page.fill('input[name="password"]', 'not-the-password');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await shot('wrong-password');
    let t = await text();
    check(t.includes('用户名或密码错误') && t.includes('Wrong user name or password'),
          'the page says the name or password is wrong', t.slice(0, 200));
    check(!t.includes('other site') && !t.includes('其他网站'), 'not refused as a request from another site',
          t.slice(0, 200));
    check(await page.locator('input[name="password"]').count() === 1, 'the form is there to try again');
    check((await context.cookies()).every((c) => c.name !== 'kcsid'), 'no session cookie');

    console.log('== the right password');
    await page.fill('input[name="user"]', USER);
    await page.fill('input[name="password"]', PASS);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await shot('signed-in');
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/', 'lands on the console (/)', page.url());
    check(t.includes(`Log out (${USER})`), 'the console names who is signed in', t.slice(0, 200));
    const cookie = (await context.cookies()).find((c) => c.name === 'kcsid');
    check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie',
          JSON.stringify(cookie && { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite }));

    console.log('== the console in use: a report by its link, its filter form');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/handovers"]')]);
    await page.fill('form.filter input[name="unreviewed"]', '1');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
    await shot('handovers');
    t = await text();
    check(page.url().includes('/r/handovers?') && page.url().includes('unreviewed=1') && t.includes('交接'),
          'the handovers report, filtered', page.url());
    check(challenges.length === 0, 'still no basic-auth challenge', challenges.join(', '));

    if (cookie) {
      const [st, , body] = await second_client('/r/now', cookie);
      check(st === 200 && body.includes(`(${USER})`), 'the session cookie works from a second client while signed in',
            st);
    }

    console.log('== sign out');
    await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
    await shot('signed-out');
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/login' &&
          await page.locator('input[name="password"]').count() === 1, 'back at the sign-in form', page.url());
    check(!t.includes('other site'), 'not refused as a request from another site', t.slice(0, 200));
    check((await context.cookies()).every((c) => c.name !== 'kcsid'), 'the browser dropped its session cookie');
    if (cookie) {
      const [st, loc] = await second_client('/r/now', cookie);
      check(st !== 200 && (st === 401 || (st === 303 && loc === '/login')),
            'the old session cookie from a second client: refused (the session ended at the service)',
            `${st} ${loc}`);
      const [sta] = await second_client('/api/v1/reports/now', cookie);
      check(sta === 401, 'and on the API: 401', sta);
    }
    await page.goto(URL + '/');
    await shot('reopened');
    check(await page.locator('input[name="password"]').count() === 1 && !(await text()).includes('Log out'),
          'opening / again shows the sign-in form, not the console');
  } finally {
    await browser.close();
  }
  return fails;
}

main().then((n) => {
  console.log(n ? `${n} check(s) failed` : 'all checks passed');
  process.exit(n ? 1 : 0);
}, (e) => {
  console.log(`FAIL - ${e.stack || e}`);
  process.exit(1);
});
