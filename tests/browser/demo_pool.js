'use strict';
// Many people on one device (issue 10): `pages` browser contexts (each its own profile, so
// its own connections: up to 6 per page, as separate phones would open) open the demo at the
// same moment, and each then reloads it `reloads` times.  A load is complete when the page
// has shown live values.  Every request and response is recorded: the test asserts that
// every response is 200/304, no request failed and every load completed.
// Every load runs: the timeouts only guard against a hang (a page that is not live 30 s after
// its load event has not completed; a healthy run takes a fraction of that per load).
// Params: {url, out, pages: 20, reloads: 5, liveTimeoutMs, navTimeoutMs}.
const { emit, launch, navigate, run, screenshot, waitForState, watch } = require('./harness');

run(async ({ url, out, pages = 20, reloads = 5, liveTimeoutMs = 30000, navTimeoutMs = 45000 }) => {
  const browser = await launch();
  const t0 = Date.now();
  const loads = [];
  const watchers = [];
  try {
    const tabs = await Promise.all([...Array(pages).keys()].map(async (i) => {
      const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
      const page = await context.newPage();
      return { i, page, w: watch(page, 'page' + i) };
    }));
    watchers.push(...tabs.map((t) => t.w));
    const started = Date.now();
    await Promise.all(tabs.map(async ({ i, page, w }) => {
      for (let k = 0; k <= reloads; k++) {
        const start = Date.now();
        const load = { page: i, load: k, ok: true };
        try {
          await navigate(w, () => (k === 0
            ? page.goto(url, { waitUntil: 'load', timeout: navTimeoutMs })
            : page.reload({ waitUntil: 'load', timeout: navTimeoutMs })));
          await waitForState(page, 'live', liveTimeoutMs);
        } catch (err) {
          load.ok = false;
          load.error = String(err.message || err).split('\n')[0];
          load.state = await page.evaluate(() => document.body && document.body.dataset.state)
            .catch(() => 'no document');
        }
        load.ms = Date.now() - start;
        loads.push(load);
      }
    }));
    const seconds = (Date.now() - started) / 1000;
    const shot = await screenshot(tabs[0].page, out, 'pool-page0');

    const sum = (f) => watchers.reduce((n, w) => n + f(w), 0);
    const statuses = {};
    const failuresByError = {};
    for (const w of watchers) {
      for (const [s, n] of Object.entries(w.statuses)) statuses[s] = (statuses[s] || 0) + n;
      for (const f of w.failed) failuresByError[f.error] = (failuresByError[f.error] || 0) + 1;
    }
    const ms = loads.map((l) => l.ms).sort((a, b) => a - b);
    emit('result', {
      pages,
      reloads,
      seconds,
      totalSeconds: (Date.now() - t0) / 1000,
      loads: loads.length,
      loadsIncomplete: loads.filter((l) => !l.ok),
      loadMs: { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] },
      responses: sum((w) => w.responses),
      statuses,
      failures: sum((w) => w.failed.length),
      failuresByError,
      failedSample: watchers.flatMap((w) => w.failed).slice(0, 20),
      badResponses: sum((w) => w.badResponses.length),
      badSample: watchers.flatMap((w) => w.badResponses).slice(0, 20),
      abortedByNavigation: sum((w) => w.aborted),
      pageErrors: watchers.flatMap((w) => w.pageErrors).slice(0, 20),
      consoleErrors: sum((w) => w.consoleErrors.length),
      screenshot: shot,
    });
  } finally {
    await browser.close();
  }
});
