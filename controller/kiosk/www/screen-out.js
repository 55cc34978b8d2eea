/* Keys out, IDs held, inspections to record. */
import { S } from './state.js';
import { fmtWhen, idTypeName, nameOf, stateName, t, unitOf } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { giveIdBack, onStatus } from './live.js';
import { loadOwners } from './session.js';
import { home, isOperator } from './screen-home.js';
import { inspectForm } from './screen-inspect.js';

/* ---- keys out, IDs held, inspections to record ---- */
export function outList(ctx) {
  if (!ctx.loaded) {
    Promise.all([op('loans'), op('ids'), op('status'), loadOwners()]).then(function (r) {
      ctx.loans = r[0].loans || []; ctx.ids = r[1].ids || [];
      ctx.insp = (r[2].inspections_pending || []);
      onStatus(r[2]);
      ctx.rep = [r[0], r[1], r[2]].filter(function (x) { return !x.ok; })[0] || null;
      ctx.loaded = true;
      rerender(ctx);
    });
    return h('div.muted', { text: t('busy') });
  }
  var mine = S.user.role === 'engineer';
  var insp = ctx.insp.filter(function (i) { return !mine || i.borrower === S.user.person; });

  return [h('h1', { text: t('tile_out') }), refusal(ctx.rep),
    h('h2', { text: t('inspections_title') }),
    insp.length ? h('div.list', {}, insp.map(function (i) {
      return h('div.item', { 'data-t': 'insp-' + i.loan }, h('div.main', {}, h('div.title', { text: unitOf(i.key) }),
        h('div.sub', { text: t('inspection_for', { unit: S.units[i.key] || i.key, name: nameOf(i.borrower) }) })),
      btn(t('record_inspection'), function () { show(inspectForm, { loan: i.loan, key: i.key, unit: S.units[i.key], borrower: i.borrower }); }, 'primary', 'inspect-' + i.loan));
    })) : h('div.muted', { text: t('nothing') }),
    h('h2', { text: t('out_title') }),
    ctx.loans.length ? h('div.list', {}, ctx.loans.map(function (l) {
      return h('div.item', { 'data-t': 'loan-' + l.loan }, h('div.main', {}, h('div.title', { text: unitOf(l.key) + ' · ' + stateName(l.state === 'granted' ? 'releasing' : 'out') }),
        h('div.sub', { text: t('borrower', { name: nameOf(l.borrower) }) + (l.due ? ' · ' + t('due', { t: fmtWhen(l.due) }) : '') + (l.overdue ? ' · ' + t('overdue') : '') })));
    })) : h('div.muted', { text: t('nothing') }),
    h('h2', { text: t('ids_title') }),
    ctx.ids.length ? h('div.list', {}, ctx.ids.map(function (i) {
      return h('div.item', { 'data-t': 'id-' + i.loan }, h('div.main', {}, h('div.title', { text: nameOf(i.person) + ' · ' + idTypeName(i.id_type) + ' ' + i.id_masked }),
        h('div.sub', { text: unitOf(i.key) + ' · ' + stateName(i.loan_state === 'returned' ? 'in' : 'out') }),
        /* keycabd decides: a key not back yet is its refusal, said here */
        ctx.idRep && ctx.idRep.loan === i.loan ? refusal(ctx.idRep.rep, t('id_back_refused')) : null),
      isOperator() ? btn(t('id_give_back'), function () { giveIdBack(i, null, ctx); }, 'primary', 'id-back-' + i.loan) : null);
    })) : h('div.muted', { text: t('nothing') }),
    h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'))];
}
outList.screen = 'out';
outList.live = function (ctx) { clearTimeout(ctx.timer); ctx.timer = setTimeout(function () { ctx.loaded = false; rerender(ctx); }, 150); };
