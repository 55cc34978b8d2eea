// The console's pages for t-web.py: a supervisor signs in with the form
// (console.js), opens each page of KC_PAGES (JSON: [[path, screenshot name
// or null], ...]) and the handovers page, then signs out with the button.
// Writes to KC_OUT (JSON): pages {path: {url, html, shot}}, review (the
// review route posted with the browser's own session, without and with the
// page's form token; t-office.py signs a review through the page's own
// form), and where / leads after signing out. The checks of the content are t-web.py's.
'use strict';
const fs = require('fs');
const { URL, check, launch, submitLogin, run } = require('./console.js');

run(async () => {
  const { browser, context, page, shot } = await launch();
  const out = { pages: {}, review: {} };

  try {
    await page.goto(URL + '/');
    await submitLogin(page, process.env.KC_USER, process.env.KC_PASS);
    check(new globalThis.URL(page.url()).pathname === '/', 'signed in with the form', page.url());
    for (const [p, name] of JSON.parse(process.env.KC_PAGES)) {
      const res = await page.goto(URL + p);
      out.pages[p] = { status: res.status(), url: page.url(), html: await page.content(),
                       shot: name ? await shot(name, true) : null };
    }

    await page.goto(URL + '/r/handovers');
    const csrf = await page.locator('nav form[action="/logout"] input[name="csrf"]').inputValue();
    for (const [what, form] of [['without', { cabinet: 'CAB-OLD', handover: '2', note: 'ok' }],
                                ['with', { cabinet: 'CAB-OLD', handover: '2', note: '已审阅 fine', csrf }]]) {
      const r = await context.request.post(URL + '/r/handovers/review', { form, maxRedirects: 0 });
      out.review[what] = { status: r.status(), body: await r.text() };
    }

    await Promise.all([page.waitForNavigation(), page.click('nav form[action="/logout"] button')]);
    await page.goto(URL + '/r/now');
    out.after_logout = page.url();
  } finally {
    await browser.close();
    fs.writeFileSync(process.env.KC_OUT, JSON.stringify(out));
  }
});
