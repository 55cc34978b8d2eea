// The on-screen keyboard (controller/kiosk/www/keyboard.js), for t-osk.sh:
// real Chromium with touch at 1024x600 (tests/kiosk/lib.js), every text
// typed by taps on its keys (tests/kiosk/osk.js). Env: KIOSK_URL,
// KIOSK_PAIR, T (the shell's files: nodict.url, nodict.pair once it
// started keycab-kiosk again without a dictionary).
'use strict';
const fs = require('fs');
const path = require('path');
const { browserTest, pair, until, check, loginPin, shell } = require('./lib.js');
const { typeText, typeChinese, clearText, tapPhrase } = require('./osk.js');

const value = (page, sel) => page.$eval(sel, (e) => e.value);
const shown = async (page, sel) => !!(await page.$(sel + ':not([hidden])'));
// Keys of the keyboard (and its bar) outside the window, or under 48 px.
const outside = (page) => page.evaluate(() => {
  const W = window.innerWidth, H = window.innerHeight, out = [];
  for (const b of document.querySelectorAll('#osk button')) {
    if (!b.offsetParent) continue; /* not shown (a candidate's place in the bar, empty) */
    const r = b.getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.right > W || r.bottom > H) out.push(`${b.dataset.osk || b.textContent} at ${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)}`);
    else if (r.height < 48) out.push(`${b.dataset.osk || b.textContent} ${Math.round(r.height)} px high`);
  }
  return out;
});

