// Every screen of the terminal, and the taps that reach it, for the edge
// walk (t-pages-edge.js): a screen is { name, from, go(page), keyboard }
// (keyboard: the on-screen keyboard is up, for a field), from
// 'idle' (nobody logged in) or 'home' (S01 logged in); go taps from
// there to the screen and waits for it (the last ones change the
// cabinet: a slot opened, alarms raised). The walk reaches each in turn,
// puts notices up and checks that every button lies on screen. A new
// screen is one more row here. The estate: the demo's, set up by
// t-pages-edge.sh (a letter for K-HY-1-101, K-HY-1-103 back in A08 with a
// wrong-slot alarm and its inspection to record, K-HY-1-104 out), with
// six free slots (A09-A14) for the keys taken in.
'use strict';
const path = require('path');
const { sim } = require('./lib.js');
const { typeChinese } = require('./osk.js');
const KC_IDCARD = require(path.join(process.env.KEYCAB_SRC, 'controller/kiosk/www/idcard.js'));

const tap = async (page, sel) => { await page.waitForSelector(sel); await page.tap(sel); };
const taps = async (page, ...sels) => { for (const s of sels) await tap(page, s); };
const OWNER_ID = '11010519850612345' + KC_IDCARD.checkChar('11010519850612345');
const BORROWER_ID = '32010219920101123' + KC_IDCARD.checkChar('32010219920101123');
// digits on the pad, into a field
const digits = async (page, field, s) => { await tap(page, `[data-t=field-${field}]`); for (const d of s) await tap(page, `[data-t=pad] [data-k="${d}"]`); };
// the taking in of keys, from home to each step (an owner's entrustment)
const owner = async (page) => { await taps(page, '[data-t=tile-intake]', '[data-t=owner-name]'); await typeChinese(page, 'li', '李'); await typeChinese(page, 'ming', '明'); await tap(page, '[data-t=next]'); };
const ids = async (page) => { await owner(page); await digits(page, 'phone', '13912345678'); await digits(page, 'idn', OWNER_ID); await tap(page, '[data-t=next]'); };
const period = async (page) => { await ids(page); await taps(page, '[data-t=bld-HY-1]', '[data-t=room-HY-1-107]'); await page.waitForSelector('[data-t=period]'); };
const keysStep = async (page) => { await period(page); await taps(page, '[data-t=period-6m]', '[data-t=next]'); await page.waitForSelector('[data-t=open-for-key]'); };
// a slot opened for a key, and the key put in there with its tag
const slotOpen = async (page) => { await tap(page, '[data-t=open-for-key]'); await page.waitForSelector('[data-t=slot-open-in]'); return page.getAttribute('[data-t=taking]', 'data-slot'); };
const keyIn = async (page, tag, then) => { await sim(`insert ${await slotOpen(page)} ${tag}`); await page.waitForSelector(then, { timeout: 10000 }); };
const enrol = async (page) => { await taps(page, '[data-t=tile-enrol]', '[data-t=kind-repair]', '[data-t=bld-LJ-3]', '[data-t=room-LJ-3-205]'); await page.waitForSelector('[data-t=open-for-key]'); };
// the entrustment of K-HY-1-101 (the demo's), its actions
const entrustment = async (page) => { await taps(page, '[data-t=tile-entrust]', '[data-t=entrustments] [data-t^=ent-]:has-text("K-HY-1-101 ·")'); await page.waitForSelector('[data-t=act-extend]'); };
const letterName = async (page) => { await entrustment(page); await tap(page, '[data-t=act-letter]'); await page.waitForSelector('[data-t=borrower-name]'); };

