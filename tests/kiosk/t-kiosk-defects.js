// The browser side of t-kiosk-defects.sh: each of the terminal's smaller
// defects, by taps (tests/kiosk/lib.js: Chromium, touch, 1024x600, zh-CN),
// against keycabd on keycab-sim with the demo estate. Env: KIOSK_URL,
// KIOSK_PAIR, SIM_CONTROL, KEYCAB_BIN, KEYCAB_SOCKET, LETTER (a letter for
// K-HY-1-101: 谭伟, 440301199512125559), INSP (an inspection of
// K-HY-1-103 by E01 whose result is to record), T.
'use strict';
const { execFileSync } = require('child_process');
const { browserTest, pair, until, check, sim, loginPin } = require('./lib.js');
const { typeText } = require('./osk.js');

// one value of the cabinet's database
function db(sql) {
  return execFileSync('sqlite3', [`${process.env.T}/keycab.db`, sql], { encoding: 'utf8' }).trim();
}
function keycab(...args) {
  return JSON.parse(execFileSync(`${process.env.KEYCAB_BIN}/keycab`, ['--json', ...args], { encoding: 'utf8' }));
}

browserTest('t-kiosk-defects', async ({ terminal }) => {
  const t = await terminal('desk');
  const page = t.page;
  const text = (sel) => page.textContent(sel).catch(() => '');
  const pin = async (digits) => { for (const d of digits) await page.tap(`[data-k="${d}"]`); };
  const coil = async (slot, on) => until(async () => (await sim('coil ' + slot)).includes(on ? 'OK on' : 'OK off'), 10000);
  check(await pair(t), 'paired as the display pairs it');
  await page.goto(process.env.KIOSK_URL);
  await page.waitForSelector('[data-t=login-pin]');

  console.log('== a lockout names the person, not their code');
  await page.tap('[data-t=login-pin]');
  await page.tap('[data-t=name-S02]');
  const said = [];
  for (let i = 0, wrong = 0; wrong < 5 && i < 15; i++) {
    await pin('9999');
    await page.tap('[data-t=pin-ok]');
    await page.waitForSelector('[data-t=refusal]');
    const r = await text('[data-t=refusal]');
    const wait = /请等待 (\d+) 秒/.exec(r);
    if (wait && !/锁定/.test(r)) { await page.waitForTimeout(Number(wait[1]) * 1000 + 300); continue; }
    said.push(await text('[data-t=refusal-msg]'));
    wrong++;
  }
  const locked = said[said.length - 1] || '';
  check(/李娜.*已被锁定/.test(locked), 'the fifth wrong PIN: 李娜 is locked out', locked);
  check(said.length === 5 && said.every((s) => /李娜/.test(s) && !/S02/.test(s)),
    'every wrong-PIN refusal names 李娜 without the code S02', said.join(' | '));
  await t.shot('lockout');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=back]');
  check(await loginPin(t, 'S01', '1111'), 'S01 logged in');
  check(!(await page.isVisible('[data-t=catalogue]')), 'with the catalogue installed: no catalogue banner');

  console.log('== the repair list: the repair keys first');
  const kinds = {};
  for (const k of keycab('keys').keys) kinds[k.key] = k.kind;
  await page.tap('[data-t=tile-repair]');
  await page.waitForSelector('[data-t=keys]');
  const listed = (await page.$$eval('[data-t=keys] > [data-t^=key-]', (els) => els.map((e) => e.dataset.t.slice(4))))
    .map((k) => kinds[k]);
  const firstVacant = listed.indexOf('vacant'), lastRepair = listed.lastIndexOf('repair');
  check(lastRepair >= 0 && firstVacant >= 0 && lastRepair < firstVacant,
    `the ${listed.filter((k) => k === 'repair').length} repair keys come before the ${listed.filter((k) => k === 'vacant').length} vacant ones`,
    listed.join(' '));
  await t.shot('repair-list');
  await page.tap('[data-t=back]');

  console.log('== a sealed key\'s grant names the approver');
  await page.tap('[data-t=tile-sealed]');
  await page.tap('[data-t=key-K-LJ-3-203]');
  await page.tap('[data-t=name-M01]');
  await pin('5555');
  await page.tap('[data-t=open]');
  await page.waitForSelector('[data-t=slot-open]');
  const sealed = await text('[data-t=grant]');
  check(/批准人：陈经理/.test(sealed), 'the grant says 批准人：陈经理', sealed);
  await t.shot('sealed-grant');
  await page.waitForSelector('[data-t=not-taken]', { timeout: 15000 });
  await page.tap('[data-t=done]');

  console.log('== a borrow\'s grant names the ID held: holder and type');
  await page.tap('[data-t=tile-borrow]');
  await page.tap('[data-t=key-K-HY-1-101]');
  await page.tap(`[data-t=letter-${process.env.LETTER}]`);
  await page.tap('[data-t=confirm-phone]');
  await page.waitForSelector('[data-t=field-idn]');
  await pin('440301199512125559');
  await page.tap('[data-t=field-contact]');
  await pin('13912345678');
  /* the register's reference, letters and symbols: a text field, typed on the on-screen keyboard */
  await page.tap('[data-t=field-sig]');
  await typeText(page, 'DJ-3-2-1501-01');
  check((await page.inputValue('[data-t=field-sig]')) === 'DJ-3-2-1501-01', 'the register reference takes DJ-3-2-1501-01 by taps');
  await t.shot('borrow-reference');
  await page.tap('[data-t=open]');
  await page.waitForSelector('[data-t=slot-open]');
  check(db("SELECT signature FROM loans WHERE key = 'K-HY-1-101' ORDER BY id DESC LIMIT 1") === 'DJ-3-2-1501-01',
    'keycabd recorded the borrow\'s register reference DJ-3-2-1501-01');
  const held = await text('[data-t=grant]');
  check(/留存证件：谭伟 居民身份证 \*+5559/.test(held), 'the grant says 留存证件：谭伟 居民身份证 ****5559', held);
  await t.shot('borrow-grant');
  await coil('A01', true);
  await sim('remove A01');
  await page.waitForSelector('[data-t=taken]', { timeout: 5000 });
  await page.tap('[data-t=done]');

  console.log('== an ID asked back while its key is out: keycabd\'s refusal shown');
  await page.tap('[data-t=tile-out]');
  await page.waitForSelector('[data-t^=loan-]');
  const back = await page.$('[data-t^=id-back-]');
  check(!!back, 'the ID held has its 退还证件 button while the key is out');
  if (back) {
    await back.tap();
    check(await until(async () => /尚未归还/.test(await text('[data-t=refusal]')), 5000),
      'tapped: keycabd\'s refusal in Chinese on the screen', await text('[data-t=refusal]'));
    check(/^未能退还证件 · 规则 3/.test(await text('[data-t=refusal]')), '... under 未能退还证件 and rule 3', await text('[data-t=refusal]'));
    check(/钥匙放回柜位之前，借用人的证件须留在服务台/.test(await text('[data-t=refusal]')), '... saying why');
    check(!!(await page.$('[data-t^=id-back-]')), '... and the ID is still listed as held');
  }
  await t.shot('id-back-refused');
  await page.tap('[data-t=back]');

  console.log('== the handover sheet lists units');
  await page.tap('[data-t=tile-handover]');
  await page.tap('[data-t=handover-start]');
  await page.waitForSelector('[data-t=sheet-title]');
  const sheets = await page.$$eval('table.sheet', (ts) => ts.map((x) => x.textContent));
  check(/1栋 101/.test(sheets[0] || ''), 'keys out: the unit 1栋 101', sheets[0]);
  check(/1栋 101/.test(sheets[1] || ''), 'IDs held: the unit 1栋 101', sheets[1]);
  await t.shot('handover-sheet');
  await page.tap('[data-t=logout]');
  await page.waitForSelector('[data-t=idle]');

  /* the borrowed key back */
  await sim('insert A01 ' + 0x1001);
  await page.waitForSelector('[data-t=returned]', { timeout: 5000 });
  check(await loginPin(t, 'S01', '1111'), 'S01 logged in again');

  console.log('== an owner\'s collection says the entrustment ended');
  await page.tap('[data-t=tile-collect]');
  await page.tap('[data-t=key-K-HY-1-102]');
  await page.waitForSelector('[data-t=field-idn]');
  await pin('11010119850202236X');
  await page.tap('[data-t=field-sig]');
  await typeText(page, 'QS-2026/118');
  await page.tap('[data-t=open]');
  await page.waitForSelector('[data-t=slot-open]');
  await coil('A02', true);
  await sim('remove A02');
  await page.waitForSelector('[data-t=taken]', { timeout: 5000 });
  check(await until(async () => /托管已结束/.test(await text('[data-t=grant]')), 5000),
    'taken: the screen says 领取完成，托管已结束', await text('[data-t=grant]'));
  check(db("SELECT signature FROM entrustments WHERE key = 'K-HY-1-102'") === 'QS-2026/118',
    'keycabd closed the entrustment with the signature reference QS-2026/118');
  await t.shot('collected');
  await page.tap('[data-t=done]');
  await page.tap('[data-t=logout]');

  console.log('== the problem box: a limit and a count');
  check(await loginPin(t, 'E01', '3333'), 'E01 logged in');
  await page.tap('[data-t=tile-out]');
  await page.tap(`[data-t=inspect-${process.env.INSP}]`);
  await page.tap('[data-t=result-problems]');
  await page.waitForSelector('[data-t=problems]');
  check((await page.getAttribute('[data-t=problems]', 'maxlength')) === '1000',
    'the problem box takes at most 1000 characters (maxlength, as ops.def)');
  check(/^0\s*\/\s*1000$/.test((await text('[data-t=problems-count]')).trim()), 'its count shows 0/1000',
    await text('[data-t=problems-count]'));
  await page.tap('[data-t=problems]');
  await typeText(page, 'A-12 ok');
  check((await text('[data-t=problems-count]')).trim() === '7/1000', 'typed on the keyboard: the count follows (7/1000)',
    await text('[data-t=problems-count]'));
  await t.shot('problems-box');
});
