// The demo's web page, served from memory by a C route (the Python demo of the next layer
// serves it from a static mount instead).
#pragma once

static constexpr char kDemoPage[] = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ViperHTTP demo device</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; color: #222; }
  h1 { font-size: 1.4rem; } .card { border: 1px solid #ccc; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; }
  code { background: #f4f4f4; padding: 0 .25rem; } .muted { color: #777; font-size: .9rem; }
</style>
</head>
<body>
<h1>ViperHTTP demo device</h1>
<p class="muted">Served by the C++ engine alone: this page, the sensor API and the counters below
never touch an interpreter.</p>
<div class="card">
  <h2>Sensors</h2>
  <table id="sensors"><tr><th>sensor</th><th>value</th><th>unit</th></tr></table>
</div>
<div class="card">
  <h2>Engine counters</h2>
  <table id="stats"></table>
</div>
<div class="card">
  <h2>Try it</h2>
  <p><code>curl -v http://HOST/hello http://HOST/items/42?q=lamp</code> (one connection, reused)</p>
  <p><code>curl -N http://HOST/stream?n=5</code> (chunked response)</p>
</div>
<script>
const host = location.host;
for (const el of document.querySelectorAll('code')) el.textContent = el.textContent.replaceAll('HOST', host);
async function refresh() {
  const list = await (await fetch('/sensors/')).json();
  const rows = await Promise.all(list.sensors.map(async (name) => (await fetch('/sensors/' + name)).json()));
  const t = document.getElementById('sensors');
  t.innerHTML = '<tr><th>sensor</th><th>value</th><th>unit</th></tr>' +
    rows.map(r => `<tr><td>${r.sensor}</td><td>${r.value.toFixed(2)}</td><td>${r.unit}</td></tr>`).join('');
  const s = await (await fetch('/stats')).json();
  const keys = ['connections_active', 'requests', 'keepalive_reuses', 'io_buffers_in_use', 'loop_wakeups'];
  document.getElementById('stats').innerHTML = keys.map(k => `<tr><td>${k}</td><td>${s[k]}</td></tr>`).join('');
}
refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";
