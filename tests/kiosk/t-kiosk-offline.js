// The browser side of t-kiosk-offline.sh: how long after the link to the
// audit service is cut (right after a heartbeat, the worst moment) the
// idle screen says 审计链路离线, three times; then keycabd stopped and the
// banner. Each within the heartbeat (HEARTBEAT_MS). Env: KIOSK_URL,
// KIOSK_PAIR, HEARTBEAT_MS, T.
'use strict';
const fs = require('fs');
const path = require('path');
const { browserTest, pair, until, check, shell } = require('./lib.js');

const HB = Number(process.env.HEARTBEAT_MS);

browserTest('t-kiosk-offline', async ({ terminal }) => {
  const t = await terminal('idle');
  const page = t.page;
  const link = () => page.textContent('[data-t=idle-link]').catch(() => '');
  const cutAt = () => Number(fs.readFileSync(path.join(process.env.T, 'cut'), 'utf8'));
  check(await pair(t), 'paired as the display pairs it');
  await page.goto(process.env.KIOSK_URL);
  await page.waitForSelector('[data-t=idle-link]');
  const shown = [];
  for (let i = 1; i <= 3; i++) {
    check(await until(async () => (await link()).startsWith('审计链路在线'), 15000), `${i}: the link online`, await link());
    await page.waitForTimeout(300 + 500 * i); /* a heartbeat or more of online, each time at another phase */
    await shell(`cut-${i}`);
    const cut = cutAt();
    const seen = await until(async () => (await link()).startsWith('审计链路离线'), 4 * HB, 10) ? Date.now() : null;
    const ms = seen === null ? null : seen - cut;
    shown.push(ms);
    check(ms !== null && ms <= HB, `${i}: cut right after a heartbeat: 审计链路离线 on screen after ${ms} ms (heartbeat ${HB} ms)`);
    if (i === 1) await t.shot('link-offline');
    await shell(`mend-${i}`);
  }
  console.log(`       offline shown after ${shown.join(', ')} ms; heartbeat ${HB} ms`);

  await shell('kcd-stop');
  const stop = cutAt();
  const down = await until(() => page.isVisible('[data-t=down]'), 4 * HB, 10) ? Date.now() - stop : null;
  check(down !== null && down <= HB, `keycabd stopped: its banner after ${down} ms (heartbeat ${HB} ms)`);
  await t.shot('keycabd-down');
});
