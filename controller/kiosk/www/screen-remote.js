/* A sealed key without a manager at the cabinet: a manager asked to
 * approve from the office's phone page (controller/README.md, "A
 * manager's approval from the phone"). The clerk picks the manager and
 * says why (a quick phrase, or typed on the on-screen keyboard); keycabd
 * records the request (approval.ask); the screen waits, following the
 * pushes, for the office's answer applied by keycabd (estate.applied of
 * approval.grant or approval.refuse). A grant opens the slot with that
 * approval; a refusal shows the manager's reason; withdrawing leaves
 * nothing open. */
import { S } from './state.js';
import { nameOf, roleName, t, unitName } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { textField, releaseAndWatch, keyLive } from './release.js';
import { keyItem } from './screen-keys.js';
import { home } from './screen-home.js';

/* The longest reason keycabd takes (ops.def, KC_MEMBER(reason, 200)). */
var REASON_MAX = 200;
var PHRASES = ['remote_phrase_leak', 'remote_phrase_repair', 'remote_phrase_fire'];

function heading(ctx) {
  return h('h1', { text: t('tile_sealed') + ' · ' + unitName(ctx.key) });
}

function pick(ctx) {
  var managers = S.roster.filter(function (p) { return p.role === 'manager' && p.person !== S.user.person; });
  return [heading(ctx), keyItem(ctx.key), h('h2', { text: t('remote_pick') }),
    h('div.names', {}, managers.map(function (p) {
      return h('button.btn', { type: 'button', 'data-t': 'remote-name-' + p.person, tap: function () { ctx.manager = p; rerender(ctx); } },
        p.name, h('span.role', { text: roleName(p.role) }));
    })),
    h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'))];
}

function ask(ctx) {
  var send = function () {
    if (ctx.busy) return;
    if (!(ctx.reason || '').trim()) { ctx.rep = { ok: false, local: t('remote_reason_needed') }; rerender(ctx); return; }
    ctx.busy = true;
    op('approval.ask', { key: ctx.key.key, manager: ctx.manager.person, reason: ctx.reason.trim() }).then(function (rep) {
      ctx.busy = false;
      ctx.rep = rep.ok ? null : rep;
      if (rep.ok) ctx.request = rep.request;
      rerender(ctx);
    });
  };
  return [heading(ctx), h('div', { 'data-t': 'remote-manager', text: t('remote_to', { name: ctx.manager.name }) }),
    h('h2', { text: t('remote_reason') }),
    h('div.row', { 'data-t': 'remote-phrases' }, PHRASES.map(function (p) {
      return btn(t(p), function () { ctx.reason = t(p); ctx.rep = null; rerender(ctx); }, ctx.reason === t(p) ? 'sel' : '', p);
    })),
    textField(ctx, 'reason', t('remote_reason_typed'), REASON_MAX),
    refusal(ctx.rep),
    h('div.row', {}, btn(t('back'), function () { ctx.manager = null; ctx.rep = null; rerender(ctx); }, '', 'back'),
      h('div.spacer'), btn(ctx.busy ? t('remote_sending') : t('remote_send'), send, 'primary', 'remote-send'))];
}

function waiting(ctx) {
  var name = ctx.manager.name;
  if (ctx.refused)
    return [heading(ctx), h('div.big-msg.warn', { 'data-t': 'remote-refused', text: t('remote_refused', { name: name }) }),
      h('div', { 'data-t': 'remote-refused-reason', text: t('remote_refused_reason', { reason: ctx.refused }) }),
      h('div.row', {}, h('div.spacer'), btn(t('ok'), function () { show(home, {}); }, 'primary', 'done'))];
  return [heading(ctx), keyItem(ctx.key),
    h('div.big-msg', { 'data-t': 'remote-waiting', 'data-request': ctx.request, text: t('remote_waiting', { name: name }) }),
    h('div', { text: t('remote_waiting_detail', { n: ctx.request, name: name }) }),
    refusal(ctx.rep),
    h('div.row', {}, btn(t('remote_cancel'), function () {
      op('approval.cancel', { request: ctx.request }).then(function (rep) {
        if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
        show(home, {});
      });
    }, '', 'remote-cancel'))];
}

export function remoteForm(ctx) {
  if (!ctx.manager) return pick(ctx);
  if (!ctx.request) return ask(ctx);
  return waiting(ctx);
}
remoteForm.screen = 'remote';
/* The office's answer to this request, as keycabd applied it; anything
 * else about the key as the release forms follow it. */
remoteForm.live = function (ctx, ev) {
  var d = ev.data || {};
  if (ev.type !== 'estate.applied' || !ctx.request || d.request !== ctx.request) { keyLive(ctx, ev); return; }
  if (d.change_type === 'approval.refuse') { ctx.refused = d.reason || ''; rerender(ctx); return; }
  if (d.change_type !== 'approval.grant' || !d.approval) return;
  ctx.who = S.user.name;
  ctx.approver = nameOf(d.manager);
  releaseAndWatch(ctx, { key: ctx.key.key, purpose: 'emergency', borrower: S.user.person, approval: d.approval }, 'home');
};
