'use strict';
const L = require('./lib.js');
const { check } = L;
L.estateTest('t-estate', async ({ con, term, shot }) => {
  check(await L.signIn(con), 'the admin signs in at the console');
  await shot.con('signed-in');
  check(await L.pair(term), 'the terminal pairs');
  await shot.term('idle');
});
