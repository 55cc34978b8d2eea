// The browser side of t-kiosk-live.sh: the paired screen while keycabd
// refuses the kiosk's subscribe (every subscriber place taken), then after
// the places are freed. Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const { launch, pair, until, check, failures, sim, shell } = require('./lib.js');

(async () => {
  const { browser, terminal, shots } = await launch({ test: 't-kiosk-live' });
  try {
    const t = await terminal('screen');
    const page = t.page;
    const banner = async () => ((await page.isVisible('[data-t=not-following]'))
      ? (await page.textContent('[data-t=not-following]')) : '');
    check(await pair(t), 'the screen paired');

    console.log('== keycabd refuses the subscribe');
    check(await until(async () => /未跟随钥匙柜/.test(await banner()), 10000),
      'the screen says it is not following the cabinet', await banner());
    const zh = await banner();
    check(/8/.test(zh) && /重试/.test(zh), `... why (keycabd's refusal, in Chinese) and that it tries again: ${zh}`, zh);
    check(!(await page.isVisible('[data-t=down]')), 'keycabd itself is not shown as down (it answers)');
    await t.shot('not-following');
    await page.tap('[data-t=lang]');
    const en = await banner();
    check(/not following the cabinet/.test(en) && /trying again/.test(en), `in English: ${en}`, en);
    await t.shot('not-following-en');
    await page.tap('[data-t=lang]');

    console.log('== the places are freed');
    const t0 = Date.now();
    await shell('free');
    const back = await until(async () => !(await banner()), 15000);
    check(back, `the banner goes once the kiosk has subscribed again (${Date.now() - t0} ms after the places were freed)`,
      await banner());
    await t.shot('following');
    const before = (await page.textContent('[data-t=alarms-badge]')) || '';
    check(/无未处理告警/.test(before), `no alarm on the screen (${before})`, before);
    const lifted = await sim('remove A07');
    const alarm = await until(async () => /1 个未处理告警/.test((await page.textContent('[data-t=alarms-badge]')) || ''), 10000);
    check(alarm, `the screen follows the cabinet: a key lifted without a release at the simulator (${lifted}) shows as an alarm`,
      await page.textContent('[data-t=alarms-badge]'));
    await t.shot('alarm');
    console.log(`       screenshots: ${shots}`);
  } catch (e) {
    check(false, 'the browser test ran to its end', e.stack);
  } finally {
    await browser.close();
  }
  process.exit(failures() ? 1 : 0);
})();
