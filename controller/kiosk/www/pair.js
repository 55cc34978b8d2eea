/* After the pairing (GET /pair?key=...): the terminal takes the place of
 * the pairing URL in the browser's history, so that the key stays in no
 * history entry. */
'use strict';
location.replace('/');
