/* What every screen shows around it: the header (clock, audit link,
 * the office's feed, alarms, who is logged in, the session's countdown), the banners, and
 * the notices (returns, IDs to hand back). */
import { $, S } from './state.js';
import { fmt, roleName, t, tOr } from './words.js';
import { add, btn, h } from './dom.js';
import { said } from './api.js';
import { logout } from './session.js';
import { idle } from './screen-idle.js';
import { isOperator } from './screen-home.js';

/* ---- the header ---- */
/* The audit link's state (the header's badge, the idle screen's line). */
export function linkBadge(l) {
  if (!l) return l;
  if (S.link === undefined) { l.className = 'badge hidden'; }
  else if (S.link === null) { l.className = 'badge'; l.textContent = t('link_none'); }
  else {
    l.className = 'badge ' + S.link.state;
    l.textContent = t('link_' + S.link.state) +
      (S.link.pending ? ' · ' + t('link_pending', { n: S.link.pending }) : '');
  }
  return l;
}
/* The office's feed (keycab-forward's forward.feed, a cabinet the office
 * manages): its state, and the changes named but not applied yet;
 * nothing on a standalone cabinet. */
export function feedBadge(l) {
  var f = S.link && S.link.feed;
  if (!f || !f.state || f.state === 'standalone') { l.className = 'badge hidden'; l.textContent = ''; return l; }
  var behind = f.last_change > 0 && f.position >= 0 && f.last_change > f.position ? f.last_change - f.position : 0;
  l.className = 'badge feed-' + f.state;
  l.textContent = tOr('feed_' + f.state, t('feed_other', { state: f.state })) +
    (behind ? ' · ' + t('feed_behind', { n: behind }) : '');
  return l;
}
export function header() {
  document.title = t('title');
  document.documentElement.lang = S.lang;
  $('lang').textContent = t('lang_toggle');
  $('logout').textContent = t('logout');
  $('logout').hidden = !S.user;
  $('who').textContent = S.user ? t('home_title', { name: S.user.name, role: roleName(S.user.role) }) : '';
  linkBadge($('link'));
  linkBadge(document.querySelector('[data-t=idle-link]'));
  feedBadge($('feed'));
  var a = $('alarms');
  a.className = 'badge' + (S.alarmsOpen > 0 ? ' alarm' : '');
  a.textContent = S.alarmsOpen > 0 ? t('alarms_open', { n: S.alarmsOpen }) : t('alarms_none');
  banner('down', !S.up, t('keycabd_down'));
  banner('not-following', S.up && !S.following,
    t('not_following') + (S.why && said(S.why) ? ' ' + t('why') + said(S.why) : ''));
  var st = S.storage && S.storage.state;
  banner('storage', !!st && st !== 'ok',
    saidOf(S.storage && S.storage.message) || tOr('storage_' + st, t('storage_other', { state: st })));
  banner('behind', !!(S.link && S.link.service_behind), saidOf(S.link && S.link.message) || t('link_behind'));
  /* the kiosk without its Chinese catalogue: said to the desk's staff */
  banner('catalogue', S.catalogue === false && isOperator(), t('catalogue_missing'));
  tick();
}
/* A message keycabd gives beside a state ({code, params}, its text
 * added by the kiosk) in the page's language; '' when none. */
