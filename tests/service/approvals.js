// A manager answers the approval requests addressed to them on a phone
// (390x844): signs in, taps 远程审批, reads each request's card (who asks,
// the key by unit and kind, the site, why, when), approves one, refuses
// another with a reason typed in the card, and is refused for their own
// request (four eyes); a second manager, whom the asker registered, is
// refused too, and a refusal without a reason is asked for one. Typed and
// tapped as a person does (console.js). Run by t-approvals.py: KC_USER /
// KC_PASS are manager chen's (M01), KC_LI_USER / KC_LI_PASS manager li's.
'use strict';
const { URL, check, launch, submitLogin, run } = require('./console.js');

run(async () => {
  const { browser, page, shot, text } = await launch();
  const card = (n) => page.locator(`section.approval[data-request="${n}"]`);
  const tap = (loc) => Promise.all([page.waitForNavigation(), loc.click()]);
  const signIn = async (user, pass) => {
    await page.goto(URL + '/login');
    await submitLogin(page, user, pass);
    await tap(page.locator('nav a#nav-approvals'));
  };

  try {
    await page.setViewportSize({ width: 390, height: 844 });
    console.log('== manager chen (M01) opens 远程审批 on the phone');
    await signIn(process.env.KC_USER, process.env.KC_PASS);
    await shot('chen-requests', true);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
          'no sideways scroll at 390x844', await page.evaluate(() => document.documentElement.scrollWidth));
    const shown = await page.locator('section.approval').evaluateAll((s) => s.map((e) => e.dataset.request));
    check(JSON.stringify(shown) === '["1","2","3"]', "chen sees the requests addressed to M01 that wait (not li's, not the withdrawn one)", shown);
    const c1 = (await card(1).innerText()).replace(/\s+/g, ' ');
    for (const want of ['王芳 Wang Fang', 'S01', '3栋203', '封存', '丽景花园', '业主家漏水，需紧急进入'])
      check(c1.includes(want), `request 1's card shows ${want}`, c1);
    check(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(c1), "  ... and when it was asked, in the site's time", c1);

    console.log('== approves request 1');
    await tap(card(1).locator('button.grant'));
    await shot('approved', true);
    let t = await text();
    check(t.includes('已批准') && t.includes('王芳 Wang Fang'), 'the page says it is approved', t.slice(0, 200));
    check(await card(1).count() === 0, 'request 1 leaves the list');

    console.log('== refuses request 2 with a reason');
    await card(2).locator('input[name="reason"]').fill('燃气表不用开封存钥匙');
    await tap(card(2).locator('button.refuse'));
    t = await text();
    check(t.includes('已拒绝'), 'the page says it is refused', t.slice(0, 200));
    check(await card(2).count() === 0, 'request 2 leaves the list');

    console.log('== approves their own request 3: four eyes');
    await tap(card(3).locator('button.grant'));
    await shot('self-refused', true);
    t = await text();
    check(t.includes('这是您本人提出的申请'), 'refused: the asker cannot approve', t.slice(0, 200));
    check(await card(3).count() === 1, 'request 3 still waits');
    await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);

    console.log('== manager li (M02), registered by the asker S01');
    await signIn(process.env.KC_LI_USER, process.env.KC_LI_PASS);
    check(await card(4).count() === 1, 'li sees request 4');
    await tap(card(4).locator('button.refuse'));
    t = await text();
    check(t.includes('请填写拒绝理由'), 'a refusal without a reason is asked for one', t.slice(0, 200));
    await tap(card(4).locator('button.grant'));
    await shot('li-refused', true);
    t = await text();
    check(t.includes('您是由 王芳 Wang Fang 登记的'), 'refused: S01 registered li', t.slice(0, 200));
    check(await card(4).count() === 1, 'request 4 still waits');
  } finally {
    await browser.close();
  }
});
