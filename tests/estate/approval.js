// A manager's approval from the phone, end to end (t-estate.js runs it):
// the manager is created at the console and sets a PIN at the terminal
// (so the terminal's roster names them), the admin gives them an office
// account on /accounts; the clerk asks at the terminal for the sealed key;
// the manager, signed in on a phone (390x844), approves on 远程审批 and the
// slot opens (keycab-sim's coil). A manager the clerk registered is not
// asked: the cabinet refuses the request (four eyes). An approval that
// reaches the cabinet after its time (the cabinet offline, its clock
// moved on past approval_valid) opens nothing.
'use strict';
const L = require('./lib.js');
const { check, until, sim, coilOns, shell } = L;
const fs = require('fs');
const path = require('path');

const OFFICE = process.env.OFFICE;

// The manager's phone: a context of its own, signed in by the form.
async function phoneSignIn(browser, user, password) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, locale: 'zh-CN' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(OFFICE + '/login');
  await page.fill('form[action="/login"] input[name="user"]', user);
  await page.fill('form[action="/login"] input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  await L.go(page, 'nav a#nav-approvals');
  return page;
}

// At the terminal: the sealed key's screen and its remote approval
// (the managers to pick from), from home.
async function sealed(term, key) {
  await term.tap('[data-t=tile-sealed]');
  await term.tap(`[data-t=key-${key}]`);
  await term.tap('[data-t=remote-ask]');
}
// Picks manager, the first quick phrase as the reason, sends; true once
// the screen waits, else the screen shows why not.
async function ask(term, manager) {
  await term.tap(`[data-t=remote-name-${manager}]`);
  await term.tap('[data-t^=remote_phrase_]');
  await term.tap('[data-t=remote-send]');
  await term.waitForSelector('[data-t=remote-waiting], [data-t=refusal]');
  return !!(await term.$('[data-t=remote-waiting]'));
}

// A manager made at the console (enrolled_by: the person who registered
// them, or none), with a PIN set at the terminal and an office account.
async function manager({ con, term }, steps, m) {
  await steps.estatePage(con, 'people');
  await steps.saveForm(con, 'person', Object.assign({ person: m.person, name: m.name, role: 'manager', phone: m.phone, site: ['HY'] },
    m.enrolledBy ? { enrolled_by: m.enrolledBy } : {}));
  const code = await L.enrolCode(con);
  const said = await steps.firstSignIn(term, m.person, code, m.pin, {});
  check(said === '', `the manager ${m.person}, made at the console, sets a PIN at the terminal`, said);
  await term.tap('[data-t=logout]');
  await term.waitForSelector('[data-t=idle]');
  await L.go(con, 'nav a[href="/accounts"]');
  const form = con.locator('form.create');
  await form.locator('input[name=user]').fill(m.user);
  await form.locator('select[name=role]').selectOption('manager');
  await form.locator('input[name=person]').fill(m.person);
  await form.locator('input[name=password]').fill(m.password);
  await Promise.all([con.waitForNavigation(), form.locator('button[type=submit]').click()]);
  check((await L.text(con, 'table.accounts')).includes(m.user), `the admin made ${m.person}'s office account (${m.user})`);
}

