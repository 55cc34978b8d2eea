// The key log in Chromium for t-keylog.py: a supervisor signs in with the
// form, opens the key log, types part of a name (KC_TYPE) into 人员 and
// presses 查询, then follows 较早 to the last page and 较新 back to the
// first, and 最早 once. Then types each pinyin of KC_ALSO (comma-separated)
// instead and reads the rows found: each must name KC_ALSO_NAME. Each page's rows as [cabinet, seq] (read from the
// page's cells) go to KC_OUT. Then, in a 390x844 phone viewport, every
// report page is opened from the navigation: it must not scroll sideways.
// Screenshots of both in $KC_SHOTS.
'use strict';
const fs = require('fs');
const { URL, check, launch, submitLogin, run } = require('./console.js');

// The rows on the page: [cabinet, seq] and the shown time.
async function rows(page) {
  return page.locator('table.report[data-section="events"] tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const cell = (l) => tr.querySelector(`td[data-label="${l}"]`).textContent;
    return { id: [cell('钥匙柜'), Number(cell('事件代码').split('#')[1])], time: cell('时间'),
             text: cell('事件') };
  }));
}

async function follow(page, id) {
  await Promise.all([page.waitForNavigation(), page.click(`a#${id}`)]);
}

run(async () => {
  const { browser, context, page, shot } = await launch();
  const out = { person: process.env.KC_TYPE, forward: [], backward: [] };
  const name = '张伟';

  try {
    await page.goto(URL + '/');
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    await page.click('nav a[href="/r/keylog"]');
    await page.waitForLoadState();
    await page.type('form.filter input[name="person"]', process.env.KC_TYPE);
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
    await shot('person-typed', false);
    check(await page.inputValue('form.filter input[name="person"]') === process.env.KC_TYPE,
          'the filter keeps what was typed');
    for (let n = 0; n < 50; n++) {
      const r = await rows(page);
      out.forward.push(r.map((x) => x.id));
      check(r.every((x) => x.text.includes(name)), `page ${n + 1}: every row names ${name}`,
            r.filter((x) => !x.text.includes(name)).map((x) => x.text).join(' | '));
      const times = r.map((x) => x.time);
      check(times.every((t, i) => i === 0 || t <= times[i - 1]), `page ${n + 1}: newest first`, times.join(', '));
      if (await page.locator('a#next').count() === 0)
        break;
      await follow(page, 'next');
    }
    await shot('last-by-next', false);
    check(await page.locator('a#last').count() === 0, 'the last page offers no 最早 link');
    for (let n = 0; n < 50; n++) {
      out.backward.push((await rows(page)).map((x) => x.id));
      if (await page.locator('a#prev').count() === 0)
        break;
      await follow(page, 'prev');
    }
    await follow(page, 'next');
    await follow(page, 'first');
    await follow(page, 'last');
    out.last = (await rows(page)).map((x) => x.id);
    await shot('oldest', false);

    out.also = {};
    for (const q of (process.env.KC_ALSO || '').split(',').filter((x) => x)) {
      await page.click('nav a[href="/r/keylog"]');
      await page.waitForLoadState();
      await page.fill('form.filter input[name="person"]', '');
      await page.type('form.filter input[name="person"]', q);
      await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
      await shot(`person-${q}`, false);
      const r = await rows(page);
      check(r.length > 0 && r.every((x) => x.text.includes(process.env.KC_ALSO_NAME)),
            `typed ${q}: every row names ${process.env.KC_ALSO_NAME}`, r.map((x) => x.text).slice(0, 3).join(' | '));
      out.also[q] = r.map((x) => x.id);
    }

    console.log('== a phone: 390x844');
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN',
                                             isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    p.setDefaultTimeout(10000);
    await p.goto(URL + '/');
    await submitLogin(p, process.env.KC_USER, process.env.KC_PASS);
    const links = await p.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    check(links.length >= 6, 'the navigation lists the pages', links.join(' '));
    for (const href of ['/'].concat(links)) {
      await p.goto(URL + href);
      const w = await p.evaluate(() => document.scrollingElement.scrollWidth);
      const meta = await p.locator('meta[name="viewport"]').count();
      check(w <= 390 && meta === 1, `${href}: fits 390 px (scrollWidth ${w}), viewport meta`);
      const file = `phone${href.replace(/\//g, '-')}`.replace(/-$/, '-home');
      await p.screenshot({ path: `${process.env.KC_SHOTS}/${file}.png`, fullPage: true });
    }
    await p.goto(URL + '/r/keylog?' + new globalThis.URLSearchParams({ person: name }));
    await p.locator('table.report').scrollIntoViewIfNeeded();
    await p.screenshot({ path: `${process.env.KC_SHOTS}/phone-keylog-cards.png` });
    const card = await p.locator('table.report tbody tr').first().boundingBox();
    check(card && card.width <= 390 && card.height > 60, 'a key log row is a card on the phone',
          JSON.stringify(card));
    await phone.close();
  } finally {
    await browser.close();
    fs.writeFileSync(process.env.KC_OUT, JSON.stringify(out));
  }
});
