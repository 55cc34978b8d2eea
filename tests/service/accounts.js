// An admin at keyauditd's console creates a supervisor limited to one
// site (SN, 新城花园) by filling the accounts page's form; the supervisor
// signs in and sees that site only (dashboard, key log and its filter's
// choices, the now report). Then the admin asks for a one-time reset link
// for the supervisor, who opens it, sets a new password in the page and
// signs in with it; the same link a second time is refused. Everything is
// typed and clicked as a person does (console.js); the accounts page is
// also shot at 1366x768 and at 390x844. Run by t-accounts.py:
// KC_USER/KC_PASS are the admin's.
'use strict';
const { URL, check, launch, submitLogin, run } = require('./console.js');

const ADMIN = process.env.KC_USER;
const ADMIN_PASS = process.env.KC_PASS;
const SUP = 'supsn';
const SUP_PASS = 'supsn-pass-2026';
const SUP_NEW = 'supsn-new-pass-7';
const OTHER = ['老街小区', 'CAB-OLD'];

run(async () => {
  const { browser, page, shot, text } = await launch();
  const signOut = () => Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
  const signIn = async (user, pass) => {
    await page.goto(URL + '/login');
    await submitLogin(page, user, pass);
  };

  try {
    console.log('== the admin creates a supervisor of 新城花园 by the form');
    await signIn(ADMIN, ADMIN_PASS);
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/accounts"]')]);
    await page.setViewportSize({ width: 1366, height: 768 });
    await shot('accounts-1366x768');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('accounts-390x844', true);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
          'on a phone (390x844) the accounts page has no sideways scroll',
          await page.evaluate(() => document.documentElement.scrollWidth));
    await page.setViewportSize({ width: 1400, height: 1000 });
    const create = page.locator('form.create');
    await create.locator('input[name="user"]').fill(SUP);
    await create.locator('select[name="role"]').selectOption('supervisor');
    await create.locator('input[name="password"]').fill(SUP_PASS);
    await create.getByLabel('新城花园').check();
    await Promise.all([page.waitForNavigation(), create.locator('button[type="submit"]').click()]);
    await shot('created');
    let t = await text();
    check(t.includes('账号已创建') && t.includes(SUP), 'the page says the account is created', t.slice(0, 200));
    const row = page.locator(`tr[data-user="${SUP}"]`);
    check(await row.locator('input[name="site"][value="SN"]').isChecked() &&
          !(await row.locator('input[name="site"][value="SO"]').isChecked()),
          'its row shows 新城花园 ticked, 老街小区 not');
    await signOut();

    console.log('== the supervisor signs in and sees 新城花园 only');
    await signIn(SUP, SUP_PASS);
    await shot('supervisor-home');
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/', 'lands on the dashboard', page.url());
    check(t.includes('新城花园') && OTHER.every((o) => !t.includes(o)), 'the dashboard shows 新城花园, not 老街小区',
          t.slice(0, 300));
    check(await page.locator('nav a[href="/accounts"]').count() === 0, 'no accounts link for a supervisor');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/keylog"]')]);
    await shot('supervisor-keylog');
    t = await text();
    const sites = await page.locator('select[name="site"] option').allTextContents();
    check(sites.includes('新城花园') && !sites.includes('老街小区'), 'the key log offers 新城花园 only', sites.join(', '));
    const cabs = await page.locator('select[name="cabinet"] option').allTextContents();
    check(!cabs.includes('CAB-OLD'), 'and not the other site\'s cabinet', cabs.join(', '));
    check(OTHER.every((o) => !t.includes(o)), 'no event of the other site in the key log');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/now"]')]);
    t = await text();
    check(t.includes('CAB-NEW') && OTHER.every((o) => !t.includes(o)), 'the now report: CAB-NEW only');
    const other = await page.goto(URL + '/r/now?site=SO');
    t = await text();
    check(other.status() === 403 && t.includes('不在您账号的项目范围内'), 'the other site asked for: 403, said so',
          other.status());
    await page.goto(URL + '/');
    await signOut();

    console.log('== a one-time link sets a new password, once');
    await signIn(ADMIN, ADMIN_PASS);
    await page.goto(URL + '/accounts');
    await Promise.all([page.waitForNavigation(),
      page.locator(`tr[data-user="${SUP}"] form.reset button`).click()]);
    await shot('reset-link');
    const link = await page.locator('#reset-link').getAttribute('href');
    check(/^\/reset\?code=[0-9a-f]{64}$/.test(link || ''), 'the page shows a one-time link', link);
    await signOut();
    await page.goto(URL + link);
    t = await text();
    check(t.includes(SUP), 'the link\'s page names the account');
    await page.fill('input[name="password"]', SUP_NEW);
    await page.fill('input[name="password2"]', SUP_NEW);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/reset"] button[type="submit"]')]);
    await shot('reset-done');
    t = await text();
    check(t.includes('新密码已设置'), 'the new password is set', t.slice(0, 200));
    await Promise.all([page.waitForNavigation(), page.click('a[href="/login"]')]);
    await submitLogin(page, SUP, SUP_NEW);
    t = await text();
    check(new globalThis.URL(page.url()).pathname === '/' && t.includes(`(${SUP})`), 'signs in with the new password');
    await signOut();
    const again = await page.goto(URL + link);
    t = await text();
    check(again.status() === 404 && t.includes('此链接已使用'), 'the link a second time: refused', again.status());
    await shot('reset-used');
  } finally {
    await browser.close();
  }
});