// steps: the helpers of t-estate.js (estatePage, saveForm, firstSignIn,
// changes, shows, cabinetKeys),
// figures: where the measured times go.
async function approval(env, steps, figures) {
  const { browser, term, shot } = env;
  const zhao = { person: 'M21', name: '赵经理', phone: '13900000021', pin: '3691', user: 'zhao', password: 'zhao-manager-pw' };
  const qian = { person: 'M22', name: '钱经理', phone: '13900000022', pin: '4792', user: 'qian', password: 'qian-manager-pw', enrolledBy: 'S12' };
  console.log('== a manager approves a sealed key from the phone: the slot opens; four eyes');
  await manager(env, steps, zhao);
  await manager(env, steps, qian);

  check(await L.loginPin({ page: term }, 'S12', '1470'), 'S12 logs in at the terminal');
  await sealed(term, 'K-HY-1-109');
  const sent = await ask(term, 'M22');
  const why = await L.text(term, '[data-t=refusal]');
  check(!sent && /规则 4/.test(why) && why.includes('M22') && why.includes('登记'),
    'S12 asks 钱经理, whom S12 registered: the cabinet refuses (rule 4, four eyes), says why', why);
  await shot.term('approval-four-eyes');
  let phone = await phoneSignIn(browser, qian.user, qian.password);
  check((await phone.locator('section.approval').count()) === 0, 'nothing reaches 钱经理\'s phone');
  await phone.context().close();
  await term.tap('[data-t=back]');

  check(await ask(term, 'M21'), 'S12 asks 赵经理 instead: the screen waits', await L.text(term));
  await shot.term('approval-waiting');
  phone = await phoneSignIn(browser, zhao.user, zhao.password);
  const card = phone.locator('section.approval').first();
  const t = await until(async () => (await card.count()) > 0, 10000, 300)
    ? (await card.innerText()).replace(/\s+/g, ' ') : '';
  check(t.includes('周敏') && t.includes('1栋109') && t.includes('封存'), 'the phone shows the request: who asks (周敏), the key by unit and kind', t);
  await phone.screenshot({ path: `${process.env.BUILD}/test-logs/estate/t-estate/phone-approvals.png`, fullPage: true });
  await sim('clear-history');
  const t0 = Date.now();
  await Promise.all([phone.waitForNavigation(), card.locator('button.grant').click()]);
  const answer = await L.text(phone);
  check(answer.includes('已批准'), 'the phone says it is approved', answer.slice(0, 300));
  check(await until(async () => (await coilOns('B06')) >= 1, 10000), 'the approval opens B06 at keycab-sim');
  figures.push(`approved on the phone -> the sealed key's slot open: ${Date.now() - t0} ms`);
  await term.waitForSelector('[data-t=grant]');
  check(/赵经理/.test(await L.text(term, '[data-t=approved-by]')), 'the terminal says 赵经理 approved');
  await shot.term('approval-open');
  await sim('remove B06');
  await term.waitForSelector('[data-t=grant][data-state=taken]', { timeout: 10000 });
  await term.tap('[data-t=done]');
  await term.waitForSelector('[data-t=tile-sealed]');

  console.log('== an approval that reaches the cabinet after it expired: refused, the slot stays shut');
  await sim('insert B06 0');
  check(await until(async () => (await steps.cabinetKeys()).some((k) => k.key === 'K-HY-1-109' && k.state === 'in'), 10000, 300),
    'K-HY-1-109 back in B06');
  await sealed(term, 'K-HY-1-109');
  check(await ask(term, 'M21'), 'S12 asks 赵经理 again: the screen waits', await L.text(term));
  await shell('kfw-stop');
  await phone.goto(OFFICE + '/approvals');
  await until(async () => (await card.count()) > 0, 10000, 300);
  await Promise.all([phone.waitForNavigation(), card.locator('button.grant').click()]);
  check((await L.text(phone)).includes('已批准'), 'approved on the phone while the cabinet is offline');
  const grant = (await steps.changes(env.con)).newest;
  fs.appendFileSync(path.join(process.env.T, 'offline-changes'), `${grant}\n`);
  await shell('clock-past-approval');
  await sim('clear-history');
  await shell('kfw-start');
  const row = await steps.shows(env.con, grant, 'applied');
  check(row.state === 'applied', `the grant (change ${grant}) reaches the cabinet when it is back`, row.text);
  await term.waitForSelector('[data-t=refusal]', { timeout: 10000 });
  const said = await L.text(term, '[data-t=refusal]');
  check(/规则 4/.test(said) && /过期|失效|不在有效期内/.test(said), 'the release with it refused: the approval is past its time (rule 4)', said);
  await term.waitForTimeout(1000);
  check((await coilOns('B06')) === 0, 'B06 stays shut');
  await shot.term('approval-expired');
  await term.tap('[data-t=logout]');
  await term.waitForSelector('[data-t=idle]');
  await phone.context().close();
}

module.exports = { approval };
