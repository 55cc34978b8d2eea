/* A cabinet the office manages: the site's settings (/api/settings: its
 * quick phrases and due-time presets), read when the page starts and
 * again when keycabd applies a settings.set from the office
 * (estate.applied); the on-screen keyboard's phrases with them. */
import { S } from './state.js';
import { api } from './api.js';
import { reloadPhrases } from './keyboard.js';

export function loadSettings() {
  return api('/api/settings').then(function (rep) {
    if (rep && rep.ok) S.settings = rep;
    reloadPhrases();
    return rep;
  });
}
/* An event of keycabd's that changes the settings. */
export function estateEvent(ev) {
  if (ev.type === 'estate.applied' && (ev.data || {}).change_type === 'settings.set') loadSettings();
}
