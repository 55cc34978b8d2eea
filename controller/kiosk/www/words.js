/* Words and times: a text of i18n.js in the page's language (t), times
 * in the cabinet's zone, the names of roles, kinds, states, ID types and
 * alarms, a person's and a key's unit as the desk reads them. */
import { S } from './state.js';

/* ---- words and times ---- */
export function t(k, p) {
  var s = (KC_I18N[S.lang] || {})[k];
  if (s === undefined) s = KC_I18N['zh-CN'][k];
  if (s === undefined) return k;
  return s.replace(/\{(\w+)\}/g, function (_, n) { return p && p[n] !== undefined ? p[n] : ''; });
}
export function tOr(k, fallback) { var v = t(k); return v === k ? fallback : v; }
export function fmt(iso, opts) {
  if (!iso) return '';
  var d = new Date(iso);
  if (isNaN(d)) return iso;
  return new Intl.DateTimeFormat(S.lang === 'en' ? 'en-GB' : 'zh-CN',
    Object.assign({ timeZone: S.tz, hour12: false }, opts)).format(d);
}
export function fmtWhen(iso) { return fmt(iso, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }); }
export function fmtDay(iso) { return fmt(iso, { year: 'numeric', month: '2-digit', day: '2-digit' }); }
export function fmtLeft(s) {
  s = Math.max(0, Math.ceil(s));
  return s >= 60 ? t('minutes_seconds', { m: Math.floor(s / 60), s: s % 60 }) : t('seconds', { s: s });
}
/* The cabinet's zone offset at an instant, in ms (local - UTC). */
export function tzOffset(ms) {
  var p = {};
  new Intl.DateTimeFormat('en-US', { timeZone: S.tz, hourCycle: 'h23', year: 'numeric', month: 'numeric',
    day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = +x.value; });
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}
/* "YYYY-MM-DD HH:MM" in the cabinet's zone to ms. */
export function localToMs(str) {
  var m = /(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)/.exec(str);
  if (!m) return null;
  var guess = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
  var ms = guess - tzOffset(guess);
  return guess - tzOffset(ms);
}
export function roleName(r) { return tOr('role_' + r, r); }
export function kindName(k) { return tOr('kind_' + k, k); }
export function stateName(s) { return tOr('state_' + s, s); }
export function idTypeName(x) { return tOr('id_type_' + x, x || t('id_type_other')); }
export function alarmName(x) { return tOr('alarm_' + x, x); }
/* A person by name: staff and engineers from the roster, owners from
 * the entrustments; a borrower's loan already holds the name. */
export function nameOf(code) {
  if (!code) return '';
  for (var i = 0; i < S.roster.length; i++) if (S.roster[i].person === code) return S.roster[i].name;
  if (S.owners[code]) return S.owners[code];
  return code;
}
/* A key's unit as the desk reads it ("1栋 101"), from the building and
 * room keycabd's keys read gives; the unit code when it has none. */
export function unitName(k) {
  return k.building && k.room ? t('unit_name', { building: k.building, room: k.room }) : k.unit;
}
/* A key by its code as the desk reads it: its unit (from keycabd's
 * status), the code beside it. */
export function unitOf(key) { return S.units[key] ? S.units[key] + ' · ' + key : key; }
