// Taking keys in at the terminal, for bench/kiosk-intake.sh: real Chromium
// (tests/kiosk/lib.js: touch, 1024x600, zh-CN) on keycab-kiosk on keycabd
// on keycab-sim. Each round, from the tap on 登录 to the receipt shown:
// an owner's entrustment of two keys (name on the on-screen keyboard,
// tests/kiosk/osk.js; phone and ID on the pad; building, room, 1 year;
// each key put in at the sim as its slot opens), then logged out; beside
// it a plain release (a repair key to an engineer, from the login to its
// slot open). Taps are the touches the page received (touchstart, the
// on-screen keyboard's included); seconds are machine time, the key put
// in at the sim as soon as its slot opens (no person's pauses).
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, BENCH_INTAKE_ROUNDS, KEYCAB_SRC.
// Prints the figures and "FIGURES {json}"; exit 1 when a round failed.
'use strict';
const path = require('path');
const { launch, pair, sim } = require('../tests/kiosk/lib.js');
const { typeChinese } = require('../tests/kiosk/osk.js');
const KC_IDCARD = require(path.join(process.env.KEYCAB_SRC, 'controller/kiosk/www/idcard.js'));

const ROUNDS = Number(process.env.BENCH_INTAKE_ROUNDS || 3);
const UNITS = [['HY-1', 'HY-1-107'], ['HY-1', 'HY-1-109'], ['HY-1', 'HY-1-110'], ['HY-2', 'HY-2-106'],
  ['HY-2', 'HY-2-107'], ['HY-2', 'HY-2-108']];
// vacant keys in the tag board's slots (A07, A08): that board answers over TCP, beside the RS485 bus
const REPAIR = [['K-HY-1-103', '1'], ['K-HY-1-104', '2'], ['K-HY-1-103', '3']];
let shot = null; // a screenshot of the step that failed
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

(async () => {
  const { browser, terminal } = await launch({ test: 'bench-kiosk-intake' });
  const t = await terminal('bench');
  const page = t.page;
  shot = t.shot;
  if (!(await pair(t))) throw new Error('not paired');
  await page.evaluate(() => {
    window.__taps = 0;
    document.addEventListener('touchstart', () => { window.__taps++; }, true);
  });
  const taps = () => page.evaluate(() => window.__taps);
  const login = async () => {
    await page.tap('[data-t=login-pin]');
    await page.tap('[data-t=name-S01]');
    for (const d of '1111') await page.tap(`[data-k="${d}"]`);
    await page.tap('[data-t=pin-ok]');
    await page.waitForSelector('[data-t=tile-find]');
  };
  const logout = async () => { await page.tap('#logout'); await page.waitForSelector('[data-t=login-pin]'); };
  const digits = async (field, s) => {
    await page.tap(`[data-t=field-${field}]`);
    for (const d of s) await page.tap(`[data-t=pad] [data-k="${d}"]`);
  };
  const intake = [], release = [];
  for (let r = 0; r < ROUNDS; r++) {
    /* the baseline: a plain release, login to slot open */
    let t0 = Date.now(), n0 = await taps();
    await login();
    const [key, wo] = REPAIR[r % REPAIR.length];
    await page.tap('[data-t=tile-repair]');
    await page.tap(`[data-t=key-${key}]`);
    await page.tap('[data-t=name-E01]');
    await page.waitForSelector('[data-t=field-wo]');
    for (const d of wo) await page.tap(`[data-k="${d}"]`);
    await page.tap('[data-t=open]');
    await page.waitForSelector('[data-t=slot-open]');
    release.push({ s: (Date.now() - t0) / 1000, taps: (await taps()) - n0 });
    if (r === 0) await t.shot('release-slot-open');
    await page.tap('[data-t=done]');
    await logout();

    /* an owner's entrustment of two keys, login to receipt */
    const id17 = '1101051985061' + String(2000 + r).slice(-4);
    const id = id17 + KC_IDCARD.checkChar(id17);
    const [bld, unit] = UNITS[r % UNITS.length];
    t0 = Date.now();
    n0 = await taps();
    await login();
    await page.tap('[data-t=tile-intake]');
    await page.tap('[data-t=owner-name]');
    await typeChinese(page, 'li', '李');
    await typeChinese(page, 'ming', '明');
    await page.tap('[data-t=next]');
    await digits('phone', '139' + String(12345670 + r));
    await digits('idn', id);
    await page.tap('[data-t=next]');
    await page.tap(`[data-t=bld-${bld}]`);
    await page.tap(`[data-t=room-${unit}]`);
    await page.tap('[data-t=period-1y]');
    await page.tap('[data-t=next]');
    for (let k = 0; k < 2; k++) {
      await page.tap('[data-t=open-for-key]');
      await page.waitForSelector('[data-t=slot-open-in]');
      const slot = await page.getAttribute('[data-t=taking]', 'data-slot');
      await sim(`insert ${slot} ${0x4000 + 16 * r + k}`);
      await page.waitForSelector(`[data-t=key-in-${k}]`, { timeout: 10000 });
    }
    await page.tap('[data-t=finish]');
    await page.waitForSelector('[data-t=receipt]');
    intake.push({ s: (Date.now() - t0) / 1000, taps: (await taps()) - n0 });
    if (r === 0) await t.shot('receipt');
    await page.tap('[data-t=done]');
    await logout();
  }
  await browser.close();
  const fig = {
    rounds: ROUNDS,
    intake_two_keys: { median_s: median(intake.map((x) => x.s)), max_s: Math.max(...intake.map((x) => x.s)), taps: intake[0].taps },
    release_baseline: { median_s: median(release.map((x) => x.s)), max_s: Math.max(...release.map((x) => x.s)), taps: release[0].taps },
  };
  console.log(`owner's entrustment of two keys, login to receipt: median ${fig.intake_two_keys.median_s.toFixed(1)} s ` +
    `(max ${fig.intake_two_keys.max_s.toFixed(1)} s), ${fig.intake_two_keys.taps} taps; target < 60 s`);
  console.log(`baseline, a repair key's release, login to slot open: median ${fig.release_baseline.median_s.toFixed(1)} s ` +
    `(max ${fig.release_baseline.max_s.toFixed(1)} s), ${fig.release_baseline.taps} taps`);
  console.log('FIGURES ' + JSON.stringify(fig));
  process.exit(fig.intake_two_keys.median_s < 60 ? 0 : 1);
})().catch(async (e) => {
  console.log('FAIL - ' + (e.stack || e));
  if (shot) await shot('failed').catch(() => {});
  process.exit(1);
});
