/* The terminal's pages end to end in a real headless Chromium (Debian's,
 * driven by playwright-core) with touch at 1024x600, against keycabd on
 * keycab-sim with the demo estate: real taps, the slot opening at the
 * simulator, the key taken and put back there, the screen following.
 * Env: KIOSK_URL, KIOSK_PAIR (the page the display opens to pair), SIM_CONTROL, SHOTS (screenshot directory), LETTER (a
 * letter on file for K-HY-1-101, borrower 谭伟, ID 440301199512125559).
 * Exit 0 when every check passes. */
'use strict';
const { chromium } = require('playwright-core');
const { sim, pair } = require('./lib.js');
const { typeText, typeChinese, clearText } = require('./osk.js');
const path = require('path');

const URL = process.env.KIOSK_URL, SHOTS = process.env.SHOTS;
let fails = 0;
const ok = (m) => console.log('ok   - ' + m);
const bad = (m) => { console.log('FAIL - ' + m); fails++; };
const check = (c, m) => (c ? ok(m) : bad(m));

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const coilOn = (slot) => until(async () => (await sim('coil ' + slot)).includes('OK on'), 10000, 'coil ' + slot + ' on');

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, hasTouch: true, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const origin = new global.URL(URL).origin;
  const external = [], errors = [], failed = [], cut = [], leaked = [];
  page.on('request', (r) => { if (!r.url().startsWith(origin) && r.url() !== process.env.KIOSK_PAIR) external.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(r.status() + ' ' + r.url()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  let taps = 0;
  const tap = async (sel) => { taps++; await page.tap(sel); };
  /* What of the screen is cut off: an element beyond the window's sides, a
   * page wider than the window, a screen squeezed under the header. */
  const cutOff = () => page.evaluate(() => {
    const out = [], W = window.innerWidth;
    if (document.documentElement.scrollWidth > W) out.push('page ' + document.documentElement.scrollWidth + ' px wide');
    for (const e of document.querySelectorAll('button, h1, h2, input, textarea, table, .item, .refusal, [data-t]')) {
      const r = e.getBoundingClientRect();
      if (!r.width || getComputedStyle(e).visibility === 'hidden') continue;
      if (r.left < -1 || r.right > W + 1) out.push((e.dataset.t || e.tagName) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    const main = document.getElementById('screen');
    if (main.clientHeight < 200) out.push('the screen ' + main.clientHeight + ' px high');
    return out;
  });
  /* Each screen at 1024x600 and at 1280x800 (NAME-1280.png). */
  const shot = async (name) => {
    await page.screenshot({ path: path.join(SHOTS, name + '.png') });
    for (const c of await cutOff()) cut.push(`${name} 1024x600: ${c}`);
    /* a value the page never had, shown as a word */
    const body = (await page.textContent('body')) || '';
    const m = /\b(undefined|null|NaN)\b|\[object \w+\]/.exec(body);
    if (m) leaked.push(`${name}: "${body.slice(Math.max(0, m.index - 30), m.index + 20)}"`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(SHOTS, name + '-1280.png') });
    for (const c of await cutOff()) cut.push(`${name} 1280x800: ${c}`);
    await page.setViewportSize({ width: 1024, height: 600 });
  };
  const text = (sel) => page.textContent(sel);
  const textIf = async (sel) => ((await page.$(sel)) ? page.textContent(sel) : '');
  /* Chinese as the desk reads it: CJK, no English sentence in it. */
  /* people's names as registered ("王芳 Wang Fang") and keycab commands
   * stand in either language */
  const plain = (s) => s.replace(/[\u4e00-\u9fff]{2,4} [A-Z][a-z]+ [A-Z][a-z]+/g, '').replace(/keycab [a-z]+/g, '');
  const chinese = (s) => /[\u4e00-\u9fff]/.test(plain(s)) && !/[A-Za-z]{2,}[ ,.;:]+[A-Za-z]{2,}/.test(plain(s));
  const english = (s) => /[A-Za-z]{2,} [A-Za-z]{2,}/.test(plain(s)) && !/[\u4e00-\u9fff]/.test(plain(s));
  const pin = async (digits) => { for (const d of digits) await page.tap(`[data-k="${d}"]`); };

  try {
    /* 1. idle, once the display's browser is paired */
    check(await pair(page), 'paired as the display pairs it');
    const resp = await page.goto(URL);
    const csp = resp.headers()['content-security-policy'] || '';
    check(/default-src 'self'/.test(csp), 'the page comes with a CSP default-src \'self\': ' + csp);
    await page.waitForSelector('[data-t=prompt]');
    check((await text('[data-t=prompt]')) === '请刷卡或输入密码', 'idle screen says 请刷卡或输入密码');
    await until(async () => /未处理告警/.test(await text('#alarms')), 5000, 'alarms badge');
    check(/\d\d:\d\d/.test(await text('.idle .time')), 'idle screen shows the clock');
    await shot('01-idle');

    /* all text from the tables: the English toggle changes the screen */
    await page.tap('[data-t=lang]');
    check((await text('[data-t=prompt]')) === 'Tap your card or enter your PIN', 'English toggle: the prompt in English');
    await shot('01-idle-en');
    await page.tap('[data-t=lang]');

    /* 2. login: a wrong PIN shows keycabd's refusal under a Chinese heading */
    await page.tap('[data-t=login-pin]');
    await page.waitForSelector('[data-t=name-S01]');
    check(!(await page.$('[data-t=name-O01]')), 'the name picker holds no owner');
    check(/王芳/.test(await text('[data-t=name-S01]')), 'the name picker shows names (王芳)');
    await shot('02-names');
    await page.tap('[data-t=name-S02]');
    /* keycabd also slows failed logins per connection (the terminal is one):
     * a "wait N s" answer is waited out and the PIN typed again */
    let r = '';
    for (let i = 0, wrong = 0; wrong < 5 && i < 15; i++) {
      await pin('9999');
      await page.tap('[data-t=pin-ok]');
      await page.waitForSelector('[data-t=refusal]');
      r = await text('[data-t=refusal]');
      const wait = /请等待 (\d+) 秒/.exec(r);
      if (wait && !/已锁定至/.test(r)) {
        await page.waitForTimeout(Number(wait[1]) * 1000 + 300);
        continue;
      }
      wrong++;
    }
    check(/未能登录 · 规则 1：操作员身份认证/.test(r), 'wrong PIN: refused under 未能登录 and rule 1\'s Chinese name');
    check(chinese(await textIf('[data-t=refusal-msg]')) && !/keycabd|英文/.test(r),
      'wrong PIN: keycabd\'s refusal in Chinese, no English line: ' + await textIf('[data-t=refusal-msg]'));
    check(/已锁定至 \d\d:\d\d，还需等待(不到 1 分钟|约 \d+ 分钟)/.test(r), 'lockout shown with the time left: ' + r.slice(0, 60));
    await shot('02-pin-locked');
    /* the language switched under a shown refusal: it says it again in English */
    await page.tap('[data-t=lang]');
    r = await text('[data-t=refusal]');
    check(/^Login refused · Rule 1/.test(r) && english(await textIf('[data-t=refusal-msg]')) &&
      /Locked until \d\d:\d\d: (under a minute|about \d+ min) to wait/.test(r),
    'switched to English: the refusal and the lockout line in English: ' + r.slice(0, 120));
    await shot('02-pin-locked-en');
    await page.tap('[data-t=lang]');
    await page.tap('[data-t=back]');

    /* the next person at this terminal waits out keycabd's slowing of the
     * terminal's failed logins, as the page tells them */
    await page.tap('[data-t=name-S01]');
    for (let i = 0; i < 6; i++) {
      await pin('1111');
      await page.tap('[data-t=pin-ok]');
      await page.waitForSelector('[data-t=tile-inspection], [data-t=refusal]');
      if (await page.$('[data-t=tile-inspection]')) break;
      const w = /请等待 (\d+) 秒/.exec(await text('[data-t=refusal]'));
      check(w, 'the next person is asked to wait, not refused: ' + (await text('[data-t=refusal]')).slice(0, 60));
      if (!w) break;
      await page.waitForTimeout(Number(w[1]) * 1000 + 300);
    }
    await page.waitForSelector('[data-t=tile-inspection]');
    check(/王芳/.test(await text('#who')), 'logged in: the header names 王芳');
    check(/\d+ 秒/.test(await text('#countdown')), 'the idle countdown is visible');
    await shot('03-home');

    /* 3. find by building/room and by owner name */
    await page.tap('[data-t=tile-find]');
    await page.waitForSelector('[data-t=keys]');
    await page.tap('[data-t=search]');
    await typeChinese(page, 'liu', '刘');
    await typeChinese(page, 'jianguo', '建国');
    await until(async () => (await page.$$('[data-t^=key-]')).length === 1, 3000, 'one key for 刘建国');
    check(!!(await page.$('[data-t=key-K-HY-1-101] [data-t=act-borrow]')), 'owner name finds K-HY-1-101 with its borrow action');
    await clearText(page, '[data-t=search]');
    await typeText(page, 'HY-1-103');
    await until(async () => (await page.$$('[data-t^=key-]')).length === 1, 3000, 'one key for HY-1-103');
    check(/在柜/.test(await text('[data-t=key-K-HY-1-103]')) && /空房/.test(await text('[data-t=key-K-HY-1-103]')), 'a result shows its kind and custody state');
    check(!(await page.$('[data-t=key-K-HY-1-103] [data-t=act-borrow]')), 'a vacant key offers no borrow');
    await shot('04-find');
    await page.tap('[data-t=back]');

    /* 4. vacant inspection in 4 taps: tile, key, engineer, open */
    taps = 0;
    await tap('[data-t=tile-inspection]');
    await page.waitForSelector('[data-t=key-K-HY-1-103]');
    await tap('[data-t=key-K-HY-1-103]');
    await page.waitForSelector('[data-t=name-E01]');
    await tap('[data-t=name-E01]');
    await page.waitForSelector('[data-t=open]');
    await shot('05-inspection-ready');
    const t0 = Date.now();
    await tap('[data-t=open]');
    check(taps <= 4, `inspection release in ${taps} taps after login`);
    await page.waitForSelector('[data-t=slot-open]');
    await coilOn('A07');
    console.log(`       tap to coil on: ${Date.now() - t0} ms`);
    check((await text('[data-t=slot-open]')) === 'A07 号格已打开，请取钥匙', 'after the grant: A07 号格已打开，请取钥匙');
    check(/\d+ 秒后重新上锁/.test(await text('[data-t=window-left]')), 'the window counts down');
    await shot('06-slot-open');
    const t1 = Date.now();
    await sim('remove A07');
    await page.waitForSelector('[data-t=taken]', { timeout: 5000 });
    console.log(`       key removed to 已取走 on screen: ${Date.now() - t1} ms`);
    ok('the key removed at the simulator: the screen says 已取走');
    await shot('07-taken');
    await page.tap('[data-t=done]');

    /* a grant not taken: the window closes, 未取走，已重新上锁 */
    await page.tap('[data-t=tile-inspection]');
    await page.tap('[data-t=key-K-HY-1-104]');
    await page.tap('[data-t=name-E02]');
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=slot-open]');
    await page.waitForSelector('[data-t=not-taken]', { timeout: 15000 });
    check((await text('[data-t=not-taken]')) === '未取走，已重新上锁', 'the window closed: 未取走，已重新上锁');
    await shot('08-not-taken');
    await page.tap('[data-t=done]');

    /* the return: K-… 已归还, then the engineer records the inspection */
    await sim('insert A07 ' + 0x1007);
    await page.waitForSelector('[data-t=returned]', { timeout: 5000 });
    check(/^1栋 103 · K-HY-1-103 已归还/.test(await text('[data-t=returned] .txt')), 'the return names the unit: ' + await text('[data-t=returned] .txt'));
    check(!!(await page.$('[data-t=returned] [data-t=inspect-now]')), 'the return offers to record the inspection');
    await shot('09-returned');
    await page.tap('[data-t=logout]');
    await page.waitForSelector('[data-t=idle]');
    check(!(await page.$('[data-t=inspect-now]')), 'after logout the return\'s inspection button is gone');
    await page.tap('[data-t=login-pin]');
    await page.tap('[data-t=name-E01]');
    await pin('3333');
    await page.tap('[data-t=pin-ok]');
    await page.waitForSelector('[data-t=tile-out]');
    check(!(await page.$('[data-t=tile-inspection]')), 'an engineer is offered no release');
    await page.tap('[data-t=tile-out]');
    await page.waitForSelector('[data-t^=inspect-]');
    const insp = await text('[data-t^=insp-] .title');
    check(/\d+栋 \d+/.test(insp), 'keys out: the inspection to record names the unit: ' + insp);
    await shot('09b-keys-out');
    await page.tap('[data-t^=inspect-]');
    await page.tap('[data-t=result-problems]');
    await page.tap('[data-t=problems]');
    await typeChinese(page, 'weishengjian', '卫生间');
    await typeChinese(page, 'loushui', '漏水');
    check((await page.$eval('[data-t=problems]', (e) => e.value)) === '卫生间漏水', 'the problem box holds 卫生间漏水, typed on the on-screen keyboard');
    await page.tap('[data-t=dept_engineering]');
    await shot('10-inspection-result');
    await page.tap('[data-t=save]');
    await page.waitForSelector('[data-t=inspection-saved]');
    const saved = await text('[data-t=inspection-saved] .txt');
    check(/\d+栋 \d+/.test(saved), 'the engineer recorded the inspection (problems, forwarded to 工程部): ' + saved);
    await page.tap('[data-t=logout]');

    /* 5. tenant borrow: letter, owner confirmation, ID on the pad */
    await page.tap('[data-t=login-pin]');
    await page.tap('[data-t=name-S01]');
    await pin('1111');
    await page.tap('[data-t=pin-ok]');
    await page.tap('[data-t=tile-borrow]');
    await page.tap('[data-t=key-K-HY-1-101]');
    await page.waitForSelector('[data-t^=letter-]');
    check(/刘建国/.test(await text('main')), 'borrow: the owner named');
    await shot('11-letters');
    await page.tap('[data-t=letter-' + process.env.LETTER + ']');
    await page.waitForSelector('[data-t=call-owner]');
    const call = await text('[data-t=call-owner]');
    check(/138\*\*\*\*0001/.test(call) && !/13800000001/.test(call), 'the confirmation call shows the owner\'s phone masked: ' + call);
    await shot('12-call-owner');
    await page.tap('[data-t=confirm-phone]');
    await page.waitForSelector('[data-t=field-idn]');
    await pin('440301199512125549');   /* one digit wrong */
    check(/校验码不对：最后一位应为 (?!9)\d/.test(await text('[data-t=id-check]')), 'a mistyped ID number is caught at the desk');
    await page.tap('[data-t=field-contact]');
    await pin('13912345678');
    await page.tap('[data-t=field-sig]');
    await pin('2026001');
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=refusal]');
    check(!(await page.$('[data-t=slot-open]')), 'nothing sent with a mistyped ID number');
    await shot('13-id-mistyped');
    await page.tap('[data-t=field-idn]');
    await page.tap('[data-k="C"]');
    await pin('440301199512125559');
    check(/证件号校验通过/.test(await text('[data-t=id-check]')), 'the right ID number checks out');
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=slot-open]');
    await coilOn('A01');
    ok('tenant borrow granted: slot A01 opens at the simulator');
    await sim('remove A01');
    await page.waitForSelector('[data-t=taken]', { timeout: 5000 });
    await page.tap('[data-t=done]');
    /* the return: a button hands the ID back */
    await sim('insert A01 ' + 0x1001);
    await page.waitForSelector('[data-t=id-back]', { timeout: 5000 });
    await shot('14-return-id');
    await page.tap('[data-t=id-back]');
    await page.waitForSelector('[data-t=id-given]');
    check(/谭伟/.test(await text('[data-t=id-given]')) && /5559/.test(await text('[data-t=id-given]')), 'the ID handed back, by name, masked');

    /* 6. sealed key: refused without, granted with the manager's PIN */
    await page.tap('[data-t=tile-sealed]');
    await page.tap('[data-t=key-K-LJ-3-203]');
    await page.tap('[data-t=name-M01]');
    await pin('0000');
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=refusal]');
    check(/未能放行 · 规则 4：封存钥匙审批/.test(await text('[data-t=refusal]')), 'sealed key, wrong manager PIN: refused under rule 4\'s Chinese name');
    check(chinese(await textIf('[data-t=refusal-msg]')) && !/keycabd|英文/.test(await text('[data-t=refusal]')),
      'sealed key: the reason in Chinese, no English line: ' + await textIf('[data-t=refusal-msg]'));
    await shot('15-sealed-refused');
    await page.tap('[data-t=lang]');
    check(/^Refused · Rule 4/.test(await text('[data-t=refusal]')) && english(await textIf('[data-t=refusal-msg]')),
      'switched to English: the shown refusal says it in English: ' + await text('[data-t=refusal]'));
    await shot('15-sealed-refused-en');
    await page.tap('[data-t=lang]');
    check(/^未能放行/.test(await text('[data-t=refusal]')), '... and in Chinese again');
    await pin('5555');
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=slot-open]');
    await coilOn('A05');
    ok('sealed key opened with the manager\'s PIN on the same screen');
    await page.waitForSelector('[data-t=not-taken]', { timeout: 15000 });
    await page.tap('[data-t=done]');

    /* a key back just before the handover: its notice over the screen */
    await page.tap('[data-t=tile-inspection]');
    await page.tap('[data-t=key-K-HY-1-104]');
    await page.tap('[data-t=name-E02]');
    await page.tap('[data-t=open]');
    await coilOn('A08');
    await sim('remove A08');
    await page.waitForSelector('[data-t=taken]', { timeout: 5000 });
    await page.tap('[data-t=done]');
    await sim('insert A08 ' + 0x1008);
    await page.waitForSelector('[data-t=returned]', { timeout: 5000 });

    /* handover: the sheet, the incoming staff's own PIN */
    await page.tap('[data-t=tile-handover]');
    await page.tap('[data-t=handover-start]');
    await page.waitForSelector('[data-t=sheet-title]');
    const reach = await page.evaluate(() => {
      const b = document.querySelector('[data-t=handover-incoming]').getBoundingClientRect();
      return { bottom: Math.round(b.bottom), h: window.innerHeight, notes: document.querySelectorAll('#notice > *').length,
        top: document.getElementById('screen').scrollTop };
    });
    check(reach.notes > 0 && reach.top === 0 && reach.bottom <= reach.h,
      `with ${reach.notes} notice(s) shown at 1024x600 the sheet's confirm button is on screen without scrolling (bottom ${reach.bottom} of ${reach.h})`);
    check(/交接单 \d+（交班：王芳/.test(await text('[data-t=sheet-title]')) && (await page.$$('table.sheet')).length === 3,
      'the handover sheet: keys out, IDs held, open alarms');
    await shot('16-handover');
    await page.tap('[data-t=handover-incoming]');
    await page.tap('[data-t=name-S02]');
    await page.waitForTimeout(2200); /* S02's lockout from the wrong PINs above is 2 s */
    await pin('2222');
    await page.tap('[data-t=pin-ok]');
    await page.waitForSelector('[data-t=handover-confirmed]', { timeout: 5000 });
    check(/李娜/.test(await text('[data-t=handover-confirmed]')), 'handover confirmed by the incoming staff 李娜');
    await shot('17-handover-confirmed');

    check(external.length === 0, 'no request leaves the kiosk: ' + external.join(' '));
    check(errors.length === 0, 'no script or console errors: ' + errors.join(' | '));
    check(failed.length === 0, 'no request failed (the icon included): ' + failed.join(' '));
    check(cut.length === 0, 'every screen at 1024x600 and 1280x800: nothing cut off: ' + cut.join(' | '));
    check(leaked.length === 0, 'no screen shows undefined, null, NaN or [object ...]: ' + leaked.join(' | '));
  } catch (e) {
    bad(String(e && e.stack || e));
    await shot('99-failure').catch(() => {});
  }
  await browser.close();
  console.log(fails ? fails + ' checks failed' : 'all checks passed');
  process.exit(fails ? 1 : 0);
})();
