/* Building the screens: elements (h, add), buttons, the open button that
 * acts as the finger lifts (press), and showing a screen (show, render). */
import { $, S } from './state.js';
import { hideKeyboard } from './keyboard.js';

/* ---- DOM ---- */
export function h(tag, props) {
  var parts = tag.split('.'), el = document.createElement(parts[0] || 'div');
  if (parts.length > 1) el.className = parts.slice(1).join(' ');
  props = props || {};
  Object.keys(props).forEach(function (k) {
    var v = props[k];
    if (k === 'text') el.textContent = v;
    else if (k === 'tap') el.addEventListener('click', function (e) { e.preventDefault(); v(e); });
    else if (k === 'press') press(el, v);
    else if (k === 'on') Object.keys(v).forEach(function (n) { el.addEventListener(n, v[n]); });
    else if (k === 'cls') el.className += ' ' + v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v);
  });
  for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
  return el;
}
export function add(el, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) c.forEach(function (x) { add(el, x); });
  else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
}
export function btn(label, tap, cls, dt) {
  return h('button.btn' + (cls ? '.' + cls : ''), { type: 'button', tap: tap, 'data-t': dt }, label);
}
/* The button that opens a slot acts as the finger lifts from it, not on
 * the click Chromium makes of the tap after that; the touchend's
 * preventDefault() stops that click, so the screen after the grant
 * never gets it as a second tap. A finger that slid off (more than
 * the touch slop) before lifting does nothing; a mouse or a keyboard
 * still clicks. */
export var PRESS_SLOP = 16;
export function press(el, fn) {
  el.addEventListener('touchend', function (e) {
    var p = e.changedTouches[0], r = el.getBoundingClientRect();
    if (!e.cancelable || e.touches.length || !p || el.disabled) return;
    e.preventDefault();
    if (p.clientX >= r.left - PRESS_SLOP && p.clientX <= r.right + PRESS_SLOP &&
        p.clientY >= r.top - PRESS_SLOP && p.clientY <= r.bottom + PRESS_SLOP) fn(e);
  });
  el.addEventListener('click', function (e) { e.preventDefault(); fn(e); });
}
/* The button that sends a release form: the on-screen keyboard goes. */
export function openBtn(label, go, cls) {
  return h('button.btn' + (cls ? '.' + cls : ''), { type: 'button', press: function (e) { hideKeyboard(); go(e); }, 'data-t': 'open' }, label);
}
export function show(fn, ctx) {
  S.cur = { fn: fn, ctx: ctx || {} };
  render();
}
export function render() {
  var main = $('screen');
  main.textContent = '';
  add(main, S.cur.fn(S.cur.ctx));
  main.setAttribute('data-screen', S.cur.fn.screen || '');
}
export function rerender(ctx) { if (S.cur && S.cur.ctx === ctx) render(); }
