/* Screen 1, idle: the time, the audit link, the way to log in, and a
 * first sign-in with the office's enrolment code (screen-first.js). */
import { t } from './words.js';
import { btn, h, show } from './dom.js';
import { linkBadge } from './header.js';
import { loadRoster } from './session.js';
import { pickName } from './screen-login.js';
import { startFirstSignIn } from './screen-first.js';

/* ---- 1. the idle screen ---- */
export function idle() {
  return h('div.idle', { 'data-t': 'idle' },
    h('div.time'), h('div.date'),
    h('div.prompt', { text: t('prompt'), 'data-t': 'prompt' }),
    linkBadge(h('div', { 'data-t': 'idle-link' })),
    btn(t('login_pin'), function () { loadRoster().then(function () { show(pickName, { purpose: 'login' }); }); }, 'primary.big', 'login-pin'),
    btn(t('enrol_start'), startFirstSignIn, '', 'enrol-start'));
}
idle.screen = 'idle';
