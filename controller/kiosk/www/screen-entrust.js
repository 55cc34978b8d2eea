/* An owner's entrustment at the desk (rule 7): picked from the open ones,
 * then extended (presets from its present end), ended early (today is its
 * last day; from then on only the owner takes the key), or given an
 * authorisation letter for a tenant. */
import { t, unitName } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { home } from './screen-home.js';
import { receipt } from './screen-receipt.js';
import { letterForm } from './screen-letter.js';
import { PERIODS, isoLastDay, lastDay, ymd } from './intake.js';

function load(ctx) {
  Promise.all([op('entrustments'), op('keys')]).then(function (r) {
    var units = {};
    (r[1].keys || []).forEach(function (k) { units[k.key] = unitName(k); });
    ctx.ents = (r[0].entrustments || []).filter(function (e) { return e.state === 'open'; }).map(function (e) {
      e.unitText = units[e.key] || e.key;
      return e;
    });
    ctx.rep = r[0].ok ? null : r[0];
    rerender(ctx);
  });
  return h('div.muted', { text: t('busy') });
}

export function entrustList(ctx) {
  if (!ctx.ents) return load(ctx);
  if (ctx.ent) return entrustActions(ctx);
  return [h('h1', { text: t('tile_entrust') + ' · ' + t('pick_entrustment') }),
    refusal(ctx.rep),
    ctx.ents.length ? h('div.list', { 'data-t': 'entrustments' }, ctx.ents.map(function (e) {
      return h('div.item.pick', { 'data-t': 'ent-' + e.entrustment, tap: function () { ctx.ent = e; ctx.rep = null; rerender(ctx); } },
        h('div.main', {}, h('div.title', { text: e.unitText + ' · ' + e.owner_name }),
          h('div.sub', { text: t('ent_sub', { key: e.key, to: ymd(isoLastDay(e.end)) }) })));
    })) : h('div.muted', { text: t('nothing') }),
    h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'))];
}
entrustList.screen = 'entrustments';

function change(ctx, name, body, kind) {
  if (ctx.busy) return;
  ctx.busy = true;
  op(name, body).then(function (rep) {
    ctx.busy = false;
    if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
    show(receipt, { kind: kind, ent: ctx.ent, unitText: ctx.ent.unitText, rep: rep, at: new Date().toISOString() });
  });
}

function entrustActions(ctx) {
  var e = ctx.ent, last = isoLastDay(e.end);
  var title = h('h1', { text: e.unitText + ' · ' + e.owner_name });
  /* back: from an action to the actions, from there to the list */
  var back = btn(t('back'), function () { if (ctx.act) ctx.act = null; else ctx.ent = null; ctx.rep = null; rerender(ctx); }, '', 'back');
  var info = h('div', { 'data-t': 'ent-info', text: t('ent_sub', { key: e.key, to: ymd(last) }) });
  if (ctx.act === 'extend') {
    var from = lastDay(last, 0, 2); /* the day after its last day */
    return [title, info, h('h2', { text: t('extend_by') }),
      h('div.row', { 'data-t': 'extend' }, PERIODS.map(function (p) {
        var to = lastDay(from, p.months);
        return btn(t('period_' + p.id) + ' → ' + ymd(to), function () {
          change(ctx, 'entrust.extend', { entrustment: e.entrustment, end: ymd(to) }, 'extend');
        }, '', 'extend-' + p.id);
      })), refusal(ctx.rep), h('div.row', {}, back)];
  }
  if (ctx.act === 'end') {
    return [title, info, h('div.big-msg', { 'data-t': 'end-warn', text: t('end_warn') }), refusal(ctx.rep),
      h('div.row', {}, back, h('div.spacer'),
        btn(t('end_confirm'), function () { change(ctx, 'entrust.end', { entrustment: e.entrustment }, 'end'); }, 'danger', 'end-confirm'))];
  }
  return [title, info, h('div.grid', { 'data-t': 'ent-actions' },
    btn(t('act_extend'), function () { ctx.act = 'extend'; rerender(ctx); }, 'big', 'act-extend'),
    btn(t('act_end'), function () { ctx.act = 'end'; rerender(ctx); }, 'big', 'act-end'),
    btn(t('act_letter'), function () { show(letterForm, { ent: e }); }, 'big', 'act-letter')),
  refusal(ctx.rep), h('div.row', {}, back)];
}
