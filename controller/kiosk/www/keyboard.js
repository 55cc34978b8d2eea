/* The on-screen keyboard: the terminal has no physical one. Docked under
 * the screen (#osk, index.html): the screen area shrinks and scrolls
 * above it. It attaches itself to every text input and textarea of the
 * page, those a screen adds later included (a MutationObserver): each
 * gets inputmode="none" (no keyboard of the system's), and a tap on one
 * opens the keyboard for it. Letters, digits, the symbols a reference
 * needs (- / # , .), shift, backspace, space, 中/英; in 中 the letters
 * are pinyin, the candidate bar shows the kiosk's words for them
 * (/api/pinyin, the most likely first, paged) and a tap on one puts it
 * in the field. Each answer of the kiosk holds the words of the letters
 * that may come next too (next=1): they are kept (K.memo, the last MEMO
 * pinyin), so a tap on the next letter draws the bar at once from memory
 * and asks the kiosk only for the letters after it. The bar's elements
 * are made once and filled again (drawBar), the keys' only when their
 * labels change. A field with data-phrases="problem|alarm|repair" shows
 * the site's quick phrases of that kind (/api/phrases) in the bar first.
 * Text goes in at the caret and the field hears an input event, as if
 * typed; a screen that draws itself again finds the field again by its
 * data-t. Keys act as the finger lifts (dom.js press) and never take the
 * focus from the field. */
import { t } from './words.js';
import { h, press } from './dom.js';
import { api } from './api.js';

