/* A key in the wrong slot moved home from the terminal (rule 9), and the
 * names the desk reads, in Chromium at 1024x600 against keycabd on
 * keycab-sim (t-pages.sh sets it up: the key of HY-1-103 sits in A08, the
 * home of HY-1-104's key, with a wrong-slot alarm, which takes the page
 * over when it loads and at the login: laid aside). The alarm screen's
 * 开格归位: A08 opens at the simulator, the key is lifted and put in A07,
 * the screen follows it home; no tamper alarm, the wrong-slot alarm gone.
 * Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL. Screenshots: $BUILD/test-logs/kiosk/reseat/. */
'use strict';
const { launch, pair, until, ok, bad, check, failures, sim } = require('./lib.js');
const { typeText, typeChinese } = require('./osk.js');

const URL = process.env.KIOSK_URL;

(async () => {
  const { browser, terminal } = await launch({ test: 'reseat' });
  const { page, shot, requests } = await terminal('desk');
  const text = (sel) => page.textContent(sel);
  try {
    check(await pair(page), 'paired as the display pairs it');
    /* the wrong-slot alarm, open when the page loads, takes it over; laid
     * aside (稍后处理) here, and again once logged in */
    await page.waitForSelector('[data-t=takeover-later]');
    check(/A08/.test(await text('[data-t=alarm-takeover]')), 'the wrong-slot alarm open at load takes the screen over');
    await page.tap('[data-t=takeover-later]');
    await page.tap('[data-t=login-pin]');
    await page.tap('[data-t=name-S01]');
    for (let i = 0; i < 10; i++) { /* keycabd may still slow this terminal's logins */
      for (const d of '1111') await page.tap(`[data-k="${d}"]`);
      await page.tap('[data-t=pin-ok]');
      await page.waitForSelector('[data-t=tile-alarms], [data-t=refusal]', { state: 'attached' });
      if (await page.$('[data-t=tile-alarms]')) break;
      const wait = /请等待 (\d+) 秒/.exec(await text('[data-t=refusal]'));
      await page.waitForTimeout(wait ? Number(wait[1]) * 1000 + 300 : 500);
    }
    check(!!(await page.$('[data-t=tile-alarms]')), 'S01 logged in by PIN');
    await page.tap('[data-t=takeover-later]');

    /* names, not codes: keys by building and room */
    await page.tap('[data-t=tile-find]');
    await page.waitForSelector('[data-t=key-K-HY-1-101]');
    const title = await text('[data-t=key-K-HY-1-101] .title');
    check(title === '1栋 101 · K-HY-1-101', 'a key shown by building and room: ' + title);
    await page.tap('[data-t=search]');
    await typeText(page, '2');
    await typeChinese(page, 'dong', '栋');
    await typeText(page, ' 101');
    check(await until(async () => (await page.$$('[data-t^=key-]')).length === 1 && !!(await page.$('[data-t=key-K-HY-2-101]')), 3000),
      'found by "2栋 101"');
    await shot('find-by-building-room');
    await page.tap('[data-t=back]');

    /* the wrong-slot alarm offers 开格归位 */
    await page.tap('[data-t=tile-alarms]');
    await page.waitForSelector('[data-t=alarm-reseat]');
    const item = await page.$('[data-t^=alarm-]:has([data-t=alarm-reseat])');
    const itemText = item ? await item.textContent() : '';
    check(/1栋 103 · K-HY-1-103/.test(itemText) && /A08/.test(itemText), 'the wrong-slot alarm of 1栋 103 (K-HY-1-103) in A08 offers 开格归位: ' + itemText.slice(0, 60));
    const detail = item ? await item.$eval('[data-t=alarm-detail]', (e) => e.textContent) : '';
    check(/A08 号格/.test(detail) && !/[A-Za-z]{3,} [A-Za-z]{3,}/.test(detail), 'the alarm says what happened in Chinese: ' + detail);
    check((await page.$$('[data-t=alarm-reseat]')).length === 1, 'only the wrong-slot alarm offers it');
    await shot('alarm-reseat');
    await item.$('[data-t=alarm-reseat]').then((b) => b.tap());
    await page.waitForSelector('[data-t=reseat-open]');
    check((await text('[data-t=reseat-open]')) === 'A08 号格已打开：取出钥匙 K-HY-1-103，放回 A07 号格',
      'the screen says: A08 号格已打开：取出钥匙 K-HY-1-103，放回 A07 号格');
    check(await until(async () => (await sim('coil A08')).includes('OK on'), 5000), 'A08\'s coil on at the simulator');
    await shot('reseat-open');
    await sim('remove A08');
    await page.waitForSelector('[data-t=reseat-lifted]', { timeout: 5000 });
    check((await text('[data-t=reseat-lifted]')) === '钥匙 K-HY-1-103 已取出，请放入 A07 号格', 'lifted: 请放入 A07 号格');
    await shot('reseat-lifted');
    await sim('insert A07 ' + 0x1007);
    await page.waitForSelector('[data-t=reseat-home]', { timeout: 5000 });
    check((await text('[data-t=reseat-home]')) === 'K-HY-1-103 已放回 A07 号格，告警已消除', 'home: 已放回 A07 号格，告警已消除');
    await shot('reseat-home');
    await page.tap('[data-t=done]');
    await until(async () => (await page.getAttribute('#screen', 'data-screen')) === 'alarms' && !/请稍候/.test(await text('main')), 5000);
    const list = await text('main');
    check(!/K-HY-1-103/.test(list), 'the alarms list: nothing open for K-HY-1-103 (no wrong slot, no tamper)');
    check(!(await page.$('[data-t=alarm-reseat]')), 'no 开格归位 left');
    await shot('alarms-after');
    check(requests.every((u) => u.startsWith(new global.URL(URL).origin) || u === process.env.KIOSK_PAIR),
      'no request elsewhere (the pairing page aside: the display\'s file)');
  } catch (e) {
    bad('reseat.js: ' + e.message);
    await page.screenshot({ path: (process.env.BUILD || '/tmp') + '/test-logs/kiosk/reseat/failure.png' }).catch(() => {});
  }
  await browser.close();
  process.exit(failures() ? 1 : 0);
})();
