// The terminal of a cabinet the office manages, by taps (t-kiosk-estate.sh
// sets the estate up through keycabd's estate.apply, as keycab-forward
// applies the office's feed): a first sign-in (首次使用 / 设置密码) with a
// wrong code, an expired one and PINs typed differently, each said in a
// sentence and nothing changed, then the office's code and a new PIN:
// logged in; a person the office deactivated refused with what to do;
// the site's quick phrases (settings.set) in the keyboard's bar, changed
// while it is up. Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const { browserTest, pair, check, until, shell, loginPin } = require('./lib.js');
const { tapPhrase } = require('./osk.js');
const { offEdge } = require('./edge.js');

const text = async (page, sel) => (await page.$(sel)) ? (await page.textContent(sel)).trim() : '';

// Nothing below the edge (edge.js) on the screen shown, at 1024x600 and
// 1280x800: the first sign-in's steps, which t-pages-edge's standalone
// estate does not reach.
async function edge(page, what) {
  for (const size of [{ width: 1024, height: 600 }, { width: 1280, height: 800 }]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(100);
    const off = await page.evaluate(offEdge, false);
    check(off.length === 0, `${what} at ${size.width}x${size.height}: every button on screen`, off.join('; '));
  }
  await page.setViewportSize({ width: 1024, height: 600 });
}
// Digits on the pad, then OK (the step's own button).
async function pad(page, digits) {
  await page.tap('[data-t=pad] [data-k="C"]');
  for (const d of digits) await page.tap(`[data-t=pad] [data-k="${d}"]`);
  await page.tap('[data-t=enrol-ok]');
}
// A first sign-in from the idle screen as a person taps it: the name, the
// code, the new PIN twice. Waits out keycabd's slowing of a terminal's
// failed tries (请等待 N 秒). The refusal's text, or '' when logged in.
async function firstSignIn(page, person, code, pin, again) {
  for (let i = 0; i < 6; i++) {
    if (!(await page.$('[data-screen=first]'))) await page.tap('[data-t=enrol-start]');
    while (await page.$('[data-t=enrol-pin], [data-t=enrol-again]')) await page.tap('[data-t=back]');
    if (!(await page.$('[data-t=enrol-code]'))) {
      await page.tap(`[data-t=enrol-name-${person}]`);
      await page.waitForSelector('[data-t=enrol-code]');
    }
    await pad(page, code);
    await page.waitForSelector('[data-t=enrol-pin]');
    await pad(page, pin);
    await page.waitForSelector('[data-t=enrol-again]');
    await pad(page, again);
    await page.waitForSelector('[data-t=tile-find], [data-t=refusal]', { state: 'attached' });
    if (await page.$('[data-t=tile-find]')) return '';
    const said = await text(page, '[data-t=refusal]');
    const w = /请等待 (\d+) 秒/.exec(said);
    if (!w) return said;
    await page.waitForTimeout(Number(w[1]) * 1000 + 300);
  }
  return 'slowed down too often';
}

