/* A key moved home from a wrong slot, or to the new home the office gave
 * it (move): its slot open, then back in its home slot. */
import { S } from './state.js';
import { t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { home } from './screen-home.js';
import { alarmList } from './screen-alarms.js';

export function reseatWatch(g) {
  var r = g.rep, p = { key: g.move ? S.units[r.key] || '' : r.key, slot: g.slot || r.slot, home: r.home_slot }, big, sub = [];
  if (g.state === 'home') big = h('div.big-msg.ok', { 'data-t': 'reseat-home', text: t(g.move ? 'move_home' : 'reseat_home', p) });
  else if (g.state === 'lifted') big = h('div.big-msg', { 'data-t': 'reseat-lifted', text: t('reseat_lifted', p) });
  else if (g.state === 'wrong') big = h('div.big-msg.warn', { 'data-t': 'reseat-wrong', text: t('reseat_wrong', p) });
  else if (g.state === 'relocked') big = h('div.big-msg.warn', { 'data-t': 'reseat-relocked', text: t('reseat_relocked', p) });
  else {
    big = h('div.big-msg', { 'data-t': 'reseat-open', text: t('reseat_open', p) });
    sub.push(h('div.window-left', { 'data-t': 'window-left', text: t('window_left', { s: Math.ceil(Math.max(0, (r.window_ms - (Date.now() - g.started)) / 1000)) }) }));
  }
  return [h('h1', { text: t(g.move ? 'move_title' : 'reseat_title') }), h('div', { 'data-t': 'reseat', 'data-state': g.state }, big, sub),
    h('div.row', {}, h('div.spacer'), btn(t('ok'), function () { show(alarmList, {}); }, 'primary', 'done'))];
}
reseatWatch.screen = 'reseat';
reseatWatch.live = function (g, ev) {
  var r = g.rep;
  if (ev.key !== r.key) return;
  if (ev.type === 'slot.removed' && ev.slot === r.slot && g.state === 'open') g.state = 'lifted';
  else if (ev.type === 'slot.inserted' && ev.slot === r.home_slot) g.state = 'home';
  else if (ev.type === 'slot.inserted') { g.state = 'wrong'; g.slot = ev.slot; }
  else if (ev.type === 'alarm.cleared' && ev.data && ev.data.alarm_type === 'wrong_slot') g.state = 'home';
  else return;
  rerender(g);
};
setInterval(function () {
  if (!S.cur || S.cur.fn !== reseatWatch || S.cur.ctx.state !== 'open') return;
  var g = S.cur.ctx, left = g.rep.window_ms - (Date.now() - g.started);
  if (left <= -1500) { g.state = 'relocked'; rerender(g); return; } /* the window and its grace */
  var w = document.querySelector('[data-t=window-left]');
  if (w) w.textContent = t('window_left', { s: Math.ceil(Math.max(0, left / 1000)) });
}, 250);
