// Nothing below the edge: what lies outside the window on the screen
// shown now (run in the page: page.evaluate(offEdge, keyboard)), for
// t-pages-edge.js's walk of every screen and the screens a test reaches
// that the walk's estate has not (t-kiosk-estate.js: a first sign-in).
'use strict';

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

module.exports = { offEdge };
