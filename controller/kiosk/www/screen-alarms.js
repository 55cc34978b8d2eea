/* Alarms, with what to do; clearing needs a note; a key in a wrong slot
 * moved home (reseat). */
import { S } from './state.js';
import { alarmName, fmtWhen, t, tOr, unitOf } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { header, notice, touch } from './header.js';
import { home, isOperator } from './screen-home.js';
import { reseatWatch } from './screen-reseat.js';
import { moveItem, moveKeys } from './move.js';

/* ---- alarms, with what to do; clearing needs a note ---- */
export function alarmList(ctx) {
  if (!ctx.alarms) {
    op('alarms').then(function (rep) { ctx.alarms = rep.alarms || []; ctx.rep = rep.ok ? null : rep; S.alarmsOpen = ctx.alarms.length; header(); rerender(ctx); });
    return h('div.muted', { text: t('busy') });
  }
  var opened = null;
  return [h('h1', { text: t('alarms_title') }), refusal(ctx.rep), refusal(ctx.mrep),
    ctx.open ? null : moveKeys().map(function (k) { return moveItem(k, function () { moveKey(ctx, k); }); }),
    /* one being cleared is shown alone, its note, and 消除告警 in the
     * screen's last row: on screen with the keyboard up */
    ctx.alarms.length ? h('div.list', {}, ctx.alarms.filter(function (a) { return !ctx.open || ctx.open === a.alarm; }).map(function (a) {
      var open = ctx.open === a.alarm;
      if (open) opened = a;
      return h('div.item', { 'data-t': 'alarm-' + a.alarm }, h('div.main', {},
        h('div.title', { text: t('alarm_item', { type: alarmName(a.type), where: [a.key && unitOf(a.key), a.slot ? t('slot', { slot: a.slot }) : ''].filter(Boolean).join(' · ') }) }),
        h('div.sub', { 'data-t': 'alarm-detail', text: fmtWhen(a.raised) + (a.detail ? ' · ' + ((a.detail_text && a.detail_text[S.lang]) || a.detail) : '') }),
        h('div', { text: tOr('alarm_do_' + a.type, ''), 'data-t': 'alarm-do' }),
        open ? [h('label.lbl', { text: t('alarm_note') }),
          h('textarea', { 'data-t': 'alarm-note', 'data-phrases': 'alarm', on: { input: function (e) { ctx.note = e.target.value; touch(); } } }, ctx.note || ''),
          refusal(ctx.crep)] : null),
      !open && isOperator() && a.type === 'wrong_slot' && a.key ? btn(t('reseat'), function () { reseat(ctx, a); }, 'primary', 'alarm-reseat') : null,
      !open && isOperator() ? btn(t('alarm_clear'), function () { ctx.open = a.alarm; ctx.note = ''; ctx.crep = null; rerender(ctx); }, '', 'alarm-clear') : null);
    })) : h('div.muted', { text: t('alarms_none') }),
    h('div.row', {}, btn(t('back'), function () { if (ctx.open) { ctx.open = null; rerender(ctx); } else show(home, {}); }, '', 'back'),
      opened ? btn(t('alarm_clear'), function () { clearAlarm(ctx, opened); }, 'danger', 'alarm-clear-go') : null)];
}
alarmList.screen = 'alarms';

/* Clearing with the note typed (keycabd refuses one without). */
function clearAlarm(ctx, a) {
  op('alarm.clear', { alarm: a.alarm, note: ctx.note || '' }).then(function (rep) {
    if (rep.ok) { notice(t('alarm_cleared'), 'good', null, 'alarm-cleared'); show(alarmList, {}); }
    else { ctx.crep = rep; rerender(ctx); }
  });
}
/* A key in a wrong slot (rule 9): keycabd opens the slot it sits in,
 * the screen follows the key out and into its home slot. */
export function reseat(ctx, a) {
  reseatBy(ctx, { alarm: a.alarm }, function (rep) { ctx.crep = rep; ctx.open = a.alarm; });
}
/* A key the office moved (move.js): keycabd opens the slot it still
 * sits in, the screen follows it out and into its new home. */
export function moveKey(ctx, key) {
  reseatBy(ctx, { key: key }, function (rep) { ctx.mrep = rep; }, true);
}
function reseatBy(ctx, args, refused, move) {
  op('slot.reseat', args).then(function (rep) {
    if (!rep.ok) { refused(rep); rerender(ctx); return; }
    show(reseatWatch, { rep: rep, state: 'open', started: Date.now(), move: !!move });
  });
}
