// Alarms that speak up (t-kiosk-alarm.sh): a wrong-slot return is no
// good return; a wrong-slot and a tamper alarm raised at the idle screen
// take it over, the oldest first, each by its unit (never the key's
// code) and slot, with what to do, and again when the page is loaded
// with them open; logged in, the action is one tap away
// (开格归位 moves the key home); a tone and the spoken prompt come with
// each; a slot opening is spoken too: the page asks the kiosk for
// espeak-ng's WAV, which is checked here not silent (RMS) and of a
// plausible length. With speech = off the page asks for none.
// Chromium plays sound without a tap first, as the display's does
// (keycab-kiosk-display.service). Env: KIOSK_URL, KIOSK_PAIR, SIM_CONTROL, T.
'use strict';
const fs = require('fs');
const path = require('path');
const { browserTest, pair, until, check, sim, shell, loginPin } = require('./lib.js');
const { typeChinese } = require('./osk.js');

// A WAV's format, length and loudness (16-bit PCM, the 'data' chunk).
function wavInfo(buf) {
  if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return null;
  let off = 12, fmt = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4), size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    if (id === 'data' && fmt && fmt.bits === 16) {
      const end = Math.min(buf.length, off + 8 + size);
      let sum = 0, n = 0;
      for (let i = off + 8; i + 1 < end; i += 2, n++) { const v = buf.readInt16LE(i); sum += v * v; }
      return { rate: fmt.rate, seconds: n / fmt.channels / fmt.rate, rms: Math.sqrt(sum / Math.max(1, n)), size };
    }
    off += 8 + size;
  }
  return null;
}

