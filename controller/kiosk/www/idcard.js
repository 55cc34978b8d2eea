/* The check of a 居民身份证 number (GB 11643-1999) made at the desk,
 * before the number is sent: 17 digits, then a check character computed
 * from them (ISO 7064 MOD 11-2: the digits weighted 7 9 10 5 8 4 2 1 6 3
 * 7 9 10 5 8 4 2, the sum mod 11 picks from "10X98765432"), with the
 * date of birth (characters 7 to 14, YYYYMMDD) a real day, not in the
 * future. keycabd still decides; this only catches a mistyped number. */
'use strict';
var KC_IDCARD = (function () {
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var C = '10X98765432';

  function checkChar(first17) {
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * W[i];
    return C.charAt(sum % 11);
  }

  /* Returns {ok: true} or {ok: false, why: 'length'|'chars'|'date'|'check',
   * n, date, want}; `today` (a Date) bounds the date of birth. */
  function check(num, today) {
    var s = String(num).toUpperCase();
    if (s.length !== 18) return { ok: false, why: 'length', n: s.length };
    if (!/^[0-9]{17}[0-9X]$/.test(s)) return { ok: false, why: 'chars' };
    var y = +s.substr(6, 4), m = +s.substr(10, 2), d = +s.substr(12, 2);
    var date = s.substr(6, 4) + '-' + s.substr(10, 2) + '-' + s.substr(12, 2);
    var dt = new Date(Date.UTC(y, m - 1, d));
    var now = today || new Date();
    if (y < 1900 || m < 1 || m > 12 || d < 1 || dt.getUTCFullYear() !== y ||
        dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d || dt.getTime() > now.getTime())
      return { ok: false, why: 'date', date: date };
    var want = checkChar(s.substr(0, 17));
    if (s.charAt(17) !== want) return { ok: false, why: 'check', want: want };
    return { ok: true };
  }

  return { check: check, checkChar: checkChar };
})();
if (typeof module !== 'undefined') module.exports = KC_IDCARD;
