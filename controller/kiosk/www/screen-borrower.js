/* Screen 4a: the borrower of an inspection or a repair. */
import { S } from './state.js';
import { roleName, t, unitName } from './words.js';
import { btn, h, show } from './dom.js';
import { pickKey } from './screen-keys.js';
import { vacantForm } from './screen-vacant.js';

/* ---- 4. inspection and repair: borrower picked, then the release ---- */
export function pickBorrower(ctx) {
  var people = S.roster.filter(function (p) { return ctx.roles.indexOf(p.role) >= 0; });
  return [h('h1', { text: t('tile_' + ctx.purpose) + ' · ' + unitName(ctx.key) + ' · ' + t('pick_engineer') }),
    h('div.names', {}, people.map(function (p) {
      return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person,
        tap: function () { show(vacantForm, { key: ctx.key, purpose: ctx.purpose, borrower: p, due: ctx.purpose === 'repair' ? 'today' : '4h' }); } },
      p.name, h('span.role', { text: roleName(p.role) }));
    })),
    h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: ctx.purpose }); }, '', 'back'))];
}
pickBorrower.screen = 'borrower';