var ROWS = [
  ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', 'back'],
  ['q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '/', '#'],
  ['shift', 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ',', '.'],
  ['lang', 'z', 'x', 'c', 'v', 'b', 'n', 'm', 'space', 'hide']
];
var WIDE = { space: 3 };
var FN = { back: '⌫', shift: '⇧' };
var ZH_PUNCT = { ',': '，', '.': '。' };
var PAGE = 6; /* candidates or phrases in the bar at once */
var PINYIN_MAX = 48; /* letters of pinyin (the kiosk's limit) */
var MEMO = 400; /* pinyin whose words are kept */
var TYPES = ['text', 'search', 'tel', 'url', 'email', 'number'];

var K = {
  el: null, bar: null, field: null, dt: null, idx: -1,
  mode: 'en', shift: false, look: '', comp: '', cands: [], candQ: '', page: 0,
  memo: new Map(), /* pinyin -> { words, next: its next letters' words asked } */
  asking: {}, /* pinyin -> true while the kiosk is asked */
  slots: null, /* the bar's elements: comp, note, cands[PAGE], prev, next */
  words: null, /* the kiosk's dictionary: how many words; null: not asked yet */
  phrases: {}
};

/* ---- the fields ---- */
export function isTextField(el) {
  if (!el || !el.tagName || el.disabled || el.readOnly) return false;
  if (el.tagName === 'TEXTAREA') return true;
  return el.tagName === 'INPUT' && TYPES.indexOf((el.getAttribute('type') || 'text').toLowerCase()) >= 0;
}
function prepare(root) {
  if (!root || root.nodeType !== 1) return;
  var list = root.matches('input, textarea') ? [root] : root.querySelectorAll('input, textarea');
  for (var i = 0; i < list.length; i++) {
    var f = list[i];
    if (!isTextField(f) || f.getAttribute('inputmode') === 'none') continue;
    f.setAttribute('inputmode', 'none');
    f.setAttribute('autocomplete', 'off');
    f.setAttribute('spellcheck', 'false');
  }
}
function screenFields() {
  return Array.prototype.filter.call(document.querySelectorAll('#screen input, #screen textarea'), isTextField);
}
/* The field the keyboard types into, found again when its screen drew it
 * anew; null when it is gone. */
function field() {
  var f = K.field;
  if (f && f.isConnected) return f;
  f = K.dt ? document.querySelector('#screen [data-t="' + K.dt + '"]') : screenFields()[K.idx];
  K.field = isTextField(f) ? f : null;
  /* drawn anew and not focused by its screen: the caret at its end */
  if (K.field && document.activeElement !== K.field) {
    try { K.field.setSelectionRange(K.field.value.length, K.field.value.length); } catch (e) { /* no selection (number) */ }
  }
  return K.field;
}
function bind(f) {
  if (K.field !== f) {
    var same = K.field && K.dt && f.getAttribute('data-t') === K.dt;
    K.field = f;
    K.dt = f.getAttribute('data-t');
    K.idx = screenFields().indexOf(f);
    if (!same) {
      K.comp = ''; K.cands = []; K.page = 0;
      if (K.words !== 0) K.mode = f.tagName === 'TEXTAREA' || f.hasAttribute('data-phrases') ? 'zh' : 'en';
    }
  }
  open();
}

/* ---- typing ---- */
function caret(f) {
  try {
    if (typeof f.selectionStart === 'number') return [f.selectionStart, f.selectionEnd];
  } catch (e) { /* an input without a selection (number) */ }
  return [f.value.length, f.value.length];
}
/* text in place of the selection (at the caret); the field told */
function put(text, from) {
  var f = field();
  if (!f) return;
  var c = caret(f), s = from === undefined ? c[0] : from, e = c[1];
  var max = f.maxLength > 0 ? f.maxLength : Infinity;
  var room = max - (f.value.length - (e - s));
  if (text.length > room) text = text.slice(0, Math.max(0, room));
  if (!text && s === e) return;
  try { f.setRangeText(text, s, e, 'end'); } catch (x) { f.value = f.value.slice(0, s) + text + f.value.slice(e); }
  f.dispatchEvent(new Event('input', { bubbles: true }));
  var g = field(); /* the handler may have drawn the screen again */
  if (g && document.activeElement !== g) g.focus({ preventScroll: true });
}
function backspace() {
  var f = field();
  if (!f) return;
  var c = caret(f);
  if (c[0] !== c[1]) { put('', c[0]); return; }
  if (c[0] === 0) return;
  var u = f.value.charCodeAt(c[0] - 1);
  put('', c[0] - (u >= 0xdc00 && u <= 0xdfff && c[0] > 1 ? 2 : 1));
}
/* pinyin not chosen from the bar goes in as the letters typed */
function commitRaw() {
  if (!K.comp) return;
  var c = K.comp;
  K.comp = ''; K.cands = [];
  put(c);
}
/* The words of pinyin q into memory, and those of each letter after it. */
function remember(q, words, next) {
  if (K.memo.size >= MEMO) K.memo.delete(K.memo.keys().next().value);
  K.memo.set(q, { words: words, next: next });
}
/* Asks the kiosk for the words of q and its next letters; the bar drawn
 * when it waits for those of the pinyin typed now. */
function ask(q) {
  if (K.asking[q]) return;
  K.asking[q] = true;
  api('/api/pinyin?q=' + encodeURIComponent(q) + '&next=1').then(function (rep) {
    delete K.asking[q];
    if (rep && rep.code === 'osk_no_dictionary') { K.words = 0; K.mode = 'en'; commitRaw(); draw(); return; }
    if (rep && rep.ok) {
      remember(q, rep.words, true);
      Object.keys(rep.next || {}).forEach(function (l) {
        if (!K.memo.has(q + l)) remember(q + l, rep.next[l].map(function (c) { return { w: c[0], n: c[1] }; }), false);
      });
    }
    if (K.bar && rep && rep.ok) K.bar.setAttribute('data-next', q); /* the last pinyin whose next letters came */
    /* the bar waits for the pinyin typed: these words, or the next letters' (taps faster than the answers) */
    if (!K.comp || K.candQ === K.comp || (K.comp !== q && !K.memo.has(K.comp))) return;
    K.cands = K.memo.has(K.comp) ? K.memo.get(K.comp).words : [];
    K.candQ = K.comp;
    K.page = 0;
    drawBar();
  });
}
/* The bar for the pinyin typed: from memory at once when its words are
 * there; the kiosk asked for what it lacks. */
function lookup() {
  var q = K.comp, m = K.memo.get(q);
  K.page = 0;
  if (!q) { K.cands = []; K.candQ = ''; drawBar(); if (!m) ask(''); return; }
  if (m) { K.cands = m.words; K.candQ = q; drawBar(); }
  if (!m || !m.next) ask(q);
}
function pick(i) {
  var c = K.cands[i];
  if (!c) return;
  K.comp = K.comp.slice(c.n);
  put(c.w);
  lookup();
}
function key(k) {
  var letter = /^[a-z]$/.test(k);
  if ((k === 'back' && K.comp) || (letter && K.mode === 'zh' && !K.shift)) {
    /* pinyin: the bar is drawn with its words when they come; the letters now */
    if (k === 'back') K.comp = K.comp.slice(0, -1);
    else if (K.comp.length < PINYIN_MAX) K.comp += k;
    lookup();
    if (K.candQ !== K.comp) drawBar(); /* the letters now, their words when they come */
    return;
  }
  if (k === 'back') backspace();
  else if (k === 'lang') { commitRaw(); K.mode = K.mode === 'zh' || K.words === 0 ? 'en' : 'zh'; K.shift = false; }
  else if (k === 'shift') K.shift = !K.shift;
  else if (k === 'hide') { commitRaw(); close(); return; }
  else if (k === 'space') { if (K.comp && K.cands.length) pick(0); else { commitRaw(); put(' '); } }
  else {
    commitRaw();
    put(letter && K.shift ? k.toUpperCase() : (K.mode === 'zh' && ZH_PUNCT[k]) || k);
    K.shift = false;
  }
  draw();
}

/* ---- drawing ---- */
function label(k) {
  if (k === 'space') return t('osk_space');
  if (k === 'hide') return t('osk_hide');
  if (k === 'lang') return K.mode === 'zh' ? t('osk_zh') : t('osk_en');
  if (FN[k]) return FN[k];
  return K.shift && /^[a-z]$/.test(k) ? k.toUpperCase() : k;
}
function build() {
  K.el = document.getElementById('osk');
  if (!K.el) return false;
  K.bar = h('div.osk-bar', { 'data-t': 'osk-bar' });
  var rows = h('div.osk-rows');
  ROWS.forEach(function (row) {
    row.forEach(function (k) {
      var b = h('button.osk-key' + (FN[k] || k.length > 1 ? '.fn' : '') + (WIDE[k] ? '.wide' + WIDE[k] : ''),
        { type: 'button', tabindex: '-1', 'data-osk': k, 'data-t': 'osk-key' });
      hold(b, function () { key(k); });
      rows.appendChild(b);
    });
  });
  K.el.appendChild(K.bar);
  K.el.appendChild(rows);
  return true;
}
/* a button of the keyboard: acts as the finger lifts, keeps the focus where it is */
function hold(b, fn) {
  b.addEventListener('mousedown', function (e) { e.preventDefault(); });
  press(b, fn);
}
/* the keys' labels, drawn again only when the mode, shift or language changed */
function draw() {
  if (!K.el) return;
  var look = [K.mode, K.shift, K.words, t('osk_space')].join();
  if (K.look !== look) { K.look = look; drawKeys(); }
  drawBar();
}
function drawKeys() {
  K.el.setAttribute('data-mode', K.mode);
  K.el.querySelectorAll('.osk-key').forEach(function (b) {
    var k = b.getAttribute('data-osk');
    b.textContent = label(k);
    b.classList.toggle('on', (k === 'shift' && K.shift) || (k === 'lang' && K.mode === 'zh'));
    if (k === 'lang') b.disabled = K.words === 0;
  });
}
/* The bar's elements, made once: what is typed, a note, PAGE buttons
 * (a candidate or a quick phrase), ◀ ▶. */
function slots() {
  var bar = K.bar, S = { cands: [] };
  S.comp = bar.appendChild(h('span.osk-comp'));
  S.note = bar.appendChild(h('span.osk-note'));
  for (var j = 0; j < PAGE; j++) {
    S.cands.push(bar.appendChild(h('button.osk-cand', { type: 'button', tabindex: '-1' })));
    hold(S.cands[j], tapSlot.bind(null, j));
  }
  var page = bar.appendChild(h('div.osk-page'));
  S.prev = page.appendChild(h('button.osk-cand.fn', { type: 'button', tabindex: '-1', 'data-osk': 'prev' }, '◀'));
  S.next = page.appendChild(h('button.osk-cand.fn', { type: 'button', tabindex: '-1', 'data-osk': 'next' }, '▶'));
  hold(S.prev, function () { K.page = Math.max(0, K.page - 1); drawBar(); });
  hold(S.next, function () { K.page = Math.min(S.pages - 1, K.page + 1); drawBar(); });
  return S;
}
/* a button of the bar, its data-t (what tests and the bench look for) only while shown */
function slot(el, dt, on) {
  el.hidden = !on;
  if (on && dt) el.setAttribute('data-t', dt); else el.removeAttribute('data-t');
}
function tapSlot(j) {
  var i = K.page * PAGE + j;
  if (K.slots.kind === 'cand') pick(i);
  else if (K.slots.kind === 'phrase' && K.slots.list[i] !== undefined) put(K.slots.list[i]);
  draw();
}
function drawBar() {
  if (!K.bar) return;
  var S = K.slots || (K.slots = slots());
  var f = field(), kind = f && f.getAttribute('data-phrases');
  var phrases = (kind && K.phrases[kind]) || [];
  var list = K.comp ? K.cands.map(function (c) { return c.w; }) : phrases;
  S.kind = K.comp ? 'cand' : phrases.length ? 'phrase' : '';
  S.list = S.kind ? list : [];
  S.pages = Math.ceil(S.list.length / PAGE);
  K.bar.setAttribute('data-q', K.comp ? K.candQ : '');
  S.comp.textContent = K.comp || (S.kind ? t('osk_phrases') : '');
  slot(S.comp, K.comp ? 'osk-comp' : '', !!S.kind || !!K.comp);
  slot(S.note, 'osk-no-pinyin', !K.comp && !S.kind && K.words === 0);
  if (!S.note.hidden) S.note.textContent = t('osk_no_pinyin');
  S.cands.forEach(function (b, j) {
    var text = S.list[K.page * PAGE + j];
    slot(b, 'osk-' + S.kind, text !== undefined);
    b.classList.toggle('phrase', S.kind === 'phrase');
    if (text !== undefined && b.textContent !== text) b.textContent = text;
  });
  slot(S.prev, 'osk-prev', S.pages > 1);
  slot(S.next, 'osk-next', S.pages > 1);
  S.prev.disabled = K.page === 0;
  S.next.disabled = K.page >= S.pages - 1;
}

/* ---- open, close ---- */
function open() {
  if (!K.el && !build()) return;
  if (K.words === null) {
    K.words = undefined; /* asked */
    api('/api/phrases').then(function (rep) {
      if (!rep || !rep.ok) { K.words = null; return; }
      K.words = rep.words;
      K.phrases = rep.phrases || {};
      if (!K.words) { K.comp && commitRaw(); K.mode = 'en'; }
      draw();
    });
  }
  if (K.words !== 0 && !K.memo.has('')) ask(''); /* the first letters' words */
  var was = K.el.hidden;
  K.el.hidden = false;
  document.body.classList.add('osk-open');
  draw();
  var f = field();
  if (was && f) requestAnimationFrame(function () { f.scrollIntoView({ block: 'nearest' }); });
}
/* The site's phrases changed (estate.js): asked again now when the
 * keyboard is up, else when it next opens. */
export function reloadPhrases() {
  if (K.words === undefined) return; /* asked already: the answer is on its way */
  K.words = null;
  if (K.el && !K.el.hidden) open();
}
/* Hidden when a form is sent, or the digit pad takes the input. */
export function hideKeyboard() { close(); }
function close() {
  if (!K.el) return;
  K.comp = ''; K.cands = []; K.page = 0;
  K.el.hidden = true;
  document.body.classList.remove('osk-open');
}

/* ---- start ---- */
function init() {
  prepare(document.body);
  new MutationObserver(function (muts) {
    muts.forEach(function (m) { m.addedNodes.forEach(prepare); });
    /* the screen changed: the field drawn again, or gone with its screen */
    if (K.el && !K.el.hidden && !field()) close();
  }).observe(document.body, { childList: true, subtree: true });
  document.addEventListener('focusin', function (e) { if (isTextField(e.target)) bind(e.target); });
  document.addEventListener('click', function (e) { if (isTextField(e.target)) bind(e.target); });
  var lang = document.getElementById('lang');
  if (lang) lang.addEventListener('click', function () { setTimeout(draw, 0); });
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
