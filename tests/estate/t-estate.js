// Issue 17 at the console and at the terminal (t-estate.sh starts the
// office, the cabinet and its link; the estate is seeded through the
// office's API): everything here is clicked at the console or tapped at
// the terminal, as the admin and the desk's clerk would. The shell is asked
// (lib.js shell()) to stop and start keycab-forward, and for keycabd's keys.
// Env: lib.js's, and SIM_CONTROL, T.
'use strict';
const fs = require('fs');
const path = require('path');
const L = require('./lib.js');
const { approval } = require('./approval.js');
const { check, until, shell, sim, coilOns } = L;

const OFFICE = process.env.OFFICE;
const CABINET = process.env.CABINET;
const figures = [];

// ---- the console ----

// Opens an estate page by the navigation (Estate, then its sub-navigation).
async function estatePage(con, page) {
  if (!new URL(con.url()).pathname.startsWith('/estate/')) await L.go(con, 'nav a[href="/estate/people"]');
  if (new URL(con.url()).pathname !== `/estate/${page}`) await L.go(con, `p.subnav a[href="/estate/${page}"]`);
}
// Fills the page's "new or change" form (form.new of ACTION): fields by
// name, a select by its value, checkboxes ticked; clicks its button. The
// page answered, with its #message.
async function saveForm(con, action, fields) {
  const form = con.locator(`form.new:has(input[name=action][value=${action}])`);
  for (const [name, v] of Object.entries(fields)) {
    const el = form.locator(`[name="${name}"]`);
    if (Array.isArray(v)) for (const x of v) await form.locator(`input[name="${name}"][value="${x}"]`).check();
    else if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(String(v));
    else await el.fill(String(v));
  }
  await Promise.all([con.waitForNavigation(), form.locator('button[type=submit]').click()]);
  return (await con.$('#message')) ? L.text(con, '#message') : '';
}
// A unit's vacancy set by its row's form on the sites page ('0', '1').
async function setVacancy(con, unit, v) {
  await estatePage(con, 'sites');
  const form = con.locator(`tr[data-unit="${unit}"] form`);
  await form.locator('select[name=vacant]').selectOption(v);
  await Promise.all([con.waitForNavigation(), form.locator('button[type=submit]').click()]);
}
// A button of a person's row on the people page (deactivate, activate):
// the change it made, {n, text, t: when it was clicked}.
async function personAct(con, person, action) {
  await estatePage(con, 'people');
  const t = Date.now();
  await Promise.all([con.waitForNavigation(),
    con.click(`tr[data-person=${person}] form:has(input[name=action][value=${action}]) button`)]);
  const c = await changes(con);
  return { n: c.newest, text: c[c.newest].text, t };
}
// The cabinet's changes as the console's cabinets page shows them:
// {number: {state, text}} and the counts, the page opened again.
async function changes(con) {
  await con.goto(OFFICE + '/estate/cabinets');
  const sec = con.locator(`section.cabinet[data-cabinet="${CABINET}"]`);
  const rows = await sec.locator('tr[data-change]').evaluateAll((trs) => trs.map((tr) => ({
    n: Number(tr.dataset.change), state: tr.dataset.state, text: tr.innerText.replace(/\s+/g, ' '),
    last: tr.lastElementChild.innerText.replace(/\s+/g, ' '),
  })));
  const out = {};
  for (const r of rows) out[r.n] = r;
  out.newest = rows.reduce((m, r) => Math.max(m, r.n), 0);
  return out;
}
// Waits until change n shows state at the console (the page reloaded).
async function shows(con, n, state, ms = 15000) {
  let last;
  const ok = await until(async () => { last = (await changes(con))[n]; return last && last.state === state; }, ms, 300);
  return ok ? last : (last || { state: 'absent', text: '' });
}

// ---- the terminal ----

// Digits on the pad of the first sign-in, then its OK.
async function pad(term, digits) {
  for (const d of digits) await term.tap(`[data-t=pad] [data-k="${d}"]`);
  await term.tap('[data-t=enrol-ok]');
}
// 首次使用: waits until person is among the names (the roster read again on
// each opening), then code and PIN twice; '' when logged in, else what the
// refusal says. Sets at.listed (when the name was there).
async function firstSignIn(term, person, code, pin, at) {
  const listed = await until(async () => {
    if (await term.$('[data-screen=first]')) await term.tap('[data-t=back]');
    await term.tap('[data-t=enrol-start]');
    await term.waitForSelector('[data-t=enrol-names], [data-t=enrol-none]');
    return !!(await term.$(`[data-t=enrol-name-${person}]`));
  }, 20000, 200);
  if (!listed) return 'not among the names of the first sign-in';
  at.listed = Date.now();
  await term.tap(`[data-t=enrol-name-${person}]`);
  await pad(term, code);
  await term.waitForSelector('[data-t=enrol-pin]');
  await pad(term, pin);
  await term.waitForSelector('[data-t=enrol-again]');
  await pad(term, pin);
  await term.waitForSelector('[data-t=tile-find], [data-t=refusal]', { state: 'attached' });
  return (await term.$('[data-t=tile-find]')) ? '' : L.text(term, '[data-t=refusal]');
}
// keycabd's keys as `keycab keys --json` gives them (asked of the shell).
async function cabinetKeys() {
  await shell('keys');
  return JSON.parse(fs.readFileSync(path.join(process.env.T, 'keys.json'), 'utf8')).keys;
}

