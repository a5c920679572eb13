'use strict';
// The demo page's live chart (issue 13): loads the page, starts the chart (Server-Sent Events
// from /api/stream/temperature, read by the browser's own EventSource), waits until `points`
// readings are drawn, reads the chart and takes a screenshot (demo-chart.png), then stops it.
// Params: {url, out, points: 4, timeoutMs}.
const { emit, launch, navigate, run, screenshot, waitFor, waitForState, watch } = require('./harness');

run(async ({ url, out, points = 4, timeoutMs = 20000 }) => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    const w = watch(page, 'demo-chart');
    await navigate(w, () => page.goto(url, { waitUntil: 'load' }));
    await waitForState(page, 'live', timeoutMs);
    const before = await page.evaluate(() => document.getElementById('chart').dataset.points);
    await page.click('#chart-toggle');
    await waitFor(page, (n) => Number(document.getElementById('chart').dataset.points) >= n,
                  points, timeoutMs);
    const seen = await page.evaluate(() => ({
      points: Number(document.getElementById('chart').dataset.points),
      line: document.getElementById('chart-line').getAttribute('points'),
      status: document.getElementById('chart-status').textContent,
      button: document.getElementById('chart-toggle').textContent,
      box: document.getElementById('chart').getBoundingClientRect().toJSON(),
    }));
    seen.before = before;
    seen.screenshot = await screenshot(page, out, 'demo-chart');
    seen.watchBeforeStop = JSON.parse(JSON.stringify(w));
    await page.click('#chart-toggle');  // stop: the browser closes the stream (ERR_ABORTED)
    seen.afterStop = await page.evaluate(() => document.getElementById('chart-toggle').textContent);
    seen.watch = w;
    await context.close();
    emit('result', seen);
  } finally {
    await browser.close();
  }
});
