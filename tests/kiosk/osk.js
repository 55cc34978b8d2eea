// Text typed as a person types it at the terminal: by taps on the page's
// on-screen keyboard (controller/kiosk/www/keyboard.js), never with
// fill(), type() or page.keyboard. Tap the field first (it opens the
// keyboard for it), then:
//   await typeText(page, 'DJ-3-2-1501-01');   // letters, digits, - / # , . and space
//   await typeChinese(page, 'weishengjian', '卫生间');  // pinyin, then the word in the bar
//   await clearText(page, '[data-t=search]');  // backspace until it is empty
//   await tapPhrase(page, '卫生间漏水');  // a quick phrase of the field's data-phrases kind
// Each returns the number of taps it made.
'use strict';

const LETTER = /^[a-z]$/;
const KEYS = new Set('1234567890-/#,.abcdefghijklmnopqrstuvwxyz'.split(''));

async function osk(page) {
  await page.waitForSelector('#osk:not([hidden])', { timeout: 5000 });
}
async function mode(page) {
  return page.getAttribute('#osk', 'data-mode');
}
async function key(page, k) {
  await page.tap(`#osk [data-osk="${k}"]`);
}
// The keyboard in 'en' or 'zh'; the taps it took.
async function setMode(page, want) {
  if ((await mode(page)) === want) return 0;
  await key(page, 'lang');
  if ((await mode(page)) !== want) throw new Error(`the on-screen keyboard does not switch to ${want}`);
  return 1;
}

// ASCII text by taps: each character's key (shift before a capital), in
// the keyboard's English mode.
async function typeText(page, text) {
  await osk(page);
  let taps = await setMode(page, 'en');
  for (const ch of text) {
    const low = ch.toLowerCase();
    if (ch === ' ') await key(page, 'space');
    else if (ch !== low && LETTER.test(low)) { await key(page, 'shift'); await key(page, low); taps++; }
    else if (KEYS.has(ch)) await key(page, ch);
    else throw new Error(`"${ch}" is not on the on-screen keyboard`);
    taps++;
  }
  return taps;
}

// The pinyin's letters in the keyboard's 中 mode, then the candidate word
// from the bar, paging on (▶) until it shows. Fails when it never does.
async function typeChinese(page, pinyin, word) {
  await osk(page);
  let taps = await setMode(page, 'zh');
  for (const ch of pinyin) {
    if (!LETTER.test(ch) && ch !== "'") throw new Error(`pinyin "${pinyin}": "${ch}" is no letter`);
    if (ch === "'") continue;
    await key(page, ch);
    taps++;
  }
  const q = pinyin.replace(/'/g, '');
  await page.waitForSelector(`#osk [data-t=osk-bar][data-q="${q}"]`, { timeout: 5000 });
  for (;;) {
    const cands = await page.$$('#osk [data-t=osk-cand]');
    for (const c of cands) {
      if ((await c.textContent()) === word) {
        await c.tap();
        return taps + 1;
      }
    }
    const next = await page.$('#osk [data-t=osk-next]:not([disabled])');
    if (!next) throw new Error(`"${word}" is not among the candidates for "${pinyin}"`);
    await next.tap();
    taps++;
  }
}

// Empties the field the keyboard types into, by taps on backspace; the
// taps it took.
async function clearText(page, selector) {
  await osk(page);
  const n = await page.$eval(selector, (e) => e.value.length);
  for (let i = 0; i < n; i++) await key(page, 'back');
  return n;
}

// A quick phrase of the field's kind, from the bar.
async function tapPhrase(page, text) {
  await osk(page);
  for (;;) {
    for (const p of await page.$$('#osk [data-t=osk-phrase]'))
      if ((await p.textContent()) === text) { await p.tap(); return; }
    const next = await page.$('#osk [data-t=osk-next]:not([disabled])');
    if (!next) throw new Error(`no quick phrase "${text}"`);
    await next.tap();
  }
}

module.exports = { typeText, typeChinese, clearText, tapPhrase };
