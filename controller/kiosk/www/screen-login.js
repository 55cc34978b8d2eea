/* Screen 2: names to pick, the PIN pad, and the refusal of a login with
 * the time a lockout has left. */
import { S } from './state.js';
import { fmtLeft, localToMs, roleName, t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { api, refusal } from './api.js';
import { touch } from './header.js';
import { loggedIn } from './session.js';
import { idle } from './screen-idle.js';
import { home } from './screen-home.js';

/* ---- 2. names and the PIN pad ---- */
export function pickName(ctx) {
  var people = S.roster.filter(function (p) { return !ctx.roles || ctx.roles.indexOf(p.role) >= 0; });
  return [h('h1', { text: ctx.title || t('pick_name') }),
    h('div.names', {}, people.map(function (p) {
      return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person,
        tap: function () { show(pinPad, { person: p, then: ctx.then, back: ctx, title: ctx.title }); } },
      p.name, h('span.role', { text: roleName(p.role) }));
    })),
    h('div.row', {}, btn(t('back'), function () { ctx.back ? ctx.back() : (S.user ? show(home, {}) : show(idle, {})); }, '', 'back'))];
}
pickName.screen = 'names';

export function padKeys(onKey, extra) {
  var keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', extra || 'C', '0', '⌫'].concat(extra ? ['C'] : []);
  return h('div.pad', { 'data-t': 'pad' }, keys.map(function (k) {
    var label = k === 'C' ? t('clear') : k === '⌫' ? t('del') : k;
    return h('button.btn', { type: 'button', 'data-k': k, tap: function () { touch(); onKey(k); } }, label);
  }));
}
export function padEdit(v, k, max) {
  if (k === '⌫') return v.slice(0, -1);
  if (k === 'C') return '';
  return v.length < max ? v + k : v;
}
export function pinPad(ctx) {
  ctx.pin = ctx.pin || '';
  var submit = function () {
    if (!ctx.pin || ctx.busy) return;
    ctx.busy = true;
    var pin = ctx.pin;
    ctx.pin = '';
    (ctx.then ? ctx.then(ctx.person, pin, ctx) : api('/api/login', { person: ctx.person.person, pin: pin }).then(function (rep) {
      if (rep.ok) loggedIn(rep); else return rep;
    })).then(function (rep) {
      ctx.busy = false;
      if (rep && !rep.ok) { ctx.rep = loginRefusal(rep); rerender(ctx); }
    });
  };
  return [h('h1', { text: t('enter_pin', { name: ctx.person.name }) }),
    ctx.title ? h('div.muted', { text: ctx.title }) : null,
    h('div.pinwrap', {},
      h('div.pinside', {},
        h('div.field.dots', { 'data-t': 'pin-dots', text: ctx.pin.replace(/./g, '●') }),
        ctx.rep ? refusal(ctx.rep, t('login_refused')) : null,
        h('div.row', {}, btn(t('back'), function () { show(pickName, ctx.back); }, '', 'back'),
          btn(t('ok'), submit, 'primary', 'pin-ok'))),
      padKeys(function (k) { ctx.pin = padEdit(ctx.pin, k, 12); ctx.rep = null; rerender(ctx); }))];
}
pinPad.screen = 'pin';
/* The lockout's time left: keycabd's refusal names its end in its
 * params (until: "YYYY-MM-DD HH:MM", the cabinet's time; seconds_left
 * when it says so) or, for the terminal's rate limit, retry_after_s. The
 * line is made at each rendering (the language may change). */
export function lockParams(rep) {
  var all = [rep].concat(rep.messages || []);
  for (var i = 0; i < all.length; i++) if (all[i] && all[i].params && all[i].params.until) return all[i].params;
  return null;
}
/* A person the office deactivated (keycabd's login_person_inactive):
 * what to do, under keycabd's sentence. */
export function inactive(rep) {
  return [rep].concat(rep.messages || []).some(function (m) { return m && m.code === 'login_person_inactive'; });
}
export function loginRefusal(rep) {
  var p = lockParams(rep);
  if (inactive(rep)) { rep.advice = function () { return t('inactive_advice'); }; return rep; }
  if (rep.retry_after_s) rep.extra = function () { return t('wait_left', { t: fmtLeft(rep.retry_after_s) }); };
  if (!p) return rep;
  var until = String(p.until), end = null;
  if (typeof p.seconds_left === 'number') end = Date.now() + p.seconds_left * 1000;
  /* keycabd names the minute: the lockout ends within it */
  else if (localToMs(until) !== null) end = localToMs(until) + 60000;
  var clock = (/(\d\d:\d\d)(:\d\d)?$/.exec(until) || [])[1] || until;
  if (end !== null) rep.extra = function () {
    var left = end - Date.now();
    return t('locked_left', { until: clock, t: left > 60000 ? t('about_min', { n: Math.ceil(left / 60000) }) : t('under_min') });
  };
  return rep;
}
