/* The owner's collection of a key (rules 7, 8). */
import { t, unitName } from './words.js';
import { btn, h, openBtn, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { keyItem, pickKey } from './screen-keys.js';
import { SIGNATURE_MAX, fieldPad, keyLive, padField, releaseAndWatch, textField } from './release.js';

/* ---- owner collection (rules 7, 8) ---- */
export function collectForm(ctx) {
  var k = ctx.key;
  ctx.who = k.owner;
  if (!ctx.focus) { ctx.focus = 'idn'; ctx.padExtra = 'X'; ctx.padMax = 20; }
  var go = function () {
    if (!ctx.idn || !ctx.sig) { ctx.rep = { ok: false, local: t('need_fields', { what: [t('owner_id'), t('signature_ref')].join('、') }) }; rerender(ctx); return; }
    var idn = ctx.idn;
    ctx.idn = '';
    releaseAndWatch(ctx, { op: 'collect', key: k.key, id_number: idn.toUpperCase(), signature: ctx.sig }, 'home');
  };
  return [h('h1', { text: t('collect_title', { unit: unitName(k) }) }), keyItem(k),
    h('div.pinwrap', {}, h('div.pinside', {},
      padField(ctx, 'idn', t('owner_id'), 20, 'X'),
      textField(ctx, 'sig', t('signature_ref'), SIGNATURE_MAX),
      refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: 'collect' }); }, '', 'back'),
        openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary.big'))),
    fieldPad(ctx))];
}
collectForm.screen = 'collect';
collectForm.live = keyLive;
