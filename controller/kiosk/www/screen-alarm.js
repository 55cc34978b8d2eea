/* An alarm that takes the screen over: a tamper, a wrong slot, a fault,
 * raised while this page is open (logged in or not), or open when it
 * loads or keycabd comes back (keycabd's status lists the open alarms).
 * In the place of whatever screen is up (#alarm in index.html; the screen is kept, and
 * back once the alarms are dealt with or laid aside): what happened, which key (by its
 * unit) and slot, what to do, and the action one tap away: moving a key
 * home from a wrong slot, clearing with a note, or logging in first.
 * Several: a list, the oldest first. "Later" lays it aside until the next
 * alarm; the header's badge still counts them. A tone and the spoken
 * prompt (voice.js) come with each new one. A key the office moved that
 * is still in its old slot (move.js) is a task listed with them, its
 * 开格移位 one tap away; a new one takes the screen over without a tone. */
import { $, S } from './state.js';
import { alarmName, fmtWhen, t, tOr } from './words.js';
import { add, btn, h, rerender, show } from './dom.js';
import { op } from './api.js';
import { loadRoster } from './session.js';
import { isOperator } from './screen-home.js';
import { pickName } from './screen-login.js';
import { alarmList, moveKey, reseat } from './screen-alarms.js';
import { moveItem, moveKeys } from './move.js';
import { say, tone } from './voice.js';

export var TAKEOVER = ['tamper', 'wrong_slot', 'fault'];

/* The alarms up, by id (oldest first); the overlay laid aside or not;
 * the keys to move it has shown. */
var up = [], aside = false, movesSeen = {};

function byId(x, y) { return x.alarm - y.alarm; }
function lay(on) { aside = !on; takeoverRender(); }

/* An alarm up, from keycabd's row of it (k) and what the page had of it (a). */
function upFrom(k, a) {
  a = a || {};
  return { alarm: k.alarm, type: k.type || a.type, key: k.key || a.key, unit: a.unit, slot: k.slot || a.slot, raised: k.raised || a.raised };
}
/* From keycabd's status (its open alarms, on each subscription: the page
 * loaded, keycabd back): those of the types above are up; one the page
 * did not have takes the screen over with a tone, as if raised now. */
export function alarmsOpen(rows) {
  if (!rows) return;
  var had = {}, fresh = false;
  up.forEach(function (a) { had[a.alarm] = a; });
  up = rows.filter(function (k) { return TAKEOVER.indexOf(k.type) >= 0; }).map(function (k) {
    if (!had[k.alarm]) fresh = true;
    return upFrom(k, had[k.alarm]);
  }).sort(byId);
  if (!fresh) return takeoverRender();
  tone();
  lay(true);
}
/* From keycabd's event (alarm.raised). */
export function alarmRaised(ev) {
  var d = ev.data || {};
  if (TAKEOVER.indexOf(d.alarm_type) < 0 || !d.alarm) return;
  if (!up.some(function (a) { return a.alarm === d.alarm; }))
    up.push({ alarm: d.alarm, type: d.alarm_type, key: ev.key, unit: ev.unit, slot: ev.slot, raised: ev.ts });
  up.sort(byId);
  tone();
  say('alarm_' + d.alarm_type, ev.slot);
  lay(true);
  if (S.user) refresh();
}
export function alarmCleared(ev) {
  var id = (ev.data || {}).alarm;
  up = up.filter(function (a) { return a.alarm !== id; });
  takeoverRender();
}
/* Someone logged in: the alarms still up are theirs to deal with, with
 * what keycabd has of them. */
export function alarmsLoggedIn() {
  if (!up.length) return;
  refresh();
  lay(true);
}
export function alarmsLoggedOut() { takeoverRender(); }
/* The keys to move changed (move.js). */
export function movesChanged() {
  var fresh = false;
  moveKeys().forEach(function (k) { if (!movesSeen[k]) fresh = movesSeen[k] = true; });
  Object.keys(movesSeen).forEach(function (k) { if (!S.moves[k]) delete movesSeen[k]; });
  if (S.cur && S.cur.fn === alarmList) rerender(S.cur.ctx);
  if (fresh) lay(true);
  else takeoverRender();
}
function moveGo(key) { lay(false); show(alarmList, {}); moveKey(S.cur.ctx, key); }
function refresh() {
  op('alarms').then(function (rep) {
    if (!rep.ok) return;
    var open = {};
    (rep.alarms || []).forEach(function (a) { open[a.alarm] = a; });
    up = up.filter(function (a) { return open[a.alarm]; }).map(function (a) { return upFrom(open[a.alarm], a); });
    takeoverRender();
  });
}
/* A key as the desk reads it, never by its code: its unit. */
function keyWords(a) {
  if (!a.key) return t('takeover_no_key');
  return t('takeover_key', { unit: S.units[a.key] || a.unit || '' });
}
function item(a) {
  var where = [keyWords(a), a.slot ? t('slot', { slot: a.slot }) : ''];
  if (a.type === 'wrong_slot' && a.key && S.homes[a.key]) where.push(t('takeover_home', { home: S.homes[a.key] }));
  var act = null;
  if (isOperator() && a.type === 'wrong_slot' && a.key) act = btn(t('reseat'), function () { lay(false); show(alarmList, {}); reseat(S.cur.ctx, a); }, 'primary.big', 'takeover-reseat');
  else if (isOperator()) act = btn(t('takeover_clear'), function () { lay(false); show(alarmList, { open: a.alarm, note: '' }); }, 'danger.big', 'takeover-clear');
  return h('div.item.alarm', { 'data-t': 'takeover-' + a.alarm, 'data-type': a.type },
    h('div.main', {},
      h('div.title', { 'data-t': 'takeover-what', text: alarmName(a.type) + (a.raised ? ' · ' + fmtWhen(a.raised) : '') }),
      h('div.where', { 'data-t': 'takeover-where', text: where.filter(Boolean).join(' · ') }),
      h('div.sub', { 'data-t': 'takeover-do', text: tOr('alarm_do_' + a.type, '') })),
    act);
}
export function takeoverRender() {
  var box = $('alarm');
  if (!box) return;
  var moves = moveKeys();
  box.hidden = aside || !(up.length + moves.length);
  box.textContent = '';
  if (box.hidden) return;
  add(box, [h('h1', { text: !up.length ? t('move_title') : t('takeover_title') + (up.length > 1 ? ' · ' + t('takeover_count', { n: up.length }) : '') }),
    h('div.list', { 'data-t': 'takeover-list' }, up.map(item), moves.map(function (k) { return moveItem(k, moveGo); })),
    h('div.row', {},
      !S.user ? btn(t('takeover_login'), function () {
        lay(false);
        loadRoster().then(function () { show(pickName, { purpose: 'login' }); });
      }, 'primary.big', 'takeover-login') : null,
      h('div.spacer'),
      btn(t('takeover_later'), function () { lay(false); }, 'big', 'takeover-later'))]);
}
