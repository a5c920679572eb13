for (const el of document.querySelectorAll('code')) el.textContent = el.textContent.replaceAll('HOST', location.host);
async function getJSON(url, opts) { const r = await fetch(url, opts); return r.json(); }
async function refresh() {
  const list = await getJSON('/api/sensors');
  const rows = await Promise.all(list.sensors.map(n => getJSON('/api/sensors/' + n)));
  document.getElementById('sensors').innerHTML = '<tr><th>sensor</th><th>value</th><th>unit</th></tr>' +
    rows.map(r => `<tr><td>${r.sensor}</td><td>${r.value.toFixed(2)}</td><td>${r.unit}</td></tr>`).join('');
  const led = await getJSON('/api/led');
  document.getElementById('led').textContent = led.on ? 'on (' + led.brightness + '%)' : 'off';
  const s = await getJSON('/api/stats');
  const shown = {requests: s.requests, connections_active: s.connections_active,
                 keepalive_reuses: s.keepalive_reuses, fast_path: s.python.fast_path,
                 tasks_created: s.python.tasks_created, interpreter_wakeups: s.bridge.interpreter_wakeups,
                 static_requests: s.static_requests, static_not_modified: s.static_not_modified};
  document.getElementById('stats').innerHTML = Object.entries(shown).map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('');
}
document.getElementById('toggle').onclick = async () => {
  const led = await getJSON('/api/led');
  await fetch('/api/led', {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({on: !led.on})});
  refresh();
};
refresh(); setInterval(refresh, 2000);
