// Alarms that speak up (t-kiosk-alarm.sh). Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const { browserTest, pair, until, check, sim, shell, loginPin } = require('./lib.js');

browserTest('t-kiosk-alarm', async ({ terminal }) => {
  const t = await terminal('desk');
  const page = t.page;
  const text = async (sel) => ((await page.$(sel)) ? page.textContent(sel) : '');
  check(await pair(t), 'paired as the display pairs it');
  await page.waitForSelector('[data-t=idle]');

  /* a key put back in another key's slot: no good return */
  await shell('two-out');
  await sim('insert A08 ' + 0x1007);
  await page.waitForSelector('[data-t=returned], [data-t=returned-wrong]', { timeout: 5000 });
  const ret = await page.$eval('#notice', (n) => ({ text: n.textContent, good: !!n.querySelector('.note.good') }));
  check(!ret.good && !/已放回 A08 号格/.test(ret.text),
    'a key put in another key\'s slot is not shown as a good return: ' + ret.text);
  check(/A08/.test(ret.text) && /A07/.test(ret.text) && /放错/.test(ret.text),
    'the notice says the key is in the wrong slot (A08), its own slot A07: ' + ret.text);
  await t.shot('wrong-slot-return');
});
