// Every screen of the terminal, and the taps that reach it, for the edge
// walk (t-pages-edge.js): a screen is { name, from, go(page), keyboard }
// (keyboard: the on-screen keyboard is up, for a field), from
// 'idle' (nobody logged in) or 'home' (S01 logged in); go taps from
// there to the screen and waits for it (the last ones change the
// cabinet: a slot opened, alarms raised). The walk reaches each in turn,
// puts notices up and checks that every button lies on screen. A new
// screen is one more row here. The estate: the demo's, set up by
// t-pages-edge.sh (a letter for K-HY-1-101, K-HY-1-103 back in A08 with a
// wrong-slot alarm and its inspection to record, K-HY-1-104 out).
'use strict';
const { sim } = require('./lib.js');

const tap = async (page, sel) => { await page.waitForSelector(sel); await page.tap(sel); };
const taps = async (page, ...sels) => { for (const s of sels) await tap(page, s); };

const SCREENS = [
  { name: 'idle', from: 'idle', go: async (page) => page.waitForSelector('[data-t=idle]') },
  { name: 'names', from: 'idle', go: async (page) => { await taps(page, '[data-t=login-pin]'); await page.waitForSelector('[data-t=name-S01]'); } },
  { name: 'pin', from: 'idle', go: async (page) => { await taps(page, '[data-t=login-pin]', '[data-t=name-S01]'); await page.waitForSelector('[data-k="0"]'); } },
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
  { name: 'grant', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-repair]', '[data-t=key-K-HY-1-108]', '[data-t=name-E01]', '[data-k="1"]', '[data-t=open]'); await page.waitForSelector('[data-t=slot-open]'); } },
  { name: 'reseat', from: 'home', go: async (page) => { await taps(page, '[data-t=tile-alarms]', '[data-t=alarm-reseat]'); await page.waitForSelector('[data-t=reseat]'); } },
  { name: 'takeover-idle', from: 'idle', go: async (page) => { await sim('remove A05'); await page.waitForSelector('[data-t=takeover-login]'); } },
  { name: 'takeover', from: 'home', go: async (page) => { await sim('remove A06'); await page.waitForSelector('[data-t=takeover-clear]'); } },
];

module.exports = { SCREENS, tap, taps };
