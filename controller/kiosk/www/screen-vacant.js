/* Screen 4b: the release of a vacant unit's key for an inspection or a
 * repair. */
import { t, unitName } from './words.js';
import { btn, h, openBtn, show } from './dom.js';
import { refusal } from './api.js';
import { keyItem, pickKey } from './screen-keys.js';
import { dueButtons, dueMembers, fieldPad, keyLive, padField, releaseAndWatch } from './release.js';

export function vacantForm(ctx) {
  var k = ctx.key;
  ctx.who = ctx.borrower.name;
  var go = function () {
    releaseAndWatch(ctx, dueMembers(ctx, { key: k.key, purpose: ctx.purpose, borrower: ctx.borrower.person, work_order: ctx.purpose === 'repair' ? ctx.wo : undefined }), 'home');
  };
  return [h('h1', { text: t('tile_' + ctx.purpose) + ' · ' + unitName(k) }),
    keyItem(k),
    h('div', { text: t('borrower', { name: ctx.borrower.name }) }),
    dueButtons(ctx, ctx.purpose === 'repair' ? ['2h', 'today'] : ['2h', '4h', 'today', '1d'], ctx.purpose),
    h('div.pinwrap', {}, h('div.pinside', {},
      ctx.purpose === 'repair' ? padField(ctx, 'wo', t('work_order'), 20) : null,
      refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: ctx.purpose }); }, '', 'back'),
        openBtn(ctx.busy ? t('opening') : t('open_slot'), go, 'primary.big'))),
    ctx.purpose === 'repair' ? (ctx.focus = ctx.focus || 'wo', fieldPad(ctx)) : null)];
}
vacantForm.screen = 'release';
vacantForm.live = keyLive;
