/* The cabinet's live state: the event stream (/api/events: kiosk,
 * status, ev, link, storage, keycabd, login, logout) and what each
 * message changes: returns (a key back in another key's slot is said to
 * be), alarms that take the screen over (screen-alarm.js), raised or
 * open in the status. */
import { S } from './state.js';
import { idTypeName, nameOf, t, unitOf } from './words.js';
import { btn, rerender, show } from './dom.js';
import { api, op, refusal, said } from './api.js';
import { header, notice } from './header.js';
import { endSession, loggedIn, recheck } from './session.js';
import { inspectForm } from './screen-inspect.js';
import { outList } from './screen-out.js';
import { alarmCleared, alarmRaised, alarmsOpen, movesChanged } from './screen-alarm.js';
import { inactive } from './screen-login.js';
import { estateEvent } from './estate.js';
import { keyEvent, keysReload, keysRead } from './move.js';

/* ---- events ---- */
export function onStatus(st) {
  if (!st || !st.ok) return;
  S.tz = st.time_zone || S.tz;
  S.link = st.forward === undefined ? null : st.forward;
  S.storage = st.storage || null;
  S.alarmsOpen = st.open_alarms || 0;
  keysRead(st.keys);
  S.up = true;
  S.following = true;
  S.why = null;
  header();
  alarmsOpen(st.alarms);
}
export function onEvent(ev) {
  var d = ev.data || {}, loan = d.loan;
  if (ev.type === 'alarm.raised') S.alarmsOpen++;
  if (ev.type === 'alarm.cleared') S.alarmsOpen = Math.max(0, S.alarmsOpen - 1);
  if (loan) S.loanEv[loan] = ev.type;
  var g = loan && S.grants[loan];
  if (g && (ev.type === 'release.taken' || ev.type === 'release.not_taken')) {
    g.state = ev.type === 'release.taken' ? 'taken' : 'not_taken';
    rerender(g);
  }
  if (ev.type === 'loan.returned') returned(ev);
  if (ev.type === 'alarm.raised') { wrongReturn(d.alarm_type === 'wrong_slot' && loan, ev); alarmRaised(ev); }
  if (ev.type === 'alarm.cleared') alarmCleared(ev);
  estateEvent(ev);
  if (keyEvent(ev)) movesChanged();
  if (ev.type === 'estate.applied' && /^key\./.test(d.change_type || '')) keysReload().then(movesChanged);
  if (S.cur && S.cur.fn.live && /^(slot|release|loan|alarm|key|collection|estate)\./.test(ev.type)) S.cur.fn.live(S.cur.ctx, ev);
  header();
}
/* A return: good in its own slot; in another key's slot, said so (the
 * wrong-slot alarm follows). */
export function returned(ev) {
  var d = ev.data || {};
  var extra = [], home = S.homes[ev.key];
  var n = home && home !== ev.slot ?
    notice(t('returned_wrong', { key: unitOf(ev.key), slot: ev.slot, home: home }), 'warn', extra, 'returned-wrong') :
    notice(t('returned', { key: unitOf(ev.key) }) + ' · ' + t('returned_slot', { slot: ev.slot }), 'good', extra, 'returned');
  n.setAttribute('data-loan', d.loan);
  if (!S.user || S.user.role === 'engineer') {
    if (d.inspection_pending && S.user && S.user.person === ev.person)
      n.insertBefore(btn(t('record_inspection'), function () { n.remove(); show(inspectForm, { loan: d.loan, key: ev.key, unit: S.units[ev.key] || ev.unit, borrower: ev.person }); }, 'primary.session', 'inspect-now'), n.lastChild);
    return;
  }
  op('ids').then(function (rep) {
    (rep.ids || []).forEach(function (i) {
      if (i.loan !== d.loan) return;
      n.insertBefore(btn(t('id_give_back'), function () { giveIdBack(i, n); }, 'primary.session', 'id-back'), n.lastChild);
    });
  });
  if (d.inspection_pending)
    n.insertBefore(btn(t('record_inspection'), function () { n.remove(); show(inspectForm, { loan: d.loan, key: ev.key, unit: S.units[ev.key] || ev.unit, borrower: ev.person }); }, 'session', 'inspect-now'), n.lastChild);
}
/* The wrong-slot alarm of a return shown as a good one (the key's own
 * slot was not known yet): the notice says so now. */
function wrongReturn(loan, ev) {
  var n = loan && document.querySelector('#notice .note.good[data-t=returned][data-loan="' + loan + '"]');
  if (!n) return;
  n.className = 'note warn';
  n.setAttribute('data-t', 'returned-wrong');
  n.querySelector('.txt').textContent = t('returned_wrong', { key: unitOf(ev.key), slot: ev.slot, home: S.homes[ev.key] || '' });
}
/* An ID handed back (from a return's notice n, or the list of IDs held,
 * whose ctx then shows a refusal beside the ID). */
export function giveIdBack(i, n, ctx) {
  op('id.release', { loan: i.loan }).then(function (rep) {
    if (!rep.ok && ctx) { ctx.idRep = { loan: i.loan, rep: rep }; rerender(ctx); return; }
    if (n) n.remove();
    if (rep.ok) notice(t('id_given_back', { name: nameOf(rep.person), type: idTypeName(rep.id_type), masked: rep.id_masked }), 'good', null, 'id-given');
    else { var r = refusal(rep); notice(r.textContent, '', null, 'id-refused'); }
    if (S.cur && S.cur.fn === outList) show(outList, {});
  });
}
export function connect() {
  var es = new EventSource('/api/events');
  es.addEventListener('kiosk', function (m) {
    var k = JSON.parse(m.data);
    S.speech = !!k.speech;
    S.catalogue = k.catalogue !== false;
    header();
  });
  es.addEventListener('status', function (m) { onStatus(JSON.parse(m.data)); });
  es.addEventListener('ev', function (m) { onEvent(JSON.parse(m.data)); });
  es.addEventListener('link', function (m) { S.link = JSON.parse(m.data); header(); });
  es.addEventListener('storage', function (m) { S.storage = JSON.parse(m.data); header(); });
  /* keycabd up or down; following the cabinet, or refused its live
   * state (why: keycabd's refusal) while the kiosk tries again */
  es.addEventListener('keycabd', function (m) {
    var d = JSON.parse(m.data), was = S.up;
    S.up = !!d.up;
    S.following = d.following !== false;
    S.why = d.why || null;
    header();
    if (S.up && !was) recheck();
  });
  es.addEventListener('login', function (m) {
    var rep = JSON.parse(m.data);
    /* a card the cabinet refused: said on the screen, nobody logged in */
    if (rep && !rep.ok) notice(t('login_refused') + (S.lang === 'en' ? ': ' : '：') + said(rep) +
      (inactive(rep) ? ' ' + t('inactive_advice') : ''), '', null, 'card-refused');
    else loggedIn(rep);
  });
  es.addEventListener('logout', function () { if (S.user) endSession(); });
  es.onerror = function () {
    S.up = false;
    header();
    /* refused (401: not the screen; 503: too many pages): the browser
     * does not try again by itself */
    if (es.readyState === EventSource.CLOSED) {
      setTimeout(function () { api('/api/op/ping', {}).then(function () { connect(); }); }, 2000);
    }
  };
  es.onopen = function () { header(); };
}
