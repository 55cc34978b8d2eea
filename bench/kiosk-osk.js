// The on-screen keyboard's latency, for bench/kiosk-osk.sh: real Chromium
// (tests/kiosk/lib.js: touch, 1024x600, zh-CN) on keycab-kiosk with the
// luna_pinyin dictionary. The find screen's search box, its keyboard open:
//   pinyin    each letter of BENCH_WORDS' pinyin tapped in 中 (a touch
//             dispatched through DevTools, as a touchscreen sends it):
//             its touchend in the page (a key acts as the finger lifts:
//             dom.js press) to the first animation frame
//             after the candidate bar shows the words of the pinyin typed
//             so far: drawn from the words the kiosk sent with its
//             answer for the letters before (keyboard.js's memory), or
//             when the kiosk answered /api/pinyin for these letters;
//             a word's pinyin ends with a tap on its word, not timed
//   baseline  the same letters tapped in English: the touchend to the
//             first frame after the letter is in the field (no lookup;
//             the search box filters the key list at each letter)
// Both in the page's clock (performance.now). Env: KIOSK_URL, KIOSK_PAIR,
// BENCH_ROUNDS (times through the words; default 4).
// Prints the figures and "FIGURES {json}"; exit 1 when a tap went unanswered.
'use strict';
const { launch, pair, loginPin } = require('../tests/kiosk/lib.js');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const WORDS = ['weishengjian', 'loushui', 'menchuang', 'zhangwei', 'xiaoqu', 'yaoshi', 'dianti', 'shuibiao',
  'chufang', 'qiangmian', 'shenqing', 'weixiu', 'kongtiao', 'menjin', 'tingchechang', 'guanliyuan'];

function pct(xs, p) {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * p / 100))];
}
const f1 = (x) => x.toFixed(1);

