'use strict';
// The demo page when the device goes away and comes back.
// 1. app.js itself fails to load twice (the request is reset): the page says it is offline
//    and loads app.js again by itself (screenshot offline-script.png), then goes live.
// 2. The server stops while the page is live: after {"event": "live"} the test stops the
//    server and sends "stopped"; the page must show its offline state, keeping the last values
//    greyed out (offline.png, {"event": "offline"}); the test starts the server again on the
//    same port and sends "started"; the page must go live again by itself (recovered.png).
// Params: {url, out, liveTimeoutMs, offlineTimeoutMs}.
const {
  emit, launch, navigate, nextCommand, run, screenshot, waitForState, watch,
} = require('./harness');

const readState = () => ({
  state: document.body.dataset.state,
  status: document.getElementById('status').textContent,
  sensorRows: document.querySelectorAll('#sensors tr').length - 1,
  led: document.getElementById('led').textContent,
  sensorsOpacity: getComputedStyle(document.getElementById('sensors')).opacity,
  statusColor: getComputedStyle(document.getElementById('status')).color,
});

async function waitState(page, state, timeout) {
  await waitForState(page, state, timeout);
  return page.evaluate(readState);
}

run(async ({ url, out, liveTimeoutMs = 20000, offlineTimeoutMs = 15000 }) => {
  const browser = await launch();
  const result = {};
  try {
    // 1. app.js is reset twice, then served.
    {
      const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
      const page = await context.newPage();
      const w = watch(page, 'script-retry');
      let resets = 0;
      await page.route('**/app.js', (route) => {
        if (resets < 2) {
          resets += 1;
          return route.abort('connectionreset');
        }
        return route.continue();
      });
      await navigate(w, () => page.goto(url, { waitUntil: 'load' }));
      const offline = await waitState(page, 'offline', offlineTimeoutMs);
      const shot = await screenshot(page, out, 'offline-script');
      const live = await waitState(page, 'live', liveTimeoutMs);
      result.scriptRetry = { resets, offline, live, screenshot: shot, watch: w };
      await context.close();
    }
    // 2. The server goes away and comes back.
    {
      const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
      const page = await context.newPage();
      const w = watch(page, 'server-restart');
      await navigate(w, () => page.goto(url, { waitUntil: 'load' }));
      const live = await waitState(page, 'live', liveTimeoutMs);
      emit('live');
      if ((await nextCommand()) !== 'stopped') throw new Error('expected "stopped"');
      const offline = await waitState(page, 'offline', offlineTimeoutMs);
      const offlineShot = await screenshot(page, out, 'offline');
      emit('offline', { offline });
      if ((await nextCommand()) !== 'started') throw new Error('expected "started"');
      const t0 = Date.now();
      const recovered = await waitState(page, 'live', liveTimeoutMs);
      const recoveredMs = Date.now() - t0;
      const recoveredShot = await screenshot(page, out, 'recovered');
      result.restart = {
        live, offline, recovered, recoveredMs, watch: w,
        screenshots: [offlineShot, recoveredShot],
      };
      await context.close();
    }
  } finally {
    await browser.close();
  }
  emit('result', result);
});
