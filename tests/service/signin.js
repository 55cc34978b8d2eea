// A supervisor at keyauditd's console (t-signin.py starts the service):
// opens /, types a wrong password, then the right one, uses a report and
// its filter form, signs out. Everything in the page is typed and clicked
// as a person does (console.js). The one thing read from outside the page
// is the session cookie the browser keeps, to show from a second client
// (Node's http) that it works while signed in and is refused once signed
// out.
'use strict';
const http = require('http');
const { URL, check, launch, submitLogin, run } = require('./console.js');

const USER = process.env.KC_USER;
const PASS = process.env.KC_PASS;

// A GET from another client than the browser, with the browser's session
// cookie: [status, location, body].
function secondClient(p, cookie) {
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

run(async () => {
  const { browser, context, page, challenges, shot, text } = await launch();
  const session = async () => (await context.cookies()).find((c) => c.name === 'kcsid');

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
    await submitLogin(page, USER, 'not-the-password');
    await shot('wrong-password');
    let t = await text();
    check(t.includes('用户名或密码错误') && !t.includes('Wrong user name or password'),
          'the page says the name or password is wrong', t.slice(0, 200));
    check(!t.includes('other site') && !t.includes('其他网站'), 'not refused as a request from another site',
          t.slice(0, 200));
    check(await page.locator('input[name="password"]').count() === 1, 'the form is there to try again');
    check(!(await session()), 'no session cookie');

    console.log('== the right password');
    await submitLogin(page, USER, PASS);
    await shot('signed-in');
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/', 'lands on the console (/)', page.url());
    check(t.includes(`退出 (${USER})`), 'the console names who is signed in', t.slice(0, 200));
    const cookie = await session();
    check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie',
          JSON.stringify(cookie && { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite }));

    console.log('== the console in use: a report by its link, its filter form');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/handovers"]')]);
    await page.check('form.filter input[name="unreviewed"]');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
    await shot('handovers');
    t = await text();
    check(page.url().includes('/r/handovers?') && page.url().includes('unreviewed=1') && t.includes('交接'),
          'the handovers report, filtered', page.url());
    check(challenges.length === 0, 'still no basic-auth challenge', challenges.join(', '));
    if (cookie) {
      const [st, , body] = await secondClient('/r/now', cookie);
      check(st === 200 && body.includes(`(${USER})`), 'the session cookie works from a second client while signed in',
            st);
    }

    console.log('== sign out');
    await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
    await shot('signed-out');
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/login' &&
          await page.locator('input[name="password"]').count() === 1, 'back at the sign-in form', page.url());
    check(!t.includes('other site') && !t.includes('其他网站'), 'not refused as a request from another site',
          t.slice(0, 200));
    check(!(await session()), 'the browser dropped its session cookie');
    if (cookie) {
      const [st, loc] = await secondClient('/r/now', cookie);
      check(st === 401 || (st === 303 && loc === '/login'),
            'the old session cookie from a second client: refused (the session ended at the service)',
            `${st} ${loc}`);
      const [sta] = await secondClient('/api/v1/reports/now', cookie);
      check(sta === 401, 'and on the API: 401', sta);
    }
    await page.goto(URL + '/');
    await shot('reopened');
    check(await page.locator('input[name="password"]').count() === 1 && !(await text()).includes('退出'),
          'opening / again shows the sign-in form, not the console');
  } finally {
    await browser.close();
  }
});
