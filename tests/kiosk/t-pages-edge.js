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

const SIZES = [{ width: 1024, height: 600 }, { width: 1280, height: 800 }];
const ONLY = process.env.EDGE_ONLY ? process.env.EDGE_ONLY.split(',') : null;

// What lies outside the window: every shown button (a list's rows aside,
// but its first) inside the window, inside each box that clips it (the
// screen's scrolling area), and on top where it is (no sticky row, no
// keyboard over it); the screen unscrolled. With the on-screen keyboard up
// (keyboard: true) the screen may scroll to the field typed into: then
// the field, the screen's last row of buttons (its actions) and the
// keyboard's keys.
function offEdge(keyboard) {
  const W = window.innerWidth, H = window.innerHeight, out = [];
  const main = document.getElementById('screen');
  const name = (b) => b.dataset.t || b.dataset.k || b.dataset.osk || b.textContent.trim().slice(0, 12);
  const where = (r) => `${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)}`;
  if (main.scrollTop && !keyboard) out.push(`the screen scrolled by ${main.scrollTop} px`);
  const last = main.lastElementChild && main.lastElementChild.matches('.row') ? main.lastElementChild : null;
  const field = keyboard ? document.activeElement : null;
  for (const b of [...document.querySelectorAll('button'), ...(field && field !== document.body ? [field] : [])]) {
    if (!b.getClientRects().length || getComputedStyle(b).visibility === 'hidden') continue;
    const row = b.closest('.list > *');
    if (row && row !== row.parentElement.firstElementChild) continue;
    if (keyboard && main.contains(b) && b !== field && !(last && last.contains(b))) continue;
    const r = b.getBoundingClientRect();
    if (r.top < 0 || r.left < 0 || r.bottom > H + 0.5 || r.right > W + 0.5) { out.push(`${name(b)} at ${where(r)}`); continue; }
    let clipped = null;
    for (let a = b.parentElement; a && a !== document.body; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.overflowY === 'visible' && st.overflowX === 'visible') continue;
      const c = a.getBoundingClientRect();
      if (r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5 || r.left < c.left - 0.5 || r.right > c.right + 0.5) { clipped = a; break; }
    }
    if (clipped) { out.push(`${name(b)} at ${where(r)} cut off by ${clipped.id || clipped.className}`); continue; }
    const top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    if (top && top !== b && !b.contains(top)) out.push(`${name(b)} at ${where(r)} under ${top.dataset.t || top.className || top.tagName}`);
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
