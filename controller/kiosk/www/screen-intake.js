/* An owner hands in keys for safekeeping (钥匙托管登记, rule 7): the
 * owner's name, phone and ID, the unit by building and room, the period,
 * then each key into a free slot the cabinet opens, its tag read there;
 * the receipt at the end. */
import { t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { refusal } from './api.js';
import { fieldPad, padField } from './release.js';
import { idValid } from './screen-borrow.js';
import { home } from './screen-home.js';
import { receipt } from './screen-receipt.js';
import { busyLabel, idFields, periodEnd, periodPicker, takeIn, takeInLive, takingBox, textField, today, unitLabel, unitPicker, ymd } from './intake.js';

function ownerMissing(ctx) {
  var miss = [];
  if ((ctx.phone || '').length < 6) miss.push(t('owner_phone'));
  if (!ctx.idn) miss.push(t('owner_id'));
  return miss;
}
function local(ctx, text) { ctx.rep = { ok: false, local: text }; rerender(ctx); }

export function intakeForm(ctx) {
  ctx.step = ctx.step || 'owner';
  var title = h('h1', { text: t('tile_intake') + (ctx.unit ? ' · ' + unitLabel(ctx.unit) : '') });
  var cancel = btn(t('cancel'), function () { show(home, {}); }, '', 'cancel');
  var back = function (step) { return btn(t('back'), function () { ctx.step = step; ctx.rep = null; rerender(ctx); }, '', 'back'); };
  /* the name alone on the on-screen keyboard, then the digits on the pad
   * (the keyboard closes with the name's field) */
  if (ctx.step === 'owner') {
    return [title, textField(ctx, 'name', t('owner_name'), 'owner-name'), refusal(ctx.rep),
      h('div.row', {}, cancel, h('div.spacer'), btn(t('next'), function () {
        if (!(ctx.name || '').trim()) return local(ctx, t('need_fields', { what: t('owner_name') }));
        ctx.rep = null;
        ctx.step = 'ids';
        rerender(ctx);
      }, 'primary', 'next'))];
  }
  if (ctx.step === 'ids') {
    ctx.focus = ctx.focus || 'phone';
    var next = function () {
      var miss = ownerMissing(ctx);
      if (miss.length) return local(ctx, t('need_fields', { what: miss.join('、') }));
      if (!idValid(ctx.idn, ctx.idtype)) return local(ctx, t('id_fix'));
      ctx.rep = null;
      ctx.step = 'unit';
      rerender(ctx);
    };
    /* the buttons under the pad, so a refusal never pushes them down */
    return [title, h('div', { text: t('owner_line', { name: ctx.name }) }), h('div.pinwrap', {}, h('div.pinside', {},
      padField(ctx, 'phone', t('owner_phone'), 15),
      idFields(ctx, 'idtype', 'idn', t('owner_id')),
      refusal(ctx.rep)),
    h('div', {}, fieldPad(ctx), h('div.row.padnav', {}, back('owner'), h('div.spacer'), btn(t('next'), next, 'primary', 'next'))))];
  }
  if (ctx.step === 'unit') {
    return [title, unitPicker(ctx, function (u) { ctx.unit = u; ctx.step = 'period'; ctx.period = ctx.period || '1y'; rerender(ctx); }),
      refusal(ctx.rep), h('div.row', {}, back('ids'))];
  }
  var from = today(), end = periodEnd(ctx, from);
  if (ctx.step === 'period') {
    return [title, h('div', { text: t('owner_line', { name: ctx.name }) }),
      periodPicker(ctx, from, t('pick_period')),
      refusal(ctx.rep),
      h('div.row', {}, back('unit'), h('div.spacer'),
        btn(t('next'), function () { ctx.step = 'keys'; ctx.keys = ctx.keys || []; rerender(ctx); }, 'primary', 'next'))];
  }
  /* the keys, one slot after another */
  var body = { kind: 'entrusted', unit: ctx.unit.unit, owner_name: ctx.name.trim(), owner_phone: ctx.phone,
    id_type: ctx.idtype, id_number: ctx.idn.toUpperCase(), end: ymd(end) };
  var finish = function () {
    var r = ctx.keys[0];
    ctx.idn = '';
    show(receipt, { kind: 'entrust', unit: ctx.unit, keys: ctx.keys, owner: r, at: new Date().toISOString() });
  };
  var open = function () {
    takeIn(ctx, body, function (rep) { ctx.keys.push(rep); rerender(ctx); });
  };
  return [title, h('div', { 'data-t': 'summary', text: t('owner_line', { name: ctx.name }) + ' · ' + t('period_to', { from: ymd(from), to: ymd(end) }) }),
    h('div.list', { 'data-t': 'keys-in' }, ctx.keys.map(function (k, i) {
      return h('div.item', { 'data-t': 'key-in-' + i }, h('div.main', {},
        h('div.title', { text: t('key_in_line', { n: i + 1, slot: k.slot }) }),
        h('div.sub', { text: t('key_in_sub', { key: k.key, tag: k.tag || '—' }) })));
    })),
    takingBox(ctx),
    refusal(ctx.rep),
    ctx.taking ? null : h('div.row', {}, ctx.keys.length ? null : back('period'), h('div.spacer'),
      btn(busyLabel(ctx, ctx.keys.length ? t('another_key') : t('open_for_key')), open, ctx.keys.length ? '' : 'primary.big', 'open-for-key'),
      ctx.keys.length ? btn(t('finish_receipt'), finish, 'primary.big', 'finish') : null)];
}
intakeForm.screen = 'intake';
intakeForm.live = takeInLive;
