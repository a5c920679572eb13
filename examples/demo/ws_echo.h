// A WebSocket echo endpoint in C (viper_demo --ws-echo PATH): every message comes back as it
// was sent (text or binary), piece by piece as the engine delivers it, so the engine's
// WebSocket wiring (upgrade, frames, pings, close handshake, limits, flow control both ways) is
// tested through sockets without an interpreter (tests/python/test_websocket.py).
//
// It is a small producer on the engine's hooks, as the bridge is: the upgrade is accepted and
// pieces are echoed at the end of each loop iteration (never from inside the hook that
// delivered them), from a bounded queue; when the queue is full the engine stops reading
// the connection (the hook answers false) until ws_resume().
#pragma once

#include "viper/server.h"

namespace demo {

// Registers the echo route at `path` and the hooks.  False when that fails.
bool install_ws_echo(viper::Server* server, const char* path);

}  // namespace demo
