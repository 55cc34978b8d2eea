// The browser side of t-kiosk-live.sh: the paired screen with every
// subscriber place of keycabd held by others, then while keycabd refuses
// the kiosk's subscribe (another terminal key), then once it takes it
// again. Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const { browserTest, pair, until, check, sim, shell } = require('./lib.js');

browserTest('t-kiosk-live', async ({ terminal, shots }) => {
  const t = await terminal('screen');
  const page = t.page;
  const banner = async () => ((await page.isVisible('[data-t=not-following]'))
    ? (await page.textContent('[data-t=not-following]')) : '');
  const alarms = async () => (await page.textContent('[data-t=alarms-badge]')) || '';
  // the screen follows: a key lifted without a release shows as one more alarm
  const follows = async (slot, n, what) => {
    const lifted = await sim(`remove ${slot}`);
    check(await until(async () => new RegExp(`${n} 个未处理告警`).test(await alarms()), 10000),
      `${what}: the screen follows the cabinet (the key of ${slot} lifted at the simulator: ${lifted}; ${n} alarm(s) on the screen)`,
      await alarms());
  };
  check(await pair(t), 'the screen paired');

  console.log("== every place held by others: the kiosk's own");
  check(await until(async () => /无未处理告警/.test(await alarms()), 5000), `the screen has the status (${await alarms()})`);
  check(!(await banner()) && !(await page.isVisible('[data-t=down]')), 'no banner');
  await follows('A07', 1, 'with 8 others subscribed');
  await t.shot('following');

  console.log('== keycabd restarted with another terminal key');
  await shell('wrongkey');
  check(await until(async () => /未跟随钥匙柜/.test(await banner()), 15000),
    'the screen says it is not following the cabinet', await banner());
  const zh = await banner();
  check(/重试/.test(zh) && /终端密钥/.test(zh), `... why (keycabd's refusal, in Chinese) and that it tries again: ${zh}`, zh);
  check(!(await page.isVisible('[data-t=down]')), 'keycabd is not shown as down (it answers)');
  await t.shot('not-following');
  await page.tap('[data-t=lang]');
  const en = await banner();
  check(/not following the cabinet/.test(en) && /trying again/.test(en) && /terminal key/.test(en), `in English: ${en}`, en);
  await t.shot('not-following-en');
  await page.tap('[data-t=lang]');

  console.log("== keycabd restarted with the kiosk's key");
  const t0 = Date.now();
  await shell('rightkey');
  check(await until(async () => !(await banner()) && !(await page.isVisible('[data-t=down]')), 15000),
    `the banner goes once the kiosk has subscribed again (${Date.now() - t0} ms after keycabd was started)`, await banner());
  await follows('A08', 2, 'again');
  await t.shot('following-again');
  console.log(`       screenshots: ${shots}`);
});