export function saidOf(m) { return (m && m.text && m.text[S.lang]) || ''; }
/* A banner over every screen (index.html): shown with text, or hidden. */
export function banner(id, on, text) {
  $(id).hidden = !on;
  $(id).textContent = on ? text : '';
}
export function tick() {
  var now = new Date();
  $('clock').textContent = fmt(now.toISOString(), { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (S.cur && S.cur.fn === idle) {
    var tm = document.querySelector('.idle .time'), dt = document.querySelector('.idle .date');
    if (tm) tm.textContent = fmt(now.toISOString(), { hour: '2-digit', minute: '2-digit' });
    if (dt) dt.textContent = fmt(now.toISOString(), { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
  }
  var cd = $('countdown'), warn = $('idle-warn');
  if (!S.user) { cd.textContent = ''; warn.hidden = true; return; }
  var left = S.idleS - (Date.now() - S.lastTouch) / 1000;
  if (left <= 0) { logout(); return; }
  cd.textContent = t('session_left', { s: Math.ceil(left) });
  cd.className = 'countdown' + (left <= 15 ? ' low' : '');
  if (left <= 15) {
    warn.hidden = false;
    warn.textContent = '';
    add(warn, h('div.box', {}, h('div', { text: t('idle_ends', { s: Math.ceil(left) }), 'data-t': 'idle-left' }),
      h('div', {}, btn(t('continue'), touch, 'primary.big', 'continue'))));
  } else warn.hidden = true;
}
export function touch() { S.lastTouch = Date.now(); $('idle-warn').hidden = true; }

/* ---- notices over every screen: returns, IDs to hand back ----
 * They take one row under the header whatever their number: the newest
 * shows, with "+N" for the others; a tap on it lays the others over the
 * screen under the newest (the screen itself does not move), another tap
 * folds them again. A notice gives way after a while, or to its ×. */
export function notice(text, cls, extra, dt) {
  var n = h('div.note' + (cls ? '.' + cls : ''), { 'data-t': dt || 'notice' }, h('div.txt', { text: text }), extra,
    btn('×', function () { n.remove(); }, 'small', 'notice-close'));
  noticesFold();
  $('notice').appendChild(n);
  var all = notes();
  for (var i = 0; i < all.length - NOTICES_MAX; i++) all[i].remove();
  /* a notice gives way after a while; one with a button waits longer */
  setTimeout(function () { n.remove(); }, extra ? 90000 : 15000);
  return n;
}
var NOTICES_MAX = 20;
function newestNote() {
  var c = Array.prototype.filter.call($('notice').children, function (n) { return n.classList.contains('note'); });
  return c[c.length - 1] || null;
}
function notes() { return Array.prototype.slice.call($('notice').querySelectorAll('.note')); }
/* The others laid over the screen, or folded back before the newest. */
function noticesOpen() {
  var box = $('notice'), all = notes(), older = h('div.older', { 'data-t': 'notices-older' });
  if (all.length < 2) return;
  all.slice(0, -1).reverse().forEach(function (n) { older.appendChild(n); });
  box.appendChild(older);
  box.classList.add('open');
}
export function noticesFold() {
  var box = $('notice'), older = box.querySelector('.older');
  box.classList.remove('open');
  if (!older) return;
  var newest = newestNote();
  Array.prototype.slice.call(older.children).reverse().forEach(function (n) { box.insertBefore(n, newest); });
  older.remove();
}
/* The newest notice carries the count of the others ("+N"), as a
 * button; kept so as notices come and go (a notice removes itself). */
function noticesCount() {
  var box = $('notice'), all = notes(), newest = newestNote();
  var more = all.length - 1, cur = box.querySelector('[data-t=notices-more]');
  if (box.classList.contains('open') && more < 1) noticesFold();
  if (cur && (cur.parentNode !== newest || more < 1)) { cur.remove(); cur = null; }
  if (more < 1 || !newest) return;
  var label = (box.classList.contains('open') ? '▴ ' : '+') + more;
  if (cur) { if (cur.textContent !== label) cur.textContent = label; return; }
  newest.insertBefore(btn(label, function () {
    if (box.classList.contains('open')) noticesFold(); else noticesOpen();
  }, 'small.more', 'notices-more'), newest.lastChild);
}
export function noticesWatch() {
  new MutationObserver(noticesCount).observe($('notice'), { childList: true, subtree: true });
  /* the screen shrunk (a notice, a banner, the keyboard): the field typed
   * into stays in view */
  new ResizeObserver(function () {
    var f = document.activeElement;
    if (f && f !== document.body && $('screen').contains(f)) f.scrollIntoView({ block: 'nearest' });
  }).observe($('screen'));
}
