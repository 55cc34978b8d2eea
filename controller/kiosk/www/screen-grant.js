/* After every grant: the slot open, the window counting down, then taken
 * or not. */
import { S } from './state.js';
import { fmtWhen, idTypeName, t, unitName } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { home } from './screen-home.js';

/* After every grant: the slot open, the window counting down, then
 * taken or not taken as keycabd says. */
export function grantWatch(g) {
  var r = g.rep, left = Math.max(0, (r.window_ms || 0) - (Date.now() - g.started)) / 1000;
  var big, sub = [];
  if (g.state === 'taken') {
    big = h('div.big-msg.ok', { text: t('taken'), 'data-t': 'taken' });
    sub.push(h('div', { text: t('taken_detail', { key: r.key, unit: unitName(g.key), name: g.who || '' }) }));
    if (r.due) sub.push(h('div', { text: t('due', { t: fmtWhen(r.due) }) }));
  } else if (g.state === 'not_taken') {
    big = h('div.big-msg.warn', { text: t('not_taken'), 'data-t': 'not-taken' });
  } else {
    big = h('div.big-msg', { text: t('slot_open', { slot: r.slot }), 'data-t': 'slot-open' });
    sub.push(h('div.window-left', { 'data-t': 'window-left', text: t('window_left', { s: Math.ceil(left) }) }));
  }
  if (r.id_held) sub.push(h('div', { 'data-t': 'id-held', text: t('id_held_for', { name: g.who || r.borrower, type: idTypeName(g.idType), masked: r.id_held }) }));
  if (r.approval) sub.push(h('div', { 'data-t': 'approved-by', text: t('approved_by', { name: g.approver || '' }) }));
  if (g.collected) sub.push(h('div.big-msg.ok', { 'data-t': 'collected', text: t('collected') }));
  return [h('div', { 'data-t': 'grant', 'data-loan': r.loan, 'data-state': g.state }, big, sub),
    h('div.row', {}, h('div.spacer'), btn(t('ok'), function () { delete S.grants[r.loan]; show(home, {}); }, 'primary', 'done'))];
}
grantWatch.screen = 'grant';
/* An owner's collection taken: keycabd ends the entrustment with it. */
grantWatch.live = function (g, ev) {
  if (ev.type === 'collection.completed' && ev.data && ev.data.loan === g.rep.loan) { g.collected = true; rerender(g); }
};
setInterval(function () {
  if (S.cur && S.cur.fn === grantWatch && S.cur.ctx.state === 'open') {
    var w = document.querySelector('[data-t=window-left]'), g = S.cur.ctx;
    if (w) w.textContent = t('window_left', { s: Math.ceil(Math.max(0, (g.rep.window_ms - (Date.now() - g.started)) / 1000)) });
  }
}, 250);
