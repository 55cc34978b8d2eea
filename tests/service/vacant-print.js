// The monthly vacant-unit report printed to PDF in Chromium, reached as a
// supervisor reaches it: open keyauditd, sign in with the form, click the
// vacant-unit report, pick the month in its filter, click the printable
// page, print. Env: URL (keyauditd), KC_USER, KC_PASS, MONTH (YYYY-MM),
// PDF (output), SHOT (a screenshot of the printable page, 1366x768).
// Prints one JSON line: how it signed in, and the printable page's URL.
//
// If the sign-in form is refused (keyauditd's cross-site guard refuses
// Chromium's own form posts until the sign-in fix lands), the page is
// reached with HTTP basic credentials given to the browser context
// (httpCredentials, as an API client authenticates); the JSON says so.
const { chromium } = require('playwright-core');

const { URL: BASE, KC_USER, KC_PASS, MONTH, PDF, SHOT } = process.env;

async function signInWithForm(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  let page = await ctx.newPage();
  // the console's address; a browser that gets a basic-auth challenge
  // there (and no sign-in page) opens the sign-in page itself
  try {
    await page.goto(BASE + '/');
  } catch (e) {
    await page.close();
    page = await ctx.newPage();
    await page.goto(BASE + '/login');
  }
  if (await page.locator('input[name=user]').count() === 0)
    await page.goto(BASE + '/login');
  await page.fill('input[name=user]', KC_USER);
  await page.fill('input[name=password]', KC_PASS);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  const ok = await page.locator('a[href="/r/vacant"]').count() > 0;
  return { ctx, page, ok, text: ok ? '' : (await page.textContent('body')).trim().slice(0, 200) };
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  let how = 'form';
  let refused = '';
  let { ctx, page, ok, text } = await signInWithForm(browser);
  if (!ok) {
    how = 'basic';
    refused = text;
    await ctx.close();
    ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN',
                                     httpCredentials: { username: KC_USER, password: KC_PASS } });
    page = await ctx.newPage();
    await page.goto(BASE + '/');
  }
  await Promise.all([page.waitForLoadState('load'), page.click('a[href="/r/vacant"] >> nth=0')]);
  await page.fill('input[name=month]', MONTH);
  await Promise.all([page.waitForLoadState('load'), page.click('form.filter button[type=submit]')]);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: /打印/ }).first().click()]);
  await page.screenshot({ path: SHOT, fullPage: false });
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: PDF, preferCSSPageSize: true, printBackground: true });
  console.log(JSON.stringify({ signin: how, refused, url: page.url() }));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
