/* Sound and speech through the display's audio: a tone for an alarm
 * (WebAudio), and the kiosk's spoken prompts (GET /api/speech/<prompt>,
 * espeak-ng's WAV: the Chinese, then the English when the page is in
 * English), one after another. Speech only when the terminal has it on
 * (the kiosk's settings: S.speech). */
import { S } from './state.js';

var audio = null, queue = [], playing = false;

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
 * alarm_fault) about a slot. */
export function say(prompt, slot) {
  if (!S.speech || !slot) return;
  (S.lang === 'en' ? ['zh-CN', 'en'] : ['zh-CN']).forEach(function (l) {
    queue.push('/api/speech/' + prompt + '?slot=' + encodeURIComponent(slot) + '&lang=' + l);
  });
  next();
}
function next() {
  if (playing || !queue.length) return;
  var a = new Audio(queue.shift()), over = false;
  var done = function () { if (over) return; over = true; playing = false; next(); };
  playing = true;
  a.addEventListener('ended', done);
  a.addEventListener('error', done);
  var p = a.play();
  if (p && p.catch) p.catch(done);
}
