// An admin at keyauditd's console imports people from a workbook by the
// import page, in Chinese: signs in with the form, opens 从表格导入,
// chooses 导入人员 and the file (KC_FILE: E20 good, E21 with a bad role,
// E20 again) with the file input, presses 预览导入, reads the preview
// (line 2 to add, lines 3 and 4 rejected with their reasons in Chinese,
// the phone masked), confirms, and reads what was imported with E20's
// one-time enrolment code (a used preview refused again is
// t-estate-import.py's). Everything is typed and clicked as a person
// does (console.js). Run by t-estate-import.py.
'use strict';
const { URL, check, launch, submitLogin, run } = require('./console.js');

run(async () => {
  const { browser, page, shot, text } = await launch();

  try {
    await page.goto(URL + '/login');
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    await page.goto(URL + '/estate/import');
    await shot('import-form');
    let t = await text();
    check(t.includes('从表格导入') && t.includes('表格文件'), 'the import page is in Chinese', t.slice(0, 200));

    console.log('== the file chosen with the file input, previewed');
    await page.getByLabel('文件内容').selectOption({ label: '导入人员' });
    await page.getByLabel('表格文件（CSV 或 XLSX）').setInputFiles(process.env.KC_FILE);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '预览导入' }).click()]);
    await shot('preview', true);
    t = await text();
    check(t.includes('读取行数： 3') && t.includes('新增： 1') && t.includes('拒绝： 2'),
          'the summary: 3 rows read, 1 to add, 2 rejected', t.slice(0, 300));
    const bad3 = await page.locator('#rejected tr[data-line="3"]').innerText();
    check(bad3.includes('人员角色须为') && bad3.includes('厨师'), 'line 3: its role 厨师 refused, in Chinese', bad3);
    const bad4 = await page.locator('#rejected tr[data-line="4"]').innerText();
    check(bad4.includes('第 2 行'), 'line 4: E20 is on line 2 already', bad4);
    const good2 = await page.locator('#accepted tr[data-line="2"]').innerText();
    check(good2.includes('新增') && good2.includes('钱多多') && good2.includes('经理') && good2.includes('138****5678') &&
          !good2.includes('13812345678'), 'line 2: to add, 钱多多, 经理, the phone masked', good2);

    console.log('== confirmed');
    await Promise.all([page.waitForNavigation(), page.locator('#apply').click()]);
    await shot('applied', true);
    t = await text();
    check(t.includes('已导入行数： 1'), 'the page says one row is imported', t.slice(0, 300));
    const code = await page.locator('#applied tr[data-line="2"] code.enrol-code').innerText();
    check(/^\d{6,}$/.test(code), 'E20 has its one-time enrolment code on the page', code);

  } finally {
    await browser.close();
  }
});
