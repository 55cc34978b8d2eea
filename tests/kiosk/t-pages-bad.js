// Bad input at the terminal, in real Chromium (run by t-pages-bad.sh, which
// starts keycab-sim, keycabd forwarding to keyauditd, and two kiosks):
// 1. two terminals release the same key at the same moment: one grant (the
//    coil on once at the sim), the other page refused in Chinese with why,
//    both pages following the key's true state from the pushes;
// 2. the audit link down: shown offline on the idle screen and the header,
//    a release still works, online again when keyauditd is back (the
//    script then checks keyauditd's DB against the outbox);
// 3. keycabd restarting under open pages: the banner, ops refused with the
//    kiosk's message, then recovered without a reload (the status snapshot,
//    each page's login as the kiosk reports it; the alarm of a key gone
//    while keycabd was down taking the screen over from the status).
// Env: KIOSK_A_URL, KIOSK_B_URL, KIOSK_A_PAIR, KIOSK_B_PAIR (each kiosk's pairing page), SIM_CONTROL, KEYCAB_SOCKET, T.
'use strict';
const { execFileSync } = require('child_process');
const { launch, pair, until, ok, bad, check, failures, sim, coilOns, shell, loginPin } = require('./lib.js');

const text = (term, sel) => term.page.textContent(sel).catch(() => '');
const visible = (term, sel) => term.page.isVisible(sel).catch(() => false);
// keycabd's own answer (the console reads without a session)
function keycab(...args) {
  return JSON.parse(execFileSync(`${process.env.KEYCAB_BIN}/keycab`, ['--json', ...args], { encoding: 'utf8' }));
}
const keyState = (key) => keycab('keys').keys.find((k) => k.key === key).state;
// a key's state as a page shows it in its key item
const shownState = (term, key) => text(term, `[data-t=key-${key}] .tag`);

async function raceForOneKey(a, b) {
  console.log('== two terminals race for one key');
  const KEY = 'K-HY-1-103', SLOT = 'A07';
  for (const [term, eng] of [[a, 'E01'], [b, 'E02']]) {
    await term.page.tap('[data-t=tile-inspection]');
    await term.page.tap(`[data-t=key-${KEY}]`);
    await term.page.tap(`[data-t=name-${eng}]`);
    await term.page.waitForSelector('[data-t=open]');
  }
  await sim('clear-history');
  await Promise.all([a.page.tap('[data-t=open]'), b.page.tap('[data-t=open]')]);
  const outcome = async (term) => {
    await term.page.waitForSelector('[data-t=slot-open], [data-t=refusal]', { timeout: 10000 });
    return (await term.page.$('[data-t=slot-open]')) ? 'granted' : 'refused';
  };
  const got = [await outcome(a), await outcome(b)];
  if (!check(got.sort().join() === 'granted,refused', `exactly one terminal granted: A ${got[0]}, B ${got[1]}`)) return;
  const [win, lose] = (await a.page.$('[data-t=slot-open]')) ? [a, b] : [b, a];
  console.log(`       granted at terminal ${win === a ? 'A' : 'B'}`);
  await until(async () => /\d/.test(await text(lose, '[data-t=refusal-extra]')), 3000);
  const why = await text(lose, '[data-t=refusal]');
  check(/未能放行 · 规则 0/.test(why), 'the other page: 未能放行 under rule 0', why);
  check(/HY-1-103 的钥匙（K-HY-1-103）现在开格中：另一次放行刚刚打开了它的格口/.test(why),
    'the other page says why in Chinese: the key is being released', why);
  await win.shot('race-granted');
  await lose.shot('race-refused');
  check(await until(async () => (await sim('coil ' + SLOT)).includes('OK on'), 5000), `${SLOT}'s coil is on at the sim`);

  // the key taken: the winner's screen says so, the other page's key turns 借出
  await sim('remove ' + SLOT);
  await win.page.waitForSelector('[data-t=taken]', { timeout: 5000 });
  ok('the granted page: 已取走');
  check(await until(async () => (await shownState(lose, KEY)) === '借出', 5000),
    'the refused page follows the key from the pushes: 借出', await shownState(lose, KEY));
  check(keyState(KEY) === 'out', `keycabd has ${KEY} out`);
  await until(async () => (await sim('coil ' + SLOT)).includes('OK off'), 10000);
  const ons = await coilOns(SLOT);
  check(ons === 1, `the coil went on once at the sim (${ons})`);
  await win.shot('race-taken');
  await lose.shot('race-other-follows');

  // back in its slot: both pages show it in
  await sim(`insert ${SLOT} ${0x1007}`);
  check(await until(async () => (await shownState(lose, KEY)) === '在柜', 5000),
    'the refused page shows it back: 在柜', await shownState(lose, KEY));
  check(await until(() => visible(win, '[data-t=returned]'), 5000), `the granted page: ${KEY} 已归还`);
  await lose.shot('race-other-returned');
  await win.page.tap('[data-t=done]');
  await lose.page.tap('[data-t=back]');
  await lose.page.tap('[data-t=back]');
}

