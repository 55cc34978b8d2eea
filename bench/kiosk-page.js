// The terminal's page in Chromium, for bench/kiosk-page.sh: loads it N
// times in fresh contexts (nothing cached; each paired first, as the
// display pairs, its pairing not counted) and once more in the same
// context (revalidated by ETag); prints the bytes each load transferred
// (headers and bodies, every request) and any request that left the kiosk.
'use strict';
const { launch, pair } = require('../tests/kiosk/lib.js');

const URL0 = process.env.KIOSK_URL;
const N = Number(process.env.BENCH_LOADS || 20);
const origin = new URL(URL0).origin;

// A load of the page; fresh: the context's first, through the pairing
// (its own requests, the display's file, /pair and pair.js, not counted).
async function load(t, fresh) {
  const sizes = [];
  const onDone = async (req) => {
    if (/^file:|\/pair\?|\/pair\.js$/.test(req.url())) return;
    const s = await req.sizes().catch(() => null);
    if (s) sizes.push(s.responseHeadersSize + s.responseBodySize + s.requestHeadersSize + s.requestBodySize);
  };
  t.page.on('requestfinished', onDone);
  const t0 = Date.now();
  if (fresh) {
    await pair(t);
    await t.page.waitForLoadState('networkidle');
  } else {
    await t.page.goto(URL0, { waitUntil: 'networkidle' });
  }
  const ms = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 200));
  t.page.off('requestfinished', onDone);
  return { bytes: sizes.reduce((a, b) => a + b, 0), requests: sizes.length, ms };
}

(async () => {
  const { browser, terminal } = await launch({ test: 'bench-kiosk-page' });
  const fresh = [];
  let foreign = [];
  let t;
  for (let i = 0; i < N; i++) {
    if (t) await t.context.close();
    t = await terminal(`load${i}`);
    fresh.push(await load(t, true));
    foreign = foreign.concat(t.requests.filter((u) => !u.startsWith(origin + '/') && u !== process.env.KIOSK_PAIR));
  }
  const again = await load(t);
  await t.shot('page');
  fresh.sort((a, b) => a.ms - b.ms);
  const med = fresh[Math.floor(fresh.length / 2)];
  console.log(`page load, nothing cached: ${med.bytes} bytes in ${med.requests} requests, median ${med.ms} ms over ${N}`);
  console.log(`page load again (ETag): ${again.bytes} bytes in ${again.requests} requests`);
  console.log(`requests elsewhere: ${foreign.length}`);
  console.log(`FIGURES ${JSON.stringify({ bytes: med.bytes, requests: med.requests, ms: med.ms, again: again.bytes, foreign: foreign.length })}`);
  await browser.close();
})();
