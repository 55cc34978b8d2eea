/* What the release forms share: due-time choices, digit fields on the
 * pad, the key read again, a release sent and its grant watched. */
import { S } from './state.js';
import { stateName, t, tOr, tzOffset } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op } from './api.js';
import { touch } from './header.js';
import { padEdit, padKeys } from './screen-login.js';
import { grantWatch } from './screen-grant.js';
import { hideKeyboard } from './keyboard.js';
import { say } from './voice.js';

/* The longest signature reference keycabd takes (ops.def, KC_MEMBER(signature, 100)). */
export var SIGNATURE_MAX = 100;
export var DUE = {
  '2h': { s: 7200, label: function () { return t('due_in_h', { h: 2 }); } },
  '4h': { s: 14400, label: function () { return t('due_in_h', { h: 4 }); } },
  'today': { s: 0, label: function () { return t('due_today'); } },
  '1d': { s: 86400, label: function () { return t('due_in_d', { d: 1 }); } },
  '3d': { s: 259200, label: function () { return t('due_in_d', { d: 3 }); } }
};
/* The site's due-time presets when the office manages the cabinet
 * (S.settings, /api/settings: seconds, within the purpose's longest
 * loan), each a choice 's<seconds>'; else the form's own. */
function duePreset(sec) {
  var key = 's' + sec;
  if (!DUE[key]) DUE[key] = { s: sec, label: function () {
    return sec % 86400 === 0 ? t('due_in_d', { d: sec / 86400 }) : sec % 3600 === 0 ? t('due_in_h', { h: sec / 3600 }) :
      t('due_in_min', { m: Math.round(sec / 60) });
  } };
  return key;
}
export function dueChoices(choices, purpose) {
  var st = S.settings, max = st && st.max_loan && st.max_loan[purpose];
  if (!st || !st.managed || !(st.due_presets || []).length) return choices;
  var mine = st.due_presets.filter(function (sec) { return sec > 0 && (!max || sec <= max); }).map(duePreset);
  return mine.length ? mine : choices;
}
export function dueButtons(ctx, choices, purpose) {
  choices = dueChoices(choices, purpose);
  return h('div.row', { 'data-t': 'due' }, h('span', { text: t('due_preset') }), choices.map(function (c) {
    return btn(DUE[c].label(), function () { ctx.due = c; rerender(ctx); }, ctx.due === c ? 'sel' : '', 'due-' + c);
  }));
}
export function dueMembers(ctx, req) {
  if (!ctx.due) return req;
  if (ctx.due === 'today') {
    /* the end of the cabinet's day */
    var now = Date.now(), off = tzOffset(now), local = new Date(now + off);
    req.due = local.toISOString().slice(0, 10) + ' 23:59';
  } else req.due_in_s = DUE[ctx.due].s;
  return req;
}
/* One digit field at a time takes the pad. */
export function padField(ctx, name, label, max, extraKey, check) {
  var v = ctx[name] || '';
  var active = ctx.focus === name;
  return [h('label.lbl', { text: label }),
    h('div.field' + (active ? '.active' : ''), { 'data-t': 'field-' + name, tap: function () { hideKeyboard(); ctx.focus = name; ctx.padExtra = extraKey; ctx.padMax = max; rerender(ctx); } }, v),
    check ? check(v) : null];
}
/* A reference of letters, digits and symbols (DJ-3-2-1501-01): a text
 * field, typed on the on-screen keyboard (keyboard.js); max as ops.def's
 * member. */
export function textField(ctx, name, label, max) {
  return [h('label.lbl', { text: label }),
    h('input.text', { type: 'text', 'data-t': 'field-' + name, maxlength: max, value: ctx[name] || '', autocomplete: 'off',
      on: { input: function (e) { ctx[name] = e.target.value; touch(); } } })];
}
export function fieldPad(ctx) {
  if (!ctx.focus) return null;
  return padKeys(function (k) {
    ctx[ctx.focus] = padEdit(ctx[ctx.focus] || '', k, ctx.padMax || 32);
    ctx.rep = null;
    rerender(ctx);
  }, ctx.padExtra);
}
/* The key a form is about, read again (pushes about it, a refusal):
 * its state, slot, borrower as keycabd has them now. */
export function refreshKey(ctx) {
  return op('keys').then(function (rep) {
    (rep.keys || []).forEach(function (k) {
      if (k.key !== ctx.key.key) return;
      ['state', 'slot', 'home_slot', 'borrower', 'due'].forEach(function (f) { ctx.key[f] = k[f]; });
    });
    return ctx.key;
  });
}
export function keyLive(ctx, ev) {
  if (ev.key !== ctx.key.key) return;
  clearTimeout(ctx.timer);
  ctx.timer = setTimeout(function () { refreshKey(ctx).then(function () { rerender(ctx); }); }, 100);
}
export function releaseAndWatch(ctx, req, back) {
  if (ctx.busy) return;
  ctx.busy = true;
  var fn = req.op || 'release';
  delete req.op;
  var sent = op(fn, req); /* on its way before the screen is redrawn */
  rerender(ctx);
  sent.then(function (rep) {
    ctx.busy = false;
    if (!rep.ok && rep.refused && rep.rule === 0 && ctx.key) {
      refreshKey(ctx).then(function (k) {
        if (k.state !== 'in') rep.extra = function () { return t('key_not_in', { unit: k.unit, key: k.key, state: stateName(k.state) }) + tOr('key_why_' + k.state, ''); };
        ctx.rep = rep;
        rerender(ctx);
      });
      return;
    }
    if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
    var g = { rep: rep, key: ctx.key, who: ctx.who, approver: ctx.approver, idType: ctx.idType, state: S.loanEv[rep.loan] === 'release.taken' ? 'taken' : 'open', started: Date.now(), back: back };
    S.grants[rep.loan] = g;
    show(grantWatch, g);
    say('slot_open', rep.slot);
  });
}
