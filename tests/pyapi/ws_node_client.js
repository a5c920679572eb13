// A WebSocket client nobody here wrote: Node's `ws` package (tests/browser/node_modules, from
// scripts/install-npm.sh), driven by tests/pyapi/test_websocket.py.  Usage:
//   node ws_node_client.js URL
// Sends a text, a binary, a 100 KB message and a ping to an echo route, checks each echo, closes
// with 1000, and prints one JSON line with what it saw.
"use strict";
const path = require("path");
const WebSocket = require(path.join(__dirname, "..", "browser", "node_modules", "ws"));

const url = process.argv[2];
const ws = new WebSocket(url, { perMessageDeflate: false });
const seen = { messages: [], pong: null, close: null };
const big = "x".repeat(100000);
const sends = [
  ["hello from node", false],
  [Buffer.from([0, 1, 2, 255]), true],
  [big, false],
];
let i = 0;

function next() {
  if (i < sends.length) {
    ws.send(sends[i][0], { binary: sends[i][1] });
  } else {
    ws.ping(Buffer.from("node-ping"));
  }
}

ws.on("open", next);
ws.on("message", (data, isBinary) => {
  const want = sends[i][0];
  const same = isBinary ? Buffer.compare(data, want) === 0 : data.toString() === want;
  seen.messages.push({ binary: isBinary, length: data.length, same });
  i++;
  next();
});
ws.on("pong", (data) => {
  seen.pong = data.toString();
  ws.close(1000, "node done");
});
ws.on("close", (code, reason) => {
  seen.close = { code, reason: reason.toString() };
  console.log(JSON.stringify(seen));
  process.exit(0);
});
ws.on("error", (err) => {
  console.log(JSON.stringify({ error: String(err) }));
  process.exit(1);
});
setTimeout(() => {
  console.log(JSON.stringify({ error: "timeout", seen }));
  process.exit(1);
}, 10000);