async function auditLinkDown(a, b) {
  console.log('== the audit link down');
  const linkShown = async (term, sel, want) => until(async () => (await text(term, sel)).startsWith(want), 10000);
  await b.page.tap('[data-t=logout]');
  await b.page.waitForSelector('[data-t=idle]');
  check(await linkShown(b, '[data-t=idle-link]', '审计链路在线'), 'the idle screen: 审计链路在线',
    await text(b, '[data-t=idle-link]'));
  await shell('kad-stop');
  // keycabd learns the link is down when it next sends (it has no probe):
  // a release at the other terminal, the cabinet working offline
  await a.page.tap('[data-t=tile-inspection]');
  await a.page.tap('[data-t=key-K-HY-1-104]');
  await a.page.tap('[data-t=name-E02]');
  await a.page.tap('[data-t=open]');
  await a.page.waitForSelector('[data-t=slot-open]');
  check(await until(async () => (await sim('coil A08')).includes('OK on'), 5000), 'a release with keyauditd down: A08 opens');
  check(await linkShown(b, '[data-t=idle-link]', '审计链路离线'), 'keyauditd stopped: the idle screen says 审计链路离线',
    await text(b, '[data-t=idle-link]'));
  check(await linkShown(b, '#link', '审计链路离线'), '... and its header', await text(b, '#link'));
  check(await linkShown(a, '#link', '审计链路离线'), '... and the releasing terminal\'s header', await text(a, '#link'));
  await b.shot('link-offline-idle');
  await sim('remove A08');
  await a.page.waitForSelector('[data-t=taken]', { timeout: 5000 });
  await a.shot('link-offline-taken');
  await a.page.tap('[data-t=done]');
  await sim(`insert A08 ${0x1008}`);
  check(await until(() => visible(a, '[data-t=returned]'), 5000), 'returned with the link down');
  check(keycab('status').forward.pending > 0, `events wait in the outbox (${keycab('status').forward.pending})`);

  await shell('kad-start');
  check(await linkShown(b, '[data-t=idle-link]', '审计链路在线'), 'keyauditd back: the idle screen says 审计链路在线',
    await text(b, '[data-t=idle-link]'));
  check(await linkShown(a, '#link', '审计链路在线'), '... and the other terminal\'s header', await text(a, '#link'));
  await b.shot('link-online-idle');
}

