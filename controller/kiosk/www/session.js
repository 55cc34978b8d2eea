/* The login of whoever uses the terminal: the roster, the owners' names,
 * logged in, checked again when keycabd is back, ended, logged out. */
import { S } from './state.js';
import { show } from './dom.js';
import { api, op } from './api.js';
import { header, touch } from './header.js';
import { idle } from './screen-idle.js';
import { home } from './screen-home.js';
import { alarmsLoggedIn, alarmsLoggedOut } from './screen-alarm.js';

/* ---- sessions ---- */
export function loadRoster() {
  return api('/api/roster').then(function (rep) {
    if (rep.ok) { S.roster = rep.people || []; S.enrolling = rep.enrolling || []; }
    return rep;
  });
}
export function loadOwners() {
  return op('entrustments').then(function (rep) {
    (rep.entrustments || []).forEach(function (e) { S.owners[e.owner] = e.owner_name; });
    return rep;
  });
}
export function loggedIn(rep) {
  if (!rep || !rep.ok) return;
  S.user = { person: rep.person, name: rep.name, role: rep.role };
  if (rep.idle_timeout_s && rep.idle_timeout_s < S.idleS) S.idleS = rep.idle_timeout_s;
  touch();
  loadRoster();
  loadOwners();
  header();
  show(home, {});
  alarmsLoggedIn();
}
/* keycabd is back (it may have restarted, or lost sessions): this page's
 * login is what the kiosk says now, the screen is kept where it still
 * holds */
export function recheck() {
  api('/api/op/whoami', {}).then(function (rep) {
    if (rep.ok && S.user && rep.person === S.user.person) return;
    if (rep.ok) loggedIn(rep);
    else if (rep.refused && S.user) endSession();
  });
}
export function endSession() {
  S.user = null;
  S.grants = {};
  /* a notice stays, what it offered to the one logged in does not */
  Array.prototype.forEach.call(document.querySelectorAll('#notice .session'), function (b) { b.remove(); });
  header();
  show(idle, {});
  alarmsLoggedOut();
}
export function logout() {
  var was = S.user;
  S.user = null;
  if (was) api('/api/logout', {});
  endSession();
}
