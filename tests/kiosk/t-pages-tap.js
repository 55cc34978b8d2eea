// The release button under a finger, for t-pages-tap.sh: real Chromium
// (tests/kiosk/lib.js: touch, 1024x600, zh-CN), real touches dispatched
// through DevTools (Input.dispatchTouchEvent, as a touchscreen sends
// them), the coil watched at keycab-sim. Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL.
'use strict';
const { launch, pair, until, check, failures, sim, coilOns, loginPin } = require('./lib.js');

const URL0 = process.env.KIOSK_URL;

(async () => {
  const { browser, terminal } = await launch({ test: 't-pages-tap' });
  const t = await terminal('tap');
  const page = t.page;
  const cdp = await t.context.newCDPSession(page);
  await cdp.send('Network.enable');
  const releases = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.url.endsWith('/api/op/release')) releases.push(e.timestamp);
  });
  const touch = (type, x, y) => cdp.send('Input.dispatchTouchEvent',
    { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1 }] });
  const center = async (sel) => {
    const b = await (await page.$(sel)).boundingBox();
    return [b.x + b.width / 2, b.y + b.height / 2, b];
  };
  const coilOn = async (slot) => (await sim('coil ' + slot)).endsWith('on');
  const settle = () => page.waitForTimeout(700); // longer than any tap-to-click delay

  check(await pair(t), 'paired as the display pairs it');
  await page.goto(URL0, { waitUntil: 'networkidle' });
  // every click the page receives, from here on
  await page.evaluate(() => {
    window.__clicks = [];
    document.addEventListener('click', (e) => window.__clicks.push(e.target.getAttribute('data-t')), true);
  });
  const clicks = () => page.evaluate(() => window.__clicks.splice(0));
  check(await loginPin(t, 'S01', '1111'), 'S01 logged in by PIN');

  async function form(key, wo) {
    await page.tap('[data-t=tile-repair]');
    await page.tap(`[data-t=key-${key}]`);
    await page.tap('[data-t=name-E01]');
    await page.waitForSelector('[data-t=field-wo]');
    for (const d of wo) await page.tap(`[data-k="${d}"]`);
    await page.waitForSelector('[data-t=open]');
    await clicks();
    releases.length = 0;
  }
  async function back(slot) {
    await page.waitForSelector('[data-t=not-taken]', { timeout: 15000 });
    await until(async () => !(await coilOn(slot)), 10000);
    await page.tap('[data-t=done]');
    await page.waitForSelector('[data-t=tile-repair]');
  }

  /* a finger that lands on 开格 and slides off it before lifting opens nothing */
  await form('K-HY-1-108', '101');
  await sim('clear-history');
  let [x, y, box] = await center('[data-t=open]');
  await touch('touchStart', x, y);
  for (let dy = 10; dy <= box.height + 80; dy += 10) await touch('touchMove', x, y - dy);
  await touch('touchEnd');
  await settle();
  check(releases.length === 0, 'a touch slid off 开格 sends no release', `${releases.length} sent`);
  check((await coilOns('B01')) === 0, 'a touch slid off 开格: B01 stays shut');
  check(!!(await page.$('[data-t=open]')), 'a touch slid off 开格: the release form stays');

  /* a tap: the release leaves as the finger lifts, once, with no click */
  [x, y] = await center('[data-t=open]');
  await touch('touchStart', x, y);
  await touch('touchEnd');
  await page.waitForSelector('[data-t=slot-open], [data-t=refusal]');
  check(!!(await page.$('[data-t=slot-open]')), 'a tap on 开格 opens the slot');
  check(await until(() => coilOn('B01'), 5000), 'a tap on 开格: B01\'s coil on at the simulator');
  await t.shot('slot-open');
  await settle();
  const c = await clicks();
  check(c.length === 0, 'the tap was acted on at the finger\'s lift: no click after it', `clicks on ${JSON.stringify(c)}`);
  check(releases.length === 1, 'one tap, one release', `${releases.length} sent`);
  check((await coilOns('B01')) === 1, 'one tap: B01 opened once', `${await coilOns('B01')} times`);
  check(!!(await page.$('[data-t=slot-open]')), 'the grant stays on screen after the tap');
  await back('B01');

  /* two quick taps: still one release */
  await form('K-HY-2-102', '102');
  await sim('clear-history');
  [x, y] = await center('[data-t=open]');
  for (let i = 0; i < 2; i++) { await touch('touchStart', x, y); await touch('touchEnd'); }
  await page.waitForSelector('[data-t=slot-open], [data-t=refusal]');
  await settle();
  check(releases.length === 1, 'two quick taps on 开格: one release', `${releases.length} sent`);
  check((await coilOns('B02')) === 1, 'two quick taps: B02 opened once', `${await coilOns('B02')} times`);
  await back('B02');

  /* a mouse (or a keyboard's Enter) still clicks it */
  await form('K-HY-2-105', '103');
  await sim('clear-history');
  [x, y] = await center('[data-t=open]');
  await page.mouse.click(x, y);
  await page.waitForSelector('[data-t=slot-open], [data-t=refusal]');
  check(await until(() => coilOn('B03'), 5000), 'a mouse click on 开格 opens B03');
  await settle();
  check(releases.length === 1, 'a click: one release', `${releases.length} sent`);
  await back('B03');

  await browser.close();
  process.exit(failures() ? 1 : 0);
})().catch((e) => { console.log('FAIL - ' + (e.stack || e)); process.exit(1); });
