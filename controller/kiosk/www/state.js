/* The page's state, one object shared by every module (S), the query
 * string it starts from, and $ (an element by id). */

export var params = new URLSearchParams(location.search);
export var S = {
  lang: params.get('lang') === 'en' ? 'en' : 'zh-CN',
  tz: 'Asia/Shanghai',
  idleS: Math.max(15, +(params.get('idle') || 90)), /* the terminal's idle time */
  user: null, roster: [], enrolling: [], owners: {}, up: true, following: true, why: null, storage: null,
  link: undefined, alarmsOpen: 0, catalogue: true,
  cur: null, lastTouch: Date.now(), grants: {}, loanEv: {}, units: {},
  homes: {}, /* each key's own slot, from keycabd's status */
  moves: {}, /* keys the office moved, still in another slot (move.js) */
  speech: false, /* the kiosk's spoken prompts on ([kiosk] speech) */
  settings: null /* the site's settings from the office (/api/settings), estate.js */
};
export var $ = function (id) { return document.getElementById(id); };
