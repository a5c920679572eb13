// What the engine's WebSocket connections (net/ws_conn.cpp) cost and bound; their behaviour
// through sockets is tested end to end in tests/python/test_websocket.py (the demo's C echo)
// and tests/pyapi/test_websocket.py (the Python API).
#include <gtest/gtest.h>

#include <cstdio>

#include "net/connection.h"
#include "net/ws_conn.h"
#include "viper/server.h"

using viper::Server;

TEST(WsConn, IdleWebSocketFitsTheIssuesBudget) {
  // Issue 12: at most 512 bytes beyond the slot when no message is in flight.
  size_t beyond_slot = Server::bytes_per_idle_websocket();
  std::printf("idle WebSocket: %zu bytes beyond its %zu-byte slot (VIPER_IO_BUFFER_BYTES %u)\n",
              beyond_slot, sizeof(viper::net::Conn), unsigned(VIPER_IO_BUFFER_BYTES));
  EXPECT_LE(beyond_slot, 512u);
}

TEST(WsConn, SendQueueWordNeverNamesANoneGeneration) {
  // The generation bits of kWsNone are all set; a real generation never has them all.
  for (uint32_t g : {0u, 1u, 0x7ffeu, 0x7fffu, 0x8000u, 0xffffffffu})
    EXPECT_NE(viper::net::ws_word_generation(g), viper::net::kWsNone & 0xfffe0000u) << g;
}

TEST(WsConn, SendQueueFitsSixteenBits) {
  viper::ServerOptions o;
  o.port = 0;
  o.max_connections = 2;
  const char* err = nullptr;
  Server* s = Server::create(o, &err);
  ASSERT_NE(s, nullptr) << err;
  ASSERT_TRUE(s->enable_websockets());
  EXPECT_GT(s->ws_max_frame(), 1000u);
  EXPECT_LT(s->ws_max_frame() + 14, size_t(VIPER_IO_BUFFER_BYTES));
  // A token of no WebSocket reserves nothing.
  EXPECT_EQ(s->ws_reserve(0, 10), Server::Reserve::Gone);
  EXPECT_EQ(s->ws_reserve(1u << 30, 10), Server::Reserve::Gone);
  Server::destroy(s);
}
