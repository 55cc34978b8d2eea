// Every page of keyauditd's console read in Chinese, then in English
// (t-chinese-pages.py starts the service with the data set). The
// supervisor signs in with the form and goes from page to page by clicking
// the navigation and the pages' own links, as a person does (console.js).
// Each page is kept as a screenshot at 1366x768 and at 390x844.
'use strict';
const fs = require('fs');
const path = require('path');
const { URL, check, launch, submitLogin, run } = require('./console.js');

const USER = process.env.KC_USER;
const PASS = process.env.KC_PASS;
const SHOTS = process.env.KC_SHOTS;

// What a Chinese page may not show, outside the key log's code column and
// commands to type.
const EVENT_CODE = /\b(release|loan|inspection|id|collection|entrustment|letter|approval|notice|alarm|handover|operator|key|slot|site|unit|person|controller)\.[a-z_]+\b/;
const WORD_CODE = /\b(vacant|entrusted|sealed|repair|supervisor|admin|staff|engineer|manager|owner|borrow|inspection|emergency|owner_collect|tamper|wrong_slot|overdue|fault|audit_link|granted|returned|not_taken|releasing|awaiting|collected|cancelled|online|offline|stuck|problems|id_card|passport|gap|chain_break|conflict|yes|no|true|false|null|intact|broken)\b/;
// three English words in a row: a sentence, a heading, a label
const ENGLISH = /\b[A-Za-z][a-z]+[ ,:;]+[A-Za-z][a-z]+[ ,:;]+[A-Za-z][a-z]+\b/;
const UTC_TIME = /\d\d:\d\d(:\d\d(\.\d+)?)?Z\b|\bUTC\b|\+00:00/;
const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;

// The page's text without the key log's code column and commands, its
// white space folded.
async function readable(page) {
  return (await page.evaluate(() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('td.code, th[data-col="code"], code, script, style').forEach((e) => e.remove());
    // a space after each element: cells and lines apart, as the page shows them
    body.querySelectorAll('*').forEach((e) => e.append(' '));
    return body.textContent;
  })).replace(/\s+/g, ' ');
}

// What of the page is the console's own words (not the data's names):
// the title, headings, table headings, labels, buttons, links of the
// navigation, and the printable sheet's headings.
async function uiTexts(page) {
  return page.evaluate(() => [...document.querySelectorAll(
    'title, h1, h2, h3, th, label, nav a, button, dt, .pager a, p.meta, p.noprint')]
    .filter((e) => e.id !== 'lang-toggle')
    .map((e) => {
      const c = e.cloneNode(true);
      c.querySelectorAll('select, option, input, datalist, code, span[data-last-seen]').forEach((x) => x.remove());
      return c.textContent.replace(/\s+/g, ' ').trim();
    })
    .filter((t) => t));
}

