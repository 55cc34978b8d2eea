/* The shift handover (rule 12): the sheet, signed by the outgoing and the
 * incoming staff. */
import { S } from './state.js';
import { alarmName, fmtWhen, idTypeName, nameOf, t, unitOf } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { api, op, refusal } from './api.js';
import { header, touch } from './header.js';
import { pickName } from './screen-login.js';
import { home } from './screen-home.js';

/* ---- shift handover (rule 12) ---- */
export function sheetTable(cols, rows) {
  return h('table.sheet', {}, h('tr', {}, cols.map(function (c) { return h('th', { text: t(c) }); })),
    rows.length ? rows.map(function (r) { return h('tr', {}, r.map(function (c) { return h('td', { text: c }); })); })
      : h('tr', {}, h('td', { colspan: cols.length, text: t('nothing') })));
}
export function handover(ctx) {
  if (!ctx.sheet) {
    return [h('h1', { text: t('handover_title') }), refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'),
        btn(t('handover_start'), function () {
          op('handover.start', {}).then(function (rep) {
            if (rep.ok) { ctx.sheet = rep; ctx.outgoing = S.user; ctx.at = new Date().toISOString(); } else ctx.rep = rep;
            rerender(ctx);
          });
        }, 'primary.big', 'handover-start'))];
  }
  var s = ctx.sheet;
  var body = [h('h1', { 'data-t': 'sheet-title', text: t('handover_sheet', { n: s.handover, name: ctx.outgoing.name, t: fmtWhen(ctx.at) }) }),
    h('h2', { text: t('handover_keys_out') }),
    sheetTable(['col_unit', 'col_borrower', 'col_due'], (s.keys_out || []).map(function (k) { return [unitOf(k.key), nameOf(k.person), fmtWhen(k.due)]; })),
    h('h2', { text: t('handover_ids') }),
    sheetTable(['col_borrower', 'col_id', 'col_unit'], (s.ids_held || []).map(function (i) { return [nameOf(i.person), idTypeName(i.id_type) + ' ' + i.id_masked, unitOf(i.key)]; })),
    h('h2', { text: t('handover_alarms') }),
    sheetTable(['col_alarm', 'col_unit'], (s.alarms || []).map(function (a) { return [alarmName(a.type), [a.key && unitOf(a.key), a.slot && t('slot', { slot: a.slot })].filter(Boolean).join(' · ')]; }))];
  if (ctx.confirmed) body.push(h('div.big-msg.ok', { 'data-t': 'handover-confirmed', text: t('handover_confirmed', { name: ctx.confirmed }) }));
  body.push(refusal(ctx.rep));
  body.push(h('div.row.noprint.stick', {}, btn(t('print'), function () { window.print(); }, '', 'print'),
    ctx.confirmed ? btn(t('ok'), function () { show(home, {}); }, 'primary', 'done') :
      btn(t('handover_incoming'), function () {
        show(pickName, { roles: ['staff', 'manager', 'supervisor'], title: t('handover_incoming'),
          back: function () { show(handover, ctx); },
          then: function (p, pin) {
            /* the incoming staff's own login confirms the sheet */
            return api('/api/login', { person: p.person, pin: pin }).then(function (rep) {
              if (!rep.ok) return rep;
              S.user = { person: rep.person, name: rep.name, role: rep.role };
              touch();
              header();
              return op('handover.confirm', { handover: s.handover }).then(function (c) {
                if (c.ok) { ctx.confirmed = rep.name; ctx.rep = null; } else ctx.rep = c;
                show(handover, ctx);
              });
            });
          } });
      }, 'primary', 'handover-incoming')));
  return body;
}
handover.screen = 'handover';
