/* Keys the office moved (an estate key.set with a new home slot) that
 * still sit in the slot they were in, their lock holding them: a task
 * for the desk (S.moves: by key, its new home and the slot it is in),
 * shown in the takeover and the list of alarms with 开格移位, which opens
 * that slot (slot.reseat with the key). Each key's unit and home, from
 * keycabd's rows of its keys (status, keys) and again on each pushed
 * estate.applied of a key.set or key.remove. */
import { S } from './state.js';
import { t, unitName } from './words.js';
import { btn, h } from './dom.js';
import { op } from './api.js';
import { isOperator } from './screen-home.js';

/* keycabd's rows of its keys: units, homes, the keys to move */
export function keysRead(rows) {
  S.moves = {};
  (rows || []).forEach(function (k) {
    S.units[k.key] = unitName(k);
    S.homes[k.key] = k.home_slot;
    if (k.state === 'awaiting' && k.slot && k.slot !== k.home_slot) S.moves[k.key] = { home: k.home_slot, now: k.slot };
  });
}
/* An event that changes a key's home or state; true when the keys to
 * move changed. */
export function keyEvent(ev) {
  var d = ev.data || {}, was = JSON.stringify(S.moves);
  if (ev.type === 'estate.applied' && d.change_type === 'key.set') {
    S.homes[ev.key] = d.slot || ev.slot;
    if (ev.unit) S.units[ev.key] = S.units[ev.key] || ev.unit;
    if (d.state === 'awaiting' && d.slot_now && d.slot_now !== S.homes[ev.key]) S.moves[ev.key] = { home: S.homes[ev.key], now: d.slot_now };
    else delete S.moves[ev.key];
  } else if (ev.type === 'estate.applied' && d.change_type === 'key.remove') {
    delete S.homes[ev.key];
    delete S.moves[ev.key];
  } else if ((ev.type === 'slot.removed' || ev.type === 'slot.inserted') && S.moves[ev.key]) {
    delete S.moves[ev.key];
  } else return false;
  return JSON.stringify(S.moves) !== was;
}
/* After an estate change of a key: keycabd's rows again (units named as
 * the estate has them now), for the person logged in. */
export function keysReload() {
  if (!S.user) return Promise.resolve(null);
  return op('keys').then(function (rep) {
    if (rep && rep.ok) keysRead(rep.keys);
    return rep;
  });
}
export function moveKeys() { return Object.keys(S.moves).sort(); }
/* One key to move, with 开格移位 for an operator (go: what the tap does). */
export function moveItem(key, go) {
  var m = S.moves[key];
  return h('div.item.move', { 'data-t': 'move-task', 'data-key': key },
    h('div.main', {},
      h('div.title', { 'data-t': 'move-what', text: t('move_task', { unit: S.units[key] || '', home: m.home, now: m.now }) }),
      h('div.sub', { 'data-t': 'move-do', text: t('move_do') })),
    isOperator() ? btn(t('move_reseat'), function () { go(key); }, 'primary.big', 'move-reseat') : null);
}
