/* Screen 5: a tenant's borrow of an entrusted key (rule 2), the ID
 * checked on the page first. */
import { fmtDay, fmtWhen, idTypeName, nameOf, t, tOr, unitName } from './words.js';
import { btn, h, openBtn, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { pickKey } from './screen-keys.js';
import { SIGNATURE_MAX, dueButtons, dueMembers, fieldPad, keyLive, padField, releaseAndWatch, textField } from './release.js';

/* ---- 5. tenant borrow (rule 2) ---- */
export function idCheck(ctx, name, idType) {
  return function (v) {
    if (idType !== 'id_card' || !v) return null;
    var c = KC_IDCARD.check(v);
    if (c.ok) return h('div.check-ok', { 'data-t': 'id-check', text: t('id_ok') });
    return h('div.check-bad', { 'data-t': 'id-check', text: t('id_bad_' + c.why, c) });
  };
}
export function idValid(v, idType) { return idType !== 'id_card' || KC_IDCARD.check(v).ok; }
export function borrowForm(ctx) {
  var k = ctx.key;
  if (!ctx.letters) {
    Promise.all([op('letters'), op('entrustments')]).then(function (r) {
      ctx.ent = (r[1].entrustments || []).filter(function (e) { return e.key === k.key && e.state === 'open'; })[0] || null;
      ctx.letters = (r[0].letters || []).filter(function (l) { return ctx.ent && l.entrustment === ctx.ent.entrustment; });
      ctx.rep = r[0].ok ? null : r[0];
      rerender(ctx);
    });
    return h('div.muted', { text: t('busy') });
  }
  var title = h('h1', { text: t('tile_borrow') + ' · ' + unitName(k) });
  var back = btn(t('back'), function () { show(pickKey, { mode: 'borrow' }); }, '', 'back');
  if (ctx.step === 'letter') {
    return [title, ctx.ent ? h('div', { text: t('owner', { name: ctx.ent.owner_name }) }) : null,
      h('h2', { text: t('pick_letter') }),
      ctx.letters.length ? h('div.list', {}, ctx.letters.map(function (l) {
        return h('div.item.pick', { 'data-t': 'letter-' + l.letter, tap: function () { ctx.letter = l; ctx.step = 'confirm'; rerender(ctx); } },
          h('div.main', {}, h('div.title', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
            h('div.sub', { text: t('letter_valid', { from: fmtDay(l.valid_from), to: fmtDay(new Date(new Date(l.valid_to).getTime() - 1).toISOString()) }) + ' · ' +
              (l.confirmed ? t('letter_confirmed', { by: nameOf(l.confirmed_by), channel: tOr('channel_' + l.channel, l.channel), t: fmtWhen(l.confirmed) }) : t('letter_unconfirmed')) })));
      })) : h('div.muted', { text: t('nothing') }),
      refusal(ctx.rep), h('div.row', {}, back)];
  }
  var l = ctx.letter;
  if (ctx.step === 'confirm') {
    var rec = function (ch) {
      op('letter.confirm', { letter: l.letter, channel: ch }).then(function (rep) {
        if (rep.ok) { ctx.step = 'id'; ctx.focus = 'idn'; ctx.rep = null; l.confirmed = new Date().toISOString(); }
        else ctx.rep = rep;
        rerender(ctx);
      });
    };
    return [title, h('div', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
      h('div.big-msg', { 'data-t': 'call-owner', text: t('call_owner', { name: ctx.ent.owner_name, phone: ctx.ent.owner_phone || t('phone_unknown') }) }),
      l.confirmed ? h('div', { text: t('letter_confirmed', { by: nameOf(l.confirmed_by), channel: tOr('channel_' + l.channel, l.channel), t: fmtWhen(l.confirmed) }) }) : null,
      h('div.row', {}, btn(t('confirm_phone'), function () { rec('phone'); }, 'primary', 'confirm-phone'),
        btn(t('confirm_in_person'), function () { rec('in_person'); }, '', 'confirm-in-person'),
        btn(t('confirm_wechat'), function () { rec('wechat'); }, '', 'confirm-wechat'),
        l.confirmed ? btn(t('next'), function () { ctx.step = 'id'; ctx.focus = 'idn'; rerender(ctx); }, '', 'next') : null),
      refusal(ctx.rep), h('div.row', {}, back)];
  }
  var go = function () {
    var miss = [];
    if (!idValid(ctx.idn || '', l.id_type) || !ctx.idn) miss.push(t('borrower_id', { type: idTypeName(l.id_type) }));
    if (!ctx.contact) miss.push(t('contact'));
    if (!ctx.sig) miss.push(t('signature'));
    if (miss.length) { ctx.rep = { ok: false, local: t('need_fields', { what: miss.join('、') }) }; rerender(ctx); return; }
    ctx.who = l.borrower;
    ctx.idType = l.id_type;
    var idn = ctx.idn;
    ctx.idn = '';
    releaseAndWatch(ctx, dueMembers(ctx, { key: k.key, purpose: 'borrow', borrower: l.borrower, letter: l.letter,
      id_type: l.id_type, id_number: idn.toUpperCase(), contact: ctx.contact, signature: ctx.sig }), 'home');
  };
  ctx.due = ctx.due || '1d';
  return [title, h('div', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
    h('div.pinwrap', {}, h('div.pinside', {},
      padField(ctx, 'idn', t('borrower_id', { type: idTypeName(l.id_type) }), l.id_type === 'id_card' ? 18 : 20, l.id_type === 'id_card' ? 'X' : null, idCheck(ctx, 'idn', l.id_type)),
      padField(ctx, 'contact', t('contact'), 15),
      textField(ctx, 'sig', t('signature'), SIGNATURE_MAX),
      dueButtons(ctx, ['4h', '1d', '3d'], 'borrow'),
      refusal(ctx.rep),
      h('div.row', {}, back, openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary.big'))),
    fieldPad(ctx))];
}
borrowForm.screen = 'borrow';
borrowForm.live = keyLive;
