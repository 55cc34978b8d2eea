/* The kiosk's API: a request (api), an op to keycabd through the kiosk
 * (op), what an answer says in the page's language, a refusal box. */
import { S } from './state.js';
import { t } from './words.js';
import { add, h } from './dom.js';
import { endSession } from './session.js';

/* ---- the API ---- */
export function api(path, body) {
  return fetch(path, {
    method: body ? 'POST' : 'GET', credentials: 'same-origin',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined
  }).then(function (r) {
    return r.json().then(function (j) {
      if (r.status === 401 && j && j.code === 'kiosk_not_paired') unpaired();
      return j;
    }, function () { return pageError('HTTP ' + r.status); });
  }).catch(function (e) { return pageError(String(e)); });
}
/* Another screen was paired (or the kiosk restarted): the kiosk's own
 * page says why this browser gets no terminal. */
export function unpaired() { location.replace('/'); }
/* The page's own error (the kiosk did not answer): said like the kiosk's. */
export function pageError(what) {
  var text = {};
  Object.keys(KC_I18N).forEach(function (l) { text[l] = KC_I18N[l].net_error.replace('{what}', what); });
  return { ok: false, error: text.en, text: text };
}
export function op(name, body) {
  return api('/api/op/' + name, body || {}).then(function (rep) {
    /* a session keycabd no longer knows: back to the idle screen */
    if (S.user && rep && rep.refused && rep.rule === 1 && (rep.missing || []).some(function (m) {
      return m === 'login' || m === 'operator login';
    }) && /session/i.test(rep.reason || '')) endSession();
    return rep;
  });
}
/* What an answer says, in the page's language: the kiosk gives every
 * answer's text in both (rep.text); keycabd's English as it was sent
 * when there is none. */
export function said(rep) {
  return (rep.text && rep.text[S.lang]) || rep.reason || rep.error || '';
}
/* A refusal or an error, under a heading and the rule's name, in the
 * page's language (rendered again when the language changes). */
export function refusal(rep, heading) {
  if (!rep || rep.ok) return null;
  var box = h('div.refusal', { 'data-t': 'refusal', role: 'alert' });
  if (rep.local) {
    add(box, h('h2', { text: t('check_input') }));
    add(box, h('div', { text: rep.local }));
    return box;
  }
  if (rep.refused) {
    add(box, h('h2', { text: (heading || t('refused')) + ' · ' + t('refused_rule', { n: rep.rule, name: t('rule_' + rep.rule) }) }));
  } else {
    add(box, h('h2', { text: t('error') }));
  }
  var extra = typeof rep.extra === 'function' ? rep.extra() : rep.extra;
  if (extra) add(box, h('div', { text: extra, 'data-t': 'refusal-extra' }));
  add(box, h('div', { 'data-t': 'refusal-msg', text: said(rep) }));
  /* what to do about it (a deactivated account: ask the office) */
  var advice = typeof rep.advice === 'function' ? rep.advice() : rep.advice;
  if (advice) add(box, h('div', { text: advice, 'data-t': 'refusal-advice' }));
  var miss = (rep.missing_text && rep.missing_text[S.lang]) || rep.missing || [];
  if (miss.length)
    add(box, h('div.miss', { 'data-t': 'refusal-missing', text: t('missing') + ' ' + miss.join(t('list_sep')) }));
  return box;
}
