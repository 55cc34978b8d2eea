/* The cabinet terminal. It shows what keycabd says and sends what the
 * person taps; keycabd decides every release (controller/README.md). The
 * kiosk's API: /api/events (server-sent events: status, ev, link,
 * keycabd, login), /api/roster, /api/login, /api/logout, /api/op/<op>;
 * it answers only the screen it paired: once another screen is paired
 * (401 kiosk_not_paired), this page gives way to the kiosk's refusal page.
 * Every word comes from i18n.js; times are shown in the cabinet's zone. */
'use strict';
(function () {
  var params = new URLSearchParams(location.search);
  var S = {
    lang: params.get('lang') === 'en' ? 'en' : 'zh-CN',
    tz: 'Asia/Shanghai',
    idleS: Math.max(15, +(params.get('idle') || 90)), /* the terminal's idle time */
    user: null, roster: [], owners: {}, up: true, following: true, why: null, storage: null,
    link: undefined, alarmsOpen: 0,
    cur: null, lastTouch: Date.now(), grants: {}, loanEv: {}, units: {}
  };
  var $ = function (id) { return document.getElementById(id); };

  /* ---- words and times ---- */
  function t(k, p) {
    var s = (KC_I18N[S.lang] || {})[k];
    if (s === undefined) s = KC_I18N['zh-CN'][k];
    if (s === undefined) return k;
    return s.replace(/\{(\w+)\}/g, function (_, n) { return p && p[n] !== undefined ? p[n] : ''; });
  }
  function tOr(k, fallback) { var v = t(k); return v === k ? fallback : v; }
  function fmt(iso, opts) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return new Intl.DateTimeFormat(S.lang === 'en' ? 'en-GB' : 'zh-CN',
      Object.assign({ timeZone: S.tz, hour12: false }, opts)).format(d);
  }
  function fmtWhen(iso) { return fmt(iso, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }); }
  function fmtDay(iso) { return fmt(iso, { year: 'numeric', month: '2-digit', day: '2-digit' }); }
  function fmtLeft(s) {
    s = Math.max(0, Math.ceil(s));
    return s >= 60 ? t('minutes_seconds', { m: Math.floor(s / 60), s: s % 60 }) : t('seconds', { s: s });
  }
  /* The cabinet's zone offset at an instant, in ms (local - UTC). */
  function tzOffset(ms) {
    var p = {};
    new Intl.DateTimeFormat('en-US', { timeZone: S.tz, hourCycle: 'h23', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = +x.value; });
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
  }
  /* "YYYY-MM-DD HH:MM" in the cabinet's zone to ms. */
  function localToMs(str) {
    var m = /(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)/.exec(str);
    if (!m) return null;
    var guess = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
    var ms = guess - tzOffset(guess);
    return guess - tzOffset(ms);
  }
  function roleName(r) { return tOr('role_' + r, r); }
  function kindName(k) { return tOr('kind_' + k, k); }
  function stateName(s) { return tOr('state_' + s, s); }
  function idTypeName(x) { return tOr('id_type_' + x, x || t('id_type_other')); }
  function alarmName(x) { return tOr('alarm_' + x, x); }
  /* A person by name: staff and engineers from the roster, owners from
   * the entrustments; a borrower's loan already holds the name. */
  function nameOf(code) {
    if (!code) return '';
    for (var i = 0; i < S.roster.length; i++) if (S.roster[i].person === code) return S.roster[i].name;
    if (S.owners[code]) return S.owners[code];
    return code;
  }
  /* A key's unit as the desk reads it ("1栋 101"), from the building and
   * room keycabd's keys read gives; the unit code when it has none. */
  function unitName(k) {
    return k.building && k.room ? t('unit_name', { building: k.building, room: k.room }) : k.unit;
  }
  /* A key by its code as the desk reads it: its unit (from keycabd's
   * status), the code beside it. */
  function unitOf(key) { return S.units[key] ? S.units[key] + ' · ' + key : key; }

  /* ---- DOM ---- */
  function h(tag, props) {
    var parts = tag.split('.'), el = document.createElement(parts[0] || 'div');
    if (parts.length > 1) el.className = parts.slice(1).join(' ');
    props = props || {};
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (k === 'text') el.textContent = v;
      else if (k === 'tap') el.addEventListener('click', function (e) { e.preventDefault(); v(e); });
      else if (k === 'press') press(el, v);
      else if (k === 'on') Object.keys(v).forEach(function (n) { el.addEventListener(n, v[n]); });
      else if (k === 'cls') el.className += ' ' + v;
      else if (v === true) el.setAttribute(k, '');
      else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v);
    });
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(el, x); });
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  function btn(label, tap, cls, dt) {
    return h('button.btn' + (cls ? '.' + cls : ''), { type: 'button', tap: tap, 'data-t': dt }, label);
  }
  /* The button that opens a slot acts as the finger lifts from it, not on
   * the click Chromium makes of the tap after that; the touchend's
   * preventDefault() stops that click, so the screen after the grant
   * never gets it as a second tap. A finger that slid off (more than
   * the touch slop) before lifting does nothing; a mouse or a keyboard
   * still clicks. */
  var PRESS_SLOP = 16;
  function press(el, fn) {
    el.addEventListener('touchend', function (e) {
      var p = e.changedTouches[0], r = el.getBoundingClientRect();
      if (!e.cancelable || e.touches.length || !p || el.disabled) return;
      e.preventDefault();
      if (p.clientX >= r.left - PRESS_SLOP && p.clientX <= r.right + PRESS_SLOP &&
          p.clientY >= r.top - PRESS_SLOP && p.clientY <= r.bottom + PRESS_SLOP) fn(e);
    });
    el.addEventListener('click', function (e) { e.preventDefault(); fn(e); });
  }
  function openBtn(label, go, cls) {
    return h('button.btn' + (cls ? '.' + cls : ''), { type: 'button', press: go, 'data-t': 'open' }, label);
  }
  function show(fn, ctx) {
    S.cur = { fn: fn, ctx: ctx || {} };
    render();
  }
  function render() {
    var main = $('screen');
    main.textContent = '';
    add(main, S.cur.fn(S.cur.ctx));
    main.setAttribute('data-screen', S.cur.fn.screen || '');
  }
  function rerender(ctx) { if (S.cur && S.cur.ctx === ctx) render(); }

  /* ---- the API ---- */
  function api(path, body) {
    return fetch(path, {
      method: body ? 'POST' : 'GET', credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.status === 401 && j && j.code === 'kiosk_not_paired') unpaired();
        return j;
      }, function () { return pageError('HTTP ' + r.status); });
    }).catch(function (e) { return pageError(String(e)); });
  }
  /* Another screen was paired (or the kiosk restarted): the kiosk's own
   * page says why this browser gets no terminal. */
  function unpaired() { location.replace('/'); }
  /* The page's own error (the kiosk did not answer): said like the kiosk's. */
  function pageError(what) {
    var text = {};
    Object.keys(KC_I18N).forEach(function (l) { text[l] = KC_I18N[l].net_error.replace('{what}', what); });
    return { ok: false, error: text.en, text: text };
  }
  function op(name, body) {
    return api('/api/op/' + name, body || {}).then(function (rep) {
      /* a session keycabd no longer knows: back to the idle screen */
      if (S.user && rep && rep.refused && rep.rule === 1 && (rep.missing || []).some(function (m) {
        return m === 'login' || m === 'operator login';
      }) && /session/i.test(rep.reason || '')) endSession();
      return rep;
    });
  }
  /* What an answer says, in the page's language: the kiosk gives every
   * answer's text in both (rep.text); keycabd's English as it was sent
   * when there is none. */
  function said(rep) {
    return (rep.text && rep.text[S.lang]) || rep.reason || rep.error || '';
  }
  /* A refusal or an error, under a heading and the rule's name, in the
   * page's language (rendered again when the language changes). */
  function refusal(rep, heading) {
    if (!rep || rep.ok) return null;
    var box = h('div.refusal', { 'data-t': 'refusal', role: 'alert' });
    if (rep.local) {
      add(box, h('h2', { text: t('check_input') }));
      add(box, h('div', { text: rep.local }));
      return box;
    }
    if (rep.refused) {
      add(box, h('h2', { text: (heading || t('refused')) + ' · ' + t('refused_rule', { n: rep.rule, name: t('rule_' + rep.rule) }) }));
    } else {
      add(box, h('h2', { text: t('error') }));
    }
    var extra = typeof rep.extra === 'function' ? rep.extra() : rep.extra;
    if (extra) add(box, h('div', { text: extra, 'data-t': 'refusal-extra' }));
    add(box, h('div', { 'data-t': 'refusal-msg', text: said(rep) }));
    var miss = (rep.missing_text && rep.missing_text[S.lang]) || rep.missing || [];
    if (miss.length)
      add(box, h('div.miss', { 'data-t': 'refusal-missing', text: t('missing') + ' ' + miss.join(t('list_sep')) }));
    return box;
  }

  /* ---- the header ---- */
  /* The audit link's state (the header's badge, the idle screen's line). */
  function linkBadge(l) {
    if (!l) return l;
    if (S.link === undefined) { l.className = 'badge hidden'; }
    else if (S.link === null) { l.className = 'badge'; l.textContent = t('link_none'); }
    else {
      l.className = 'badge ' + S.link.state;
      l.textContent = t('link_' + S.link.state) +
        (S.link.pending ? ' · ' + t('link_pending', { n: S.link.pending }) : '');
    }
    return l;
  }
  function header() {
    document.title = t('title');
    document.documentElement.lang = S.lang;
    $('lang').textContent = t('lang_toggle');
    $('logout').textContent = t('logout');
    $('logout').hidden = !S.user;
    $('who').textContent = S.user ? t('home_title', { name: S.user.name, role: roleName(S.user.role) }) : '';
    linkBadge($('link'));
    linkBadge(document.querySelector('[data-t=idle-link]'));
    var a = $('alarms');
    a.className = 'badge' + (S.alarmsOpen > 0 ? ' alarm' : '');
    a.textContent = S.alarmsOpen > 0 ? t('alarms_open', { n: S.alarmsOpen }) : t('alarms_none');
    banner('down', !S.up, t('keycabd_down'));
    banner('not-following', S.up && !S.following,
      t('not_following') + (S.why && said(S.why) ? ' ' + t('why') + said(S.why) : ''));
    var st = S.storage && S.storage.state;
    banner('storage', !!st && st !== 'ok',
      saidOf(S.storage && S.storage.message) || tOr('storage_' + st, t('storage_other', { state: st })));
    banner('behind', !!(S.link && S.link.service_behind), saidOf(S.link && S.link.message) || t('link_behind'));
    tick();
  }
  /* A message keycabd gives beside a state ({code, params}, its text
   * added by the kiosk) in the page's language; '' when none. */
  function saidOf(m) { return (m && m.text && m.text[S.lang]) || ''; }
  /* A banner over every screen (index.html): shown with text, or hidden. */
  function banner(id, on, text) {
    $(id).hidden = !on;
    $(id).textContent = on ? text : '';
  }
  function tick() {
    var now = new Date();
    $('clock').textContent = fmt(now.toISOString(), { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (S.cur && S.cur.fn === idle) {
      var tm = document.querySelector('.idle .time'), dt = document.querySelector('.idle .date');
      if (tm) tm.textContent = fmt(now.toISOString(), { hour: '2-digit', minute: '2-digit' });
      if (dt) dt.textContent = fmt(now.toISOString(), { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
    }
    var cd = $('countdown'), warn = $('idle-warn');
    if (!S.user) { cd.textContent = ''; warn.hidden = true; return; }
    var left = S.idleS - (Date.now() - S.lastTouch) / 1000;
    if (left <= 0) { logout(); return; }
    cd.textContent = t('session_left', { s: Math.ceil(left) });
    cd.className = 'countdown' + (left <= 15 ? ' low' : '');
    if (left <= 15) {
      warn.hidden = false;
      warn.textContent = '';
      add(warn, h('div.box', {}, h('div', { text: t('idle_ends', { s: Math.ceil(left) }), 'data-t': 'idle-left' }),
        h('div', {}, btn(t('continue'), touch, 'primary.big', 'continue'))));
    } else warn.hidden = true;
  }
  function touch() { S.lastTouch = Date.now(); $('idle-warn').hidden = true; }

  /* ---- notices over every screen: returns, IDs to hand back ---- */
  function notice(text, cls, extra, dt) {
    var n = h('div.note' + (cls ? '.' + cls : ''), { 'data-t': dt || 'notice' }, h('div.txt', { text: text }), extra,
      btn('×', function () { n.remove(); }, 'small'));
    $('notice').appendChild(n);
    while ($('notice').children.length > 2) $('notice').firstChild.remove();
    /* a notice gives way after a while; one with a button waits longer */
    setTimeout(function () { n.remove(); }, extra ? 90000 : 15000);
    return n;
  }

  /* ---- events ---- */
  function onStatus(st) {
    if (!st || !st.ok) return;
    S.tz = st.time_zone || S.tz;
    S.link = st.forward === undefined ? null : st.forward;
    S.storage = st.storage || null;
    S.alarmsOpen = st.open_alarms || 0;
    (st.keys || []).forEach(function (k) { S.units[k.key] = unitName(k); });
    S.up = true;
    S.following = true;
    S.why = null;
    header();
  }
  function onEvent(ev) {
    var d = ev.data || {}, loan = d.loan;
    if (ev.type === 'alarm.raised') S.alarmsOpen++;
    if (ev.type === 'alarm.cleared') S.alarmsOpen = Math.max(0, S.alarmsOpen - 1);
    if (loan) S.loanEv[loan] = ev.type;
    var g = loan && S.grants[loan];
    if (g && (ev.type === 'release.taken' || ev.type === 'release.not_taken')) {
      g.state = ev.type === 'release.taken' ? 'taken' : 'not_taken';
      rerender(g);
    }
    if (ev.type === 'loan.returned') returned(ev);
    if (S.cur && S.cur.fn.live && /^(slot|release|loan|alarm|key|collection)\./.test(ev.type)) S.cur.fn.live(S.cur.ctx, ev);
    header();
  }
  function returned(ev) {
    var d = ev.data || {};
    var extra = [];
    var n = notice(t('returned', { key: unitOf(ev.key) }) + ' · ' + t('returned_slot', { slot: ev.slot }), 'good', extra, 'returned');
    if (!S.user || S.user.role === 'engineer') {
      if (d.inspection_pending && S.user && S.user.person === ev.person)
        n.insertBefore(btn(t('record_inspection'), function () { n.remove(); show(inspectForm, { loan: d.loan, key: ev.key, unit: S.units[ev.key] || ev.unit, borrower: ev.person }); }, 'primary.session', 'inspect-now'), n.lastChild);
      return;
    }
    op('ids').then(function (rep) {
      (rep.ids || []).forEach(function (i) {
        if (i.loan !== d.loan) return;
        n.insertBefore(btn(t('id_give_back'), function () { giveIdBack(i, n); }, 'primary.session', 'id-back'), n.lastChild);
      });
    });
    if (d.inspection_pending)
      n.insertBefore(btn(t('record_inspection'), function () { n.remove(); show(inspectForm, { loan: d.loan, key: ev.key, unit: S.units[ev.key] || ev.unit, borrower: ev.person }); }, 'session', 'inspect-now'), n.lastChild);
  }
  function giveIdBack(i, n) {
    op('id.release', { loan: i.loan }).then(function (rep) {
      if (n) n.remove();
      if (rep.ok) notice(t('id_given_back', { name: nameOf(rep.person), type: idTypeName(rep.id_type), masked: rep.id_masked }), 'good', null, 'id-given');
      else { var r = refusal(rep); notice(r.textContent, '', null, 'id-refused'); }
      if (S.cur && S.cur.fn === outList) show(outList, {});
    });
  }
  function connect() {
    var es = new EventSource('/api/events');
    es.addEventListener('status', function (m) { onStatus(JSON.parse(m.data)); });
    es.addEventListener('ev', function (m) { onEvent(JSON.parse(m.data)); });
    es.addEventListener('link', function (m) { S.link = JSON.parse(m.data); header(); });
    es.addEventListener('storage', function (m) { S.storage = JSON.parse(m.data); header(); });
    /* keycabd up or down; following the cabinet, or refused its live
     * state (why: keycabd's refusal) while the kiosk tries again */
    es.addEventListener('keycabd', function (m) {
      var d = JSON.parse(m.data), was = S.up;
      S.up = !!d.up;
      S.following = d.following !== false;
      S.why = d.why || null;
      header();
      if (S.up && !was) recheck();
    });
    es.addEventListener('login', function (m) {
      var rep = JSON.parse(m.data);
      /* a card the cabinet refused: said on the screen, nobody logged in */
      if (rep && !rep.ok) notice(t('login_refused') + (S.lang === 'en' ? ': ' : '：') + said(rep), '', null, 'card-refused');
      else loggedIn(rep);
    });
    es.addEventListener('logout', function () { if (S.user) endSession(); });
    es.onerror = function () {
      S.up = false;
      header();
      /* refused (401: not the screen; 503: too many pages): the browser
       * does not try again by itself */
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(function () { api('/api/op/ping', {}).then(function () { connect(); }); }, 2000);
      }
    };
    es.onopen = function () { header(); };
  }

  /* ---- sessions ---- */
  function loadRoster() {
    return api('/api/roster').then(function (rep) { if (rep.ok) S.roster = rep.people || []; return rep; });
  }
  function loadOwners() {
    return op('entrustments').then(function (rep) {
      (rep.entrustments || []).forEach(function (e) { S.owners[e.owner] = e.owner_name; });
      return rep;
    });
  }
  function loggedIn(rep) {
    if (!rep || !rep.ok) return;
    S.user = { person: rep.person, name: rep.name, role: rep.role };
    if (rep.idle_timeout_s && rep.idle_timeout_s < S.idleS) S.idleS = rep.idle_timeout_s;
    touch();
    loadRoster();
    loadOwners();
    header();
    show(home, {});
  }
  /* keycabd is back (it may have restarted, or lost sessions): this page's
   * login is what the kiosk says now, the screen is kept where it still
   * holds */
  function recheck() {
    api('/api/op/whoami', {}).then(function (rep) {
      if (rep.ok && S.user && rep.person === S.user.person) return;
      if (rep.ok) loggedIn(rep);
      else if (rep.refused && S.user) endSession();
    });
  }
  function endSession() {
    S.user = null;
    S.grants = {};
    /* a notice stays, what it offered to the one logged in does not */
    Array.prototype.forEach.call(document.querySelectorAll('#notice .session'), function (b) { b.remove(); });
    header();
    show(idle, {});
  }
  function logout() {
    var was = S.user;
    S.user = null;
    if (was) api('/api/logout', {});
    endSession();
  }

  /* ---- 1. the idle screen ---- */
  function idle() {
    return h('div.idle', { 'data-t': 'idle' },
      h('div.time'), h('div.date'),
      h('div.prompt', { text: t('prompt'), 'data-t': 'prompt' }),
      linkBadge(h('div', { 'data-t': 'idle-link' })),
      btn(t('login_pin'), function () { loadRoster().then(function () { show(pickName, { purpose: 'login' }); }); }, 'primary.big', 'login-pin'));
  }
  idle.screen = 'idle';

  /* ---- 2. names and the PIN pad ---- */
  function pickName(ctx) {
    var people = S.roster.filter(function (p) { return !ctx.roles || ctx.roles.indexOf(p.role) >= 0; });
    return [h('h1', { text: ctx.title || t('pick_name') }),
      h('div.names', {}, people.map(function (p) {
        return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person,
          tap: function () { show(pinPad, { person: p, then: ctx.then, back: ctx, title: ctx.title }); } },
        p.name, h('span.role', { text: roleName(p.role) }));
      })),
      h('div.row', {}, btn(t('back'), function () { ctx.back ? ctx.back() : (S.user ? show(home, {}) : show(idle, {})); }, '', 'back'))];
  }
  pickName.screen = 'names';

  function padKeys(onKey, extra) {
    var keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', extra || 'C', '0', '⌫'].concat(extra ? ['C'] : []);
    return h('div.pad', { 'data-t': 'pad' }, keys.map(function (k) {
      var label = k === 'C' ? t('clear') : k === '⌫' ? t('del') : k;
      return h('button.btn', { type: 'button', 'data-k': k, tap: function () { touch(); onKey(k); } }, label);
    }));
  }
  function padEdit(v, k, max) {
    if (k === '⌫') return v.slice(0, -1);
    if (k === 'C') return '';
    return v.length < max ? v + k : v;
  }
  function pinPad(ctx) {
    ctx.pin = ctx.pin || '';
    var submit = function () {
      if (!ctx.pin || ctx.busy) return;
      ctx.busy = true;
      var pin = ctx.pin;
      ctx.pin = '';
      (ctx.then ? ctx.then(ctx.person, pin, ctx) : api('/api/login', { person: ctx.person.person, pin: pin }).then(function (rep) {
        if (rep.ok) loggedIn(rep); else return rep;
      })).then(function (rep) {
        ctx.busy = false;
        if (rep && !rep.ok) { ctx.rep = loginRefusal(rep); rerender(ctx); }
      });
    };
    return [h('h1', { text: t('enter_pin', { name: ctx.person.name }) }),
      ctx.title ? h('div.muted', { text: ctx.title }) : null,
      h('div.pinwrap', {},
        h('div.pinside', {},
          h('div.field.dots', { 'data-t': 'pin-dots', text: ctx.pin.replace(/./g, '●') }),
          ctx.rep ? refusal(ctx.rep, t('login_refused')) : null,
          h('div.row', {}, btn(t('back'), function () { show(pickName, ctx.back); }, '', 'back'),
            btn(t('ok'), submit, 'primary', 'pin-ok'))),
        padKeys(function (k) { ctx.pin = padEdit(ctx.pin, k, 12); ctx.rep = null; rerender(ctx); }))];
  }
  pinPad.screen = 'pin';
  /* The lockout's time left: keycabd's refusal names its end in its
   * params (until: "YYYY-MM-DD HH:MM", the cabinet's time; seconds_left
   * when it says so) or, for the terminal's rate limit, retry_after_s. The
   * line is made at each rendering (the language may change). */
  function lockParams(rep) {
    var all = [rep].concat(rep.messages || []);
    for (var i = 0; i < all.length; i++) if (all[i] && all[i].params && all[i].params.until) return all[i].params;
    return null;
  }
  function loginRefusal(rep) {
    var p = lockParams(rep);
    if (rep.retry_after_s) rep.extra = function () { return t('wait_left', { t: fmtLeft(rep.retry_after_s) }); };
    if (!p) return rep;
    var until = String(p.until), end = null;
    if (typeof p.seconds_left === 'number') end = Date.now() + p.seconds_left * 1000;
    /* keycabd names the minute: the lockout ends within it */
    else if (localToMs(until) !== null) end = localToMs(until) + 60000;
    var clock = (/(\d\d:\d\d)(:\d\d)?$/.exec(until) || [])[1] || until;
    if (end !== null) rep.extra = function () {
      var left = end - Date.now();
      return t('locked_left', { until: clock, t: left > 60000 ? t('about_min', { n: Math.ceil(left / 60000) }) : t('under_min') });
    };
    return rep;
  }

  /* ---- home: what this person may do ---- */
  var OPERATOR = ['staff', 'manager', 'supervisor'];
  function isOperator() { return S.user && OPERATOR.indexOf(S.user.role) >= 0; }
  function home() {
    var tiles = [];
    if (isOperator()) {
      tiles.push(['tile_inspection', function () { show(pickKey, { mode: 'inspection' }); }, 'inspection']);
      tiles.push(['tile_repair', function () { show(pickKey, { mode: 'repair' }); }, 'repair']);
      tiles.push(['tile_borrow', function () { show(pickKey, { mode: 'borrow' }); }, 'borrow']);
      tiles.push(['tile_collect', function () { show(pickKey, { mode: 'collect' }); }, 'collect']);
      tiles.push(['tile_sealed', function () { show(pickKey, { mode: 'sealed' }); }, 'sealed']);
    }
    tiles.push(['tile_find', function () { show(pickKey, { mode: 'find' }); }, 'find']);
    tiles.push(['tile_out', function () { show(outList, {}); }, 'out']);
    tiles.push(['tile_alarms', function () { show(alarmList, {}); }, 'alarms']);
    if (isOperator()) tiles.push(['tile_handover', function () { show(handover, {}); }, 'handover']);
    return [h('h1', { text: t('home_title', { name: S.user.name, role: roleName(S.user.role) }) }),
      h('div.grid', {}, tiles.map(function (x) { return btn(t(x[0]), x[1], 'big', 'tile-' + x[2]); }))];
  }
  home.screen = 'home';

  /* ---- 3. find a key; the pick lists of each flow ---- */
  var MODES = {
    inspection: function (k) { return k.kind === 'vacant' && k.state === 'in'; },
    repair: function (k) { return (k.kind === 'repair' || k.kind === 'vacant') && k.state === 'in'; },
    borrow: function (k) { return k.kind === 'entrusted' && k.state === 'in'; },
    collect: function (k) { return (k.kind === 'entrusted' || k.kind === 'sealed') && k.state === 'in' && k.owner; },
    sealed: function (k) { return k.kind === 'sealed' && k.state === 'in'; },
    find: function () { return true; }
  };
  /* What this person may do with a key, by its kind and state (keycabd
   * still decides). */
  function actionsFor(k) {
    if (!isOperator() || k.state !== 'in') return [];
    var a = [];
    if (k.kind === 'vacant') a.push('inspection', 'repair');
    if (k.kind === 'repair') a.push('repair');
    if (k.kind === 'entrusted') a.push('borrow');
    if (k.kind === 'sealed') a.push('sealed');
    if ((k.kind === 'entrusted' || k.kind === 'sealed') && k.owner) a.push('collect');
    return a;
  }
  function startAction(k, act) {
    if (act === 'inspection' || act === 'repair') show(pickBorrower, { roles: act === 'repair' ? ['engineer'] : ['engineer', 'staff'], key: k, purpose: act });
    else if (act === 'borrow') show(borrowForm, { key: k, step: 'letter' });
    else if (act === 'collect') show(collectForm, { key: k });
    else if (act === 'sealed') show(sealedForm, { key: k });
  }
  function loadKeys(ctx) {
    return Promise.all([op('keys'), loadOwners()]).then(function (r) {
      var owners = {};
      (r[1].entrustments || []).forEach(function (e) { if (e.state === 'open') owners[e.key] = e.owner_name; });
      ctx.keys = (r[0].keys || []).map(function (k) { k.owner = owners[k.key] || ''; return k; });
      ctx.err = r[0].ok ? null : r[0];
      rerender(ctx);
    });
  }
  function keyItem(k, tap, withActions) {
    var sub = [h('span.tag.' + k.state, { text: stateName(k.state) }), h('span.tag', { text: kindName(k.kind) }),
      t('slot', { slot: k.slot || k.home_slot }), k.slot && k.slot !== k.home_slot ? t('home_slot_other', { slot: k.home_slot }) : ''];
    if (k.owner) sub.push(' · ' + t('owner', { name: k.owner }));
    if (k.borrower) sub.push(' · ' + t('borrower', { name: nameOf(k.borrower) }));
    if (k.due) sub.push(' · ' + t('due', { t: fmtWhen(k.due) }));
    var acts = withActions ? actionsFor(k).map(function (a) {
      return btn(t('act_' + a), function (e) { e.stopPropagation(); startAction(k, a); }, a === 'sealed' ? 'danger' : 'primary', 'act-' + a);
    }) : null;
    return h('div.item' + (tap ? '.pick' : ''), { 'data-t': 'key-' + k.key, tap: tap },
      h('div.main', {}, h('div.title', { text: unitName(k) + ' · ' + k.key }), h('div.sub', {}, sub)), acts);
  }
  function pickKey(ctx) {
    if (!ctx.keys) { loadKeys(ctx); return h('div.muted', { text: t('busy') }); }
    var q = (ctx.q || '').trim().toLowerCase();
    var list = ctx.keys.filter(MODES[ctx.mode]).filter(function (k) {
      if (!q) return true;
      return [k.unit, unitName(k), k.key, k.slot, k.home_slot, k.owner, k.unit.replace(/-/g, ' ')].some(function (f) {
        return f && String(f).toLowerCase().indexOf(q) >= 0;
      }) || (k.unit.replace(/[^0-9]/g, '').indexOf(q.replace(/[^0-9]/g, '')) >= 0 && /[0-9]/.test(q));
    });
    var find = ctx.mode === 'find';
    var input = h('input.text', { type: 'search', placeholder: t('find_hint'), value: ctx.q || '', 'data-t': 'search',
      on: { input: function (e) { ctx.q = e.target.value; touch(); var pos = e.target.selectionStart; rerender(ctx); var i = document.querySelector('[data-t=search]'); i.focus(); i.setSelectionRange(pos, pos); } } });
    return [h('h1', { text: find ? t('find_title') : t('tile_' + ctx.mode) + ' · ' + t('pick_key') }),
      h('div.row', {}, h('div.spacer', {}, input), btn(t('back'), function () { show(home, {}); }, '', 'back')),
      refusal(ctx.err),
      list.length ? h('div.list', { 'data-t': 'keys' }, list.map(function (k) {
        return keyItem(k, find ? null : function () { startAction(k, ctx.mode); }, find);
      })) : h('div.muted', { text: find ? t('find_none') : t('none_available') })];
  }
  pickKey.screen = 'keys';
  pickKey.live = function (ctx) { clearTimeout(ctx.timer); ctx.timer = setTimeout(function () { loadKeys(ctx); }, 150); };

  /* ---- 4. inspection and repair: borrower picked, then the release ---- */
  function pickBorrower(ctx) {
    var people = S.roster.filter(function (p) { return ctx.roles.indexOf(p.role) >= 0; });
    return [h('h1', { text: t('tile_' + ctx.purpose) + ' · ' + unitName(ctx.key) + ' · ' + t('pick_engineer') }),
      h('div.names', {}, people.map(function (p) {
        return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person,
          tap: function () { show(vacantForm, { key: ctx.key, purpose: ctx.purpose, borrower: p, due: ctx.purpose === 'repair' ? 'today' : '4h' }); } },
        p.name, h('span.role', { text: roleName(p.role) }));
      })),
      h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: ctx.purpose }); }, '', 'back'))];
  }
  pickBorrower.screen = 'borrower';
  var DUE = {
    '2h': { s: 7200, label: function () { return t('due_in_h', { h: 2 }); } },
    '4h': { s: 14400, label: function () { return t('due_in_h', { h: 4 }); } },
    'today': { s: 0, label: function () { return t('due_today'); } },
    '1d': { s: 86400, label: function () { return t('due_in_d', { d: 1 }); } },
    '3d': { s: 259200, label: function () { return t('due_in_d', { d: 3 }); } }
  };
  function dueButtons(ctx, choices) {
    return h('div.row', { 'data-t': 'due' }, h('span', { text: t('due_preset') }), choices.map(function (c) {
      return btn(DUE[c].label(), function () { ctx.due = c; rerender(ctx); }, ctx.due === c ? 'sel' : '', 'due-' + c);
    }));
  }
  function dueMembers(ctx, req) {
    if (!ctx.due) return req;
    if (ctx.due === 'today') {
      /* the end of the cabinet's day */
      var now = Date.now(), off = tzOffset(now), local = new Date(now + off);
      req.due = local.toISOString().slice(0, 10) + ' 23:59';
    } else req.due_in_s = DUE[ctx.due].s;
    return req;
  }
  /* One digit field at a time takes the pad. */
  function padField(ctx, name, label, max, extraKey, check) {
    var v = ctx[name] || '';
    var active = ctx.focus === name;
    return [h('label.lbl', { text: label }),
      h('div.field' + (active ? '.active' : ''), { 'data-t': 'field-' + name, tap: function () { ctx.focus = name; ctx.padExtra = extraKey; ctx.padMax = max; rerender(ctx); } }, v),
      check ? check(v) : null];
  }
  function fieldPad(ctx) {
    if (!ctx.focus) return null;
    return padKeys(function (k) {
      ctx[ctx.focus] = padEdit(ctx[ctx.focus] || '', k, ctx.padMax || 32);
      ctx.rep = null;
      rerender(ctx);
    }, ctx.padExtra);
  }
  /* The key a form is about, read again (pushes about it, a refusal):
   * its state, slot, borrower as keycabd has them now. */
  function refreshKey(ctx) {
    return op('keys').then(function (rep) {
      (rep.keys || []).forEach(function (k) {
        if (k.key !== ctx.key.key) return;
        ['state', 'slot', 'home_slot', 'borrower', 'due'].forEach(function (f) { ctx.key[f] = k[f]; });
      });
      return ctx.key;
    });
  }
  function keyLive(ctx, ev) {
    if (ev.key !== ctx.key.key) return;
    clearTimeout(ctx.timer);
    ctx.timer = setTimeout(function () { refreshKey(ctx).then(function () { rerender(ctx); }); }, 100);
  }
  function releaseAndWatch(ctx, req, back) {
    if (ctx.busy) return;
    ctx.busy = true;
    var fn = req.op || 'release';
    delete req.op;
    var sent = op(fn, req); /* on its way before the screen is redrawn */
    rerender(ctx);
    sent.then(function (rep) {
      ctx.busy = false;
      if (!rep.ok && rep.refused && rep.rule === 0 && ctx.key) {
        refreshKey(ctx).then(function (k) {
          if (k.state !== 'in') rep.extra = function () { return t('key_not_in', { unit: k.unit, key: k.key, state: stateName(k.state) }) + tOr('key_why_' + k.state, ''); };
          ctx.rep = rep;
          rerender(ctx);
        });
        return;
      }
      if (!rep.ok) { ctx.rep = rep; rerender(ctx); return; }
      var g = { rep: rep, key: ctx.key, who: ctx.who, state: S.loanEv[rep.loan] === 'release.taken' ? 'taken' : 'open', started: Date.now(), back: back };
      S.grants[rep.loan] = g;
      show(grantWatch, g);
    });
  }
  function vacantForm(ctx) {
    var k = ctx.key;
    ctx.who = ctx.borrower.name;
    var go = function () {
      releaseAndWatch(ctx, dueMembers(ctx, { key: k.key, purpose: ctx.purpose, borrower: ctx.borrower.person, work_order: ctx.purpose === 'repair' ? ctx.wo : undefined }), 'home');
    };
    return [h('h1', { text: t('tile_' + ctx.purpose) + ' · ' + unitName(k) }),
      keyItem(k),
      h('div', { text: t('borrower', { name: ctx.borrower.name }) }),
      dueButtons(ctx, ctx.purpose === 'repair' ? ['2h', 'today'] : ['2h', '4h', 'today', '1d']),
      h('div.pinwrap', {}, h('div.pinside', {},
        ctx.purpose === 'repair' ? padField(ctx, 'wo', t('work_order'), 20) : null,
        refusal(ctx.rep),
        h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: ctx.purpose }); }, '', 'back'),
          openBtn(ctx.busy ? t('opening') : t('open_slot'), go, 'primary.big'))),
      ctx.purpose === 'repair' ? (ctx.focus = ctx.focus || 'wo', fieldPad(ctx)) : null)];
  }
  vacantForm.screen = 'release';
  vacantForm.live = keyLive;

  /* After every grant: the slot open, the window counting down, then
   * taken or not taken as keycabd says. */
  function grantWatch(g) {
    var r = g.rep, left = Math.max(0, (r.window_ms || 0) - (Date.now() - g.started)) / 1000;
    var big, sub = [];
    if (g.state === 'taken') {
      big = h('div.big-msg.ok', { text: t('taken'), 'data-t': 'taken' });
      sub.push(h('div', { text: t('taken_detail', { key: r.key, unit: unitName(g.key), name: g.who || '' }) }));
      if (r.due) sub.push(h('div', { text: t('due', { t: fmtWhen(r.due) }) }));
    } else if (g.state === 'not_taken') {
      big = h('div.big-msg.warn', { text: t('not_taken'), 'data-t': 'not-taken' });
    } else {
      big = h('div.big-msg', { text: t('slot_open', { slot: r.slot }), 'data-t': 'slot-open' });
      sub.push(h('div.window-left', { 'data-t': 'window-left', text: t('window_left', { s: Math.ceil(left) }) }));
    }
    if (r.id_held) sub.push(h('div', { text: t('id_held_for', { name: '', type: '', masked: r.id_held }) }));
    if (r.approval) sub.push(h('div', { text: t('approved_by', { name: g.approver || '' }) }));
    if (g.collected) sub.push(h('div', { text: t('collected') }));
    return [h('div', { 'data-t': 'grant', 'data-loan': r.loan, 'data-state': g.state }, big, sub),
      h('div.row', {}, h('div.spacer'), btn(t('ok'), function () { delete S.grants[r.loan]; show(home, {}); }, 'primary', 'done'))];
  }
  grantWatch.screen = 'grant';
  setInterval(function () {
    if (S.cur && S.cur.fn === grantWatch && S.cur.ctx.state === 'open') {
      var w = document.querySelector('[data-t=window-left]'), g = S.cur.ctx;
      if (w) w.textContent = t('window_left', { s: Math.ceil(Math.max(0, (g.rep.window_ms - (Date.now() - g.started)) / 1000)) });
    }
  }, 250);

  /* ---- the inspection's result, recorded by whoever is logged in; the
   * inspector keycabd records is the borrower of the loan ---- */
  var DEPTS = ['dept_engineering', 'dept_cleaning', 'dept_security', 'dept_sales'];
  function inspectForm(ctx) {
    var save = function () {
      var req = { loan: ctx.loan, result: ctx.result };
      if (ctx.result === 'problems') { req.problems = ctx.problems || ''; req.forwarded_to = ctx.dept ? t(ctx.dept) : ''; }
      op('inspect', req).then(function (rep) {
        if (rep.ok) { notice(t('saved') + ' · ' + (ctx.unit || ctx.key), 'good', null, 'inspection-saved'); show(S.user ? home : idle, {}); }
        else { ctx.rep = rep; rerender(ctx); }
      });
    };
    return [h('h1', { text: t('record_inspection') }),
      h('div', { text: t('inspection_for', { unit: ctx.unit || ctx.key, name: nameOf(ctx.borrower) }) }),
      h('div.row', {}, btn(t('result_ok'), function () { ctx.result = 'ok'; rerender(ctx); }, ctx.result === 'ok' ? 'sel' : '', 'result-ok'),
        btn(t('result_problems'), function () { ctx.result = 'problems'; rerender(ctx); }, ctx.result === 'problems' ? 'sel' : '', 'result-problems')),
      ctx.result === 'problems' ? [h('label.lbl', { text: t('problems_text') }),
        h('textarea', { 'data-t': 'problems', on: { input: function (e) { ctx.problems = e.target.value; touch(); } } }, ctx.problems || ''),
        h('label.lbl', { text: t('forwarded_to') }),
        h('div.row', {}, DEPTS.map(function (d) { return btn(t(d), function () { ctx.dept = d; rerender(ctx); }, ctx.dept === d ? 'sel' : '', d); }))] : null,
      refusal(ctx.rep),
      h('div.row', {}, btn(t('back'), function () { show(S.user ? home : idle, {}); }, '', 'back'),
        btn(t('save'), save, 'primary', 'save'))];
  }
  inspectForm.screen = 'inspect';

  /* ---- 5. tenant borrow (rule 2) ---- */
  function idCheck(ctx, name, idType) {
    return function (v) {
      if (idType !== 'id_card' || !v) return null;
      var c = KC_IDCARD.check(v);
      if (c.ok) return h('div.check-ok', { 'data-t': 'id-check', text: t('id_ok') });
      return h('div.check-bad', { 'data-t': 'id-check', text: t('id_bad_' + c.why, c) });
    };
  }
  function idValid(v, idType) { return idType !== 'id_card' || KC_IDCARD.check(v).ok; }
  function borrowForm(ctx) {
    var k = ctx.key;
    if (!ctx.letters) {
      Promise.all([op('letters'), op('entrustments')]).then(function (r) {
        ctx.ent = (r[1].entrustments || []).filter(function (e) { return e.key === k.key && e.state === 'open'; })[0] || null;
        ctx.letters = (r[0].letters || []).filter(function (l) { return ctx.ent && l.entrustment === ctx.ent.entrustment; });
        ctx.rep = r[0].ok ? null : r[0];
        rerender(ctx);
      });
      return h('div.muted', { text: t('busy') });
    }
    var title = h('h1', { text: t('tile_borrow') + ' · ' + unitName(k) });
    var back = btn(t('back'), function () { show(pickKey, { mode: 'borrow' }); }, '', 'back');
    if (ctx.step === 'letter') {
      return [title, ctx.ent ? h('div', { text: t('owner', { name: ctx.ent.owner_name }) }) : null,
        h('h2', { text: t('pick_letter') }),
        ctx.letters.length ? h('div.list', {}, ctx.letters.map(function (l) {
          return h('div.item.pick', { 'data-t': 'letter-' + l.letter, tap: function () { ctx.letter = l; ctx.step = 'confirm'; rerender(ctx); } },
            h('div.main', {}, h('div.title', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
              h('div.sub', { text: t('letter_valid', { from: fmtDay(l.valid_from), to: fmtDay(new Date(new Date(l.valid_to).getTime() - 1).toISOString()) }) + ' · ' +
                (l.confirmed ? t('letter_confirmed', { by: nameOf(l.confirmed_by), channel: tOr('channel_' + l.channel, l.channel), t: fmtWhen(l.confirmed) }) : t('letter_unconfirmed')) })));
        })) : h('div.muted', { text: t('nothing') }),
        refusal(ctx.rep), h('div.row', {}, back)];
    }
    var l = ctx.letter;
    if (ctx.step === 'confirm') {
      var rec = function (ch) {
        op('letter.confirm', { letter: l.letter, channel: ch }).then(function (rep) {
          if (rep.ok) { ctx.step = 'id'; ctx.focus = 'idn'; ctx.rep = null; l.confirmed = new Date().toISOString(); }
          else ctx.rep = rep;
          rerender(ctx);
        });
      };
      return [title, h('div', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
        h('div.big-msg', { 'data-t': 'call-owner', text: t('call_owner', { name: ctx.ent.owner_name, phone: ctx.ent.owner_phone || t('phone_unknown') }) }),
        l.confirmed ? h('div', { text: t('letter_confirmed', { by: nameOf(l.confirmed_by), channel: tOr('channel_' + l.channel, l.channel), t: fmtWhen(l.confirmed) }) }) : null,
        h('div.row', {}, btn(t('confirm_phone'), function () { rec('phone'); }, 'primary', 'confirm-phone'),
          btn(t('confirm_in_person'), function () { rec('in_person'); }, '', 'confirm-in-person'),
          btn(t('confirm_wechat'), function () { rec('wechat'); }, '', 'confirm-wechat'),
          l.confirmed ? btn(t('next'), function () { ctx.step = 'id'; ctx.focus = 'idn'; rerender(ctx); }, '', 'next') : null),
        refusal(ctx.rep), h('div.row', {}, back)];
    }
    var go = function () {
      var miss = [];
      if (!idValid(ctx.idn || '', l.id_type) || !ctx.idn) miss.push(t('borrower_id', { type: idTypeName(l.id_type) }));
      if (!ctx.contact) miss.push(t('contact'));
      if (!ctx.sig) miss.push(t('signature'));
      if (miss.length) { ctx.rep = { ok: false, local: t('need_fields', { what: miss.join('、') }) }; rerender(ctx); return; }
      ctx.who = l.borrower;
      var idn = ctx.idn;
      ctx.idn = '';
      releaseAndWatch(ctx, dueMembers(ctx, { key: k.key, purpose: 'borrow', borrower: l.borrower, letter: l.letter,
        id_type: l.id_type, id_number: idn.toUpperCase(), contact: ctx.contact, signature: ctx.sig }), 'home');
    };
    ctx.due = ctx.due || '1d';
    return [title, h('div', { text: t('letter_item', { ref: l.reference, borrower: l.borrower }) }),
      h('div.pinwrap', {}, h('div.pinside', {},
        padField(ctx, 'idn', t('borrower_id', { type: idTypeName(l.id_type) }), l.id_type === 'id_card' ? 18 : 20, l.id_type === 'id_card' ? 'X' : null, idCheck(ctx, 'idn', l.id_type)),
        padField(ctx, 'contact', t('contact'), 15),
        padField(ctx, 'sig', t('signature'), 20),
        dueButtons(ctx, ['4h', '1d', '3d']),
        refusal(ctx.rep),
        h('div.row', {}, back, openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary.big'))),
      fieldPad(ctx))];
  }
  borrowForm.screen = 'borrow';
  borrowForm.live = keyLive;

  /* ---- 6. sealed key: the manager approves here with their own PIN ---- */
  function sealedForm(ctx) {
    var k = ctx.key;
    ctx.who = S.user.name;
    var managers = S.roster.filter(function (p) { return p.role === 'manager'; });
    if (!ctx.manager) {
      return [h('h1', { text: t('tile_sealed') + ' · ' + unitName(k) }), keyItem(k),
        h('h2', { text: t('manager_approval') }),
        h('div.names', {}, managers.map(function (p) {
          return h('button.btn', { type: 'button', 'data-t': 'name-' + p.person, tap: function () { ctx.manager = p; ctx.focus = 'mpin'; rerender(ctx); } },
            p.name, h('span.role', { text: roleName(p.role) }));
        })),
        refusal(ctx.rep),
        h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: 'sealed' }); }, '', 'back'))];
    }
    var go = function () {
      var pin = ctx.mpin || '';
      ctx.mpin = '';
      ctx.approver = ctx.manager.name;
      releaseAndWatch(ctx, { key: k.key, purpose: 'emergency', borrower: S.user.person, approver: ctx.manager.person, approver_pin: pin }, 'home');
    };
    return [h('h1', { text: t('tile_sealed') + ' · ' + unitName(k) }),
      h('div', { text: t('enter_pin', { name: ctx.manager.name }) }),
      h('div.pinwrap', {}, h('div.pinside', {},
        h('div.field.dots', { 'data-t': 'pin-dots', text: (ctx.mpin || '').replace(/./g, '●') }),
        refusal(ctx.rep),
        h('div.row', {}, btn(t('back'), function () { ctx.manager = null; rerender(ctx); }, '', 'back'),
          openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary'))),
      padKeys(function (kk) { ctx.mpin = padEdit(ctx.mpin || '', kk, 12); ctx.rep = null; rerender(ctx); }))];
  }
  sealedForm.screen = 'sealed';
  sealedForm.live = keyLive;

  /* ---- owner collection (rules 7, 8) ---- */
  function collectForm(ctx) {
    var k = ctx.key;
    ctx.who = k.owner;
    ctx.focus = ctx.focus || 'idn';
    var go = function () {
      if (!ctx.idn || !ctx.sig) { ctx.rep = { ok: false, local: t('need_fields', { what: [t('owner_id'), t('signature_ref')].join('、') }) }; rerender(ctx); return; }
      var idn = ctx.idn;
      ctx.idn = '';
      releaseAndWatch(ctx, { op: 'collect', key: k.key, id_number: idn.toUpperCase(), signature: ctx.sig }, 'home');
    };
    return [h('h1', { text: t('collect_title', { unit: unitName(k) }) }), keyItem(k),
      h('div.pinwrap', {}, h('div.pinside', {},
        padField(ctx, 'idn', t('owner_id'), 20, 'X'),
        padField(ctx, 'sig', t('signature_ref'), 20),
        refusal(ctx.rep),
        h('div.row', {}, btn(t('back'), function () { show(pickKey, { mode: 'collect' }); }, '', 'back'),
          openBtn(ctx.busy ? t('opening') : t('release'), go, 'primary.big'))),
      fieldPad(ctx))];
  }
  collectForm.screen = 'collect';
  collectForm.live = keyLive;

  /* ---- keys out, IDs held, inspections to record ---- */
  function outList(ctx) {
    if (!ctx.loaded) {
      Promise.all([op('loans'), op('ids'), op('status'), loadOwners()]).then(function (r) {
        ctx.loans = r[0].loans || []; ctx.ids = r[1].ids || [];
        ctx.insp = (r[2].inspections_pending || []);
        onStatus(r[2]);
        ctx.rep = [r[0], r[1], r[2]].filter(function (x) { return !x.ok; })[0] || null;
        ctx.loaded = true;
        rerender(ctx);
      });
      return h('div.muted', { text: t('busy') });
    }
    var mine = S.user.role === 'engineer';
    var insp = ctx.insp.filter(function (i) { return !mine || i.borrower === S.user.person; });

    return [h('h1', { text: t('tile_out') }), refusal(ctx.rep),
      h('h2', { text: t('inspections_title') }),
      insp.length ? h('div.list', {}, insp.map(function (i) {
        return h('div.item', { 'data-t': 'insp-' + i.loan }, h('div.main', {}, h('div.title', { text: unitOf(i.key) }),
          h('div.sub', { text: t('inspection_for', { unit: S.units[i.key] || i.key, name: nameOf(i.borrower) }) })),
        btn(t('record_inspection'), function () { show(inspectForm, { loan: i.loan, key: i.key, unit: S.units[i.key], borrower: i.borrower }); }, 'primary', 'inspect-' + i.loan));
      })) : h('div.muted', { text: t('nothing') }),
      h('h2', { text: t('out_title') }),
      ctx.loans.length ? h('div.list', {}, ctx.loans.map(function (l) {
        return h('div.item', { 'data-t': 'loan-' + l.loan }, h('div.main', {}, h('div.title', { text: unitOf(l.key) + ' · ' + stateName(l.state === 'granted' ? 'releasing' : 'out') }),
          h('div.sub', { text: t('borrower', { name: nameOf(l.borrower) }) + (l.due ? ' · ' + t('due', { t: fmtWhen(l.due) }) : '') + (l.overdue ? ' · ' + t('overdue') : '') })));
      })) : h('div.muted', { text: t('nothing') }),
      h('h2', { text: t('ids_title') }),
      ctx.ids.length ? h('div.list', {}, ctx.ids.map(function (i) {
        return h('div.item', { 'data-t': 'id-' + i.loan }, h('div.main', {}, h('div.title', { text: nameOf(i.person) + ' · ' + idTypeName(i.id_type) + ' ' + i.id_masked }),
          h('div.sub', { text: unitOf(i.key) + ' · ' + stateName(i.loan_state === 'returned' ? 'in' : 'out') })),
        isOperator() && i.loan_state !== 'out' && i.loan_state !== 'granted' ? btn(t('id_give_back'), function () { giveIdBack(i, null); }, 'primary', 'id-back-' + i.loan) : null);
      })) : h('div.muted', { text: t('nothing') }),
      h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'))];
  }
  outList.screen = 'out';
  outList.live = function (ctx) { clearTimeout(ctx.timer); ctx.timer = setTimeout(function () { ctx.loaded = false; rerender(ctx); }, 150); };

  /* ---- alarms, with what to do; clearing needs a note ---- */
  function alarmList(ctx) {
    if (!ctx.alarms) {
      op('alarms').then(function (rep) { ctx.alarms = rep.alarms || []; ctx.rep = rep.ok ? null : rep; S.alarmsOpen = ctx.alarms.length; header(); rerender(ctx); });
      return h('div.muted', { text: t('busy') });
    }
    return [h('h1', { text: t('alarms_title') }), refusal(ctx.rep),
      ctx.alarms.length ? h('div.list', {}, ctx.alarms.map(function (a) {
        var open = ctx.open === a.alarm;
        return h('div.item', { 'data-t': 'alarm-' + a.alarm }, h('div.main', {},
          h('div.title', { text: t('alarm_item', { type: alarmName(a.type), where: [a.key && unitOf(a.key), a.slot ? t('slot', { slot: a.slot }) : ''].filter(Boolean).join(' · ') }) }),
          h('div.sub', { 'data-t': 'alarm-detail', text: fmtWhen(a.raised) + (a.detail ? ' · ' + ((a.detail_text && a.detail_text[S.lang]) || a.detail) : '') }),
          h('div', { text: tOr('alarm_do_' + a.type, ''), 'data-t': 'alarm-do' }),
          open ? [h('label.lbl', { text: t('alarm_note') }),
            h('textarea', { 'data-t': 'alarm-note', on: { input: function (e) { ctx.note = e.target.value; touch(); } } }, ctx.note || ''),
            refusal(ctx.crep),
            h('div.row', {}, btn(t('alarm_clear'), function () {
              op('alarm.clear', { alarm: a.alarm, note: ctx.note || '' }).then(function (rep) {
                if (rep.ok) { notice(t('alarm_cleared'), 'good', null, 'alarm-cleared'); show(alarmList, {}); }
                else { ctx.crep = rep; rerender(ctx); }
              });
            }, 'danger', 'alarm-clear-go'))] : null),
        !open && isOperator() && a.type === 'wrong_slot' && a.key ? btn(t('reseat'), function () { reseat(ctx, a); }, 'primary', 'alarm-reseat') : null,
        !open && isOperator() ? btn(t('alarm_clear'), function () { ctx.open = a.alarm; ctx.note = ''; ctx.crep = null; rerender(ctx); }, '', 'alarm-clear') : null);
      })) : h('div.muted', { text: t('alarms_none') }),
      h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'))];
  }
  alarmList.screen = 'alarms';

  /* A key in a wrong slot (rule 9): keycabd opens the slot it sits in,
   * the screen follows the key out and into its home slot. */
  function reseat(ctx, a) {
    op('slot.reseat', { alarm: a.alarm }).then(function (rep) {
      if (!rep.ok) { ctx.crep = rep; ctx.open = a.alarm; rerender(ctx); return; }
      show(reseatWatch, { rep: rep, state: 'open', started: Date.now() });
    });
  }
  function reseatWatch(g) {
    var r = g.rep, p = { key: r.key, slot: g.slot || r.slot, home: r.home_slot }, big, sub = [];
    if (g.state === 'home') big = h('div.big-msg.ok', { 'data-t': 'reseat-home', text: t('reseat_home', p) });
    else if (g.state === 'lifted') big = h('div.big-msg', { 'data-t': 'reseat-lifted', text: t('reseat_lifted', p) });
    else if (g.state === 'wrong') big = h('div.big-msg.warn', { 'data-t': 'reseat-wrong', text: t('reseat_wrong', p) });
    else if (g.state === 'relocked') big = h('div.big-msg.warn', { 'data-t': 'reseat-relocked', text: t('reseat_relocked', p) });
    else {
      big = h('div.big-msg', { 'data-t': 'reseat-open', text: t('reseat_open', p) });
      sub.push(h('div.window-left', { 'data-t': 'window-left', text: t('window_left', { s: Math.ceil(Math.max(0, (r.window_ms - (Date.now() - g.started)) / 1000)) }) }));
    }
    return [h('h1', { text: t('reseat_title') }), h('div', { 'data-t': 'reseat', 'data-state': g.state }, big, sub),
      h('div.row', {}, h('div.spacer'), btn(t('ok'), function () { show(alarmList, {}); }, 'primary', 'done'))];
  }
  reseatWatch.screen = 'reseat';
  reseatWatch.live = function (g, ev) {
    var r = g.rep;
    if (ev.key !== r.key) return;
    if (ev.type === 'slot.removed' && ev.slot === r.slot && g.state === 'open') g.state = 'lifted';
    else if (ev.type === 'slot.inserted' && ev.slot === r.home_slot) g.state = 'home';
    else if (ev.type === 'slot.inserted') { g.state = 'wrong'; g.slot = ev.slot; }
    else if (ev.type === 'alarm.cleared' && ev.data && ev.data.alarm_type === 'wrong_slot') g.state = 'home';
    else return;
    rerender(g);
  };
  setInterval(function () {
    if (!S.cur || S.cur.fn !== reseatWatch || S.cur.ctx.state !== 'open') return;
    var g = S.cur.ctx, left = g.rep.window_ms - (Date.now() - g.started);
    if (left <= -1500) { g.state = 'relocked'; rerender(g); return; } /* the window and its grace */
    var w = document.querySelector('[data-t=window-left]');
    if (w) w.textContent = t('window_left', { s: Math.ceil(Math.max(0, left / 1000)) });
  }, 250);

  /* ---- shift handover (rule 12) ---- */
  function sheetTable(cols, rows) {
    return h('table.sheet', {}, h('tr', {}, cols.map(function (c) { return h('th', { text: t(c) }); })),
      rows.length ? rows.map(function (r) { return h('tr', {}, r.map(function (c) { return h('td', { text: c }); })); })
        : h('tr', {}, h('td', { colspan: cols.length, text: t('nothing') })));
  }
  function handover(ctx) {
    if (!ctx.sheet) {
      return [h('h1', { text: t('handover_title') }), refusal(ctx.rep),
        h('div.row', {}, btn(t('back'), function () { show(home, {}); }, '', 'back'),
          btn(t('handover_start'), function () {
            op('handover.start', {}).then(function (rep) {
              if (rep.ok) { ctx.sheet = rep; ctx.outgoing = S.user; ctx.at = new Date().toISOString(); } else ctx.rep = rep;
              rerender(ctx);
            });
          }, 'primary.big', 'handover-start'))];
    }
    var s = ctx.sheet;
    var body = [h('h1', { 'data-t': 'sheet-title', text: t('handover_sheet', { n: s.handover, name: ctx.outgoing.name, t: fmtWhen(ctx.at) }) }),
      h('h2', { text: t('handover_keys_out') }),
      sheetTable(['col_key', 'col_borrower', 'col_due'], (s.keys_out || []).map(function (k) { return [k.key, nameOf(k.person), fmtWhen(k.due)]; })),
      h('h2', { text: t('handover_ids') }),
      sheetTable(['col_borrower', 'col_id', 'col_key'], (s.ids_held || []).map(function (i) { return [nameOf(i.person), idTypeName(i.id_type) + ' ' + i.id_masked, i.key]; })),
      h('h2', { text: t('handover_alarms') }),
      sheetTable(['col_alarm', 'col_key'], (s.alarms || []).map(function (a) { return [alarmName(a.type), [a.key, a.slot].filter(Boolean).join(' · ')]; }))];
    if (ctx.confirmed) body.push(h('div.big-msg.ok', { 'data-t': 'handover-confirmed', text: t('handover_confirmed', { name: ctx.confirmed }) }));
    body.push(refusal(ctx.rep));
    body.push(h('div.row.noprint.stick', {}, btn(t('print'), function () { window.print(); }, '', 'print'),
      ctx.confirmed ? btn(t('ok'), function () { show(home, {}); }, 'primary', 'done') :
        btn(t('handover_incoming'), function () {
          show(pickName, { roles: ['staff', 'manager', 'supervisor'], title: t('handover_incoming'),
            back: function () { show(handover, ctx); },
            then: function (p, pin) {
              /* the incoming staff's own login confirms the sheet */
              return api('/api/login', { person: p.person, pin: pin }).then(function (rep) {
                if (!rep.ok) return rep;
                S.user = { person: rep.person, name: rep.name, role: rep.role };
                touch();
                header();
                return op('handover.confirm', { handover: s.handover }).then(function (c) {
                  if (c.ok) { ctx.confirmed = rep.name; ctx.rep = null; } else ctx.rep = c;
                  show(handover, ctx);
                });
              });
            } });
        }, 'primary', 'handover-incoming')));
    return body;
  }
  handover.screen = 'handover';

  /* ---- start ---- */
  function init() {
    $('lang').addEventListener('click', function () {
      S.lang = S.lang === 'en' ? 'zh-CN' : 'en';
      header();
      if (S.cur) render();
    });
    $('logout').addEventListener('click', logout);
    ['pointerdown', 'keydown'].forEach(function (n) { document.addEventListener(n, touch, true); });
    header();
    show(idle, {});
    setInterval(tick, 1000);
    connect();
    /* a page opened with a kiosk session already (a reload) */
    api('/api/op/whoami', {}).then(function (rep) { if (rep.ok) loggedIn(rep); });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
