// The browser side of t-kiosk-banners.sh: the paired screen while the
// cabinet's disk is full and once it has space again; while the office is
// behind the cabinet and once it has a new epoch. Each banner in Chinese,
// then in English. Env: KIOSK_URL, KIOSK_PAIR, T, HAS_STORAGE, HAS_BEHIND
// (1 when keycabd's status carries the field).
'use strict';
const { browserTest, pair, until, check, shell } = require('./lib.js');

browserTest('t-kiosk-banners', async ({ terminal, shots }) => {
  const t = await terminal('screen');
  const page = t.page;
  const banner = async (which) => ((await page.isVisible(`[data-t=${which}]`))
    ? (await page.textContent(`[data-t=${which}]`)) : '');
  // a banner's text in both languages, the page back in Chinese
  const bothLanguages = async (which) => {
    const zh = await banner(which);
    await page.tap('[data-t=lang]');
    const en = await banner(which);
    await t.shot(`${which}-en`);
    await page.tap('[data-t=lang]');
    return [zh, en];
  };
  check(await pair(t), 'the screen paired');
  check(await until(async () => /未处理告警/.test((await page.textContent('[data-t=alarms-badge]')) || ''), 10000),
    'the screen has the status');
  check(!(await banner('storage')) && !(await banner('behind')), 'no banner while all is well');

  if (process.env.HAS_STORAGE === '1') {
    console.log("== the cabinet's disk full");
    await shell('fill');
    check(await until(async () => !!(await banner('storage')), 20000), 'the screen says the disk is not well');
    await t.shot('storage');
    const [zh, en] = await bothLanguages('storage');
    check(/磁盘|存储/.test(zh) && /满/.test(zh) && !/[A-Za-z]{4,}/.test(zh), `in Chinese: ${zh}`, zh);
    check(/disk/i.test(en) && /full/i.test(en), `in English: ${en}`, en);
    const t0 = Date.now();
    await shell('free');
    check(await until(async () => !(await banner('storage')), 30000),
      `the space back: the banner goes (${Date.now() - t0} ms)`, await banner('storage'));
  }

  if (process.env.HAS_BEHIND === '1') {
    console.log('== the office restored from an older backup');
    await shell('restore');
    check(await until(async () => !!(await banner('behind')), 20000), 'the screen says the office is behind the cabinet');
    await t.shot('behind');
    const [zh, en] = await bothLanguages('behind');
    check(/落后/.test(zh), `in Chinese: ${zh}`, zh);
    check(/office|service/i.test(en) && /behind|lacks|lost/i.test(en), `in English: ${en}`, en);
    const t0 = Date.now();
    await shell('epoch');
    check(await until(async () => !(await banner('behind')), 30000),
      `the office's new epoch: the banner goes (${Date.now() - t0} ms)`, await banner('behind'));
  }
  console.log(`       screenshots: ${shots}`);
});