async function keycabdRestart(a, b) {
  console.log('== keycabd restarting under open pages');
  check(await loginPin(b, 'S02', '2222'), 'terminal B: 李娜 logged in');
  for (const term of [a, b]) await term.page.evaluate(() => { window.__samePage = 1; });
  const alarms0 = keycab('status').open_alarms;

  await shell('kcd-stop');
  for (const [term, n] of [[a, 'A'], [b, 'B']]) {
    check(await until(async () => (await visible(term, '[data-t=down]')) &&
      /钥匙柜控制程序无响应/.test(await text(term, '[data-t=down]')), 10000),
    `terminal ${n}: the banner 钥匙柜控制程序无响应，正在重新连接…`);
  }
  await a.page.tap('[data-t=tile-find]');
  await a.page.waitForSelector('[data-t=refusal]', { timeout: 5000 });
  const msg = await text(a, '[data-t=refusal]');
  check(msg.includes('柜机控制程序未连接，请稍候。') && !/[A-Za-z]{2,}[ ,.;:]+[A-Za-z]{2,}/.test(msg) && !/[,;]/.test(msg),
    'an op meanwhile is refused with the kiosk\'s message in Chinese only (full-width comma, no English line)', msg);
  await a.shot('keycabd-down-refused');
  await b.shot('keycabd-down');

  await shell('kcd-while-down');
  await shell('kcd-start');
  for (const [term, n] of [[a, 'A'], [b, 'B']])
    check(await until(async () => !(await visible(term, '[data-t=down]')), 15000), `terminal ${n}: the banner gone`);
  const alarms1 = keycab('status').open_alarms;
  check(alarms1 > alarms0, `a key left its slot while keycabd was down: ${alarms0} -> ${alarms1} open alarms`);
  for (const [term, n] of [[a, 'A'], [b, 'B']])
    check(await until(async () => (await text(term, '[data-t=alarms-badge]')) === `${alarms1} 个未处理告警`, 5000),
      `terminal ${n}'s header from the new status: ${alarms1} 个未处理告警`, await text(term, '[data-t=alarms-badge]'));
  /* the alarm of a key gone while keycabd was down: in the new status, it
   * takes both screens over; laid aside (稍后处理) */
  for (const [term, n] of [[a, 'A'], [b, 'B']]) {
    check(await until(() => visible(term, '[data-t=alarm-takeover] [data-type=tamper]'), 5000),
      `terminal ${n}: the tamper of the key gone while keycabd was down takes the screen over`, await text(term, '#alarm'));
    await term.page.tap('[data-t=takeover-later]');
  }
  check(/王芳/.test(await text(a, '#who')), 'terminal A: still logged in as 王芳 (the kiosk says so)', await text(a, '#who'));
  check(await until(() => visible(b, '[data-t=idle]'), 5000) && !(await text(b, '#who')),
    'terminal B: keycabd lost 李娜\'s session: back to the idle screen by itself');
  for (const [term, n] of [[a, 'A'], [b, 'B']])
    check(await term.page.evaluate(() => window.__samePage === 1), `terminal ${n}: no reload`);
  await a.page.tap('[data-t=back]');
  await a.page.tap('[data-t=tile-find]');
  check(await until(async () => (await a.page.$$('[data-t^=key-]')).length > 20, 5000), 'terminal A: find works again');
  await a.shot('keycabd-back');
  await b.shot('keycabd-back-idle');
}

(async () => {
  const { browser, terminal } = await launch({ test: 't-pages-bad' });
  const a = await terminal('A'), b = await terminal('B');
  const errors = [];
  for (const term of [a, b]) term.page.on('pageerror', (e) => errors.push(String(e)));
  try {
    check(await pair(a, process.env.KIOSK_A_PAIR), 'terminal A paired with kiosk A as its display pairs it');
    check(await pair(b, process.env.KIOSK_B_PAIR), 'terminal B paired with kiosk B');
    check(await loginPin(a, 'S01', '1111'), 'terminal A: 王芳 logged in');
    check(await loginPin(b, 'S02', '2222'), 'terminal B: 李娜 logged in');
    // each part on its own: one that fails leaves the pages reloaded
    for (const part of [raceForOneKey, auditLinkDown, keycabdRestart]) {
      try {
        await part(a, b);
      } catch (e) {
        bad(`${part.name}: ${String((e && e.stack) || e)}`);
        await a.shot('failure').catch(() => {});
        await b.shot('failure').catch(() => {});
        await a.page.goto(process.env.KIOSK_A_URL);
        await b.page.goto(process.env.KIOSK_B_URL);
        await a.page.waitForTimeout(6000); /* a release's window closes */
      }
    }
    const origins = [new URL(process.env.KIOSK_A_URL).origin, new URL(process.env.KIOSK_B_URL).origin];
    const away = [...a.requests, ...b.requests].filter((u) => !origins.some((o) => u.startsWith(o)) &&
      u !== process.env.KIOSK_A_PAIR && u !== process.env.KIOSK_B_PAIR);
    check(away.length === 0, 'no request leaves the kiosks', away.join(' '));
    check(errors.length === 0, 'no script errors', errors.join(' | '));
  } catch (e) {
    bad(String((e && e.stack) || e));
    await a.shot('failure').catch(() => {});
    await b.shot('failure').catch(() => {});
  }
  await browser.close();
  console.log(failures() ? `${failures()} checks failed` : 'all checks passed');
  process.exit(failures() ? 1 : 0);
})();
