// Taking keys in by touch, for t-intake.sh: real Chromium (tests/kiosk/
// lib.js: touch, 1024x600, zh-CN) against keycab-kiosk and keycabd on
// keycab-sim with the demo estate and four free slots (A09-A12). Every
// flow by taps only: names on the on-screen keyboard (tests/kiosk/osk.js),
// digits on the pad. The slot opens at the simulator, the key goes in
// there with its tag, and keycabd's database has what the receipt says;
// a bad check digit, a period past the bound, an extension past it and a
// cabinet with no free slot are refused in Chinese, nothing written.
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, KEYCAB_BIN, KEYCAB_SOCKET, T.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { browserTest, pair, until, check, sim, coilOns, loginPin } = require('./lib.js');
const { typeChinese } = require('./osk.js');
const KC_IDCARD = require(path.join(process.env.KEYCAB_SRC, 'controller/kiosk/www/idcard.js'));

const kc = (...args) => JSON.parse(execFileSync(path.join(process.env.KEYCAB_BIN, 'keycab'),
  ['--json', ...args], { encoding: 'utf8' }));
// the events of keycabd's outbox of a type, as sealed
const events = (type) => JSON.parse(execFileSync('python3', ['-c', `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(json.dumps([json.loads(b) for (b,) in db.execute("SELECT body FROM outbox ORDER BY seq")
                  if json.loads(b)["type"] == sys.argv[2]]))`, path.join(process.env.T, 'keycab.db'), type],
{ encoding: 'utf8' }));
const withCheck = (first17) => first17 + KC_IDCARD.checkChar(first17);
const OWNER_ID = withCheck('11010519850612345'.slice(0, 17));
const BAD_ID = OWNER_ID.slice(0, 17) + (OWNER_ID[17] === '1' ? '2' : '1');
const BORROWER_ID = withCheck('32010219920101123');