browserTest('t-kiosk-alarm', async ({ terminal, shots }) => {
  const t = await terminal('desk');
  const page = t.page;
  const text = async (sel) => ((await page.$(sel)) ? page.textContent(sel) : '');
  const speech = () => t.requests.filter((u) => u.includes('/api/speech/'));
  // S01's login from a button (登录处理, 用密码登录), home under the takeover
  const pinLogin = async (from) => {
    await page.tap(from);
    await page.tap('[data-t=name-S01]');
    for (const d of '1111') await page.tap(`[data-k="${d}"]`);
    await page.tap('[data-t=pin-ok]');
    return !!(await page.waitForSelector('[data-t=tile-find]', { state: 'attached' }));
  };
  const asked = (p) => until(async () => speech().some((u) => u.includes(p)), 5000);
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

  /* the wrong-slot alarm takes the idle screen over */
  check(await until(async () => !(await page.$eval('#alarm', (e) => e.hidden)), 5000), 'the wrong-slot alarm takes the idle screen over');
  const w = await text('[data-t=alarm-takeover] [data-type=wrong_slot]');
  check(/放错格口 · \d\d\/\d\d \d\d:\d\d/.test(w) && /1栋 103 的钥匙/.test(w) && /A08/.test(w) && /应在 A07 号格/.test(w) && !/K-HY-1-103/.test(w),
    'it says what happened and when, which key by its unit (not its code), the slot, its own slot: ' + w);
  check(/开格归位/.test(w), 'and what to do: ' + w);
  check(!!(await page.$('[data-t=takeover-login]')), 'nobody logged in: 登录处理 one tap away');
  check(await asked('/api/speech/alarm_wrong_slot?slot=A08&lang=zh-CN'), 'the page asks for the alarm\'s spoken prompt: ' + speech().join(' '));
  await t.shot('takeover-wrong-slot');

  /* a tamper: a second alarm, listed after the first */
  await sim('remove A05');
  check(await until(async () => (await page.$$('[data-t=takeover-list] > .item')).length === 2, 5000), 'a tamper alarm joins the list');
  const order = await page.$$eval('[data-t=takeover-list] > .item', (l) => l.map((e) => e.dataset.type));
  check(order.join(',') === 'wrong_slot,tamper', 'several alarms: the oldest first: ' + order.join(','));
  const tm = await text('[data-t=alarm-takeover] [data-type=tamper]');
  check(/未授权取出/.test(tm) && /3栋 203 的钥匙/.test(tm) && /A05/.test(tm) && !/K-LJ-3-203/.test(tm), 'the tamper alarm by unit and slot: ' + tm);
  check(await asked('/api/speech/alarm_tamper?slot=A05'), 'the tamper alarm is spoken too');
  await t.shot('takeover-two');

  /* the page loaded again with both alarms open: they take it over from
   * keycabd's status, not only when raised live */
  await page.reload();
  await page.waitForSelector('[data-t=idle]', { state: 'attached' });
  check(await until(async () => !(await page.$eval('#alarm', (e) => e.hidden)) &&
    (await page.$$('[data-t=takeover-list] > .item')).length === 2, 5000), 'reloaded with two alarms open: the takeover is up again');
  const again = await page.$$eval('[data-t=takeover-list] > .item', (l) => l.map((e) => e.dataset.type));
  check(again.join(',') === 'wrong_slot,tamper', 'both, the oldest first: ' + again.join(','));
  const w2 = await text('[data-t=alarm-takeover] [data-type=wrong_slot]');
  check(/放错格口 · \d\d\/\d\d \d\d:\d\d/.test(w2) && /1栋 103 的钥匙/.test(w2) && /A08/.test(w2) && /应在 A07 号格/.test(w2) && !/K-HY-1-103/.test(w2),
    'what happened and when, the key by its unit, the slot and its own slot: ' + w2);
  check(!!(await page.$('[data-t=takeover-login]')), 'nobody logged in: 登录处理 one tap away');
  await t.shot('takeover-reloaded');

  /* logged in from the takeover: the action is one tap away */
  check(await pinLogin('[data-t=takeover-login]'), 'logged in from the takeover (登录处理)');
  check(await until(async () => !(await page.$eval('#alarm', (e) => e.hidden)) && !!(await page.$('[data-t=takeover-reseat]')), 5000),
    'logged in, the alarms are laid over the screen again, with their actions');
  check(!!(await page.$('[data-type=tamper] [data-t=takeover-clear]')), 'the tamper alarm: 写说明并消除 one tap away');
  await t.shot('takeover-logged-in');

  /* the tamper cleared with a note typed on the on-screen keyboard */
  await page.tap('[data-type=tamper] [data-t=takeover-clear]');
  await page.waitForSelector('[data-t=alarm-note]');
  check((await page.$$('[data-t^=alarm-]:has([data-t=alarm-note])')).length === 1 && !(await page.$('[data-t=alarm-reseat]')),
    'one tap: the tamper alarm alone, its note field open');
  await page.tap('[data-t=alarm-note]');
  await typeChinese(page, 'yaoshi', '钥匙');
  await typeChinese(page, 'zhaohui', '找回');
  check((await page.$eval('[data-t=alarm-note]', (e) => e.value)) === '钥匙找回', 'the note typed by taps: 钥匙找回');
  await t.shot('alarm-note');
  await page.tap('[data-t=alarm-clear-go]');
  await page.waitForSelector('[data-t=alarm-cleared]', { timeout: 5000 });
  check(true, 'the tamper alarm cleared with its note');
  /* the next login finds the wrong slot still up */
  await page.tap('[data-t=logout]');
  check(await pinLogin('[data-t=login-pin]'), 'logged in again');
  check(await until(async () => !(await page.$eval('#alarm', (e) => e.hidden)), 5000) &&
    (await page.$$eval('[data-t=takeover-list] > .item', (l) => l.map((e) => e.dataset.type))).join(',') === 'wrong_slot',
  'the takeover again, the wrong slot alone left');
  await page.tap('[data-t=takeover-reseat]');
  await page.waitForSelector('[data-t=reseat-open]');
  check(await until(async () => (await sim('coil A08')).includes('OK on'), 5000), 'one tap: A08 opens at the simulator');
  await sim('remove A08');
  await page.waitForSelector('[data-t=reseat-lifted]', { timeout: 5000 });
  await sim('insert A07 ' + 0x1007);
  await page.waitForSelector('[data-t=reseat-home]', { timeout: 5000 });
  check(true, 'the key moved home from the takeover');
  check(await until(async () => !(await page.$('[data-t=alarm-takeover] [data-type=wrong_slot]')), 3000), 'the cleared alarm leaves the takeover', await text('[data-t=alarm-takeover]'));
  await page.tap('[data-t=done]');

  /* a slot opening is spoken: espeak-ng's WAV, not silent */
  await page.tap('[data-t=back]');
  await page.tap('[data-t=tile-inspection]');
  await page.tap('[data-t=key-K-HY-1-108]');
  await page.tap('[data-t=name-E01]');
  const wav = page.waitForResponse((r) => r.url().includes('/api/speech/slot_open?slot=B01&lang=zh-CN'), { timeout: 10000 });
  await page.tap('[data-t=open]');
  await page.waitForSelector('[data-t=slot-open]');
  const resp = await wav;
  const body = await resp.body();
  fs.writeFileSync(path.join(shots, 'slot-open-B01.wav'), body);
  const info = wavInfo(body);
  check(resp.status() === 200 && /audio\/wav/.test(resp.headers()['content-type'] || ''), 'the page asks for 「B01 号格已打开，请取钥匙」: a WAV');
  check(info && info.rms > 300, `the spoken prompt is not silent: RMS ${info && Math.round(info.rms)} (of 32767)`);
  check(info && info.seconds > 1 && info.seconds < 10 && info.size + 44 === body.length,
    `and of a plausible length: ${info && info.seconds.toFixed(2)} s at ${info && info.rate} Hz, its sizes written`);
  await shell('espeak');
  const expected = fs.readFileSync(path.join(process.env.T, 'expected.wav'));
  check(expected.length === body.length && expected.subarray(44).equals(body.subarray(44)),
    `it is espeak-ng's Mandarin of the catalogue's 「B01 号格已打开，请取钥匙」 (${expected.length} bytes rendered here)`);
  console.log(`       spoken prompt: ${body.length} bytes, ${info && info.seconds.toFixed(2)} s, RMS ${info && Math.round(info.rms)}`);
  await t.shot('slot-open-spoken');
  const other = await page.evaluate(async () => {
    const get = async (u) => { const r = await fetch(u); return r.status + ' ' + (r.headers.get('content-type') || ''); };
    return [await get('/api/speech/slot_open?slot=B01&lang=en'), await get('/api/speech/slot_open?slot=13800000001x&lang=zh-CN'),
      await get('/api/speech/say?slot=B01'), await get('/api/speech/slot_open?slot=B01&lang=fr')];
  });
  check(/^200 audio\/wav/.test(other[0]), 'the English prompt, for a page in English: ' + other[0]);
  check(other.slice(1).every((s) => /^404 /.test(s)), 'no prompt for a slot that is not a slot\'s name, another text, another language: ' + other.slice(1).join(', '));

  /* speech off: the page asks for none */
  await shell('speech-off');
  check(await pair(t), 'paired again with the terminal (speech = off)');
  t.requests.length = 0;
  check(await loginPin(t, 'S01', '1111'), 'logged in');
  await page.tap('[data-t=tile-inspection]');
  await page.tap('[data-t=key-K-HY-1-109]').catch(() => {});
  await page.waitForSelector('[data-t=keys]');
  const key = (await page.$('[data-t=key-K-HY-2-102]')) ? 'K-HY-2-102' : 'K-HY-2-105';
  await page.tap(`[data-t=key-${key}]`);
  await page.tap('[data-t=name-E01]');
  await page.tap('[data-t=open]');
  await page.waitForSelector('[data-t=slot-open]');
  await page.waitForTimeout(1500);
  check(speech().length === 0, 'speech = off: a slot opening asks for no spoken prompt: ' + speech().join(' '));
  const off = await page.evaluate(async () => (await fetch('/api/speech/slot_open?slot=B01')).status);
  check(off === 404, 'speech = off: the kiosk makes none (404)');
}, { args: ['--autoplay-policy=no-user-gesture-required'] });
