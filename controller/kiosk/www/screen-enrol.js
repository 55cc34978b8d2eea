/* A new key of any kind (vacant, repair, sealed, entrusted) enrolled into
 * a free slot: its kind, its unit by building and room, then the slot the
 * cabinet opens; the key's tag is read there. */
import { kindName, t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { refusal } from './api.js';
import { home } from './screen-home.js';
import { receipt } from './screen-receipt.js';
import { busyLabel, takeIn, takeInLive, takingBox, unitLabel, unitPicker } from './intake.js';

export var KINDS = ['vacant', 'repair', 'sealed', 'entrusted'];
export function enrolForm(ctx) {
  var title = h('h1', { text: t('tile_enrol') + (ctx.unit ? ' · ' + unitLabel(ctx.unit) : '') });
  var cancel = btn(t('cancel'), function () { show(home, {}); }, '', 'cancel');
  if (!ctx.kind) {
    return [title, h('h2', { text: t('pick_kind') }),
      h('div.grid', { 'data-t': 'kinds' }, KINDS.map(function (k) {
        return btn(kindName(k), function () { ctx.kind = k; rerender(ctx); }, 'big', 'kind-' + k);
      })), h('div.row', {}, cancel)];
  }
  if (!ctx.unit) {
    return [title, unitPicker(ctx, function (u) { ctx.unit = u; rerender(ctx); }), refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { ctx.kind = null; ctx.building = null; rerender(ctx); }, '', 'back'))];
  }
  var open = function () {
    takeIn(ctx, { kind: ctx.kind, unit: ctx.unit.unit }, function (rep) {
      show(receipt, { kind: 'enrol', unit: ctx.unit, key: rep, at: new Date().toISOString() });
    });
  };
  return [title, h('div', { 'data-t': 'summary', text: t('enrol_line', { kind: kindName(ctx.kind), unit: unitLabel(ctx.unit) }) }),
    takingBox(ctx), refusal(ctx.rep),
    ctx.taking ? null : h('div.row', {}, btn(t('back'), function () { ctx.unit = null; ctx.rep = null; rerender(ctx); }, '', 'back'),
      h('div.spacer'), btn(busyLabel(ctx, t('open_for_key')), open, 'primary.big', 'open-for-key'))];
}
enrolForm.screen = 'enrol';
enrolForm.live = takeInLive;
