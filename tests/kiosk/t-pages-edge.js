// Nothing below the edge (t-pages-edge.sh): every screen of the terminal
// (edge-screens.js), reached by taps in Chromium with touch, with three
// notices up, at 1024x600 and at 1280x800: every button lies inside the
// window (getBoundingClientRect against innerWidth/innerHeight), with the
// screen unscrolled. A list's rows (.list) may run on below the edge;
// its first row may not. The notices are the page's own (header.js
// notice(), each with a button, as a return with an ID to hand back
// shows them), put up through the page's module. Screenshots at
// 1024x600: $BUILD/test-logs/kiosk/t-pages-edge/.
// Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL.
'use strict';
const { browserTest, pair, check, loginPin } = require('./lib.js');
const { SCREENS } = require('./edge-screens.js');

const SIZES = [{ width: 1024, height: 600 }, { width: 1280, height: 800 }];
const ONLY = process.env.EDGE_ONLY ? process.env.EDGE_ONLY.split(',') : null;

// What lies outside the window: every shown button (a list's rows aside,
// but its first), the screen's scroll.
function offEdge() {
  const W = window.innerWidth, H = window.innerHeight, out = [];
  const main = document.getElementById('screen');
  if (main.scrollTop) out.push(`the screen scrolled by ${main.scrollTop} px`);
  for (const b of document.querySelectorAll('button')) {
    if (!b.getClientRects().length || getComputedStyle(b).visibility === 'hidden') continue;
    const row = b.closest('.list > *');
    if (row && row !== row.parentElement.firstElementChild) continue;
    const r = b.getBoundingClientRect();
    if (r.top < 0 || r.left < 0 || r.bottom > H + 0.5 || r.right > W + 0.5) {
      out.push(`${b.dataset.t || b.dataset.k || b.textContent.trim().slice(0, 12)} at ` +
        `${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)}`);
    }
  }
  return out;
}

async function notices(page, n) {
  await page.evaluate(async (n) => {
    const { notice } = await import('/static/header.js');
    const { btn } = await import('/static/dom.js');
    for (let i = 1; i <= n; i++) {
      notice(`1栋 10${i} · K-HY-1-10${i} 已归还 · 已放回 A0${i} 号格`, 'good', btn('交还证件', () => {}, 'primary', 'edge-extra'), 'edge-notice');
    }
  }, n);
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
    if (s.from === 'home' && !loggedIn) loggedIn = await loginPin(t, 'S01', '1111');
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
      const off = await page.evaluate(offEdge);
      check(off.length === 0, `${s.name} at ${size.width}x${size.height} with 3 notices put up (${shown} kept): every button on screen`,
        off.join('; '));
    }
    await page.setViewportSize(SIZES[0]);
    await t.shot(s.name);
  }
});