const SCREENS = [
  { name: 'idle', from: 'idle', go: async (page) => page.waitForSelector('[data-t=idle]') },
  { name: 'names', from: 'idle', go: async (page) => { await taps(page, '[data-t=login-pin]'); await page.waitForSelector('[data-t=name-S01]'); } },
  { name: 'pin', from: 'idle', go: async (page) => { await taps(page, '[data-t=login-pin]', '[data-t=name-S01]'); await page.waitForSelector('[data-k="0"]'); } },
  { name: 'first-names', from: 'idle', go: async (page) => { await taps(page, '[data-t=enrol-start]'); await page.waitForSelector('[data-screen=first] :is([data-t=enrol-none], [data-t=enrol-names])'); } },
  { name: 'home', from: 'home', go: async (page) => page.waitForSelector('[data-t=tile-handover]') },
  { name: 'find', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-find]'); await page.waitForSelector('[data-t=keys]'); } },
  { name: 'pick-inspection', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-inspection]'); await page.waitForSelector('[data-t=keys]'); } },
  { name: 'borrower', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-repair]', '[data-t=key-K-HY-1-108]'); await page.waitForSelector('[data-t=name-E01]'); } },
  { name: 'repair-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-repair]', '[data-t=key-K-HY-1-108]', '[data-t=name-E01]'); await page.waitForSelector('[data-t=field-wo]'); } },
  { name: 'inspection-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-inspection]', '[data-t=key-K-HY-1-108]', '[data-t=name-E01]'); await page.waitForSelector('[data-t=open]'); } },
  { name: 'sealed-manager', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-sealed]', '[data-t=key-K-LJ-3-203]'); await page.waitForSelector('[data-t=name-M01]'); } },
  { name: 'sealed-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-sealed]', '[data-t=key-K-LJ-3-203]', '[data-t=name-M01]'); await page.waitForSelector('[data-t=open]'); } },
  { name: 'borrow-letter', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-borrow]', '[data-t=key-K-HY-1-101]'); await page.waitForSelector('[data-t^=letter-]'); } },
  { name: 'borrow-confirm', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-borrow]', '[data-t=key-K-HY-1-101]', '[data-t^=letter-]'); await page.waitForSelector('[data-t=confirm-phone]'); } },
  { name: 'borrow-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-borrow]', '[data-t=key-K-HY-1-101]', '[data-t^=letter-]', '[data-t=confirm-phone]'); await page.waitForSelector('[data-t=field-idn]'); } },
  { name: 'collect-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-collect]', '[data-t=key-K-HY-1-102]'); await page.waitForSelector('[data-t=open]'); } },
  { name: 'out', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-out]'); await page.waitForSelector('[data-t^=inspect-]'); } },
  { name: 'inspect-form', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-out]', '[data-t^=inspect-]', '[data-t=result-problems]'); await page.waitForSelector('[data-t=save]'); } },
  { name: 'alarms', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-alarms]'); await page.waitForSelector('[data-t=alarm-reseat]'); } },
  { name: 'alarm-clear', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-alarms]', '[data-t=alarm-clear]'); await page.waitForSelector('[data-t=alarm-clear-go]'); } },
  { name: 'alarm-clear-keyboard', keyboard: true, from: 'home', go: async (page) => { await taps(page, '[data-t=tile-alarms]', '[data-t=alarm-clear]', '[data-t=alarm-note]'); await page.waitForSelector('#osk:not([hidden])'); } },
  { name: 'inspect-form-keyboard', keyboard: true, from: 'home', go: async (page) => { await taps(page, '[data-t=tile-out]', '[data-t^=inspect-]', '[data-t=result-problems]', '[data-t=problems]'); await page.waitForSelector('#osk:not([hidden])'); } },
  { name: 'find-keyboard', keyboard: true, from: 'home', go: async (page) => { await taps(page, '[data-t=tile-find]', '[data-t=search]'); await page.waitForSelector('#osk:not([hidden])'); } },
  { name: 'handover', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-handover]', '[data-t=handover-start]'); await page.waitForSelector('[data-t=handover-incoming]'); } },
  { name: 'handover-pin', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-handover]', '[data-t=handover-start]', '[data-t=handover-incoming]', '[data-t=name-S02]'); await page.waitForSelector('[data-k="0"]'); } },
  { name: 'intake-owner', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-intake]'); await page.waitForSelector('[data-t=owner-name]'); } },
  { name: 'intake-owner-keyboard', keyboard: true, from: 'home', go: async (page) => { await taps(page, '[data-t=tile-intake]', '[data-t=owner-name]'); await page.waitForSelector('#osk:not([hidden])'); } },
  { name: 'intake-ids', from: 'home', go: async (page) => { await owner(page); await page.waitForSelector('[data-t=field-phone]'); } },
  { name: 'intake-buildings', from: 'home', go: async (page) => { await ids(page); await page.waitForSelector('[data-t=buildings]'); } },
  { name: 'intake-rooms', from: 'home', go: async (page) => { await ids(page); await tap(page, '[data-t=bld-HY-1]'); await page.waitForSelector('[data-t=rooms]'); } },
  { name: 'intake-period', from: 'home', go: period },
  { name: 'intake-period-custom', from: 'home', go: async (page) => { await period(page); await tap(page, '[data-t=period-custom]'); await page.waitForSelector('[data-t=months-more]'); } },
  { name: 'intake-keys', from: 'home', go: keysStep },
  { name: 'enrol-kind', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-enrol]'); await page.waitForSelector('[data-t=kind-repair]'); } },
  { name: 'enrol-buildings', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-enrol]', '[data-t=kind-repair]'); await page.waitForSelector('[data-t=buildings]'); } },
  { name: 'enrol', from: 'home', go: enrol },
  { name: 'entrustments', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-entrust]'); await page.waitForSelector('[data-t=entrustments]'); } },
  { name: 'entrustment-actions', from: 'home', go: entrustment },
  { name: 'extend', from: 'home', go: async (page) => { await entrustment(page); await tap(page, '[data-t=act-extend]'); await page.waitForSelector('[data-t=extend-1m]'); } },
  { name: 'end-confirm', from: 'home', go: async (page) => { await entrustment(page); await tap(page, '[data-t=act-end]'); await page.waitForSelector('[data-t=end-confirm]'); } },
  { name: 'letter-name', from: 'home', go: letterName },
  { name: 'letter-name-keyboard', keyboard: true, from: 'home', go: async (page) => { await letterName(page); await tap(page, '[data-t=borrower-name]'); await page.waitForSelector('#osk:not([hidden])'); } },
  { name: 'letter', from: 'home', go: async (page) => { await letterName(page); await tap(page, '[data-t=borrower-name]'); await typeChinese(page, 'zhao', '赵'); await tap(page, '[data-t=next]'); await page.waitForSelector('[data-t=file-letter]'); } },
  { name: 'intake-slot-open', from: 'home', go: async (page) => { await keysStep(page); await slotOpen(page); } },
  { name: 'intake-key-in', from: 'home', go: async (page) => { await keysStep(page); await keyIn(page, '0x3101', '[data-t=finish]'); } },
  { name: 'intake-receipt', from: 'home', go: async (page) => { await keysStep(page); await keyIn(page, '0x3102', '[data-t=key-in-0]'); await keyIn(page, '0x3103', '[data-t=key-in-1]'); await tap(page, '[data-t=finish]'); await page.waitForSelector('[data-t=receipt]'); } },
  { name: 'enrol-receipt', from: 'home', go: async (page) => { await enrol(page); await keyIn(page, '0x3201', '[data-t=receipt]'); } },
  { name: 'letter-receipt', from: 'home', go: async (page) => { await letterName(page); await tap(page, '[data-t=borrower-name]'); await typeChinese(page, 'zhao', '赵'); await typeChinese(page, 'lei', '雷'); await tap(page, '[data-t=next]'); await digits(page, 'idn', BORROWER_ID); await taps(page, '[data-t=valid-3m]', '[data-t=file-letter]'); await page.waitForSelector('[data-t=receipt]'); } },
  { name: 'extend-receipt', from: 'home', go: async (page) => { await entrustment(page); await taps(page, '[data-t=act-extend]', '[data-t=extend-1m]'); await page.waitForSelector('[data-t=receipt]'); } },
  { name: 'end-receipt', from: 'home', go: async (page) => { await entrustment(page); await taps(page, '[data-t=act-end]', '[data-t=end-confirm]'); await page.waitForSelector('[data-t=receipt]'); } },
  { name: 'grant', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-repair]', '[data-t=key-K-HY-1-108]', '[data-t=name-E01]', '[data-k="1"]', '[data-t=open]'); await page.waitForSelector('[data-t=slot-open]'); } },
  { name: 'reseat', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-alarms]', '[data-t=alarm-reseat]'); await page.waitForSelector('[data-t=reseat]'); } },
  { name: 'takeover-idle', from: 'idle', go: async (page) => { await sim('remove A05'); await page.waitForSelector('[data-t=takeover-login]'); } },
  { name: 'takeover', from: 'home', go: async (page) => { await sim('remove A06'); await page.waitForSelector('[data-t=takeover-clear]'); } },
];

module.exports = { SCREENS, tap, taps };
