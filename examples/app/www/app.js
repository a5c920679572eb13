'use strict';
// The demo page's live values.  Every request is checked (a network error, a timeout or a
// status other than 2xx is a failure); while the device answers, the values refresh every
// POLL_MS; after a failure the page says it is offline, keeps the last values greyed out and
// tries again with a growing wait (RETRY_MS), until the device answers again.  The state is
// on <body data-state="connecting|live|offline"> (the browser tests read it).
(function () {
  const POLL_MS = 2000;
  const RETRY_MS = [1000, 2000, 4000, 8000];  // after 1, 2, 3, 4+ failures in a row
  const TIMEOUT_MS = 10000;                    // a request that takes longer has failed

  const byId = (id) => document.getElementById(id);
  const statusEl = byId('status');
  const ledEl = byId('led');
  const toggleEl = byId('toggle');
  const ledErrorEl = byId('led-error');

  let failures = 0;
  let timer = null;
  let led = null;  // the last LED state received

  async function getJSON(url, options) {
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url, Object.assign({ signal: abort.signal }, options));
    } catch (err) {
      throw new Error(abort.signal.aborted ? 'no answer within ' + TIMEOUT_MS / 1000 + ' s'
                                           : 'the device cannot be reached');
    } finally {
      clearTimeout(timeout);
    }
    if (!response.ok) {
      let detail = '';
      try { detail = (await response.json()).detail || ''; } catch (err) { /* not JSON */ }
      throw new Error('HTTP ' + response.status + (detail ? ' (' + detail + ')' : ''));
    }
    return response.json();
  }

  function cells(tag, values, classes) {
    const tr = document.createElement('tr');
    values.forEach((v, i) => {
      const cell = document.createElement(tag);
      cell.textContent = v;
      if (classes && classes[i]) cell.className = classes[i];
      tr.appendChild(cell);
    });
    return tr;
  }

  function showSensors(readings) {
    const rows = [cells('th', ['sensor', 'value', 'unit'], [null, 'num'])];
    for (const r of readings) {
      const value = typeof r.value === 'number' ? r.value.toFixed(2) : String(r.value);
      rows.push(cells('td', [r.sensor, value, r.unit], [null, 'num']));
    }
    byId('sensors').replaceChildren(...rows);
  }

  function showLed(state) {
    led = state;
    ledEl.textContent = state.on ? 'on (' + state.brightness + '%)' : 'off';
    toggleEl.disabled = false;
  }

  function showStats(s) {
    const python = s.python || {};
    const bridge = s.bridge || {};
    const shown = [
      ['requests', s.requests],
      ['connections_active', s.connections_active],
      ['keepalive_reuses', s.keepalive_reuses],
      ['static_requests', s.static_requests],
      ['static_not_modified', s.static_not_modified],
      ['python.sync', python.sync],
      ['python.tasks_created', python.tasks_created],
      ['bridge.interpreter_wakeups', bridge.interpreter_wakeups],
    ];
    byId('stats').replaceChildren(
      ...shown.map(([k, v]) => cells('td', [k, v === undefined ? '–' : String(v)], [null, 'num'])));
  }

  function setState(state, text) {
    document.body.dataset.state = state;
    statusEl.textContent = text;
  }

  async function refresh() {
    const list = await getJSON('/api/sensors');
    const readings = await Promise.all(
      list.sensors.map((name) => getJSON('/api/sensors/' + encodeURIComponent(name))));
    const ledState = await getJSON('/api/led');
    const stats = await getJSON('/api/stats');
    showSensors(readings);
    showLed(ledState);
    showStats(stats);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }

  async function tick() {
    timer = null;
    try {
      await refresh();
      failures = 0;
      setState('live', 'Live: updated at ' + new Date().toLocaleTimeString());
      schedule(POLL_MS);
    } catch (err) {
      failures += 1;
      const wait = RETRY_MS[Math.min(failures, RETRY_MS.length) - 1];
      setState('offline', 'Offline: ' + err.message + '. Retrying in ' + wait / 1000 + ' s…');
      schedule(wait);
    }
  }

  toggleEl.addEventListener('click', async () => {
    toggleEl.disabled = true;
    ledErrorEl.hidden = true;
    try {
      const current = led || (await getJSON('/api/led'));
      showLed(await getJSON('/api/led', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ on: !current.on }),
      }));
    } catch (err) {
      ledErrorEl.textContent = 'The LED was not switched: ' + err.message + '.';
      ledErrorEl.hidden = false;
      toggleEl.disabled = false;
      schedule(0);  // find out at once whether the device is still there
    }
  });

  // Back from a sleeping tab or a lost network: look now rather than at the next retry.
  window.addEventListener('online', () => schedule(0));
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && document.body.dataset.state !== 'live') schedule(0);
  });

  tick();

  // The live chart: readings pushed by the device as Server-Sent Events (/api/stream/NAME),
  // the last CHART_POINTS of them drawn as a polyline.  Started on demand: an open stream
  // holds one of the device's few connections.  EventSource reconnects by itself (sending
  // Last-Event-ID); <svg data-points> says how many readings are drawn (the browser test).
  const CHART_POINTS = 60;
  const chartEl = byId('chart');
  const lineEl = byId('chart-line');
  const chartStatusEl = byId('chart-status');
  const chartToggleEl = byId('chart-toggle');
  const chartSensorEl = byId('chart-sensor');
  let source = null;
  let points = [];

  function draw() {
    const values = points.map((p) => p.value);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const span = hi - lo || 1;
    const step = 300 / (CHART_POINTS - 1);
    lineEl.setAttribute('points', points.map((p, i) =>
      (i * step).toFixed(1) + ',' + (95 - 90 * (p.value - lo) / span).toFixed(1)).join(' '));
    chartEl.dataset.points = String(points.length);
  }

  function stopChart() {
    if (source) source.close();
    source = null;
    chartToggleEl.textContent = 'Start';
  }

  function startChart() {
    const name = chartSensorEl.value;
    points = [];
    draw();
    source = new EventSource('/api/stream/' + encodeURIComponent(name) + '?interval_ms=500');
    chartToggleEl.textContent = 'Stop';
    chartStatusEl.textContent = 'Connecting to /api/stream/' + name + '…';
    source.addEventListener('reading', (e) => {
      const r = JSON.parse(e.data);
      points.push(r);
      if (points.length > CHART_POINTS) points.shift();
      draw();
      chartStatusEl.textContent = r.sensor + ': ' + r.value.toFixed(2) + ' ' + r.unit +
        ' (reading ' + e.lastEventId + ')';
    });
    source.addEventListener('error', () => {
      chartStatusEl.textContent = 'The stream was interrupted; reconnecting…';
    });
  }

  chartToggleEl.addEventListener('click', () => (source ? stopChart() : startChart()));
  chartSensorEl.addEventListener('change', () => { if (source) { stopChart(); startChart(); } });
})();
