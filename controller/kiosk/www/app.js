/* The cabinet terminal. It shows what keycabd says and sends what the
 * person taps; keycabd decides every release (controller/README.md). The
 * kiosk's API: /api/events (server-sent events: status, ev, link,
 * keycabd, login), /api/roster, /api/login, /api/logout, /api/op/<op>,
 * /api/enrol (a first sign-in), /api/settings (the site's, from the office);
 * it answers only the screen it paired: once another screen is paired
 * (401 kiosk_not_paired), this page gives way to the kiosk's refusal page.
 * Every word comes from i18n.js; times are shown in the cabinet's zone.
 *
 * The page's entry (index.html loads it as a module after i18n.js and
 * idcard.js): the language button, the idle screen, the clock, the event
 * stream. The shared modules: state.js, words.js, dom.js, api.js,
 * header.js, live.js, session.js, release.js; one module per screen,
 * screen-<name>.js (controller/kiosk/README.md lists them). */
import { $, S } from './state.js';
import { render, show } from './dom.js';
import { api } from './api.js';
import { header, noticesWatch, tick, touch } from './header.js';
import { connect } from './live.js';
import { loggedIn, logout } from './session.js';
import { idle } from './screen-idle.js';
import { takeoverRender } from './screen-alarm.js';
import { loadSettings } from './estate.js';

/* ---- start ---- */
function init() {
  $('lang').addEventListener('click', function () {
    S.lang = S.lang === 'en' ? 'zh-CN' : 'en';
    header();
    if (S.cur) render();
    takeoverRender();
  });
  $('logout').addEventListener('click', logout);
  ['pointerdown', 'keydown'].forEach(function (n) { document.addEventListener(n, touch, true); });
  header();
  noticesWatch();
  show(idle, {});
  setInterval(tick, 1000);
  connect();
  loadSettings();
  /* a page opened with a kiosk session already (a reload) */
  api('/api/op/whoami', {}).then(function (rep) { if (rep.ok) loggedIn(rep); });
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
