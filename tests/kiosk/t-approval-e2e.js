// A manager's approval from the phone, end to end (t-approval-e2e.sh): the
// terminal (lib.js: touch, 1024x600) and the office's console on a phone
// (390x844), each a Chromium context of its own, driven as people do. An
// admin makes 陈经理's manager account (M01) on /accounts; S01 asks for
// K-LJ-3-203 at the terminal; 陈经理 sees it on 远程审批 and approves; the
// slot opens at once (the sim's coil; the time from the tap measured); a
// request for K-LJ-5-101 is refused with a reason that the terminal shows.
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, KC_URL (keyauditd), KC_USER and
// KC_PASS (the admin).
'use strict';
const { browserTest, pair, until, check, sim, coilOns, loginPin } = require('./lib.js');

const URL = process.env.KC_URL;

browserTest('t-approval-e2e', async ({ terminal }) => {
  const t = await terminal('desk');
  const desk = t.page;
  const office = await (await desk.context().browser().newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' })).newPage();
  office.setDefaultTimeout(10000);
  const signIn = async (user, pass) => {
    await office.goto(URL + '/login');
    await office.fill('form[action="/login"] input[name="user"]', user);
    await office.fill('form[action="/login"] input[name="password"]', pass);
    await Promise.all([office.waitForNavigation(), office.click('form[action="/login"] button[type="submit"]')]);
  };
  const click = (sel) => Promise.all([office.waitForNavigation(), office.click(sel)]);
  const card = (n) => office.locator(`section.approval[data-cabinet="demo-desk"][data-request="${n}"]`);
  // the request's card, the page opened again until it is there
  const cardShown = (n) => until(async () => {
    await office.goto(URL + '/approvals');
    return (await card(n).count()) === 1;
  }, 15000, 300);
  const ask = async (key, phrase) => {
    await desk.tap('[data-t=tile-sealed]');
    await desk.tap(`[data-t=key-${key}]`);
    await desk.tap('[data-t=remote-ask]');
    await desk.tap('[data-t=remote-name-M01]');
    await desk.tap(`[data-t=${phrase}]`);
    await desk.tap('[data-t=remote-send]');
    await desk.waitForSelector('[data-t=remote-waiting]');
  };

  console.log('== the admin makes 陈经理\'s account, linked to M01');
  await signIn(process.env.KC_USER, process.env.KC_PASS);
  await click('nav a[href="/accounts"]');
  const create = office.locator('form.create');
  await create.locator('input[name="user"]').fill('chen');
  await create.locator('select[name="role"]').selectOption('manager');
  await create.locator('input[name="person"]').fill('M01');
  await create.locator('input[name="password"]').fill('chen-password-1');
  await click('form.create button[type="submit"]');
  check(/账号已创建/.test(await office.locator('#message').innerText()), 'the account is created');
  await click('nav form[action="/logout"] button');
  await signIn('chen', 'chen-password-1');

  console.log('== S01 asks for K-LJ-3-203 at the terminal');
  check(await pair(t), 'the terminal is paired');
  await desk.waitForSelector('[data-t=idle]');
  check(await loginPin(t, 'S01', '1111'), 'S01 logs in');
  await ask('K-LJ-3-203', 'remote_phrase_leak');
  await t.shot('waiting');

  console.log('== 陈经理 approves on the phone');
  check(await cardShown(1), 'the request reaches 陈经理\'s 远程审批 page');
  const c = (await card(1).innerText()).replace(/\s+/g, ' ');
  check(/王芳/.test(c) && /户内漏水/.test(c) && /3栋203/.test(c), 'the card names 王芳, the unit and the reason: ' + c);
  await office.screenshot({ path: require('path').join(process.env.BUILD || '/tmp', 'test-logs', 'kiosk', 't-approval-e2e', 'office-request.png') });
  const t0 = Date.now();
  await click('section.approval[data-request="1"] button.grant');
  check(/已批准/.test(await office.locator('#message').innerText()), 'the page says it is approved');
  check(await until(async () => (await coilOns('A05')) === 1, 10000, 20), 'A05 opens (the sim\'s coil)');
  console.log(`       the manager's tap to the coil: ${Date.now() - t0} ms`);
  await desk.waitForSelector('[data-t=approved-by]');
  check(/陈经理/.test(await desk.textContent('[data-t=approved-by]')), 'the terminal says 陈经理 approved');
  await t.shot('approved');
  await sim('remove A05');
  await desk.waitForSelector('[data-t=grant][data-state=taken]', { timeout: 10000 });
  await desk.tap('[data-t=done]');

  console.log('== K-LJ-5-101 asked and refused');
  await ask('K-LJ-5-101', 'remote_phrase_repair');
  check(await cardShown(2), 'the second request reaches the page');
  await card(2).locator('input[name="reason"]').fill('请先联系业主');
  await click('section.approval[data-request="2"] button.refuse');
  check(/已拒绝/.test(await office.locator('#message').innerText()), 'the page says it is refused');
  await desk.waitForSelector('[data-t=remote-refused]', { timeout: 10000 });
  check(/请先联系业主/.test(await desk.textContent('[data-t=remote-refused-reason]')), 'the terminal shows the reason');
  check((await coilOns('A06')) === 0, 'A06 stays shut');
  await t.shot('refused');
  await desk.tap('[data-t=done]');
});
