'use strict';
// The demo page as a person sees it, at each width of `widths` (a desktop and a phone):
// loads it in a fresh context, waits for the live values, reads what the page shows and where
// the cards are, and takes a full-page screenshot (demo-<width>.png).
// Params: {url, out, widths: [1280, 375], liveTimeoutMs, ignoreCertificateErrors} (the last:
// Chromium started with --ignore-certificate-errors, for the demo over HTTPS).
const { emit, launch, navigate, run, screenshot, waitFor, waitForState, watch } = require('./harness');

run(async ({ url, out, widths = [1280, 375], liveTimeoutMs = 15000,
              ignoreCertificateErrors = false }) => {
  const browser = await launch(ignoreCertificateErrors ? ['--ignore-certificate-errors'] : []);
  const pages = [];
  try {
    for (const width of widths) {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      const w = watch(page, 'demo-' + width);
      await navigate(w, () => page.goto(url, { waitUntil: 'load' }));
      await waitForState(page, 'live', liveTimeoutMs);
      // One more refresh cycle, so that a poll (not only the first load) is covered too.
      const first = await page.textContent('#status');
      await waitFor(page, (s) => document.getElementById('status').textContent !== s &&
                                 document.body.dataset.state === 'live', first, liveTimeoutMs);
      const seen = await page.evaluate(() => {
        const rows = (id) => [...document.querySelectorAll('#' + id + ' tr')].map(
          (tr) => [...tr.children].map((c) => c.textContent));
        const box = (el) => {
          const r = el.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, width: r.width };
        };
        return {
          title: document.title,
          state: document.body.dataset.state,
          status: document.getElementById('status').textContent,
          sensors: rows('sensors'),
          led: document.getElementById('led').textContent,
          toggleDisabled: document.getElementById('toggle').disabled,
          stats: rows('stats'),
          hint: document.querySelector('[data-host]').textContent,
          cards: [...document.querySelectorAll('.card')].map(box),
          viewportWidth: document.documentElement.clientWidth,
          scrollWidth: document.documentElement.scrollWidth,
          icon: document.querySelector('link[rel=icon]').href,
          protocol: location.protocol,
        };
      });
      // The icon the page names: does it load?  (Headless Chromium may not fetch it itself.)
      seen.iconFetch = await page.evaluate(async (href) => {
        const r = await fetch(href);
        return { status: r.status, type: r.headers.get('content-type'),
                 bytes: (await r.arrayBuffer()).byteLength };
      }, seen.icon);
      seen.width = width;
      seen.screenshot = await screenshot(page, out, 'demo-' + width);
      seen.watch = w;
      pages.push(seen);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  emit('result', { pages });
});
