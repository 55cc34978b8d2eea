// The browser side of t-kiosk-catalogue.sh: keycab-kiosk without its
// Chinese catalogue. Staff logged in see the banner that says so (and a
// refusal in English under the Chinese heading is what it explains); the
// idle screen and an engineer do not. Env: KIOSK_URL, KIOSK_PAIR.
'use strict';
const { browserTest, pair, check, loginPin } = require('./lib.js');

browserTest('t-kiosk-catalogue', async ({ terminal }) => {
  const t = await terminal('desk');
  const page = t.page;
  const banner = async () => ((await page.isVisible('[data-t=catalogue]')) ? page.textContent('[data-t=catalogue]') : '');
  check(await pair(t), 'paired as the display pairs it');
  await page.goto(process.env.KIOSK_URL);
  await page.waitForSelector('[data-t=login-pin]');
  await page.waitForTimeout(500);
  check(!(await banner()), 'the idle screen: no banner');
  /* a wrong PIN: keycabd's refusal comes out in English */
  await page.tap('[data-t=login-pin]');
  await page.tap('[data-t=name-S01]');
  for (const d of '9999') await page.tap(`[data-k="${d}"]`);
  await page.tap('[data-t=pin-ok]');
  await page.waitForSelector('[data-t=refusal]');
  check(/Wrong PIN/.test(await page.textContent('[data-t=refusal-msg]')), 'without the catalogue the refusal is English',
    await page.textContent('[data-t=refusal-msg]'));
  await page.tap('[data-t=back]');
  await page.tap('[data-t=back]');
  check(await loginPin(t, 'S01', '1111'), 'S01 (staff) logged in');
  const b = await banner();
  check(/未安装中文消息目录/.test(b), 'staff: the banner says the Chinese catalogue is missing', b);
  await t.shot('staff-banner');
  await page.tap('[data-t=lang]');
  check(/catalogue is not installed/.test(await banner()), '... in English too', await banner());
  await page.tap('[data-t=lang]');
  await page.tap('[data-t=logout]');
  await page.waitForSelector('[data-t=idle]');
  check(!(await banner()), 'logged out: the banner goes');
  check(await loginPin(t, 'E01', '3333'), 'E01 (engineer) logged in');
  check(!(await banner()), 'an engineer: no banner');
});
