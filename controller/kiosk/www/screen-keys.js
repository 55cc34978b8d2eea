/* Screen 3: find a key; the pick list of each flow, and what may be done
 * with a key by its kind and state. */
import { fmtWhen, kindName, nameOf, stateName, t, unitName } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { touch } from './header.js';
import { loadOwners } from './session.js';
import { home, isOperator } from './screen-home.js';
import { pickBorrower } from './screen-borrower.js';
import { borrowForm } from './screen-borrow.js';
import { sealedForm } from './screen-sealed.js';
import { collectForm } from './screen-collect.js';

/* ---- 3. find a key; the pick lists of each flow ---- */
export var MODES = {
  inspection: function (k) { return k.kind === 'vacant' && k.state === 'in'; },
  repair: function (k) { return (k.kind === 'repair' || k.kind === 'vacant') && k.state === 'in'; },
  borrow: function (k) { return k.kind === 'entrusted' && k.state === 'in'; },
  collect: function (k) { return (k.kind === 'entrusted' || k.kind === 'sealed') && k.state === 'in' && k.owner; },
  sealed: function (k) { return k.kind === 'sealed' && k.state === 'in'; },
  find: function () { return true; }
};
/* What this person may do with a key, by its kind and state (keycabd
 * still decides). */
export function actionsFor(k) {
  if (!isOperator() || k.state !== 'in') return [];
  var a = [];
  if (k.kind === 'vacant') a.push('inspection', 'repair');
  if (k.kind === 'repair') a.push('repair');
  if (k.kind === 'entrusted') a.push('borrow');
  if (k.kind === 'sealed') a.push('sealed');
  if ((k.kind === 'entrusted' || k.kind === 'sealed') && k.owner) a.push('collect');
  return a;
}
export function startAction(k, act) {
  if (act === 'inspection' || act === 'repair') show(pickBorrower, { roles: act === 'repair' ? ['engineer'] : ['engineer', 'staff'], key: k, purpose: act });
  else if (act === 'borrow') show(borrowForm, { key: k, step: 'letter' });
  else if (act === 'collect') show(collectForm, { key: k });
  else if (act === 'sealed') show(sealedForm, { key: k });
}
export function loadKeys(ctx) {
  return Promise.all([op('keys'), loadOwners()]).then(function (r) {
    var owners = {};
    (r[1].entrustments || []).forEach(function (e) { if (e.state === 'open') owners[e.key] = e.owner_name; });
    ctx.keys = (r[0].keys || []).map(function (k) { k.owner = owners[k.key] || ''; return k; });
    ctx.err = r[0].ok ? null : r[0];
    rerender(ctx);
  });
}
export function keyItem(k, tap, withActions) {
  var sub = [h('span.tag.' + k.state, { text: stateName(k.state) }), h('span.tag', { text: kindName(k.kind) }),
    t('slot', { slot: k.slot || k.home_slot }), k.slot && k.slot !== k.home_slot ? t('home_slot_other', { slot: k.home_slot }) : ''];
  if (k.owner) sub.push(' · ' + t('owner', { name: k.owner }));
  if (k.borrower) sub.push(' · ' + t('borrower', { name: nameOf(k.borrower) }));
  if (k.due) sub.push(' · ' + t('due', { t: fmtWhen(k.due) }));
  var acts = withActions ? actionsFor(k).map(function (a) {
    return btn(t('act_' + a), function (e) { e.stopPropagation(); startAction(k, a); }, a === 'sealed' ? 'danger' : 'primary', 'act-' + a);
  }) : null;
  return h('div.item' + (tap ? '.pick' : ''), { 'data-t': 'key-' + k.key, tap: tap },
    h('div.main', {}, h('div.title', { text: unitName(k) + ' · ' + k.key }), h('div.sub', {}, sub)), acts);
}
export function pickKey(ctx) {
  if (!ctx.keys) { loadKeys(ctx); return h('div.muted', { text: t('busy') }); }
  var q = (ctx.q || '').trim().toLowerCase();
  var list = ctx.keys.filter(MODES[ctx.mode]).filter(function (k) {
    if (!q) return true;
    return [k.unit, unitName(k), k.key, k.slot, k.home_slot, k.owner, k.unit.replace(/-/g, ' ')].some(function (f) {
      return f && String(f).toLowerCase().indexOf(q) >= 0;
    }) || (k.unit.replace(/[^0-9]/g, '').indexOf(q.replace(/[^0-9]/g, '')) >= 0 && /[0-9]/.test(q));
  });
  /* the repair keys before the vacant ones a repair may also take */
  if (ctx.mode === 'repair') list = list.filter(function (k) { return k.kind === 'repair'; })
    .concat(list.filter(function (k) { return k.kind !== 'repair'; }));
  var find = ctx.mode === 'find';
  var input = h('input.text', { type: 'search', placeholder: t('find_hint'), value: ctx.q || '', 'data-t': 'search',
    on: { input: function (e) { ctx.q = e.target.value; touch(); var pos = e.target.selectionStart; rerender(ctx); var i = document.querySelector('[data-t=search]'); i.focus(); i.setSelectionRange(pos, pos); } } });
  return [h('h1', { text: find ? t('find_title') : t('tile_' + ctx.mode) + ' · ' + t('pick_key') }),
    h('div.row', {}, h('div.spacer', {}, input), btn(t('back'), function () { show(home, {}); }, '', 'back')),
    refusal(ctx.err),
    list.length ? h('div.list', { 'data-t': 'keys' }, list.map(function (k) {
      return keyItem(k, find ? null : function () { startAction(k, ctx.mode); }, find);
    })) : h('div.muted', { text: find ? t('find_none') : t('none_available') })];
}
pickKey.screen = 'keys';
pickKey.live = function (ctx) { clearTimeout(ctx.timer); ctx.timer = setTimeout(function () { loadKeys(ctx); }, 150); };
