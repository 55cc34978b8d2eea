// A supervisor at keyauditd's console (t-export.py starts the service and
// forwards the events): signs in with the form, opens the key log, picks
// a local day in its from/to date pickers, searches, and clicks the CSV
// link: the download is every row of the filter (KC_ROWS), not the page.
'use strict';
const fs = require('fs');
const { URL, check, launch, submitLogin, run } = require('./console.js');

run(async () => {
  const { browser, page, shot } = await launch();

  try {
    await page.goto(URL + '/login');
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    await page.goto(URL + '/r/keylog');
    await page.fill('form.filter input[name="from"]', process.env.KC_FROM);
    await page.fill('form.filter input[name="to"]', process.env.KC_TO);
    await Promise.all([page.waitForNavigation(), page.click('form.filter button[type="submit"]')]);
    await shot('keylog-filtered');
    const shown = await page.locator('table.report tbody tr').count();
    check(shown > 0 && shown < Number(process.env.KC_ROWS), `the page shows ${shown} rows, a page of the filter`);
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.locator('a.export', { hasText: 'CSV' }).first().click()]);
    const file = await dl.path();
    const data = fs.readFileSync(file);
    const lines = data.toString('utf8').split('\r\n').filter((l) => l.length > 0);
    check(/^keylog-events-\d{8}-\d{4}\.csv$/.test(dl.suggestedFilename()), `saved as ${dl.suggestedFilename()}`);
    check(data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf, 'the download starts with a UTF-8 BOM');
    check(lines[0].startsWith('\ufeff时间,钥匙柜'), `Chinese headers: ${lines[0].slice(0, 20)}`);
    check(lines.length - 1 === Number(process.env.KC_ROWS),
          `every row of the filter: ${lines.length - 1} of ${process.env.KC_ROWS}`);
    check(lines[lines.length - 1].startsWith(process.env.KC_FROM),
          `newest first as on the page: the last row at the local time typed in "from": ${lines[lines.length - 1].slice(0, 19)}`);
  } finally {
    await browser.close();
  }
});
