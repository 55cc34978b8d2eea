// An admin runs the estate at keyauditd's console by clicks, as a person
// does (console.js): from the navigation to the people page, fills the
// new-person form (name, role, phone, a site ticked), sees the one-time
// enrolment code once, and not when the page is opened again; deactivates
// the person from their row and sees, per cabinet, that the change is not
// yet taken. The page is shot at 1366x768 and 390x844 (no sideways scroll,
// the form's fields stacked). The code shown is left in KC_SHOTS/code.txt
// for t-estate-pages.py to find on the cabinet's feed. KC_USER/KC_PASS are
// the admin's.
'use strict';
const { URL, check, launch, submitLogin, run } = require('./console.js');

run(async () => {
  const { browser, page, shot, text } = await launch();
  try {
    await page.goto(URL + '/login');
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    console.log('== the people page from the navigation');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/estate/people"]')]);
    let t = await text();
    check(t.includes('人员') && t.includes('新增或修改人员'), 'the people page in Chinese', t.slice(0, 200));
    await page.setViewportSize({ width: 1366, height: 768 });
    await shot('people-1366x768');

    console.log('== a new person, by the form');
    const form = page.locator('form.new');
    await form.getByLabel('编号', { exact: true }).fill('E05');
    await form.getByLabel('姓名', { exact: true }).fill('周敏');
    await form.locator('select[name="role"]').selectOption('staff');
    await form.getByLabel('电话', { exact: true }).fill('139 0000 2222');
    await form.getByLabel('部门', { exact: true }).fill('客服部');
    await form.getByLabel('阳光花园', { exact: true }).check();
    await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: '保存人员' }).click()]);
    await shot('person-created');
    t = await text();
    check(t.includes('已保存') && t.includes('项修改将下发到钥匙柜'), 'the page says it is saved and sent',
          t.slice(0, 300));
    const code = (await page.locator('#enrol-code').innerText()).trim();
    check(/^\d{8}$/.test(code), 'the one-time enrolment code is shown: 8 digits', code);
    check(t.includes('仅显示这一次'), 'with the words that it is shown once');
    // for t-estate-pages.py, which finds its hash on the cabinet's feed
    require('fs').writeFileSync(require('path').join(process.env.KC_SHOTS, 'code.txt'), code);
    const row = page.locator('tr[data-person="E05"]');
    check((await row.innerText()).includes('周敏') && (await row.innerText()).includes('139 **** 2222'),
          'the row: the name, the phone masked', await row.innerText());

    console.log('== the code is not shown again');
    await page.goto(URL + '/estate/people');
    t = await text();
    check(await page.locator('#enrol-code').count() === 0 && !t.includes(code), 'opened again: no code on the page');

    console.log('== deactivated from the row');
    await Promise.all([page.waitForNavigation(),
      page.locator('tr[data-person="E05"]').getByRole('button', { name: '停用' }).click()]);
    await shot('person-deactivated');
    const state = await page.locator('tr[data-person="E05"] .state').innerText();
    check(state.includes('已停用'), 'its state: 已停用', state);
    const took = await page.locator('tr[data-person="E05"] ul.took').innerText();
    check(took.includes('CAB-A') && took.includes('尚未生效') && !took.includes('CAB-S'),
          'per cabinet: CAB-A not yet taken (the standalone CAB-S not listed)', took);
    check(await page.locator('tr[data-person="E05"]').getByRole('button', { name: '启用' }).count() === 1,
          'the row now offers 启用');

    console.log('== on a phone');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('people-390x844', true);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
          'no sideways scroll at 390x844', await page.evaluate(() => document.documentElement.scrollWidth));
    const w = await page.locator('form.new input[name="name"]').boundingBox();
    check(w && w.width > 300, 'the form\'s fields are stacked, full width', w && w.width);
    await Promise.all([page.waitForNavigation(), page.click('.subnav a[href="/estate/cabinets"]')]);
    await shot('cabinets-390x844', true);
    t = await text();
    check(t.includes('CAB-A') && t.includes('待生效') && t.includes('周敏'),
          'the cabinets page lists CAB-A\'s pending changes in words', t.slice(0, 400));
  } finally {
    await browser.close();
  }
});
