'use strict';
// The browser harness: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for
// scenarios that pytest runs (tests/browser/test_*.py through browser.py).  A scenario is a
// Node script that gets its parameters as one JSON argument, reports what it saw as JSON lines
// on stdout ({"event": NAME, ...}; the last one is {"event": "result", ...}) and, when it needs
// the test to act (stop a server, start it again), waits for a line on stdin.  The script
// collects facts; the Python test asserts them, so a failure message shows everything seen.
//
// Chromium is started with the flags this machine needs (no network beyond 127.0.0.1: the
// background-networking flags keep it from trying Google's hosts) and, through playwright's
// launch(), a fresh --user-data-dir of its own, removed when the browser closes.

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.VIPER_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function params() {
  return JSON.parse(process.argv[2] || '{}');
}

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + '\n');
}

// `extraArgs`: more Chromium flags (e.g. --ignore-certificate-errors for the demo over HTTPS
// with its self-signed certificate).
async function launch(extraArgs) {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true,
                           args: ARGS.concat(extraArgs || []) });
}

// Lines from stdin, one at a time: `await nextCommand()` resolves with the next line.
let lines = null;
const waiting = [];
const queued = [];
function nextCommand() {
  if (!lines) {
    lines = readline.createInterface({ input: process.stdin });
    lines.on('line', (line) => (waiting.length ? waiting.shift()(line) : queued.push(line)));
    lines.on('close', () => { while (waiting.length) waiting.shift()(null); });
  }
  if (queued.length) return Promise.resolve(queued.shift());
  return new Promise((resolve) => waiting.push(resolve));
}

// Watches a page: console errors, uncaught exceptions, failed requests and every response's
// status.  A request aborted by a navigation this harness started (reload) is counted apart
// (`aborted`): the browser cancels what the old document had in flight; that is not the
// server's doing.  Everything else that fails is a failure.
function watch(page, label) {
  const w = {
    label: label || '',
    navigating: false,
    consoleErrors: [],
    pageErrors: [],
    failed: [],
    aborted: 0,
    responses: 0,
    statuses: {},
    badResponses: [],
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      w.consoleErrors.push({ text: msg.text(), url: loc && loc.url });
    }
  });
  page.on('pageerror', (err) => w.pageErrors.push(String(err && err.stack ? err.stack : err)));
  page.on('requestfailed', (req) => {
    const error = (req.failure() && req.failure().errorText) || 'unknown';
    if (error === 'net::ERR_ABORTED' && w.navigating) w.aborted += 1;
    else w.failed.push({ url: req.url(), error });
  });
  page.on('response', (res) => {
    w.responses += 1;
    const s = res.status();
    w.statuses[s] = (w.statuses[s] || 0) + 1;
    if (s !== 200 && s !== 304) w.badResponses.push({ url: res.url(), status: s });
  });
  return w;
}

// Runs `fn` (a navigation: goto or reload) with the page's watcher marked as navigating, so
// that the requests the old document had in flight, cancelled by the navigation, are not
// counted as failures.
async function navigate(w, fn) {
  w.navigating = true;
  try {
    return await fn();
  } finally {
    w.navigating = false;
  }
}

function screenshotPath(outDir, name) {
  fs.mkdirSync(outDir, { recursive: true });
  return path.join(outDir, name + '.png');
}

async function screenshot(page, outDir, name, options) {
  const file = screenshotPath(outDir, name);
  await page.screenshot(Object.assign({ path: file, fullPage: true }, options || {}));
  return file;
}

// Waits until `fn(arg)` is true in the page, checking every 100 ms: playwright's default
// (every animation frame) costs a core when twenty pages wait at once.
function waitFor(page, fn, arg, timeout) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 });
}

// Waits until the page's <body data-state> is `state` (the convention of the demo page).
function waitForState(page, state, timeout) {
  return waitFor(page, (s) => document.body && document.body.dataset.state === s, state, timeout);
}

// Runs a scenario's main function: reports an exception as {"event": "error"} and exits
// non-zero, so the test fails with the scenario's stack.
function run(main) {
  main(params()).then(
    () => process.exit(0),
    (err) => {
      emit('error', { error: String(err && err.stack ? err.stack : err) });
      process.exit(1);
    },
  );
}

module.exports = {
  ARGS, EXECUTABLE, emit, launch, navigate, nextCommand, run, screenshot, waitFor, waitForState,
  watch,
};
