// Nothing below the edge (t-pages-edge.sh): every screen of the terminal
// (edge-screens.js), reached by taps in Chromium with touch, with three
// notices up, at 1024x600 and at 1280x800: every button lies inside the
// window (getBoundingClientRect against innerWidth/innerHeight), with the
// screen unscrolled, nothing clipping or covering it. A list's rows
// (.list) may run on below the edge; its first row may not. With the
// on-screen keyboard up, the field typed into and the screen's actions. The notices are the page's own (header.js
// notice(), each with a button, as a return with an ID to hand back
// shows them), put up through the page's module. Screenshots at
// 1024x600: $BUILD/test-logs/kiosk/t-pages-edge/.
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL.
'use strict';
const { browserTest, pair, check, loginPin } = require('./lib.js');
const { SCREENS } = require('./edge-screens.js');
const { offEdge } = require('./edge.js');

const SIZES = [{ width: 1024, height: 600 }, { width: 1280, height: 800 }];
const ONLY = process.env.EDGE_ONLY ? process.env.EDGE_ONLY.split(',') : null;

async function notices(page, n) {
  await page.evaluate(async (n) => {
    const { notice } = await import('/static/header.js');
    const { btn } = await import('/static/dom.js');
    for (let i = 1; i <= n; i++) {
      notice(`1栋 10${i} · K-HY-1-10${i} 已归还 · 已放回 A0${i} 号格`, 'good', btn('交还证件', () => {}, 'primary', 'edge-extra'), 'edge-notice');
    }
  }, n);
}

// The estate's wrong-slot alarm takes the screen over on each load and
// login (screen-alarm.js): laid aside (稍后处理) to reach the screens.
async function later(page) {
  await page.waitForSelector('[data-t=takeover-later]');
  await page.tap('[data-t=takeover-later]');
}

browserTest('t-pages-edge', async ({ terminal }) => {
  const t = await terminal('edge');
  const page = t.page;
  check(await pair(t), 'paired as the display pairs it');
  let loggedIn = false;
  for (const s of SCREENS) {
    if (ONLY && !ONLY.includes(s.name)) continue;
    await page.setViewportSize(SIZES[0]);
    await page.goto(process.env.KIOSK_URL);
    await later(page);
    if (s.from === 'home' && !loggedIn) { loggedIn = await loginPin(t, 'S01', '1111'); await later(page); }
    if (s.from === 'idle' && loggedIn) { await page.waitForSelector('[data-t=logout]'); await page.tap('[data-t=logout]'); loggedIn = false; }
    await page.waitForSelector(s.from === 'home' ? '[data-t=tile-find]' : '[data-t=idle]');
    try {
      await s.go(page);
    } catch (e) {
      check(false, `${s.name}: reached by taps`, e.message.split('\n')[0]);
      await t.shot(s.name + '-unreached');
      continue;
    }
    await notices(page, 3);
    const shown = await page.$$eval('#notice [data-t=edge-notice]', (n) => n.length);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.waitForTimeout(100);
      const off = await page.evaluate(offEdge, !!s.keyboard);
      check(off.length === 0, `${s.name} at ${size.width}x${size.height} with 3 notices put up (${shown} kept): every button on screen`,
        off.join('; '));
    }
    await page.setViewportSize(SIZES[0]);
    await t.shot(s.name);
  }
});