browserTest('t-kiosk-estate', async ({ terminal }) => {
  const desk = await terminal('desk');
  const page = desk.page;
  check(await pair(desk), 'paired as the display pairs it');
  /* the office's feed as keycab-forward reports it */
  check(await until(async () => (await text(page, '#feed')) === '办公室同步：正常', 20000),
    'the header shows the office\'s feed up to date', await text(page, '#feed'));
  await desk.shot('idle');

  /* the names: those with a code from the office */
  await page.tap('[data-t=enrol-start]');
  await page.waitForSelector('[data-t=enrol-names]');
  const names = await page.$$eval('[data-t^=enrol-name-]', (b) => b.map((e) => e.dataset.t.slice(11)));
  check(names.join(',') === 'W01,W02,W03', 'the first sign-in lists those with an enrolment code waiting: ' + names.join(','));
  await edge(page, 'the first sign-in\'s names');
  await desk.shot('first-names');

  /* W02's code expired at the office's time */
  let said = await firstSignIn(page, 'W02', '11223344', '2580', '2580');
  check(/过期/.test(said), 'an expired code: said so', said);
  check(!!(await page.$('[data-t=enrol-code]')), 'back at the code, to type again');
  await edge(page, 'the code with a refusal');
  await desk.shot('expired');
  await shell('unchanged-W02');
  await page.tap('[data-t=back]');

  /* W01: a wrong code, then the PINs typed differently */
  said = await firstSignIn(page, 'W01', '12345678', '2580', '2580');
  check(/登记码/.test(said) && !/过期/.test(said), 'a wrong code: said so', said);
  await desk.shot('wrong-code');
  said = await firstSignIn(page, 'W01', '38475610', '2580', '2581');
  check(said.includes('两次输入的新密码不一致'), 'the PINs typed differently: said so', said);
  check(!!(await page.$('[data-t=enrol-pin]')), 'back at the new PIN, to type it again');
  await edge(page, 'the new PIN with a refusal');
  await desk.shot('pins-differ');
  await shell('unchanged-W01');

  /* a PIN anyone would guess */
  said = await firstSignIn(page, 'W01', '38475610', '1234', '1234');
  check(said.includes('太容易被猜到') && !!(await page.$('[data-t=enrol-pin]')), 'a PIN anyone would guess: said so, back at the new PIN', said);
  await desk.shot('weak-pin');
  await pad(page, '2580');
  await page.waitForSelector('[data-t=enrol-again]');
  await edge(page, 'the new PIN again');

  /* the office's code and a new PIN: logged in */
  said = await firstSignIn(page, 'W01', '38475610', '2580', '2580');
  check(said === '', 'the first sign-in with the office\'s code: logged in', said);
  check((await text(page, '#who')).includes('王芳'), 'the header names 王芳');
  check(!!(await page.$('#notice [data-t=enrol-done]')), 'a notice says the PIN is set');
  await desk.shot('signed-in');
  await shell('set-W01');
  await page.tap('[data-t=logout]');
  await page.waitForSelector('[data-t=idle]');
  await page.tap('[data-t=enrol-start]');
  await page.waitForSelector('[data-screen=first]');
  const after = await page.$$eval('[data-t^=enrol-name-]', (b) => b.map((e) => e.dataset.t.slice(11)));
  check(!after.includes('W01'), 'W01 is no longer among those with a code waiting: ' + after.join(','));
  await page.tap('[data-t=back]');
  check(await loginPin(desk, 'W01', '2580'), 'W01 logs in with the PIN set at the terminal');

  /* the due-time presets of the site's settings, within the longest
   * inspection the office allows (1 day) */
  await page.tap('[data-t=tile-inspection]');
  await page.tap('[data-t=key-K-HY-1-101]');
  await page.tap('[data-t=name-W01]');
  await page.waitForSelector('[data-t=due]');
  const due = await page.$$eval('[data-t=due] button', (b) => b.map((e) => `${e.dataset.t}=${e.textContent}`).join(' | '));
  check(due === 'due-s3600=1 小时后 | due-s7200=2 小时后 | due-s86400=1 天后', 'an inspection\'s due times are the office\'s presets: ' + due);
  await desk.shot('office-due-presets');
  await page.tap('[data-t=logout]');

  /* W03 signs in, then the office deactivates them while their name is
   * on the screen: the PIN refused, with what to do */
  said = await firstSignIn(page, 'W03', '55667788', '3690', '3690');
  check(said === '', 'W03\'s first sign-in', said);
  await page.tap('[data-t=logout]');
  await page.tap('[data-t=login-pin]');
  await page.tap('[data-t=name-W03]');
  await shell('deactivate-W03');
  for (const d of '3690') await page.tap(`[data-k="${d}"]`);
  await page.tap('[data-t=pin-ok]');
  await page.waitForSelector('[data-t=refusal]');
  said = await text(page, '[data-t=refusal]');
  check(said.includes('已停用') && (await text(page, '[data-t=refusal-advice]')).includes('请联系办公室') &&
    !(await page.$('[data-t=tile-find]')), 'the deactivated person refused, told to ask the office', said);
  await desk.shot('deactivated');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=back]');
  await page.tap('[data-t=login-pin]');
  await page.waitForSelector('[data-t=name-W01]');
  check(!(await page.$('[data-t=name-W03]')), 'the deactivated person has left the names');
  await page.tap('[data-t=back]');

  /* the site's quick phrases, from the office's settings.set */
  check(await loginPin(desk, 'W01', '2580'), 'W01 logs in again');
  await shell('lift');
  await page.waitForSelector('[data-t=takeover-later]');
  await page.tap('[data-t=takeover-later]');
  await page.tap('[data-t=tile-alarms]');
  await page.waitForSelector('[data-t=alarm-clear]');
  await page.tap('[data-t=alarm-clear]');
  await page.tap('[data-t=alarm-note]');
  await page.waitForSelector('#osk [data-t=osk-phrase]');
  const bar = async () => page.$$eval('#osk [data-t=osk-phrase]', (b) => b.map((e) => e.textContent).join(' | '));
  let phrases = await bar();
  check(phrases === '门锁损坏 | 已到现场核实', 'the note\'s bar shows the office\'s alarm phrases: ' + phrases);
  await desk.shot('office-phrases');
  await shell('settings-2');
  check(await until(async () => (await bar()) === '柜门未关好 | 钥匙标签破损', 5000),
    'another settings.set from the office: the bar shows its phrases at once', await bar());
  await tapPhrase(page, '钥匙标签破损');
  check((await page.inputValue('[data-t=alarm-note]')) === '钥匙标签破损', 'a phrase of the office typed into the note');
  await desk.shot('office-phrases-changed');
  await page.tap('[data-t=alarm-clear-go]');
  check(await until(async () => !!(await page.$('[data-t=alarm-cleared]')), 5000), 'the alarm cleared with the office\'s phrase');
  await page.tap('[data-t=logout]');

  /* the office out of reach: the header says so */
  await shell('office-down');
  check(await until(async () => (await text(page, '#feed')) === '办公室同步：离线', 20000),
    'keyauditd stopped: the header shows the office\'s feed offline', await text(page, '#feed'));
  await desk.shot('feed-offline');
});
