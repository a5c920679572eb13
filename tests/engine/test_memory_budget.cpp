// The RAM of a running server as the device would hold it (SPEC §6: < 64 KB over plain
// MicroPython; docs/firmware.md, "RAM"): the app.run() configuration on 8 connections with the
// bridge to Python and a typical set of routes, measured with the counting allocator.  The
// figures are printed for docs/benchmarks.md; the assertions are about the accounting: every
// byte is in a pool made at start, nothing moves while 8 connections are served, and the part
// that must stay in internal RAM (everything but buffers and rings) fits the 64 KB target.
// Meaningful in the esp32 profile (4 KB buffers, 8 slots); run in both.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bridge/bridge.h"
#include "mem/allocator.h"
#include "port/port.h"
#include "viper/server.h"

using namespace viper;

namespace {

void hello(const RouteRequest&, Responder& res, void*) {
  res.send_static(200, "application/json", R"({"message":"hello"})");
}

struct Snapshot {
  uint64_t bytes, heap, large;
};
Snapshot snap() {
  mem::Stats s = mem::stats();
  return {s.bytes_in_use, s.heap_bytes_in_use, s.large_bytes_in_use};
}
void report(const char* what, const Snapshot& a, const Snapshot& b) {
  std::printf("  %-34s %8llu bytes (heap %8llu, of it in large blocks %8llu)\n", what,
              (unsigned long long)(b.bytes - a.bytes), (unsigned long long)(b.heap - a.heap),
              (unsigned long long)(b.large - a.large));
}

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Device-sized bridge rings: what a 64 KB target leaves for them (docs/firmware.md).
bridge::Options device_bridge() {
  bridge::Options bo;
  bo.request_records = 16;
  bo.request_bytes = 0;  // twice the largest request the limits let through
  bo.response_records = 16;
  bo.response_bytes = 8 * 1024;
  bo.cancel_records = bo.request_records + VIPER_DEFAULT_MAX_CONNECTIONS;
  return bo;
}

struct Measured {
  Snapshot total;  // everything below
  uint64_t server = 0, bridge = 0, routes = 0, heap = 0, large = 0;
  uint64_t moved_while_serving = 0;
  uint64_t served = 0;
};

// Builds the server as app.run() does (Server, then Bridge, then the app's routes), serves
// `conns` concurrent keep-alive connections with a request each, and measures.
Measured run_device_server(const ServerOptions& o, const bridge::Options& bo, int routes, int conns,
                           const char* title) {
  Measured m;
  std::printf("%s\n", title);
  const Snapshot s0 = snap();
  const char* err = nullptr;
  Server* server = Server::create(o, &err);
  EXPECT_NE(server, nullptr) << err;
  if (server == nullptr) return m;
  const Snapshot s1 = snap();
  report("server pools (slots, buffers, ...)", s0, s1);
  bridge::Bridge* b = bridge::Bridge::create(server, bo, &err);
  EXPECT_NE(b, nullptr) << err;
  if (b == nullptr) {
    Server::destroy(server);
    return m;
  }
  const Snapshot s2 = snap();
  report("bridge (rings, records)", s1, s2);
  EXPECT_EQ(server->add_route(http::Method::Get, "/hello", hello, nullptr), AddResult::Ok);
  for (int i = 0; i < routes; i++) {
    std::string path = "/api/v1/device" + std::to_string(i) + "/{id:int}/state";
    EXPECT_EQ(b->add_route(i % 2 ? http::Method::Get : http::Method::Post, path, uint32_t(i)),
              AddResult::Ok);
  }
  const Snapshot s3 = snap();
  report("router (routes)", s2, s3);
  EXPECT_TRUE(server->listen());
  std::thread engine([server] { server->run(); });

  // Every connection open at once, each with a request answered and kept alive.
  std::vector<int> fds;
  for (int i = 0; i < conns; i++)
    fds.push_back(connect_to(server->port()));
  const std::string req = "GET /hello HTTP/1.1\r\nHost: d\r\n\r\n";
  for (int round = 0; round < 3; round++) {
    for (int fd : fds)
      EXPECT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
    for (int fd : fds) {
      char buf[512];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      EXPECT_GT(n, 0);
      if (n > 0 && std::string(buf, size_t(n)).find("hello") != std::string::npos) m.served++;
    }
  }
  const Snapshot s4 = snap();
  m.moved_while_serving = s4.bytes - s3.bytes;
  for (int fd : fds)
    close(fd);
  server->request_stop();
  engine.join();
  m.server = s1.bytes - s0.bytes;
  m.bridge = s2.bytes - s1.bytes;
  m.routes = s3.bytes - s2.bytes;
  m.total = {s4.bytes - s0.bytes, s4.heap - s0.heap, s4.large - s0.large};
  m.heap = s4.heap - s0.heap;
  m.large = s4.large - s0.large;
  report("total", s0, s4);
  std::printf("  internal RAM (blocks < %zu bytes) %llu bytes; PSRAM-eligible %llu bytes\n",
              port::kLargeBlockBytes, (unsigned long long)(m.heap - m.large),
              (unsigned long long)m.large);
  bridge::Bridge::destroy(b);
  Server::destroy(server);
  EXPECT_EQ(snap().bytes, s0.bytes);  // everything returned
  return m;
}

}  // namespace

// Every default of app.run() on the device (8 slots, 4 KB I/O buffers, body buffers for the
// bridge's 16 KB bodies, the bridge's device rings, the request ring sized by the limits)
// within the esp32 profile's budget: app.run() with no options starts on the device.
TEST(MemoryBudget, DeviceServerAtEightConnections) {
  ServerOptions o;
  o.port = 0;
  o.limits.max_body_bytes = VIPER_DEFAULT_BRIDGE_MAX_BODY_BYTES;  // as the bindings set it
  bridge::Options bo;
  bo.cancel_records = bo.request_records + VIPER_DEFAULT_MAX_CONNECTIONS;
#if defined(VIPER_PROFILE_ESP32)
  EXPECT_EQ(o.limits.max_body_bytes, 16384u);
#endif
  Measured m = run_device_server(o, bo, 20, VIPER_DEFAULT_MAX_CONNECTIONS,
                                 "device defaults, 8 connections, 21 routes:");
  EXPECT_EQ(m.served, 3u * VIPER_DEFAULT_MAX_CONNECTIONS);
  EXPECT_EQ(m.moved_while_serving, 0u);  // nothing allocated per connection or request
  EXPECT_EQ(m.total.bytes, m.server + m.bridge + m.routes);
  // What must stay in internal RAM (all but buffers and rings) fits SPEC §6's 64 KB.
  EXPECT_LE(m.heap - m.large, 64u * 1024);
}

// Request bodies up to 8 KB and one body buffer: the whole engine within about 2 x 64 KB, of
// which the internal part is the same as above.
TEST(MemoryBudget, LeanDeviceConfiguration) {
  ServerOptions o;
  o.port = 0;
  o.max_connections = VIPER_DEFAULT_MAX_CONNECTIONS;
  o.limits.max_body_bytes = 8 * 1024;
  o.body_buffers = 1;
  Measured m = run_device_server(o, device_bridge(), 20, int(o.max_connections),
                                 "max_body_bytes 8 KB, 1 body buffer, 8 KB rings, 8 connections:");
  EXPECT_EQ(m.served, 3u * o.max_connections);
  EXPECT_EQ(m.moved_while_serving, 0u);
  EXPECT_EQ(m.total.bytes, m.server + m.bridge + m.routes);
  EXPECT_LE(m.heap - m.large, 64u * 1024);
}
