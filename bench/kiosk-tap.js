// The terminal's latencies and bytes per screen, for bench/kiosk-tap.sh:
// real Chromium (tests/kiosk/lib.js: touch, 1024x600, zh-CN) on
// keycab-kiosk on keycabd on keycab-sim with the demo estate.
//
// Releases of the keys in slots B01-B08, the Waveshare board's, which
// times its own pulses: a host-timed pulse ending on the same RS485 bus
// holds that bus's scans for up to the Modbus timeout (hw/README.md,
// "Bounded pulses"; tests/controller/subcheck.py does the same). Each
// cycle is release -> the key taken at the sim -> put back, alternately
// from the page and from `keycab` (the CLI), over the same keys:
//   tap to open    the tap on 开格 Open slot (touchscreen.tap; the time just before
//                  it is dispatched) to the coil on in keycab-sim's history
//                  (CLOCK_MONOTONIC, as process.hrtime); the CLI: its
//                  process spawned to the coil on. The tap comes
//                  BENCH_PAUSE_MS (default 250) after the last digit of
//                  the work order, a person's pause: a tap sent a few ms
//                  after the one before waits in Chromium for the frame
//                  that one drew (up to a frame, 16.7 ms), which no finger
//                  is quick enough to meet. The rows "the tap to its
//                  touchstart ..." show where the time goes.
//   key to screen  `remove SLOT` sent to the sim to the first animation
//                  frame after the page shows 已取走 (both wall clocks of
//                  this machine); baseline: the same removal to keycabd's
//                  release.taken push read by a subscriber of our own
//   bytes          received by the page per screen visit (headers and
//                  bodies, the event stream's chunks included; Chromium's
//                  DevTools Network events), and requests elsewhere
// Env: KIOSK_URL, SIM_CONTROL, KEYCAB_SOCKET, KEYCAB_BIN, KIOSK_PID,
// BENCH_TAPS (page releases, and as many by the CLI; default 200),
// BENCH_PAUSE_MS (the pause before the tap on 开格; default 250),
// BENCH_TOKEN (a staff session: the same releases on keycabd's socket from
// a connection kept open, the floor beneath both).
// Prints the figures and "FIGURES {json}"; exit 1 when a cycle failed.
'use strict';
const fs = require('fs');
const net = require('net');
const { execFile } = require('child_process');
const { performance } = require('perf_hooks');
const { launch, pair, sim } = require('../tests/kiosk/lib.js');

const URL0 = process.env.KIOSK_URL;
const N = Number(process.env.BENCH_TAPS || 200);
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 250);
const BIN = process.env.KEYCAB_BIN;
const KIOSK_PID = process.env.KIOSK_PID;
const KEYS = [['K-HY-1-108', 'B01'], ['K-HY-2-102', 'B02'], ['K-HY-2-105', 'B03'], ['K-LJ-3-202', 'B04'],
  ['K-LJ-3-207', 'B05'], ['K-HY-1-105', 'B06'], ['K-HY-1-106', 'B07'], ['K-LJ-5-104', 'B08']];

const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(5);
  }
}
const coil = async (slot) => (await sim('coil ' + slot)).endsWith('on');
// the time (us, CLOCK_MONOTONIC) of the slot's last coil-on in the sim
async function lastOn(slot) {
  const ons = (await sim('history ' + slot)).split(' ').filter((w) => w.startsWith('ON@'));
  return Number(ons[ons.length - 1].slice(3));
}
function rss() {
  const st = fs.readFileSync(`/proc/${KIOSK_PID}/status`, 'utf8');
  const f = (k) => Number(new RegExp(k + ':\\s+(\\d+)').exec(st)[1]);
  return { rss: f('VmRSS'), hwm: f('VmHWM') };
}

// A subscriber of our own on keycabd's socket: each push stamped with the
// wall time it was read.
function subscribe() {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(process.env.KEYCAB_SOCKET);
    const sub = { pushes: [], waiters: [] };
    let buf = '', first = true;
    s.on('data', (d) => {
      const at = wallMs();
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const o = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (first) {
          first = false;
          if (!o.ok) reject(new Error('subscribe: ' + JSON.stringify(o)));
          sub.tz = o.status && o.status.time_zone;
          resolve(sub);
          continue;
        }
        if (o.push === 'event') sub.pushes.push({ at, ev: o.event });
      }
    });
    s.on('error', reject);
    s.write(JSON.stringify({ op: 'subscribe', session: process.env.BENCH_TOKEN }) + '\n');
    sub.close = () => s.destroy();
  });
}
const pushOf = (sub, type, loan) => sub.pushes.find((p) => p.ev.type === type && String(p.ev.data.loan) === String(loan));

