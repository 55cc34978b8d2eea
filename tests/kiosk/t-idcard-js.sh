#!/usr/bin/env bash
# The page's 居民身份证 check (controller/kiosk/www/idcard.js, GB 11643):
# known good numbers pass; every single-character change of one, every
# impossible date of birth, a wrong length and a bad character are caught.
set -u
exec node - "$KEYCAB_SRC/controller/kiosk/www/idcard.js" <<'JS'
const C = require(process.argv[2]);
let fails = 0;
const check = (c, m) => { console.log((c ? 'ok   - ' : 'FAIL - ') + m); if (!c) fails++; };
const today = new Date(Date.UTC(2026, 10, 30));
for (const good of ['11010519491231002X', '440301199512125559', '110101199003072316'])
  check(C.check(good, today).ok, good + ' passes');
let caught = 0, tries = 0;
const g = '440301199512125559';
for (let i = 0; i < 18; i++)
  for (const ch of '0123456789X') {
    if (ch === g[i] || (i < 17 && ch === 'X')) continue;
    const v = g.slice(0, i) + ch + g.slice(i + 1);
    tries++;
    if (!C.check(v, today).ok) caught++;
  }
check(caught === tries, `every single-character change is caught (${caught} of ${tries})`);
const r = C.check('440301199512125549', today);
check(!r.ok && r.why === 'check' && r.want === C.checkChar('44030119951212554'), 'a wrong digit names the check character expected');
check(C.check('11010119900230001X', today).why === 'date', '1990-02-30 is no date');
check(C.check('110101202701010011', today).why === 'date', 'a birth after today is refused');
check(C.check('11010119900101001', today).why === 'length', '17 characters: length');
check(C.check('1101011990010100A1', today).why === 'chars', 'a letter inside: characters');
check(C.check('11010519491231002x', today).ok, 'a lower-case x is taken as X');
console.log(fails ? fails + ' checks failed' : 'all checks passed');
process.exit(fails ? 1 : 0);
JS