browserTest('t-osk', async ({ terminal }) => {
  const desk = await terminal('desk');
  const page = desk.page;
  check(await pair(desk), 'paired as the display pairs it');
  /* the tamper alarm open at load takes the screen over, and again at the
   * login: laid aside (稍后处理), to be cleared from the alarms screen */
  await page.tap('[data-t=takeover-later]');
  check(await loginPin(desk, 'S01', '1111'), 'S01 logged in by PIN');
  await page.tap('[data-t=takeover-later]');

  /* the search box: inputmode none, the keyboard on a tap */
  await page.tap('[data-t=tile-find]');
  await page.waitForSelector('[data-t=keys]');
  check((await page.getAttribute('[data-t=search]', 'inputmode')) === 'none', 'the search box asks for no system keyboard (inputmode=none)');
  check(!(await shown(page, '#osk')), 'no keyboard before a field is tapped');
  await page.tap('[data-t=search]');
  check(await until(() => shown(page, '#osk'), 3000), 'a tap on the search box opens the on-screen keyboard');
  let out = await outside(page);
  check(out.length === 0, 'at 1024x600 every key is inside the window, 48 px high or more', out.join(' | '));
  await page.setViewportSize({ width: 1280, height: 800 });
  out = await outside(page);
  check(out.length === 0, 'at 1280x800 every key is inside the window, 48 px high or more', out.join(' | '));
  await desk.shot('keyboard-1280');
  await page.setViewportSize({ width: 1024, height: 600 });

  /* ASCII: a reference with capitals, digits, - ; the other symbols */
  await typeText(page, 'DJ-3-2-1501-01');
  check((await value(page, '[data-t=search]')) === 'DJ-3-2-1501-01', 'typed by taps: DJ-3-2-1501-01', await value(page, '[data-t=search]'));
  await desk.shot('reference');
  await clearText(page, '[data-t=search]');
  check((await value(page, '[data-t=search]')) === '', 'backspace empties it');
  await typeText(page, 'a/b#c,d.e f');
  check((await value(page, '[data-t=search]')) === 'a/b#c,d.e f', 'typed by taps: a/b#c,d.e f', await value(page, '[data-t=search]'));
  await clearText(page, '[data-t=search]');

  /* digits and Chinese in one field: the key list follows */
  await typeText(page, '2');
  await typeChinese(page, 'dong', '栋');
  await typeText(page, ' 101');
  check((await value(page, '[data-t=search]')) === '2栋 101', 'typed by taps: 2栋 101', await value(page, '[data-t=search]'));
  check(await until(async () => (await page.$$('[data-t^=key-]')).length === 1 && !!(await page.$('[data-t=key-K-HY-2-101]')), 3000),
    'the key list found K-HY-2-101 by 2栋 101');
  await desk.shot('find-2dong101');
  await clearText(page, '[data-t=search]');

  /* a candidate on the second page of the bar */
  const words = await page.evaluate(async () => (await (await fetch('/api/pinyin?q=shi')).json()).words.map((w) => w.w));
  const far = words[8];
  const taps = await typeChinese(page, 'shi', far);
  check((await value(page, '[data-t=search]')) === far && taps === 6, `"${far}", the ninth candidate of shi, by paging on: ${taps} taps`);
  await clearText(page, '[data-t=search]');

  /* next=1: the answer holds each next letter's words too (those letters
   * a word takes whole), as the kiosk answers that pinyin itself */
  const fan = await page.evaluate(async () => {
    const get = async (q) => (await fetch('/api/pinyin?q=' + q)).json();
    const rep = await (await fetch('/api/pinyin?q=lou&next=1')).json();
    const own = {};
    for (const l of Object.keys(rep.next || {})) own[l] = (await get('lou' + l)).words.map((w) => [w.w, w.n]);
    const bad = await fetch('/api/pinyin?q=lou&next=2');
    return { rep, own, plain: await get('lou'), bad: bad.status, badRep: await bad.json() };
  });
  const letters = Object.keys(fan.rep.next || {});
  check(JSON.stringify(fan.rep.words) === JSON.stringify(fan.plain.words) && !('next' in fan.plain),
    'next=1: the words of lou as without it; no next without it');
  check(letters.includes('s') && fan.rep.next.s.some((w) => w[0] === '漏水') && letters.length < 26 &&
    letters.every((l) => fan.rep.next[l][0][1] === 4 && JSON.stringify(fan.rep.next[l]) === JSON.stringify(fan.own[l])),
  'next=1: the next letters of lou (' + letters.join('') + '), each with the words the kiosk gives for it');
  check(fan.bad === 400 && fan.badRep.code === 'osk_bad_next' && /next/.test(fan.badRep.text['zh-CN'] || ''),
    'next=2: refused, 400 osk_bad_next: ' + fan.bad + ' ' + JSON.stringify(fan.badRep.text));

  /* the words of each next letter come with the kiosk's answer for the
   * letters before it (the first letters' when the keyboard opened): once
   * that answer is in (the bar's data-next), a tap on the letter draws the bar in the tap's own
   * event, with no request of its own */
  await page.evaluate(() => {
    performance.setResourceTimingBufferSize(100000);
    performance.clearResourceTimings();
    window.__sync = [];
    window.addEventListener('touchend', () => window.__sync.push(document.querySelector('#osk [data-t=osk-bar]').getAttribute('data-q')));
  });
  const askedFor = (q) => page.evaluate((q) => performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/pinyin?')).map((e) => new URL(e.name).searchParams.get('q')).filter((x) => x === q).length, q);
  const lou = 'loushui';
  for (let i = 1; i <= lou.length; i++) {
    await page.tap(`#osk [data-osk="${lou[i - 1]}"]`);
    await page.waitForSelector(`#osk [data-t=osk-bar][data-next="${lou.slice(0, i)}"]`, { timeout: 3000 });
  }
  const drawn = await page.evaluate(() => window.__sync);
  const want = [...lou].map((_, i) => lou.slice(0, i + 1));
  check(JSON.stringify(drawn) === JSON.stringify(want), 'each letter of loushui drew its words in the tap itself: ' + drawn.join(' '));
  check((await Promise.all(want.map(askedFor))).every((n) => n === 1), 'each pinyin asked of the kiosk once (for the letters after it)');
  await page.tap('#osk [data-osk=back]');
  check((await page.getAttribute('#osk [data-t=osk-bar]', 'data-q')) === 'loushu' && (await askedFor('loushu')) === 1,
    'backspace: the words of loushu again from memory');
  await page.tap('#osk [data-osk=i]');
  await page.tap('#osk [data-t=osk-cand]:text-is("漏水")');
  check((await value(page, '[data-t=search]')) === '漏水', 'loushui: 漏水 from the bar drawn from memory');
  await clearText(page, '[data-t=search]');

  /* a syllable still being typed; more than a word, one word at a time */
  await typeChinese(page, 'weishengj', '卫生间');
  check((await value(page, '[data-t=search]')) === '卫生间', 'weishengj offers 卫生间');
  await clearText(page, '[data-t=search]');
  await typeChinese(page, 'weishengjianloushui', '卫生间');
  check(await until(async () => !!(await page.$('#osk [data-t=osk-bar][data-q=loushui]')), 3000), 'after 卫生间 the bar offers words for the rest: loushui');
  await page.tap('#osk [data-t=osk-cand]:text-is("漏水")');
  check((await value(page, '[data-t=search]')) === '卫生间漏水', 'weishengjianloushui: 卫生间, then 漏水');
  /* space takes the first candidate; backspace takes a letter of the pinyin first */
  for (const k of 'shuix') await page.tap(`#osk [data-osk="${k}"]`);
  await page.tap('#osk [data-osk=back]');
  check((await page.textContent('#osk [data-t=osk-comp]')) === 'shui', 'backspace takes the last pinyin letter');
  await page.waitForSelector('#osk [data-t=osk-bar][data-q=shui]');
  const first = await page.textContent('#osk [data-t=osk-cand]');
  await page.tap('#osk [data-osk=space]');
  check((await value(page, '[data-t=search]')) === '卫生间漏水' + first, `space takes the first candidate (${first})`);
  await page.tap('#osk [data-osk=back]');
  check((await value(page, '[data-t=search]')) === '卫生间漏水', 'backspace takes the character before the caret');

  /* hidden, and opened again by a tap on the field */
  await page.tap('#osk [data-osk=hide]');
  check(!(await shown(page, '#osk')), '收起 hides the keyboard');
  await page.tap('[data-t=search]');
  check(await until(() => shown(page, '#osk'), 3000), 'a tap on the field opens it again');

  /* a field a screen adds later gets the keyboard too */
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.setAttribute('data-t', 'later');
    document.getElementById('screen').appendChild(i);
  });
  check(await until(async () => (await page.getAttribute('[data-t=later]', 'inputmode')) === 'none', 3000), 'a field added later: inputmode=none');
  await page.tap('[data-t=later]');
  await typeText(page, 'ok-1');
  check((await value(page, '[data-t=later]')) === 'ok-1' && (await value(page, '[data-t=search]')) === '卫生间漏水',
    'a field added later is typed into, the search box left as it was');
  await page.tap('[data-t=back]');
  check(await until(async () => !(await shown(page, '#osk')), 3000), 'leaving the screen closes the keyboard');

  /* an alarm's note: the site's quick phrases first, then pinyin */
  await page.tap('[data-t=tile-alarms]');
  await page.waitForSelector('[data-t=alarm-clear]');
  await page.tap('[data-t=alarm-clear]');
  await page.tap('[data-t=alarm-note]');
  await page.waitForSelector('#osk [data-t=osk-phrase]');
  const phrases = await page.$$eval('#osk [data-t=osk-phrase]', (b) => b.map((e) => e.textContent));
  check(phrases[0] === '已到柜机现场核实' && phrases.length === 4, 'the note\'s bar shows the site\'s alarm phrases first: ' + phrases.join(' | '));
  check((await page.getAttribute('#osk', 'data-mode')) === 'zh', 'a note starts in 中');
  await desk.shot('alarm-phrases');
  await tapPhrase(page, '已到柜机现场核实');
  /* the screen drawn again (the language switched there and back): the
   * keyboard types on at the end of the note */
  await page.tap('#lang');
  await page.tap('#lang');
  await page.tap('#osk [data-osk=","]');
  await typeChinese(page, 'menchuang', '门窗');
  check((await value(page, '[data-t=alarm-note]')) === '已到柜机现场核实，门窗', 'the note: a phrase, a Chinese comma, 门窗: ' + await value(page, '[data-t=alarm-note]'));
  await desk.shot('alarm-note');
  await page.tap('[data-t=alarm-clear-go]');
  check(await until(async () => !!(await page.$('[data-t=alarm-cleared]')), 5000), 'the alarm cleared with the note typed on the keyboard');
  await page.tap('[data-t=logout]');

  /* keycab-kiosk with no dictionary file: letters and digits still */
  await shell('nodict');
  const nd = await terminal('nodict');
  const p2 = nd.page;
  check(await pair(nd, fs.readFileSync(path.join(process.env.T, 'nodict.pair'), 'utf8').trim()), 'paired with keycab-kiosk without a dictionary');
  check(await loginPin(nd, 'S01', '1111'), 'S01 logged in there');
  await p2.tap('[data-t=tile-find]');
  await p2.tap('[data-t=search]');
  check(await until(() => shown(p2, '#osk'), 3000), 'no dictionary: the keyboard opens');
  await p2.waitForSelector('#osk [data-t=osk-no-pinyin]');
  check(/拼音词库/.test(await p2.textContent('#osk [data-t=osk-no-pinyin]')), 'no dictionary: the bar says so: ' + await p2.textContent('#osk [data-t=osk-no-pinyin]'));
  check(await p2.$eval('#osk [data-osk=lang]', (b) => b.disabled), 'no dictionary: 中 cannot be chosen');
  await typeText(p2, 'HY-1-103');
  check((await value(p2, '[data-t=search]')) === 'HY-1-103', 'no dictionary: HY-1-103 typed by taps');
  check(await until(async () => (await p2.$$('[data-t^=key-]')).length === 1, 3000), 'no dictionary: the key list found HY-1-103');
  await nd.shot('no-dictionary');
});
