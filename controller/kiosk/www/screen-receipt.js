/* The receipt the owner signs (持钥凭证) after each intake flow: an
 * entrustment's keys, a key enrolled, an entrustment extended or ended
 * early, an authorisation letter filed. Shown on the screen and printable
 * (the print leaves the header and the buttons out). */
import { fmt, idTypeName, kindName, t } from './words.js';
import { btn, h, show } from './dom.js';
import { home } from './screen-home.js';
import { isoDay, isoLastDay, unitLabel, userName, ymd } from './intake.js';

function line(label, value, dt) {
  return h('tr', dt ? { 'data-t': dt } : {}, h('th', { text: label }), h('td', { text: value }));
}
function lastDay(iso) { return iso ? ymd(isoLastDay(iso)) : ''; }
function keysTable(keys) {
  return h('table.rc-keys', { 'data-t': 'receipt-keys' },
    h('tr', {}, ['rc_key', 'rc_slot', 'rc_tag', 'rc_entrustment'].map(function (k) { return h('th', { text: t(k) }); })),
    keys.map(function (k) {
      return h('tr', {}, h('td', { text: k.key }), h('td', { text: k.slot }), h('td', { text: k.tag || '—' }),
        h('td', { text: k.entrustment ? String(k.entrustment) : '—' }));
    }));
}
function signs(who) {
  return h('div.rc-signs', {}, who.map(function (w) { return h('div.rc-sign', { text: t(w) + '：' }); }));
}

export function receipt(ctx) {
  var rows = [], body = [], o = ctx.owner || {}, heading;
  if (ctx.kind === 'entrust') {
    heading = t('rc_entrust');
    rows.push(line(t('rc_owner'), o.owner_name, 'rc-owner'), line(t('rc_phone'), o.owner_phone || '—'),
      line(t('rc_id'), idTypeName(o.id_type) + ' ' + o.id_masked, 'rc-id'),
      line(t('rc_unit'), unitLabel(ctx.unit), 'rc-unit'),
      line(t('rc_period'), t('period_to', { from: ymd(isoDay(o.start)), to: lastDay(o.end) }), 'rc-period'),
      line(t('rc_count'), t('rc_keys_n', { n: ctx.keys.length })));
    body.push(keysTable(ctx.keys));
  } else if (ctx.kind === 'enrol') {
    heading = t('rc_enrol');
    rows.push(line(t('rc_unit'), unitLabel(ctx.unit), 'rc-unit'), line(t('rc_kind'), kindName(ctx.key.kind)));
    body.push(keysTable([ctx.key]));
  } else if (ctx.kind === 'extend' || ctx.kind === 'end') {
    heading = t(ctx.kind === 'extend' ? 'rc_extend' : 'rc_end');
    rows.push(line(t('rc_entrustment'), String(ctx.ent.entrustment)), line(t('rc_unit'), ctx.unitText, 'rc-unit'),
      line(t('rc_key'), ctx.ent.key), line(t('rc_owner'), ctx.ent.owner_name, 'rc-owner'),
      line(t('rc_old_end'), lastDay(ctx.rep.previous_end)), line(t('rc_new_end'), lastDay(ctx.rep.end), 'rc-new-end'));
  } else {
    heading = t('rc_letter');
    rows.push(line(t('rc_letter_no'), String(ctx.rep.letter)), line(t('rc_unit'), ctx.unitText, 'rc-unit'),
      line(t('rc_owner'), ctx.ent.owner_name, 'rc-owner'), line(t('rc_borrower'), ctx.borrower, 'rc-borrower'),
      line(t('rc_id'), idTypeName(ctx.idType) + ' ' + ctx.rep.id_masked, 'rc-id'),
      line(t('rc_valid'), t('period_to', { from: ctx.from, to: ctx.to }), 'rc-valid'),
      line(t('rc_reference'), ctx.reference));
  }
  rows.push(line(t('rc_operator'), userName()), line(t('rc_at'), fmt(ctx.at, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })));
  return [h('div.receipt', { 'data-t': 'receipt', 'data-kind': ctx.kind },
    h('h1', { text: t('rc_title') + ' · ' + heading }),
    h('table.rc', {}, rows), body,
    signs(ctx.kind === 'enrol' ? ['rc_sign_operator'] : ['rc_sign_owner', 'rc_sign_operator'])),
  h('div.row.noprint', {}, btn(t('print'), function () { window.print(); }, '', 'print'), h('div.spacer'),
    btn(t('ok'), function () { show(home, {}); }, 'primary', 'done'))];
}
receipt.screen = 'receipt';
