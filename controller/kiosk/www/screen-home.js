/* Home: the tiles of what the person logged in may do. */
import { S } from './state.js';
import { roleName, t } from './words.js';
import { btn, h, show } from './dom.js';
import { pickKey } from './screen-keys.js';
import { outList } from './screen-out.js';
import { alarmList } from './screen-alarms.js';
import { handover } from './screen-handover.js';
import { intakeForm } from './screen-intake.js';
import { enrolForm } from './screen-enrol.js';
import { entrustList } from './screen-entrust.js';

/* ---- home: what this person may do ---- */
export var OPERATOR = ['staff', 'manager', 'supervisor'];
export function isOperator() { return S.user && OPERATOR.indexOf(S.user.role) >= 0; }
export function home() {
  var tiles = [];
  if (isOperator()) {
    tiles.push(['tile_inspection', function () { show(pickKey, { mode: 'inspection' }); }, 'inspection']);
    tiles.push(['tile_repair', function () { show(pickKey, { mode: 'repair' }); }, 'repair']);
    tiles.push(['tile_borrow', function () { show(pickKey, { mode: 'borrow' }); }, 'borrow']);
    tiles.push(['tile_collect', function () { show(pickKey, { mode: 'collect' }); }, 'collect']);
    tiles.push(['tile_sealed', function () { show(pickKey, { mode: 'sealed' }); }, 'sealed']);
    tiles.push(['tile_intake', function () { show(intakeForm, {}); }, 'intake']);
    tiles.push(['tile_entrust', function () { show(entrustList, {}); }, 'entrust']);
    tiles.push(['tile_enrol', function () { show(enrolForm, {}); }, 'enrol']);
  }
  tiles.push(['tile_find', function () { show(pickKey, { mode: 'find' }); }, 'find']);
  tiles.push(['tile_out', function () { show(outList, {}); }, 'out']);
  tiles.push(['tile_alarms', function () { show(alarmList, {}); }, 'alarms']);
  if (isOperator()) tiles.push(['tile_handover', function () { show(handover, {}); }, 'handover']);
  return [h('h1', { text: t('home_title', { name: S.user.name, role: roleName(S.user.role) }) }),
    h('div.grid', {}, tiles.map(function (x) { return btn(t(x[0]), x[1], 'big', 'tile-' + x[2]); }))];
}
home.screen = 'home';