browserTest('t-intake', async ({ terminal }) => {
  const t = await terminal('desk');
  const page = t.page;
  const tapText = async (sel) => page.textContent(sel);
  const digits = async (field, s) => {
    await page.tap(`[data-t=field-${field}]`);
    for (const d of s) await page.tap(`[data-t=pad] [data-k="${d}"]`);
  };
  const refusalText = async () => {
    await page.waitForSelector('[data-t=refusal]');
    return tapText('[data-t=refusal]');
  };
  const free = ['A09', 'A10', 'A11', 'A12'];
  const coils = async () => { let n = 0; for (const s of free) n += await coilOns(s); return n; };

  check(await pair(t), 'paired');
  check(await loginPin(t, 'S01', '1111'), 'S01 logged in by PIN');
  await t.shot('home');
  await sim('clear-history');
  const taps0 = Date.now();

  /* 1. an owner hands in two keys */
  await page.tap('[data-t=tile-intake]');
  await page.waitForSelector('[data-t=owner-name]');
  await page.tap('[data-t=owner-name]');
  await typeChinese(page, 'li', '李');
  await typeChinese(page, 'ming', '明');
  check((await page.inputValue('[data-t=owner-name]')) === '李明', 'the owner\'s name typed on the on-screen keyboard',
    await page.inputValue('[data-t=owner-name]'));
  await t.shot('owner-name');
  await page.tap('[data-t=next]');
  await page.waitForSelector('[data-t=field-phone]');
  check(!!(await page.$('#osk[hidden]')), 'the keyboard closes with the name\'s field: the pad is free');
  await digits('phone', '13912345678');
  await digits('idn', BAD_ID);
  await page.tap('[data-t=next]');
  let r = await refusalText();
  check(/校验/.test(r), 'a bad ID check digit is refused in Chinese on the page', r);
  check((await tapText('[data-t=field-phone]')) === '13912345678' && /李明/.test(await tapText('#screen')),
    'the refusal keeps what was typed');
  await t.shot('owner-bad-id');
  await page.tap('[data-t=field-idn]');
  await page.tap('[data-t=pad] [data-k="⌫"]');
  await page.tap(`[data-t=pad] [data-k="${OWNER_ID[17]}"]`);
  await t.shot('owner');
  await page.tap('[data-t=next]');
  await page.waitForSelector('[data-t=buildings]');
  await t.shot('buildings');
  await page.tap('[data-t=bld-HY-1]');
  await page.waitForSelector('[data-t=rooms]');
  await t.shot('rooms');
  await page.tap('[data-t=room-HY-1-107]');
  await page.waitForSelector('[data-t=period]');
  /* a period past the bound: refused before any slot opens */
  await page.tap('[data-t=period-custom]');
  for (let i = 12; i < 24; i++) await page.tap('[data-t=months-more]');
  await t.shot('period-custom');
  await page.tap('[data-t=next]');
  await page.tap('[data-t=open-for-key]');
  r = await refusalText();
  check(/托管期限最长 366 天/.test(r), 'a 24-month period is refused in Chinese (rule 7)', r);
  await t.shot('period-refused');
  check((await coils()) === 0, 'the refused period opened no slot');
  check(events('intake.slot_opened').length === 0, 'the refused period wrote no intake event');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=period-6m]');
  await t.shot('period');
  await page.tap('[data-t=next]');
  const taken = [];
  for (const [i, tag] of [[0, 0x3101], [1, 0x3102]]) {
    await page.tap('[data-t=open-for-key]');
    await page.waitForSelector('[data-t=slot-open-in]');
    const slot = await page.getAttribute('[data-t=taking]', 'data-slot');
    check(await until(async () => (await coilOns(slot)) >= 1, 5000), `key ${i + 1}: slot ${slot} opened at the simulator`);
    await t.shot(`key${i + 1}-slot-open`);
    await sim(`insert ${slot} ${tag}`);
    await page.waitForSelector(`[data-t=key-in-${i}]`, { timeout: 10000 });
    taken.push({ slot, tag });
    if (i === 0) await t.shot('key1-in');
  }
  await page.tap('[data-t=finish]');
  await page.waitForSelector('[data-t=receipt]');
  const entrustS = (Date.now() - taps0) / 1000;
  await t.shot('receipt-entrust');
  const rc = await tapText('[data-t=receipt]');
  check(/持钥凭证/.test(rc) && /李明/.test(rc) && /139\*\*\*\*5678/.test(rc) && /1栋 107/.test(rc),
    'the receipt names the owner, the masked phone and the unit', rc);
  check(!rc.includes(OWNER_ID) && !rc.includes('13912345678'), 'the receipt holds no ID nor phone in full');
  const keys = kc('keys').keys.filter((k) => taken.some((x) => x.slot === k.home_slot));
  check(keys.length === 2 && keys.every((k) => k.state === 'in' && k.kind === 'entrusted' && k.unit === 'HY-1-107' &&
    taken.some((x) => x.slot === k.slot && x.tag === k.tag)), 'keycabd: two entrusted keys in their slots with the tags read there',
  JSON.stringify(keys));
  const ents = kc('entrustments').entrustments.filter((e) => keys.some((k) => k.key === e.key));
  check(ents.length === 2 && ents.every((e) => e.owner_name === '李明' && e.state === 'open'), 'keycabd: two open entrustments of 李明',
    JSON.stringify(ents));
  check(keys.every((k) => rc.includes(k.key) && rc.includes(k.home_slot)), 'the receipt lists both keys and slots');
  /* (a board's fault under load is the bus's, not the key's) */
  const alarms = events('alarm.raised').filter((e) => taken.some((x) => x.slot === e.slot) &&
    ['wrong_slot', 'tamper'].includes(e.data.alarm_type));
  check(alarms.length === 0, 'no wrong-slot or tamper alarm for the keys put in', JSON.stringify(alarms));
  await page.tap('[data-t=done]');

  /* 2. a repair key enrolled into a free slot */
  await page.tap('[data-t=tile-enrol]');
  await t.shot('enrol-kind');
  await page.tap('[data-t=kind-repair]');
  await page.tap('[data-t=bld-LJ-3]');
  await page.tap('[data-t=room-LJ-3-205]');
  await page.tap('[data-t=open-for-key]');
  await page.waitForSelector('[data-t=slot-open-in]');
  const eslot = await page.getAttribute('[data-t=taking]', 'data-slot');
  check(await until(async () => (await coilOns(eslot)) >= 1, 5000), `enrol: slot ${eslot} opened at the simulator`);
  await sim(`insert ${eslot} 0x3201`);
  await page.waitForSelector('[data-t=receipt]', { timeout: 10000 });
  await t.shot('receipt-enrol');
  const ek = kc('keys').keys.filter((k) => k.home_slot === eslot)[0];
  check(ek && ek.kind === 'repair' && ek.unit === 'LJ-3-205' && ek.tag === 0x3201 && ek.state === 'in',
    'keycabd: the repair key in its slot with its tag', JSON.stringify(ek));
  await page.tap('[data-t=done]');

  /* 3. no free slot: a stray key fills the last one */
  const last = free.filter((s) => s !== eslot && !taken.some((x) => x.slot === s))[0];
  await sim(`insert ${last} 0x3999`);
  await until(async () => kc('alarms').alarms.some((a) => a.slot === last), 5000);
  /* its alarm takes the screen over: laid aside (稍后处理) */
  await page.waitForSelector('[data-t=takeover-later]');
  await page.tap('[data-t=takeover-later]');
  await sim('clear-history');
  await page.tap('[data-t=tile-enrol]');
  await page.tap('[data-t=kind-vacant]');
  await page.tap('[data-t=bld-HY-2]');
  await page.tap('[data-t=room-HY-2-109]');
  await page.tap('[data-t=open-for-key]');
  r = await refusalText();
  check(/没有空闲格口/.test(r), 'no free slot: refused in Chinese (rule 10)', r);
  await t.shot('enrol-no-slot');
  check((await coils()) === 0, 'no free slot: nothing opened');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=cancel]');

  /* 4. an entrustment extended (past the bound: refused), then ended early */
  const [e1, e2] = ents;
  await page.tap('[data-t=tile-entrust]');
  await page.waitForSelector('[data-t=entrustments]');
  await t.shot('entrustments');
  await page.tap(`[data-t=ent-${e1.entrustment}]`);
  await t.shot('entrustment-actions');
  await page.tap('[data-t=act-extend]');
  await page.tap('[data-t=extend-1y]');
  r = await refusalText();
  check(/托管期限最长/.test(r), 'an extension past the bound is refused in Chinese', r);
  await t.shot('extend-refused');
  check(kc('entrustments').entrustments.filter((e) => e.entrustment === e1.entrustment)[0].end === e1.end,
    'the refused extension changed nothing');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=act-extend]');
  await page.tap('[data-t=extend-1m]');
  await page.waitForSelector('[data-t=receipt]');
  await t.shot('receipt-extend');
  const x1 = kc('entrustments').entrustments.filter((e) => e.entrustment === e1.entrustment)[0];
  check(new Date(x1.end) > new Date(e1.end), 'keycabd: the entrustment ends later', `${e1.end} -> ${x1.end}`);
  check(events('entrustment.changed').length === 1, 'one entrustment.changed event');
  await page.tap('[data-t=done]');
  await page.tap('[data-t=tile-entrust]');
  await page.tap(`[data-t=ent-${e2.entrustment}]`);
  await page.tap('[data-t=act-end]');
  await t.shot('end-confirm');
  await page.tap('[data-t=end-confirm]');
  await page.waitForSelector('[data-t=receipt]');
  await t.shot('receipt-end');
  const x2 = kc('entrustments').entrustments.filter((e) => e.entrustment === e2.entrustment)[0];
  check(new Date(x2.end) - Date.now() < 86400e3 + 60e3, 'keycabd: the entrustment ends today', x2.end);
  await page.tap('[data-t=done]');

  /* 5. an authorisation letter for a tenant */
  await page.tap('[data-t=tile-entrust]');
  await page.tap(`[data-t=ent-${e1.entrustment}]`);
  await page.tap('[data-t=act-letter]');
  await page.waitForSelector('[data-t=borrower-name]');
  await page.tap('[data-t=borrower-name]');
  await typeChinese(page, 'zhao', '赵');
  await typeChinese(page, 'lei', '雷');
  await t.shot('letter-name');
  await page.tap('[data-t=next]');
  await digits('idn', BORROWER_ID);
  await page.tap('[data-t=valid-3m]');
  await t.shot('letter');
  await page.tap('[data-t=file-letter]');
  await page.waitForSelector('[data-t=receipt]');
  await t.shot('receipt-letter');
  const letters = kc('letters').letters.filter((l) => l.entrustment === e1.entrustment);
  check(letters.length === 1 && letters[0].borrower === '赵雷' && letters[0].id_type === 'id_card' &&
    letters[0].id_masked.endsWith(BORROWER_ID.slice(-4)), 'keycabd: the letter for 赵雷 with the ID masked', JSON.stringify(letters));
  check((await tapText('[data-t=receipt]')).includes('赵雷'), 'the letter\'s receipt names the borrower');
  console.log(`       owner's entrustment of two keys, login to receipt: ${entrustS.toFixed(1)} s`);
});
