/* Screen 6: a sealed key, the manager approving with their own PIN. */
import { S } from './state.js';
import { roleName, t, unitName } from './words.js';
import { btn, h, openBtn, rerender, show } from './dom.js';
import { refusal } from './api.js';
import { padEdit, padKeys } from './screen-login.js';
import { keyItem, pickKey } from './screen-keys.js';
import { keyLive, releaseAndWatch } from './release.js';
import { remoteForm } from './screen-remote.js';

/* ---- 6. sealed key: the manager approves here with their own PIN ---- */
export function sealedForm(ctx) {
  var k = ctx.key;
  ctx.who = S.user.name;
  var managers = S.roster.filter(function (p) { return p.role === 'manager'; });
  if (!ctx.manager) {
    return [h('h1', { text: t('tile_sealed') + ' · ' + unitName(k) }), keyItem(k),
      h('h2', { text: t('manager_approval') }),
      h('div.names', {}, managers.map(function (p) {
        return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person, tap: function () { ctx.manager = p; ctx.focus = 'mpin'; rerender(ctx); } },
          p.name, h('span.role', { text: roleName(p.role) }));
      })),
      refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: 'sealed' }); }, '', 'back'),
        h('div.spacer'), btn(t('remote_ask'), function () { show(remoteForm, { key: k }); }, 'primary', 'remote-ask'))];
  }
  var go = function () {
    var pin = ctx.mpin || '';
    ctx.mpin = '';
    ctx.approver = ctx.manager.name;
    releaseAndWatch(ctx, { key: k.key, purpose: 'emergency', borrower: S.user.person, approver: ctx.manager.person, approver_pin: pin }, 'home');
  };
  return [h('h1', { text: t('tile_sealed') + ' · ' + unitName(k) }),
    h('div', { text: t('enter_pin', { name: ctx.manager.name }) }),
    h('div.pinwrap', {}, h('div.pinside', {},
      h('div.field.dots', { 'data-t': 'pin-dots', text: (ctx.mpin || '').replace(/./g, '●') }),
      refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { ctx.manager = null; rerender(ctx); }, '', 'back'),
        openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary'))),
    padKeys(function (kk) { ctx.mpin = padEdit(ctx.mpin || '', kk, 12); ctx.rep = null; rerender(ctx); }))];
}
sealedForm.screen = 'sealed';
sealedForm.live = keyLive;