function pct(xs, p) {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * p / 100))];
}

(async () => {
  const sub = await subscribe();
  const rss0 = rss();
  const { browser, terminal } = await launch({ test: 'bench-kiosk-tap' });
  const t = await terminal('bench');
  const page = t.page;
  const origin = new URL(URL0).origin;

  // bytes received per screen visit, from Chromium's network events
  const visits = [];
  let cur = null;
  const enter = (screen) => { cur = { screen, bytes: 0, requests: 0 }; visits.push(cur); };
  const cdp = await t.context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map();
  let releaseSent = null; // CDP's timestamp: CLOCK_MONOTONIC seconds (Chromium's TimeTicks)
  cdp.on('Network.requestWillBeSent', (e) => {
    if (cur) cur.requests++;
    seen.set(e.requestId, 0);
    if (e.request.url.endsWith('/api/op/release')) releaseSent = e.timestamp * 1e6;
  });
  cdp.on('Network.dataReceived', (e) => {
    if (!cur || !e.encodedDataLength) return;
    cur.bytes += e.encodedDataLength;
    seen.set(e.requestId, (seen.get(e.requestId) || 0) + e.encodedDataLength);
  });
  cdp.on('Network.loadingFinished', (e) => {
    if (cur) cur.bytes += Math.max(0, e.encodedDataLength - (seen.get(e.requestId) || 0));
    seen.delete(e.requestId);
  });
  const tap = async (sel, next) => { enter(next); await page.tap(sel); };

  // the first animation frame after an element shows
  const watchFor = (sel) => page.evaluate((s) => {
    window.__kb = {};
    const mo = new MutationObserver(() => {
      if (window.__kb.dom || !document.querySelector(s)) return;
      window.__kb.dom = performance.timeOrigin + performance.now();
      requestAnimationFrame(() => { window.__kb.frame = performance.timeOrigin + performance.now(); });
      mo.disconnect();
    });
    mo.observe(document.body, { childList: true, subtree: true });
  }, sel);

  await pair(t);
  enter('idle (page load)');
  await page.goto(URL0, { waitUntil: 'networkidle' });
  // when the tap's touch events reach the page (wall clock, as the bench's)
  await page.evaluate(() => {
    for (const n of ['touchstart', 'touchend']) {
      document.addEventListener(n, () => { if (window.__kt) window.__kt[n] = performance.timeOrigin + performance.now(); },
        { capture: true, passive: true });
    }
  });
  await tap('[data-t=login-pin]', 'names');
  await page.waitForSelector('[data-t=name-S01]');
  await tap('[data-t=name-S01]', 'pin');
  for (const d of '1111') await page.tap(`[data-k="${d}"]`);
  await tap('[data-t=pin-ok]', 'home');
  await page.waitForSelector('[data-t=tile-repair]');
  await t.shot('home');
  const rss1 = rss();

  const lat = { page: [], cli: [], screen: [], dom: [], push: [], toFetch: [], fetchToOn: [], toStart: [], toEnd: [], toCall: [], direct: [] };
  let refusals = 0;
  const started = Date.now();

  async function ready(slot) {
    await until(async () => !(await coil(slot)), 15000, `coil ${slot} off`);
  }
  async function takeAndReturn(slot, loan, onPage) {
    if (onPage) await watchFor('[data-t=taken]');
    const tr = wallMs();
    await sim('remove ' + slot);
    const p = await until(async () => pushOf(sub, 'release.taken', loan), 5000, `release.taken of loan ${loan}`);
    lat.push.push(p.at - tr);
    if (onPage) {
      const kb = await until(() => page.evaluate(() => window.__kb.frame && window.__kb), 5000, '已取走 on the page');
      lat.screen.push(kb.frame - tr);
      lat.dom.push(kb.dom - tr);
      if (lat.screen.length === 1) await t.shot('taken');
      await tap('[data-t=done]', 'home');
    }
    await sim('insert ' + slot + ' 0');
    await until(async () => pushOf(sub, 'loan.returned', loan), 5000, `loan.returned of loan ${loan}`);
  }

  async function pageCycle(key, slot, i) {
    await tap('[data-t=tile-repair]', 'keys');
    await tap(`[data-t=key-${key}]`, 'borrower');
    await tap('[data-t=name-E01]', 'release');
    await page.waitForSelector('[data-t=field-wo]');
    for (const d of String(1000 + i)) await page.tap(`[data-k="${d}"]`);
    await ready(slot);
    const box = await (await page.$('[data-t=open]')).boundingBox();
    await sleep(PAUSE_MS);
    enter('grant');
    releaseSent = null;
    await page.evaluate(() => { window.__kt = {}; });
    const t0w = wallMs();
    const t0 = monoUs();
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    const shown = await page.waitForSelector('[data-t=slot-open], [data-t=refusal]');
    if ((await shown.getAttribute('data-t')) === 'refusal') {
      refusals++;
      throw new Error(`page release of ${key} refused: ${await shown.textContent()}`);
    }
    await until(() => coil(slot), 5000, `coil ${slot} on`);
    const on = await lastOn(slot);
    if (on < t0) throw new Error(`coil ${slot}: no coil-on after the tap`);
    lat.page.push((on - t0) / 1000);
    if (releaseSent && releaseSent >= t0 && releaseSent <= on) {
      lat.toFetch.push((releaseSent - t0) / 1000);
      lat.fetchToOn.push((on - releaseSent) / 1000);
    }
    const kt = await page.evaluate(() => {
      const r = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/op/release')).pop();
      performance.clearResourceTimings();
      return { ...window.__kt, fetch: r && performance.timeOrigin + r.startTime };
    });
    if (kt.touchstart && kt.touchend && kt.fetch) {
      lat.toStart.push(kt.touchstart - t0w);
      lat.toEnd.push(kt.touchend - t0w);
      lat.toCall.push(kt.fetch - t0w);
    }
    if (lat.page.length === 1) await t.shot('slot-open');
    const loan = await page.getAttribute('[data-t=grant]', 'data-loan');
    await takeAndReturn(slot, loan, true);
  }

  function cli(args) {
    return new Promise((resolve) => execFile(`${BIN}/keycab`, args, (err, out, errout) =>
      resolve({ rc: err ? err.code : 0, out, errout })));
  }
  async function cliCycle(key, slot, i) {
    await ready(slot);
    // due as the page sends it: the end of the cabinet's day
    const due = new Intl.DateTimeFormat('en-CA', { timeZone: sub.tz || 'UTC' }).format(new Date()) + ' 23:59';
    const t0 = monoUs();
    const r = await cli(['--json', 'release', key, '--purpose', 'repair', '--borrower', 'E01',
      '--work-order', String(2000 + i), '--due', due]);
    if (r.rc !== 0) { refusals++; throw new Error(`keycab release ${key}: exit ${r.rc}: ${r.errout}`); }
    await until(() => coil(slot), 5000, `coil ${slot} on`);
    const on = await lastOn(slot);
    if (on < t0) throw new Error(`coil ${slot}: no coil-on after keycab`);
    lat.cli.push((on - t0) / 1000);
    await takeAndReturn(slot, JSON.parse(r.out).loan, false);
  }

  // The floor: the same release on keycabd's socket from a connection
  // already open (no process to start, no HTTP, no page).
  let direct = null;
  function directOpen() {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(process.env.KEYCAB_SOCKET, () => resolve(d));
      const d = { s, buf: '', waiter: null, closed: false };
      s.on('data', (b) => {
        d.buf += b;
        const i = d.buf.indexOf('\n');
        if (i >= 0 && d.waiter) { const line = d.buf.slice(0, i); d.buf = d.buf.slice(i + 1); d.waiter(JSON.parse(line)); d.waiter = null; }
      });
      s.on('close', () => { d.closed = true; });
      s.on('error', reject);
    });
  }
  async function directCycle(key, slot, i) {
    await ready(slot);
    if (!direct || direct.closed) direct = await directOpen();
    const due = new Intl.DateTimeFormat('en-CA', { timeZone: sub.tz || 'UTC' }).format(new Date()) + ' 23:59';
    const req = JSON.stringify({ op: 'release', session: process.env.BENCH_TOKEN, key, purpose: 'repair', borrower: 'E01',
      work_order: String(3000 + i), due }) + '\n';
    let rep, t0;
    for (let tries = 0; ; tries++) {
      const answered = new Promise((resolve) => { direct.waiter = resolve; });
      t0 = monoUs();
      direct.s.write(req);
      rep = await answered;
      /* keycabd sees the last pulse end at its next scan, a moment after
       * the sim: the slot is busy until then (rule 10); ask again */
      if (rep.ok || rep.code !== 'release_slot_busy' || tries >= 20) break;
      await sleep(50);
    }
    if (!rep.ok) { refusals++; throw new Error(`release ${key} on the socket: ${JSON.stringify(rep)}`); }
    await until(() => coil(slot), 5000, `coil ${slot} on`);
    const on = await lastOn(slot);
    if (on < t0) throw new Error(`coil ${slot}: no coil-on after the socket's release`);
    lat.direct.push((on - t0) / 1000);
    await takeAndReturn(slot, rep.loan, false);
  }

  let failed = null;
  try {
    for (let i = 0; i < N; i++) {
      const [pk, ps] = KEYS[(3 * i) % KEYS.length];
      const [ck, cs] = KEYS[(3 * i + 1) % KEYS.length];
      const [dk, ds] = KEYS[(3 * i + 2) % KEYS.length];
      await pageCycle(pk, ps, i);
      await cliCycle(ck, cs, i);
      if (process.env.BENCH_TOKEN) await directCycle(dk, ds, i);
    }
  } catch (e) {
    failed = e;
    console.log('bench cycle failed: ' + (e.stack || e));
    await t.shot('failure').catch(() => {});
  }
  const secs = (Date.now() - started) / 1000;
  const rss2 = rss();
  await browser.close();
  sub.close();
  if (direct) direct.s.destroy();

  const foreign = t.requests.filter((u) => !u.startsWith(origin + '/') && u !== process.env.KIOSK_PAIR);
  const per = {};
  for (const v of visits) {
    const s = per[v.screen] || (per[v.screen] = { visits: 0, bytes: 0, max: 0, requests: 0 });
    s.visits++; s.bytes += v.bytes; s.requests += v.requests; s.max = Math.max(s.max, v.bytes);
  }
  const f1 = (x) => x.toFixed(1);
  const f2 = (x) => x.toFixed(2);
  console.log(`${lat.page.length} page releases, ${lat.cli.length} by keycab and ${lat.direct.length} on the socket, in turn over B01-B08, in ${secs.toFixed(0)} s; the tap on 开格 ${PAUSE_MS} ms after the last digit`);
  if (!lat.page.length || !lat.cli.length || !lat.screen.length) process.exit(1);
  const tap50 = pct(lat.page, 50), tap99 = pct(lat.page, 99), cli50 = pct(lat.cli, 50), cli99 = pct(lat.cli, 99);
  const scr50 = pct(lat.screen, 50), scr99 = pct(lat.screen, 99), push50 = pct(lat.push, 50), push99 = pct(lat.push, 99);
  const maxScreen = Math.max(...Object.values(per).map((s) => s.max));
  console.log('');
  console.log('| what | n | p50 ms | p99 ms | max ms | baseline (same run) | ratio p50 / p99 | target |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(`| tap to open: the tap on 开格 (Open slot) to the coil on | ${lat.page.length} | ${f1(tap50)} | ${f1(tap99)} | ${f1(Math.max(...lat.page))} | keycab release to the coil on: p50 ${f1(cli50)}, p99 ${f1(cli99)} (n ${lat.cli.length}) | ${f2(tap50 / cli50)} / ${f2(tap99 / cli99)} | p99 < 300 ms and <= 1.5x the CLI: ${tap99 < 300 && tap99 <= 1.5 * cli99 ? 'met' : 'NOT met'} |`);
  const row = (what, xs) => { if (xs.length) console.log(`| ${what} | ${xs.length} | ${f1(pct(xs, 50))} | ${f1(pct(xs, 99))} | ${f1(Math.max(...xs))} | | | |`); };
  if (lat.direct.length) {
    const d50 = pct(lat.direct, 50), d99 = pct(lat.direct, 99);
    console.log(`| the same release on keycabd's socket, connection open, to the coil on | ${lat.direct.length} | ${f1(d50)} | ${f1(d99)} | ${f1(Math.max(...lat.direct))} | | page / this: ${f2(tap50 / d50)} / ${f2(tap99 / d99)}; keycab / this: ${f2(cli50 / d50)} / ${f2(cli99 / d99)} | |`);
  }
  row('... the tap to its touchstart in the page', lat.toStart);
  row('... the tap to its touchend in the page', lat.toEnd);
  row('... the tap to the page\'s fetch() of /api/op/release', lat.toCall);
  if (lat.toFetch.length) {
    console.log(`| ... the tap to the page's POST /api/op/release leaving Chromium | ${lat.toFetch.length} | ${f1(pct(lat.toFetch, 50))} | ${f1(pct(lat.toFetch, 99))} | ${f1(Math.max(...lat.toFetch))} | | | |`);
    console.log(`| ... that POST to the coil on (keycab-kiosk, keycabd, Modbus) | ${lat.fetchToOn.length} | ${f1(pct(lat.fetchToOn, 50))} | ${f1(pct(lat.fetchToOn, 99))} | ${f1(Math.max(...lat.fetchToOn))} | | | |`);
  }
  console.log(`| key to screen: removal at the sim to 已取走 painted | ${lat.screen.length} | ${f1(scr50)} | ${f1(scr99)} | ${f1(Math.max(...lat.screen))} | removal to keycabd's release.taken push read: p50 ${f1(push50)}, p99 ${f1(push99)} (n ${lat.push.length}) | ${f2(scr50 / push50)} / ${f2(scr99 / push99)} | p99 < 250 ms: ${scr99 < 250 ? 'met' : 'NOT met'} |`);
  console.log(`| ... to 已取走 in the page's DOM | ${lat.dom.length} | ${f1(pct(lat.dom, 50))} | ${f1(pct(lat.dom, 99))} | ${f1(Math.max(...lat.dom))} | | | |`);
  console.log('');
  console.log('| screen | visits | bytes received, mean | max | requests per visit | baseline: the page load | ratio max / page load | target |');
  console.log('|---|---|---|---|---|---|---|---|');
  const load = per['idle (page load)'].max;
  for (const [name, s] of Object.entries(per)) {
    console.log(`| ${name} | ${s.visits} | ${Math.round(s.bytes / s.visits)} | ${s.max} | ${f1(s.requests / s.visits)} | ${load} | ${f2(s.max / load)} | < 102400: ${s.max < 102400 ? 'met' : 'NOT met'} |`);
  }
  console.log(`requests elsewhere: ${foreign.length} ${foreign.slice(0, 3).join(' ')}`);
  console.log('');
  console.log('| keycab-kiosk RSS | kB | baseline: at start | ratio | target |');
  console.log('|---|---|---|---|---|');
  console.log(`| at start, no page | ${rss0.rss} | ${rss0.rss} | 1.00 | |`);
  console.log(`| page loaded, logged in | ${rss1.rss} | ${rss0.rss} | ${f2(rss1.rss / rss0.rss)} | < 10240: ${rss1.rss < 10240 ? 'met' : 'NOT met'} |`);
  console.log(`| after the ${lat.page.length} page releases | ${rss2.rss} | ${rss0.rss} | ${f2(rss2.rss / rss0.rss)} | < 10240: ${rss2.rss < 10240 ? 'met' : 'NOT met'} |`);
  console.log(`| peak (VmHWM) | ${rss2.hwm} | ${rss0.rss} | ${f2(rss2.hwm / rss0.rss)} | < 10240: ${rss2.hwm < 10240 ? 'met' : 'NOT met'} |`);
  const met = tap99 < 300 && tap99 <= 1.5 * cli99 && scr99 < 250 && maxScreen < 102400 && foreign.length === 0 && rss2.hwm < 10240;
  console.log('FIGURES ' + JSON.stringify({ tap50, tap99, cli50, cli99, scr50, scr99, push50, push99, maxScreen,
    foreign: foreign.length, rss0: rss0.rss, rss1: rss1.rss, rss2: rss2.rss, hwm: rss2.hwm, refusals, met }));
  console.log(met ? 'every target met' : 'a target NOT met');
  process.exit(failed || lat.page.length < N || !met ? 1 : 0);
})().catch((e) => { console.log('bench failed: ' + (e.stack || e)); process.exit(1); });
