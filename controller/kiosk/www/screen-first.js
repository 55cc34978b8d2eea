/* A first sign-in at a cabinet the office manages (首次使用 / 设置密码):
 * the person picks their name among those with an enrolment code
 * waiting (the roster's enrolling), types the office's 8-digit code
 * and a new PIN twice on the pad; the kiosk checks the PIN typed the same
 * twice, keycabd checks the code and the PIN (POST /api/enrol), and the
 * person is logged in. A refusal is said in a sentence and changes
 * nothing: the screen goes back to the step to type again. */
import { S } from './state.js';
import { roleName, t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { api, refusal } from './api.js';
import { notice } from './header.js';
import { loadRoster, loggedIn } from './session.js';
import { idle } from './screen-idle.js';
import { padEdit, padKeys } from './screen-login.js';

var CODE_DIGITS = 8;
var PIN_MIN = 4;
var PIN_MAX = 12;

/* The step a refusal sends the person back to: the PINs (typed again)
 * when it is about the new PIN, else the code. */
function stepOf(rep) {
  var code = rep.code || '';
  return /pin/.test(code) && !/code/.test(code) ? 'pin' : 'code';
}

function submit(ctx) {
  if (ctx.busy) return;
  ctx.busy = true;
  rerender(ctx);
  api('/api/enrol', { person: ctx.person.person, code: ctx.code, pin: ctx.pin, pin_again: ctx.again }).then(function (rep) {
    ctx.busy = false;
    if (rep && rep.ok) {
      notice(t('enrol_done'), 'good', null, 'enrol-done');
      loggedIn(rep);
      return;
    }
    ctx.rep = rep;
    ctx.step = stepOf(rep || {});
    ctx.pin = ctx.again = '';
    if (ctx.step === 'code') ctx.code = '';
    rerender(ctx);
  });
}

/* The digits typed so far, as dots for a PIN, as they are for the code. */
function typed(ctx, name, secret) {
  var v = ctx[name] || '';
  return h('div.field.dots', { 'data-t': 'enrol-' + name + '-typed', text: secret ? v.replace(/./g, '●') : v });
}

/* What each step asks, its field, how many digits, and what OK does. */
var STEPS = {
  code: { title: function (ctx) { return t('enrol_code', { name: ctx.person.name }); }, field: 'code', max: CODE_DIGITS,
    ready: function (v) { return v.length === CODE_DIGITS; }, back: 'name', next: 'pin' },
  pin: { title: function () { return t('enrol_pin'); }, field: 'pin', secret: true, max: PIN_MAX,
    ready: function (v) { return v.length >= PIN_MIN; }, back: 'code', next: 'again' },
  again: { title: function () { return t('enrol_pin_again'); }, field: 'again', secret: true, max: PIN_MAX,
    ready: function (v) { return v.length >= PIN_MIN; }, back: 'pin', next: null }
};

function names(ctx) {
  var people = S.enrolling;
  return [h('h1', { text: t('enrol_title') }),
    people.length ? h('div.names', { 'data-t': 'enrol-names' }, people.map(function (p) {
      return h('button.btn', { type: 'button', 'data-t': 'enrol-name-' + p.person,
        tap: function () { ctx.person = p; ctx.step = 'code'; ctx.code = ctx.pin = ctx.again = ''; ctx.rep = null; rerender(ctx); } },
      p.name, h('span.role', { text: roleName(p.role) }));
    })) : h('div.muted', { 'data-t': 'enrol-none', text: t('enrol_none') }),
    h('div.row', {}, btn(t('back'), function () { show(idle, {}); }, '', 'back'))];
}

export function firstSignIn(ctx) {
  if (!ctx.step || ctx.step === 'name') return names(ctx);
  var st = STEPS[ctx.step], v = ctx[st.field] || '';
  var ok = function () {
    if (!st.ready(v)) return;
    if (st.next) { ctx.step = st.next; ctx.rep = null; rerender(ctx); } else submit(ctx);
  };
  return [h('h1', { text: st.title(ctx) }),
    h('div.muted', { text: t('enrol_title') + ' · ' + ctx.person.name }),
    h('div.pinwrap', { 'data-t': 'enrol-' + ctx.step },
      h('div.pinside', {},
        typed(ctx, st.field, st.secret),
        ctx.rep ? refusal(ctx.rep, t('enrol_refused')) : null,
        h('div.row', {}, btn(t('back'), function () { ctx.step = st.back; ctx.rep = null; rerender(ctx); }, '', 'back'),
          h('button.btn.primary', { type: 'button', 'data-t': 'enrol-ok', tap: ok, disabled: !st.ready(v) || !!ctx.busy },
            t(st.next ? 'next' : 'ok')))),
      padKeys(function (k) { ctx[st.field] = padEdit(v, k, st.max); ctx.rep = null; rerender(ctx); }))];
}
firstSignIn.screen = 'first';

/* The way in from the idle screen: the roster read again (who has a code
 * waiting), then the names. */
export function startFirstSignIn() {
  loadRoster().then(function () { show(firstSignIn, { step: 'name' }); });
}