async function shots(page, name) {
  for (const [w, h] of [[1366, 768], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}x${h}.png`), fullPage: false });
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

// Clicks the link (a locator) and waits for its page.
async function follow(page, link) {
  await Promise.all([page.waitForNavigation(), link.first().click()]);
}

// The pages, each reached by clicking from the dashboard: [name, how].
const PAGES = [
  ['dashboard', async (page) => follow(page, page.locator('nav a[href="/"]'))],
  ['keylog', async (page) => follow(page, page.locator('nav a[href="/r/keylog"]'))],
  ['keylog-print', async (page) => {
    await follow(page, page.locator('nav a[href="/r/keylog"]'));
    await follow(page, page.locator('a[href*="print=1"]'));
  }],
  ['now', async (page) => follow(page, page.locator('nav a[href="/r/now"]'))],
  ['entrustments', async (page) => follow(page, page.locator('nav a[href="/r/entrustments"]'))],
  ['vacant', async (page) => {
    await follow(page, page.locator('nav a[href="/r/vacant"]'));
    await page.fill('form.filter input[name="month"]', process.env.MONTH);
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
  }],
  ['vacant-sheet', async (page) => follow(page, page.locator('a[href*="print=1"]'))],
  ['handovers', async (page) => follow(page, page.locator('nav a[href="/r/handovers"]'))],
  ['chain', async (page) => follow(page, page.locator('nav a[href="/r/chain"]'))],
  ['problems', async (page) => follow(page, page.locator('nav a[href="/r/problems"]'))],
  ['deliveries', async (page) => follow(page, page.locator('nav a[href="/r/deliveries"]'))],
  ['bad-filter', async (page) => {
    await follow(page, page.locator('nav a[href="/r/handovers"]'));
    await page.fill('form.filter input[name="from"]', '上周');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
  }],
  ['no-such-page', async (page) => {
    // a mistyped address, as a person types it
    await page.goto(URL + '/r/keylogs');
  }],
];

async function visit(page, lang, each) {
  for (const [name, go] of PAGES) {
    if (name !== 'vacant-sheet' && name !== 'keylog-print') // those open from the page before them
      await follow(page, page.locator('nav a[href="/"]')).catch(() => page.goto(URL + '/'));
    await go(page);
    await shots(page, `${lang}-${name}`);
    await each(name);
  }
}

run(async () => {
  const { browser, context, page } = await launch();
  fs.mkdirSync(SHOTS, { recursive: true });
  try {
    await page.goto(URL + '/');
    await submitLogin(page, USER, PASS);
    check(new globalThis.URL(page.url()).pathname === '/', 'signed in with the form, on the dashboard', page.url());

    console.log('== in Chinese, the account\'s language until it chooses another');
    await visit(page, 'zh', async (name) => {
      const t = await readable(page);
      const lang = await page.locator('html').getAttribute('lang');
      const bad = [[EVENT_CODE, 'an event code'], [WORD_CODE, 'a code for a word'], [ENGLISH, 'English'],
        [UTC_TIME, 'a UTC time']].map(([re, what]) => [what, t.match(re)]).filter(([, m]) => m);
      check(lang === 'zh-CN', `${name}: <html lang="zh-CN">`, lang);
      check(CJK.test(t), `${name}: the page is in Chinese`, t.slice(0, 200));
      check(!bad.length, `${name}: no event code, code for a word, English sentence or UTC time`,
            bad.map(([what, m]) => `${what}: "${m[0]}" in …${t.slice(Math.max(0, m.index - 60), m.index + 60)}…`)
              .join(' | '));
    });

    console.log('== the key log in words, newest first');
    await follow(page, page.locator('nav a[href="/r/keylog"]'));
    const first = await page.locator('table.report tbody tr').first().locator('td.text').innerText();
    check(CJK.test(first) && !EVENT_CODE.test(first), 'each event is a Chinese sentence', first);

    console.log('== the key log\'s CSV in Chinese: Chinese headers');
    const [zhCsv] = await Promise.all([page.waitForEvent('download'), page.locator('a.export[href*=".csv"]').click()]);
    const zhHead = fs.readFileSync(await zhCsv.path(), 'utf8').split('\n')[0];
    check(zhHead.includes('时间') && !/\bTime\b/.test(zhHead), 'CSV headers in Chinese', zhHead);

    console.log('== English, by clicking the toggle in the navigation');
    check(await page.locator('nav #lang-toggle').innerText() === 'English', 'the navigation offers English');
    await Promise.all([page.waitForNavigation(), page.click('nav #lang-toggle')]);
    check(new globalThis.URL(page.url()).pathname === '/r/keylog', 'back on the page the toggle was on', page.url());
    await visit(page, 'en', async (name) => {
      const ui = await uiTexts(page);
      const zh = ui.filter((s) => CJK.test(s) && !/^(新城花园|老街小区)/.test(s));
      check(await page.locator('html').getAttribute('lang') === 'en', `${name}: <html lang="en">`);
      check(ui.length > 0 && !zh.length, `${name}: headings, labels and buttons in English`,
            (zh.length ? zh : ui).slice(0, 6).join(' | '));
    });
    await follow(page, page.locator('nav a[href="/r/keylog"]'));
    const firstEn = await page.locator('table.report tbody tr').first().locator('td.text').innerText();
    check(!EVENT_CODE.test(firstEn) && /^[\x20-\x7e\u4e00-\u9fff（）]+$/.test(firstEn) && /[a-z]{3,} [a-z]{2,}/.test(firstEn),
          'each event is an English sentence (names as they are)', firstEn);
    const [enCsv] = await Promise.all([page.waitForEvent('download'), page.locator('a.export[href*=".csv"]').click()]);
    const enHead = fs.readFileSync(await enCsv.path(), 'utf8').split('\n')[0];
    check(/\bTime\b/.test(enHead) && !CJK.test(enHead), 'the CSV export in English: English headers', enHead);

    console.log('== the choice is the account\'s: it holds after signing out and in');
    await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
    await page.goto(URL + '/');
    await submitLogin(page, USER, PASS);
    check(await page.locator('h1').innerText() === 'Dashboard', 'signed in again: the dashboard in English',
          await page.locator('h1').innerText());

    console.log('== and back to Chinese');
    check(await page.locator('nav #lang-toggle').innerText() === '中文', 'the navigation offers 中文');
    await Promise.all([page.waitForNavigation(), page.click('nav #lang-toggle')]);
    check(await page.locator('h1').innerText() === '总览', 'the dashboard in Chinese again',
          await page.locator('h1').innerText());
  } finally {
    await context.close();
    await browser.close();
  }
});
