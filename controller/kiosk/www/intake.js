/* What the intake screens share: the unit picked by building then room,
 * periods with presets as end dates in the cabinet's zone, a text field
 * the on-screen keyboard types into, the ID fields, and a key taken in:
 * a free slot opened, the key put in, its tag read there and the key
 * registered (intake.open, then intake.enrol once the slot reads it). */
import { S } from './state.js';
import { t, tzOffset } from './words.js';
import { btn, h, rerender } from './dom.js';
import { op } from './api.js';
import { touch } from './header.js';
import { padField } from './release.js';
import { idCheck } from './screen-borrow.js';

/* ---- dates in the cabinet's zone ---- */
/* Today in the cabinet's zone as {y, m (1-12), d}. */
export function today() { return dayOf(Date.now()); }
function pad2(n) { return (n < 10 ? '0' : '') + n; }
export function ymd(x) { return x.y + '-' + pad2(x.m) + '-' + pad2(x.d); }
/* The last day of a period of `months` from day x (a month from 7
 * December holds up to 6 January), or of `days`. */
export function lastDay(x, months, days) {
  var dt = new Date(Date.UTC(x.y, x.m - 1 + (months || 0), x.d + (days || 0) - 1));
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}
/* The local day of an instant (ms) in the cabinet's zone. */
function dayOf(ms) {
  var local = new Date(ms + tzOffset(ms));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}
/* An ISO start as its day; an ISO end as keycabd sends it (the next local
 * midnight) as its last day. */
export function isoDay(iso) { return dayOf(new Date(iso).getTime()); }
export function isoLastDay(iso) { return dayOf(new Date(iso).getTime() - 1); }

/* ---- the period ---- */
export var PERIODS = [
  { id: '1m', months: 1 }, { id: '3m', months: 3 }, { id: '6m', months: 6 }, { id: '1y', months: 12 }
];
/* Presets and a custom number of months, from day `from`; ctx.period,
 * ctx.months. The last day chosen, or null. */
export function periodEnd(ctx, from) {
  if (!ctx.period) return null;
  var p = PERIODS.filter(function (x) { return x.id === ctx.period; })[0];
  return lastDay(from, p ? p.months : ctx.months || 1);
}
export function periodPicker(ctx, from, label) {
  var end = periodEnd(ctx, from);
  var pick = function (id) { return function () { ctx.period = id; ctx.rep = null; if (id === 'custom') ctx.months = ctx.months || 12; rerender(ctx); }; };
  return [h('h2', { text: label }),
    h('div.row', { 'data-t': 'period' }, PERIODS.map(function (p) {
      return btn(t('period_' + p.id), pick(p.id), ctx.period === p.id ? 'sel' : '', 'period-' + p.id);
    }), btn(t('period_custom'), pick('custom'), ctx.period === 'custom' ? 'sel' : '', 'period-custom')),
    ctx.period === 'custom' ? h('div.row', { 'data-t': 'custom' },
      btn('−', function () { ctx.months = Math.max(1, (ctx.months || 1) - 1); ctx.rep = null; rerender(ctx); }, '', 'months-less'),
      h('span.big-num', { 'data-t': 'months', text: t('period_months', { n: ctx.months }) }),
      btn('+', function () { ctx.months = Math.min(60, (ctx.months || 1) + 1); ctx.rep = null; rerender(ctx); }, '', 'months-more')) : null,
    end ? h('div', { 'data-t': 'period-end', text: t('period_to', { from: ymd(from), to: ymd(end) }) }) : null];
}

/* ---- text typed on the on-screen keyboard ---- */
/* An <input> the on-screen keyboard types into; its value kept in
 * ctx[name] without drawing the screen again. */
export function textField(ctx, name, label, dt) {
  return [h('label.lbl', { text: label }),
    h('input.text', { type: 'text', value: ctx[name] || '', 'data-t': dt, autocomplete: 'off', maxlength: 60,
      on: { input: function (e) { ctx[name] = e.target.value; touch(); } } })];
}

/* ---- an ID: its type and number ---- */
export var ID_TYPES = ['id_card', 'passport', 'other'];
export function idFields(ctx, typeName, numName, label) {
  var type = ctx[typeName] || 'id_card';
  ctx[typeName] = type;
  return [h('div.row', { 'data-t': 'id-type' }, ID_TYPES.map(function (x) {
    return btn(t('id_type_' + x), function () { ctx[typeName] = x; ctx.rep = null; rerender(ctx); }, type === x ? 'sel' : '', 'id-type-' + x);
  })),
  padField(ctx, numName, label, type === 'id_card' ? 18 : 20, 'X', idCheck(ctx, numName, type))];
}

