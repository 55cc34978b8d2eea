/* Sound and speech through the display's audio: a tone for an alarm
 * (WebAudio), and the kiosk's spoken prompts (GET /api/speech/<prompt>,
 * espeak-ng's WAV: the Chinese, then the English when the page is in
 * English). Speech only when the terminal has it on
 * (the kiosk's settings: S.speech). */
import { S } from './state.js';

var audio = null, pending = [], playing = null;

/* Three short beeps, high and low. */
export function tone() {
  try {
    audio = audio || new window.AudioContext();
    if (audio.state === 'suspended') audio.resume();
    var t0 = audio.currentTime;
    [0, 0.3, 0.6].forEach(function (d, i) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = 'square';
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.0001, t0 + d);
      g.gain.exponentialRampToValueAtTime(0.25, t0 + d + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + d + 0.25);
      o.connect(g);
      g.connect(audio.destination);
      o.start(t0 + d);
      o.stop(t0 + d + 0.26);
    });
  } catch (e) { /* a display without audio: the screen says it */ }
}
/* A prompt of the kiosk's (slot_open, alarm_tamper, alarm_wrong_slot,
 * alarm_fault) about a slot. Asked for at once; the newest takes the
 * place of any not begun (a board's faults one after another, a slot
 * opening meanwhile: the last is heard), the one playing ends first. */
export function say(prompt, slot) {
  if (!S.speech || !slot) return;
  pending = (S.lang === 'en' ? ['zh-CN', 'en'] : ['zh-CN']).map(function (l) {
    var a = new Audio('/api/speech/' + prompt + '?slot=' + encodeURIComponent(slot) + '&lang=' + l);
    a.preload = 'auto';
    return a;
  });
  next();
}
function next() {
  if (playing || !pending.length) return;
  var a = pending.shift(), over = false;
  var done = function () { if (over) return; over = true; playing = null; next(); };
  playing = a;
  a.addEventListener('ended', done);
  a.addEventListener('error', done);
  var p = a.play();
  if (p && p.catch) p.catch(done);
}