(async () => {
  const { browser, terminal } = await launch({ test: 'bench-kiosk-osk' });
  const t = await terminal('bench');
  const page = t.page;
  const cdp = await t.context.newCDPSession(page);
  let failed = 0;
  try {
    if (!(await pair(t))) throw new Error('not paired');
    if (!(await loginPin(t, 'S01', '1111'))) throw new Error('no login');
    await page.tap('[data-t=tile-find]');
    await page.tap('[data-t=search]');
    await page.waitForSelector('#osk:not([hidden])');
    // the page's own clock: the touchend, and the frame after what it waits for
    await page.evaluate(() => {
      const m = window.__osk = { t0: 0, want: null, kind: null, res: [], parts: [], memo: [] };
      const bar = document.querySelector('#osk [data-t=osk-bar]');
      performance.setResourceTimingBufferSize(100000);
      const done = () => {
        const t0 = m.t0, want = m.want, now = performance.now();
        m.want = null;
        if (m.kind === 'bar') {
          /* where the time went: drawn from memory (no answer of this tap's
           * request before it) in the tap's own events; or to the lookup's
           * request, the request to its answer, the answer to the bar */
          const r = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/pinyin?') &&
            e.startTime >= t0 && new URL(e.name).searchParams.get('q') === want).pop();
          if (r) m.parts.push([r.startTime - t0, r.responseEnd - r.startTime, now - r.responseEnd]);
          else m.memo.push(now - t0);
        }
        requestAnimationFrame(() => m.res.push(performance.now() - t0));
      };
      /* a key acts as the finger lifts: the tap's time is its touchend's */
      document.addEventListener('touchend', () => { m.t0 = performance.now(); }, true);
      new MutationObserver(() => {
        if (m.kind === 'bar' && m.want !== null && bar.getAttribute('data-q') === m.want && bar.querySelector('[data-t=osk-cand]')) done();
      }).observe(bar, { attributes: true, childList: true, subtree: true });
      document.addEventListener('input', (e) => {
        if (m.kind === 'field' && m.want !== null && e.target.value.endsWith(m.want)) done();
      }, true);
    });
    const centers = await page.$$eval('#osk [data-osk]', (bs) => Object.fromEntries(bs.map((b) => {
      const r = b.getBoundingClientRect();
      return [b.dataset.osk, [r.left + r.width / 2, r.top + r.height / 2]];
    })));
    const tap = async (k) => {
      const [x, y] = centers[k];
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y, id: 1 }] });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    const answered = async (n) => {
      const end = Date.now() + 5000;
      while (Date.now() < end) {
        if ((await page.evaluate(() => window.__osk.res.length)) >= n) return true;
        await new Promise((r) => setTimeout(r, 2));
      }
      return false;
    };
    const mode = async (want) => {
      if ((await page.getAttribute('#osk', 'data-mode')) !== want) await tap('lang');
    };
    const run = async (kind) => {
      const out = [];
      await page.evaluate((k) => { window.__osk.kind = k; window.__osk.res = []; }, kind);
      for (let r = 0; r < ROUNDS; r++) {
        for (const w of WORDS) {
          for (let i = 0; i < w.length; i++) {
            await page.evaluate((want) => { window.__osk.want = want; }, kind === 'bar' ? w.slice(0, i + 1) : w.slice(i, i + 1));
            const n = out.length + 1;
            await tap(w[i]);
            if (!(await answered(n))) { failed++; console.log(`no answer to "${w[i]}" of ${w}`); await page.evaluate(() => window.__osk.res.push(NaN)); }
            out.push(await page.evaluate((j) => window.__osk.res[j], n - 1));
          }
          // the word taken (pinyin), or the field emptied (English)
          if (kind === 'bar') await page.tap('#osk [data-t=osk-cand]');
          await page.evaluate(() => { window.__osk.want = null; });
          const len = await page.$eval('[data-t=search]', (e) => e.value.length);
          for (let i = 0; i < len; i++) await tap('back');
        }
      }
      return out.filter((x) => !Number.isNaN(x));
    };
    await mode('en');
    await run('field'); // a round to warm both up, not counted
    const base = await run('field');
    const heap = () => page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1024 : NaN));
    const heapEn = await heap();
    await mode('zh');
    const pin = await run('bar');
    const heapZh = await heap();
    /* what the kiosk sent: the bytes of each /api/pinyin answer's body */
    const sizes = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/pinyin?')).map((e) => e.encodedBodySize));
    await t.shot('pinyin');
    const parts = await page.evaluate(() => window.__osk.parts);
    const memo = await page.evaluate(() => window.__osk.memo);
    const col = (i) => parts.map((p) => p[i]);
    const row = (what, xs) => console.log(`| ${what} | ${xs.length} | ${xs.length ? `${f1(pct(xs, 50))} | ${f1(pct(xs, 99))} | ${f1(Math.max(...xs))}` : '- | - | -'} | |`);
    console.log(`| tap to screen, ms (${ROUNDS} x ${WORDS.length} words) | taps | p50 | p99 | max | target |`);
    console.log('|---|---|---|---|---|---|');
    console.log(`| baseline: a letter in English, into the field | ${base.length} | ${f1(pct(base, 50))} | ${f1(pct(base, 99))} | ${f1(Math.max(...base))} | |`);
    console.log(`| a letter of pinyin, to the candidate bar | ${pin.length} | ${f1(pct(pin, 50))} | ${f1(pct(pin, 99))} | ${f1(Math.max(...pin))} | p99 < 50: ${pct(pin, 99) < 50 ? 'met' : 'NOT met'} |`);
    console.log(`| ratio p99 (pinyin / baseline) | | | ${f1(pct(pin, 99) / pct(base, 99))} | | |`);
    row('... drawn from memory: the touchend to the bar drawn (before the frame)', memo);
    row('... asked: the touchend to the page\'s fetch() of /api/pinyin', col(0));
    row('... asked: that request to its answer (Chromium\'s network, keycab-kiosk\'s lookup)', col(1));
    row('... asked: the answer to the bar drawn (before the frame)', col(2));
    console.log(`| /api/pinyin answers (the words of the pinyin and of its next letters), bytes of each | ${sizes.length} | ${pct(sizes, 50)} | ${pct(sizes, 99)} | ${Math.max(...sizes)} | |`);
    console.log(`| the page's JS heap (performance.memory), kB: after the English taps, after the pinyin taps | | ${Math.round(heapEn)} | ${Math.round(heapZh)} | | |`);
    console.log('FIGURES ' + JSON.stringify({ base_p50: pct(base, 50), base_p99: pct(base, 99), pinyin_p50: pct(pin, 50), pinyin_p99: pct(pin, 99), taps: pin.length, memory: memo.length }));
  } catch (e) {
    console.log('bench failed: ' + (e.stack || e));
    failed++;
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})();
