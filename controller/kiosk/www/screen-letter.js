/* An owner's authorisation letter (委托书) for a tenant filed against an
 * entrustment (rule 2): the borrower's name, ID type and number, and its
 * validity; the owner confirms it at the desk before a borrow. */
import { t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { fieldPad } from './release.js';
import { idValid } from './screen-borrow.js';
import { receipt } from './screen-receipt.js';
import { entrustList } from './screen-entrust.js';
import { idFields, isoLastDay, lastDay, textField, today, ymd } from './intake.js';

var VALID = [{ id: '1w', days: 7 }, { id: '1m', months: 1 }, { id: '3m', months: 3 }, { id: 'ent' }];

export function letterForm(ctx) {
  var e = ctx.ent, from = today(), entLast = isoLastDay(e.end);
  ctx.valid = ctx.valid || '1m';
  ctx.focus = ctx.focus || 'idn';
  var v = VALID.filter(function (x) { return x.id === ctx.valid; })[0];
  var to = v.id === 'ent' ? entLast : lastDay(from, v.months, v.days);
  var title = h('h1', { text: t('act_letter') + ' · ' + e.unitText + ' · ' + e.owner_name });
  /* the borrower's name alone on the on-screen keyboard, then the ID on
   * the pad (the keyboard closes with the name's field) */
  if (!ctx.named) {
    return [title, textField(ctx, 'borrower', t('borrower_name'), 'borrower-name'), refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(entrustList, {}); }, '', 'back'), h('div.spacer'),
        btn(t('next'), function () {
          if (!(ctx.borrower || '').trim()) { ctx.rep = { ok: false, local: t('need_fields', { what: t('borrower_name') }) }; rerender(ctx); return; }
          ctx.named = true;
          ctx.rep = null;
          rerender(ctx);
        }, 'primary', 'next'))];
  }
  var go = function () {
    var miss = [];
    if (!ctx.idn) miss.push(t('borrower_id_plain'));
    if (miss.length) { ctx.rep = { ok: false, local: t('need_fields', { what: miss.join('、') }) }; rerender(ctx); return; }
    if (!idValid(ctx.idn, ctx.idtype)) { ctx.rep = { ok: false, local: t('id_fix') }; rerender(ctx); return; }
    if (ctx.busy) return;
    ctx.busy = true;
    var ref = 'WT-' + e.entrustment + '-' + ymd(from).replace(/-/g, '') + '-' + String(Date.now() % 100000);
    var idn = ctx.idn.toUpperCase();
    op('letter.file', { entrustment: e.entrustment, borrower: ctx.borrower.trim(), id_type: ctx.idtype, id_number: idn,
      valid_from: ymd(from), valid_to: ymd(to), reference: ref }).then(function (rep) {
      ctx.busy = false;
      if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
      ctx.idn = '';
      show(receipt, { kind: 'letter', ent: e, unitText: e.unitText, rep: rep, borrower: ctx.borrower.trim(), idType: ctx.idtype,
        from: ymd(from), to: ymd(to), reference: ref, at: new Date().toISOString() });
    });
  };
  return [title, h('div', { text: t('rc_borrower') + '：' + ctx.borrower.trim() }),
    h('div.pinwrap', {}, h('div.pinside', {},
      idFields(ctx, 'idtype', 'idn', t('borrower_id_plain')),
      h('div.row', { 'data-t': 'valid' }, h('span', { text: t('letter_validity') }), VALID.map(function (x) {
        return btn(t('valid_' + x.id), function () { ctx.valid = x.id; rerender(ctx); }, ctx.valid === x.id ? 'sel' : '', 'valid-' + x.id);
      })),
      h('div', { 'data-t': 'valid-to', text: t('period_to', { from: ymd(from), to: ymd(to) }) }),
      refusal(ctx.rep)),
    h('div', {}, fieldPad(ctx), h('div.row.padnav', {}, btn(t('back'), function () { ctx.named = false; ctx.rep = null; rerender(ctx); }, '', 'back'), h('div.spacer'),
      btn(ctx.busy ? t('busy') : t('file_letter'), go, 'primary', 'file-letter'))))];
}
letterForm.screen = 'letter';
