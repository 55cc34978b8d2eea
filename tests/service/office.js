// The office's own acts in Chromium (t-office.py starts keyauditd with
// the data set of dataset.py): a supervisor signs in by the form, opens
// the handovers as sheets, ticks "unreviewed only", signs the review of
// handover 2 at the office, signs it again from a page opened before
// (refused, with a message), prints the sheets; then follows the problem
// found at O1 up: forward with no department (refused), forward to a
// department and a person, the vacant report printed to PDF while it is
// unresolved, resolve with no note (refused), resolve. Everything is
// typed and clicked as a person does; one step (marked) edits a form's
// hidden field to name a problem that does not exist, as a stale or
// forged form would. Env: console.js's, and MONTH (the data set's
// month), PDF (where the vacant report is printed).
'use strict';
const { URL, check, launch, submitLogin, run } = require('./console.js');

const USER = process.env.KC_USER;
const PASS = process.env.KC_PASS;

run(async () => {
  const { browser, context, page, shot, text } = await launch();
  const sheet = (ho) => page.locator(`section.sheet[data-cabinet="CAB-OLD"][data-handover="${ho}"]`);
  const problem = (cab) => page.locator(`tr.problem[data-cabinet="${cab}"]`);
  try {
    await page.goto(URL + '/login');
    await submitLogin(page, USER, PASS);
    check(new globalThis.URL(page.url()).pathname === '/', 'signed in by the form', page.url());

    console.log('== handovers as sheets, "unreviewed only" a checkbox');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/handovers"]')]);
    check(await page.locator('form.filter input[name="unreviewed"][type="checkbox"]').count() === 1,
          'unreviewed only is a checkbox');
    await page.check('form.filter input[name="unreviewed"]');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
    check(page.url().includes('unreviewed=1'), 'ticked and searched', page.url());
    await shot('handovers-unreviewed', true);
    check(await sheet(1).count() === 0 && await sheet(2).count() === 1 && await sheet(3).count() === 1,
          'the unreviewed sheets only: 2 and 3, not 1 (signed at the cabinet)');
    let t = (await sheet(2).innerText()).replace(/\s+/g, ' ');
    console.log('   sheet 2: ' + t.slice(0, 400));
    check(t.includes('李四') && t.includes('KO6'),
          'keys out with the borrower by name (李四)', t);
    check(/应还时间/.test(t) && /\d{4}-\d\d-\d\d \d\d:\d\d/.test(t), 'the due time, in local time', t);
    check(t.includes('**************123X') && t.includes('身份证'), 'the ID held, masked', t);
    check(t.includes('钥匙被非法取出') && t.includes('KO3'), 'the open alarm, as words', t);
    check(!/Z\b/.test(t.replace(/123X/, '')) && !t.includes('T0') && !t.includes('tamper'),
          'no UTC time or alarm code on the sheet', t);
    check(await sheet(3).locator('form').count() === 0 && (await sheet(3).innerText()).includes('接班人尚未确认'),
          'sheet 3 (not confirmed): no review form, says why');

    console.log('== a second page on the same list, opened before the review');
    const stale = await context.newPage();
    await stale.goto(page.url());

    console.log('== the review signed at the office');
    await sheet(2).locator('input[name="note"]').fill('钥匙与证件已核对');
    await Promise.all([page.waitForNavigation(), sheet(2).locator('button[type="submit"]').click()]);
    await page.goto(URL + '/r/handovers');
    await shot('handovers-reviewed', true);
    t = (await sheet(2).innerText()).replace(/\s+/g, ' ');
    console.log('   sheet 2: ' + t.slice(-200));
    check(t.includes('审阅人') && t.includes(USER) && t.includes('在办公室签字') && t.includes('钥匙与证件已核对'),
          'sheet 2 shows reviewed, by whom, where (at the office) and the note', t);
    check(await sheet(2).locator('form').count() === 0, 'and no review form any more');
    t = (await sheet(1).innerText()).replace(/\s+/g, ' ');
    check(t.includes('在钥匙柜签字') && t.includes('Q01'), 'sheet 1 shows its review signed at the cabinet', t);

    console.log('== the same review again, from the page opened before');
    const s2 = stale.locator('section.sheet[data-cabinet="CAB-OLD"][data-handover="2"]');
    await s2.locator('input[name="note"]').fill('第二次');
    const [resp] = await Promise.all([stale.waitForNavigation(), s2.locator('button[type="submit"]').click()]);
    t = (await stale.locator('body').innerText()).replace(/\s+/g, ' ');
    check(resp.status() === 409 && t.includes('已由') && t.includes('每张交接单只审阅一次') && t.includes(USER),
          'refused (409) with a clear message naming who reviewed it', `${resp.status()} ${t.slice(0, 300)}`);
    await stale.close();

    console.log('== printable sheets');
    await Promise.all([page.waitForNavigation(), page.click('a.print')]);
    await shot('handovers-print', true);
    check(page.url().includes('print=1') && await page.locator('section.sheet form').count() === 0 &&
          await page.locator('section.sheet .signline').count() === 0 &&
          await page.locator('section.sheet').count() === 3,
          'every sheet, no forms; sheet 3 not confirmed has no sign line', page.url());

    console.log('== the phone: 390x844');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(URL + '/r/handovers');
    await shot('handovers-phone', true);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 400, 'no sideways scrolling on a phone', wide);
    await page.setViewportSize({ width: 1366, height: 768 });

    console.log('== problems: open -> forwarded -> resolved');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/problems"]')]);
    await shot('problems', true);
    t = (await problem('CAB-OLD').innerText()).replace(/\s+/g, ' ');
    check(t.includes('墙面开裂') && t.includes('待转呈') && (await problem('CAB-NEW').innerText()).includes('已转呈'),
          'O1 is open, N2 forwarded (at the cabinet)', t);
    await Promise.all([page.waitForNavigation(), problem('CAB-OLD').locator('button[type="submit"]').click()]);
    t = await text();
    check(t.includes('请填写问题转呈的部门'), 'forward with no department: refused, says what is missing', t.slice(0, 200));
    await page.goto(URL + '/r/problems');
    check((await problem('CAB-OLD').getAttribute('data-state')) === 'open', 'nothing recorded: still open');

    // a forged form (marked: a hidden field edited) naming a problem that does not exist
    await problem('CAB-OLD').locator('input[name="inspection"]').evaluate((e) => { e.value = '99999'; });
    await problem('CAB-OLD').locator('input[name="department"]').fill('工程部');
    const [r404] = await Promise.all([page.waitForNavigation(), problem('CAB-OLD').locator('button[type="submit"]').click()]);
    t = await text();
    check(r404.status() === 404 && t.includes('没有发现问题'), 'an unknown problem: 404, says so', `${r404.status()} ${t.slice(0, 200)}`);

    await page.goto(URL + '/r/problems');
    await problem('CAB-OLD').locator('input[name="department"]').fill('工程部');
    await problem('CAB-OLD').locator('input[name="to"]').fill('王工');
    await Promise.all([page.waitForNavigation(), problem('CAB-OLD').locator('button[type="submit"]').click()]);
    await shot('problem-forwarded', true);
    t = (await problem('CAB-OLD').innerText()).replace(/\s+/g, ' ');
    check(t.includes('已转呈，跟进中') && t.includes('工程部 王工') && t.includes(USER) &&
          /\d{4}-\d\d-\d\d \d\d:\d\d/.test(t), 'forwarded to 工程部 王工, by whom and when', t);

    console.log('== the vacant report printed while it is unresolved');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/r/vacant"]')]);
    await page.fill('input[name=month]', process.env.MONTH);
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type=submit]')]);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: /打印/ }).first().click()]);
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: process.env.PDF, preferCSSPageSize: true, printBackground: true });
    await page.emulateMedia({ media: 'screen' });

    console.log('== resolved');
    await page.goto(URL + '/r/problems');
    await Promise.all([page.waitForNavigation(), problem('CAB-OLD').locator('button[type="submit"]').click()]);
    t = await text();
    check(t.includes('请填写问题的处理结果'), 'resolve with no note: refused, says what is missing', t.slice(0, 200));
    await page.goto(URL + '/r/problems');
    await problem('CAB-OLD').locator('input[name="note"]').fill('已修补墙面');
    await Promise.all([page.waitForNavigation(), problem('CAB-OLD').locator('button[type="submit"]').click()]);
    await shot('problem-resolved', true);
    t = (await problem('CAB-OLD').innerText()).replace(/\s+/g, ' ');
    check(t.includes('已解决') && t.includes('已修补墙面') && t.includes('工程部 王工') &&
          (t.match(new RegExp(USER, 'g')) || []).length >= 2, 'resolved: the note, and who forwarded and resolved it, when', t);
    check(await problem('CAB-OLD').locator('form').count() === 0, 'no form for a resolved problem');
  } finally {
    await browser.close();
  }
});