/* ---- the unit: building, then room ---- */
export function loadUnits(ctx) {
  if (ctx.units) return null;
  op('units').then(function (rep) { ctx.units = rep.units || []; ctx.rep = rep.ok ? null : rep; rerender(ctx); });
  return h('div.muted', { text: t('busy') });
}
function byNumber(a, b) { return (parseInt(a, 10) - parseInt(b, 10)) || (a < b ? -1 : a > b ? 1 : 0); }
/* The buildings of every site, then the rooms of the one picked; onPick
 * gets the unit. */
export function unitPicker(ctx, onPick) {
  var wait = loadUnits(ctx);
  if (wait) return wait;
  var units = ctx.units.filter(function (u) { return u.building && u.room; });
  if (!ctx.building) {
    var seen = {}, blds = [];
    units.forEach(function (u) {
      var k = u.site + '\u0000' + u.building;
      if (!seen[k]) { seen[k] = true; blds.push(u); }
    });
    blds.sort(function (a, b) { return a.site < b.site ? -1 : a.site > b.site ? 1 : byNumber(a.building, b.building); });
    return [h('h2', { text: t('pick_building') }),
      h('div.grid', { 'data-t': 'buildings' }, blds.map(function (u) {
        return btn(t('building_of', { site: siteName(u), building: u.building }), function () { ctx.building = { site: u.site, building: u.building }; rerender(ctx); }, '', 'bld-' + u.site + '-' + u.building);
      }))];
  }
  var rooms = units.filter(function (u) { return u.site === ctx.building.site && u.building === ctx.building.building; });
  rooms.sort(function (a, b) { return byNumber(a.room, b.room); });
  return [h('h2', { text: t('pick_room', { building: ctx.building.building }) }),
    h('div.grid.rooms', { 'data-t': 'rooms' }, rooms.map(function (u) {
      return btn(u.room, function () { onPick(u); }, '', 'room-' + u.unit);
    })),
    h('div.row', {}, btn(t('other_building'), function () { ctx.building = null; rerender(ctx); }, '', 'other-building'))];
}
/* A site's name as the desk reads it: its Chinese part. */
export function siteName(u) { return (u.site_name || u.site).split(' (')[0].replace(/ [A-Za-z].*$/, ''); }
export function unitLabel(u) { return t('unit_full', { site: siteName(u), building: u.building, room: u.room }); }

/* ---- a key taken in ---- */
/* Opens a free slot for a key (body: what keycabd decides before it
 * opens: kind, unit, the owner and the period); ctx.taking is then
 * {slot, state: 'open'}, and the key registered once the slot reads it
 * (the screen's live function calls takeInLive). done(rep) gets the
 * registration. */
export function takeIn(ctx, body, done) {
  if (ctx.busy) return;
  ctx.busy = true;
  ctx.rep = null;
  ctx.body = body;
  ctx.done = done;
  var sent = op('intake.open', body);
  rerender(ctx);
  sent.then(function (rep) {
    ctx.busy = false;
    if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
    ctx.taking = { slot: rep.slot, state: 'open', window_ms: rep.window_ms, started: Date.now() };
    rerender(ctx);
  });
}
/* A push while a key is taken in: the slot read a key, so it is
 * registered with the tag read there. */
export function takeInLive(ctx, ev) {
  var k = ctx.taking;
  if (!k || k.state !== 'open' || ev.type !== 'slot.inserted' || ev.slot !== k.slot) return;
  enrol(ctx);
}
export function enrol(ctx) {
  var k = ctx.taking;
  k.state = 'enrolling';
  rerender(ctx);
  op('intake.enrol', Object.assign({ slot: k.slot }, ctx.body)).then(function (rep) {
    if (!rep.ok) { k.state = 'open'; ctx.rep = rep; rerender(ctx); return; }
    ctx.taking = null;
    ctx.done(rep);
  });
}
/* What the screen shows while the slot is open: where to put the key. */
export function takingBox(ctx) {
  var k = ctx.taking;
  if (!k) return null;
  return h('div', { 'data-t': 'taking', 'data-slot': k.slot, 'data-state': k.state },
    h('div.big-msg', { 'data-t': 'slot-open-in', text: t('put_key_in', { slot: k.slot }) }),
    h('div.muted', { text: k.state === 'enrolling' ? t('key_reading') : t('put_key_hint') }),
    k.state === 'open' ? h('div.row', {}, btn(t('key_is_in'), function () { enrol(ctx); }, '', 'key-is-in')) : null);
}
export function busyLabel(ctx, label) { return ctx.busy ? t('opening') : label; }
export function userName() { return S.user ? S.user.name : ''; }
