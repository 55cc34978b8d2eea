// A manager's approval from the office, at the terminal (t-kiosk-remote.sh):
// taps only (tests/kiosk/lib.js: touch, 1024x600, zh-CN), the reason typed
// on the on-screen keyboard (osk.js). S01 picks the sealed key K-LJ-3-203,
// taps 请经理远程批准, picks 陈经理, types the reason, sends; the screen
// waits; withdrawing leaves nothing open. Asked again with a quick phrase,
// the office's grant (the shell's estate.apply) opens A05 at once and the
// screen says who approved. K-LJ-5-101 asked and refused: the manager's
// reason on the screen, nothing opened.
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const { browserTest, pair, until, check, sim, coilOns, shell, loginPin } = require('./lib.js');
const { typeChinese } = require('./osk.js');

browserTest('t-kiosk-remote', async ({ terminal }) => {
  const t = await terminal('desk');
  const page = t.page;
  const text = async (sel) => ((await page.$(sel)) ? page.textContent(sel) : '');
  const askFor = async (key) => {
    await page.tap('[data-t=tile-sealed]');
    await page.tap(`[data-t=key-${key}]`);
    await page.tap('[data-t=remote-ask]');
    await page.tap('[data-t=remote-name-M01]');
  };
  check(await pair(t), 'paired');
  await page.waitForSelector('[data-t=idle]');
  check(await loginPin(t, 'S01', '1111'), 'S01 logs in');

  console.log('== ask 陈经理 for K-LJ-3-203, the reason typed');
  await askFor('K-LJ-3-203');
  await t.shot('reason');
  check(/陈经理/.test(await text('[data-t=remote-manager]')), 'the screen names the manager asked');
  await page.tap('[data-t=remote-send]');
  check(/请说明取钥理由/.test(await text('[data-t=refusal]')), 'no reason: the screen asks for one');
  await page.tap('[data-t=field-reason]');
  await typeChinese(page, 'loushui', '漏水');
  await page.tap('[data-t=remote-send]');
  await page.waitForSelector('[data-t=remote-waiting]');
  await t.shot('waiting');
  check(/正在等待陈经理 Manager Chen批准/.test(await text('[data-t=remote-waiting]')), 'the screen waits for 陈经理');
  await shell('asked');

  console.log('== withdraw it');
  await page.tap('[data-t=remote-cancel]');
  await page.waitForSelector('[data-t=tile-sealed]');
  await shell('cancelled');

  console.log('== ask again with a quick phrase; the office approves');
  await askFor('K-LJ-3-203');
  await page.tap('[data-t=remote_phrase_leak]');
  await page.tap('[data-t=remote-send]');
  await page.waitForSelector('[data-t=remote-waiting]');
  await shell('grant');
  check(await until(async () => (await coilOns('A05')) === 1, 5000), "the approval opens A05 (the sim's coil)");
  await page.waitForSelector('[data-t=grant]', { timeout: 5000 });
  await t.shot('approved');
  check(/批准人：陈经理/.test(await text('[data-t=approved-by]')), 'the screen says 陈经理 approved: ' + await text('[data-t=approved-by]'));
  await sim('remove A05');
  await page.waitForSelector('[data-t=grant][data-state=taken]', { timeout: 10000 });
  await page.tap('[data-t=done]');

  console.log('== K-LJ-5-101 asked; the office refuses');
  await askFor('K-LJ-5-101');
  await page.tap('[data-t=remote_phrase_repair]');
  await page.tap('[data-t=remote-send]');
  await page.waitForSelector('[data-t=remote-waiting]');
  await shell('refuse');
  await page.waitForSelector('[data-t=remote-refused]', { timeout: 5000 });
  await t.shot('refused');
  check(/陈经理 Manager Chen已拒绝/.test(await text('[data-t=remote-refused]')), 'the screen says 陈经理 refused');
  check(/理由：请先联系业主/.test(await text('[data-t=remote-refused-reason]')), "  ... with the manager's reason");
  check((await coilOns('A06')) === 0, 'A06 stays shut');
  await page.tap('[data-t=done]');
});