L.estateTest('t-estate', async ({ browser, con, term, shot }) => {
  check(await L.signIn(con), 'the admin signs in at the console by its form');
  check(await L.pair({ page: term }), 'the terminal pairs as its display does');
  let c = await changes(con);
  check(c.newest > 0 && Object.values(c).every((r) => typeof r !== 'object' || r.state === 'applied'),
    `the seed's ${c.newest} changes show applied at the console`);
  await shot.con('cabinets-seeded');

  console.log('== a person created at the console logs in at the terminal');
  await estatePage(con, 'people');
  const t0 = Date.now();
  let said = await saveForm(con, 'person', {
    person: 'S11', name: '刘洋', role: 'staff', phone: '13900000011', department: '客服部', site: ['HY'],
  });
  const code = await L.enrolCode(con);
  check(/^\d{8}$/.test(code), 'the console shows the new person\'s one-time enrolment code, 8 digits', `${said} / ${code}`);
  await shot.con('person-created');
  await con.goto(OFFICE + '/estate/people');
  check(!(await L.text(con)).includes(code), 'the code is not shown again');
  const at = {};
  said = await firstSignIn(term, 'S11', code, '2580', at);
  const t1 = Date.now();
  check(said === '', 'S11 typed the code and a new PIN at the terminal: logged in', said);
  check((await L.text(term, '#who')).includes('刘洋'), 'the terminal\'s header names 刘洋');
  figures.push(`created at the console -> among the terminal's names: ${at.listed - t0} ms`);
  figures.push(`created at the console -> logged in at the terminal (taps included): ${t1 - t0} ms`);
  check(at.listed - t0 < 5000, `at the terminal within seconds: ${at.listed - t0} ms after the console's save`);
  await shot.term('s11-logged-in');

  console.log('== a key moved to another slot at the office opens at the new slot');
  await estatePage(con, 'keys');
  said = await saveForm(con, 'key', { key: 'K-HY-1-103', unit: 'HY-1-103', kind: 'vacant', cabinet: CABINET, slot: 'B05' });
  c = await changes(con);
  const moved = c.newest;
  check((await shows(con, moved, 'applied')).state === 'applied', `the move (change ${moved}) applied at the cabinet`, said);
  // the key still sits in B01, its lock holding it, no longer its home: the
  // terminal lists the move as a task where its alarms are (the takeover),
  // with 开格移位 opening B01; no alarm is raised for it
  const task = '[data-t=alarm-takeover] [data-t=move-task][data-key=K-HY-1-103]';
  const offered = await until(async () => !!(await term.$(`${task} [data-t=move-reseat]`)), 5000);
  await shot.term('moved-key-at-terminal');
  check(offered, 'the terminal offers to open B01 to move K-HY-1-103 to its new home');
  const asked = offered ? await L.text(term, task) : '';
  check(asked.includes('钥匙 1栋 103 已由办公室改放 B05 号格，现在 B01 号格') && !asked.includes('K-HY-1-103'),
    'the task names the key by its unit, its new home B05 and the slot it is in, B01', asked);
  check(!(await term.$('[data-t=alarm-takeover] [data-type=wrong_slot]')), 'no wrong-slot alarm for the moved key');
  await sim('clear-history');
  await term.tap(`${task} [data-t=move-reseat]`);
  await term.waitForSelector('[data-t=reseat-open]');
  check(await until(async () => (await coilOns('B01')) >= 1, 5000), 'one tap: B01 (the old slot) opens for the key to be taken out');
  const opened = await L.text(term, '[data-t=reseat-open]');
  check(opened.startsWith('B01 号格已打开：取出钥匙 1栋 103，放回 B05 号格'), 'the screen: B01 is open, the key (by its unit) to go into B05', opened);
  await sim('remove B01');
  await term.waitForSelector('[data-t=reseat-lifted]', { timeout: 5000 });
  await sim('insert B05 0');
  await term.waitForSelector('[data-t=reseat-home]', { timeout: 5000 });
  check(/B05/.test(await L.text(term, '[data-t=reseat-home]')), 'the screen says the key is in B05, its new home', await L.text(term, '[data-t=reseat-home]'));
  await shot.term('moved-key-home');
  await term.tap('[data-t=done]');
  check(!(await term.$('[data-t=move-task]')), 'the task is gone once the key is in its new home');
  await term.tap('[data-t=back]');
  check(await until(async () => (await cabinetKeys()).some((k) => k.key === 'K-HY-1-103' && k.slot === 'B05' && k.state === 'in'), 10000, 200),
    'keycabd has K-HY-1-103 in B05, its new home');
  await term.waitForSelector('[data-t=tile-inspection]');
  await sim('clear-history');
  await term.tap('[data-t=tile-inspection]');
  await term.tap('[data-t=key-K-HY-1-103]');
  await term.tap('[data-t=name-S11]');
  await term.waitForSelector('[data-t=open]');
  await shot.term('moved-key-ready');
  await term.tap('[data-t=open]');
  await term.waitForSelector('[data-t=slot-open], [data-t=refusal]');
  check(!!(await term.$('[data-t=slot-open]')), 'the release of the moved key', await L.text(term));
  check(await until(async () => (await coilOns('B05')) >= 1, 5000), 'keycab-sim: B05\'s coil on (the new slot)');
  check((await coilOns('B01')) === 0, 'keycab-sim: B01\'s coil not on for the release (the old slot)');
  await shot.term('moved-key-open');
  await term.waitForSelector('[data-t=not-taken], [data-t=done]', { timeout: 15000 });
  await term.tap('[data-t=done]');
  await term.waitForSelector('[data-t=tile-inspection]');

  console.log('== deactivated at the console: the open session ends, refused at the terminal');
  // S11 is logged in at the terminal, a release under way when the office deactivates them
  await term.tap('[data-t=tile-inspection]');
  await term.tap('[data-t=key-K-HY-1-106]');
  await term.tap('[data-t=name-S11]');
  await term.waitForSelector('[data-t=open]');
  const deact = await personAct(con, 'S11', 'deactivate');
  check(/刘洋|S11/.test(deact.text), `the deactivation is change ${deact.n}: ${deact.text}`);
  const took = await shows(con, deact.n, 'applied');
  check(took.state === 'applied' && /已生效 \d{4}-\d\d-\d\d \d\d:\d\d/.test(took.text),
    'the cabinets page: the cabinet applied the deactivation, and when', took.text);
  figures.push(`deactivated at the console -> applied at the cabinet (console shows it): ${Date.now() - deact.t} ms`);
  await con.goto(OFFICE + '/estate/people');
  const row = await L.text(con, 'tr[data-person=S11]');
  check(row.includes(CABINET) && /\d{4}-\d\d-\d\d \d\d:\d\d/.test(row) && !row.includes('尚未'),
    'the people page says when the cabinet took the deactivation', row);
  await shot.con('deactivated');
  await sim('clear-history');
  await term.tap('[data-t=open]');
  check(await until(async () => !!(await term.$('[data-t=idle]')), 5000),
    'S11\'s session ended: the release refused, the terminal back at its idle screen');
  check((await coilOns('B04')) === 0, 'keycab-sim: B04 stays shut');
  await shot.term('deactivated-session-ended');
  await term.tap('[data-t=login-pin]');
  await term.waitForSelector('[data-screen=names]', { state: 'attached' });
  check(!(await term.$('[data-t=name-S11]')), 'S11 has left the terminal\'s names');
  await term.tap('[data-t=back]');

  // activated again, the PIN pad open; deactivated again before the PIN is typed
  const act = await personAct(con, 'S11', 'activate');
  check((await shows(con, act.n, 'applied')).state === 'applied', 'S11 activated again at the console: applied');
  await until(async () => {
    await term.tap('[data-t=login-pin]');
    await term.waitForSelector('[data-screen=names]', { state: 'attached' });
    if (await term.$('[data-t=name-S11]')) return true;
    await term.tap('[data-t=back]');
    return false;
  }, 10000, 200);
  await term.tap('[data-t=name-S11]');
  const again = await personAct(con, 'S11', 'deactivate');
  check((await shows(con, again.n, 'applied')).state === 'applied', 'deactivated again: applied');
  for (const d of '2580') await term.tap(`[data-k="${d}"]`);
  await term.tap('[data-t=pin-ok]');
  await term.waitForSelector('[data-t=refusal]');
  said = await L.text(term, '[data-t=refusal]');
  check(!(await term.$('[data-t=tile-find]')) && /停用/.test(said) && /办公室/.test(said),
    'S11\'s PIN refused at the terminal: deactivated, ask the office', said);
  await shot.term('deactivated-refused');
  await term.tap('[data-t=back]');
  await term.tap('[data-t=back]');
  await term.waitForSelector('[data-t=idle]');

  console.log('== changes made while the cabinet is offline, applied in order when it is back');
  await shell('kfw-stop');
  const before = (await changes(con)).newest;
  await setVacancy(con, 'HY-1-107', '0');
  await estatePage(con, 'people');
  await saveForm(con, 'person', { person: 'S12', name: '周敏', role: 'staff', phone: '13900000012', site: ['HY'] });
  const code12 = await L.enrolCode(con);
  await setVacancy(con, 'HY-1-107', '1');
  c = await changes(con);
  const offline = [];
  for (let n = before + 1; n <= c.newest; n++) offline.push(n);
  fs.writeFileSync(path.join(process.env.T, 'offline-changes'), offline.join('\n') + '\n');
  check(offline.length >= 4 && offline.every((n) => c[n] && c[n].state === 'pending'),
    `the ${offline.length} changes made offline show pending at the console`, offline.map((n) => c[n] && c[n].state).join(','));
  await shot.con('offline-pending');
  await new Promise((r) => setTimeout(r, 1500));
  check((await changes(con))[offline[0]].state === 'pending', 'still pending while keycab-forward is stopped');
  await shell('kfw-start');
  const t3 = Date.now();
  check((await shows(con, offline[offline.length - 1], 'applied', 20000)).state === 'applied', 'back online: the last one applied');
  figures.push(`keycab-forward started -> the ${offline.length} offline changes applied (console shows it): ${Date.now() - t3} ms`);
  c = await changes(con);
  check(offline.every((n) => c[n].state === 'applied'), 'every change made offline shows applied', offline.map((n) => c[n].state).join(','));
  await shot.con('offline-applied');
  said = await firstSignIn(term, 'S12', code12, '1470', {});
  check(said === '', 'S12, created while the cabinet was offline, signs in at the terminal', said);
  await term.tap('[data-t=logout]');
  await term.waitForSelector('[data-t=idle]');

  console.log('== a change the cabinet refuses: refused at the console with its reason, the next applied');
  await estatePage(con, 'keys');
  said = await saveForm(con, 'key', { key: 'K-HY-1-104', unit: 'HY-1-104', kind: 'vacant', cabinet: CABINET, slot: 'Z99' });
  const bad = (await changes(con)).newest;
  await setVacancy(con, 'HY-1-108', '0');
  const next = (await changes(con)).newest;
  const refusedRow = await shows(con, bad, 'refused');
  check(refusedRow.state === 'refused', `the key into slot Z99 (change ${bad}) shows refused`, `${said} / ${refusedRow.text}`);
  check(/Z99/.test(refusedRow.last) && /[\u4e00-\u9fff]/.test(refusedRow.last) && !/estate_slot_unknown/.test(refusedRow.last),
    'its reason in Chinese, naming the slot: ' + refusedRow.last, refusedRow.text);
  // the admin's language: English at a tap of the console's language button
  await Promise.all([con.waitForNavigation(), con.click('#lang-toggle')]);
  const en = (await changes(con))[bad];
  check(/no slot Z99/.test(en.last), 'in English, the same reason in English: ' + en.last, en.text);
  await Promise.all([con.waitForNavigation(), con.click('#lang-toggle')]);
  check((await shows(con, next, 'applied')).state === 'applied', `the change after it (change ${next}) applied`);
  await shot.con('refused');
  const keys = await cabinetKeys();
  const k104 = keys.find((k) => k.key === 'K-HY-1-104');
  check(k104 && k104.slot === 'B02', 'nothing lost: keycabd keeps K-HY-1-104 in B02', JSON.stringify(k104));
  check(keys.find((k) => k.key === 'K-HY-1-103').slot === 'B05', 'nothing lost: K-HY-1-103 still in B05');
  c = await changes(con);
  const counts = await L.text(con, `section.cabinet[data-cabinet="${CABINET}"] .counts`);
  console.log('   the console\'s counts: ' + counts);
  check(Object.values(c).filter((r) => typeof r === 'object' && r.state === 'refused').length === 1,
    'one refused change, every other applied', counts);

  await approval({ browser, con, term, shot }, { estatePage, saveForm, firstSignIn, changes, shows, cabinetKeys }, figures);

  for (const f of figures) console.log('   figure: ' + f);
  fs.writeFileSync(path.join(process.env.T, 'figures.txt'), figures.join('\n') + '\n');
});
