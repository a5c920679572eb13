// Connection lists, buffer pool, pollers, the allocator and option validation.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem/allocator.h"
#include "net/buffer_pool.h"
#include "net/connection.h"
#include "net/poller.h"
#include "port/port.h"
#include "viper/server.h"

using namespace viper;

TEST(ConnLists, FifoOrderAndUnlink) {
  net::Conn slots[4];
  net::ConnLists l;
  for (uint32_t i = 0; i < 4; i++)
    l.push_back(slots, i, net::kListIdle);
  EXPECT_EQ(l.head(net::kListIdle), 0u);
  l.unlink(slots, 0);
  EXPECT_EQ(l.head(net::kListIdle), 1u);
  l.unlink(slots, 2);  // middle
  EXPECT_EQ(l.size(net::kListIdle), 2u);
  EXPECT_EQ(slots[1].next, 3u);
  EXPECT_EQ(slots[3].prev, 1u);
  l.unlink(slots, 1);
  l.unlink(slots, 3);
  EXPECT_EQ(l.head(net::kListIdle), net::kNil);
  EXPECT_EQ(l.size(net::kListIdle), 0u);
  l.push_back(slots, 3, net::kListHead);
  EXPECT_EQ(l.head(net::kListHead), 3u);
  EXPECT_EQ(slots[3].list, net::kListHead);
}

TEST(BufferPool, LendsEachBufferOnce) {
  net::BufferPool p;
  ASSERT_TRUE(p.init(3, 64));
  char* a = p.take();
  char* b = p.take();
  char* c = p.take();
  EXPECT_EQ(p.take(), nullptr);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(p.in_use(), 3u);
  p.give(b);
  EXPECT_EQ(p.take(), b);
  p.give(a);
  p.give(b);
  p.give(c);
  EXPECT_EQ(p.in_use(), 0u);
  p.destroy();
}

TEST(Allocator, BudgetRefusesAndCounts) {
  mem::Stats before = mem::stats();
  mem::set_budget(before.bytes_in_use + 1000);
  void* a = mem::alloc(600);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(mem::alloc(600), nullptr);
  EXPECT_EQ(mem::stats().refused, before.refused + 1);
  mem::release(a);
  EXPECT_EQ(mem::stats().bytes_in_use, before.bytes_in_use);
  mem::set_budget(before.budget);
}

// A request near the address space must be refused, not wrapped: (header + bytes) rounded up
// used to wrap to a 64-byte block that alloc() returned for a 4 GB request on a 32-bit MCU
// (and for SIZE_MAX - 10 here).
TEST(Allocator, HugeRequestsAreRefusedNotWrapped) {
  mem::Stats before = mem::stats();
  EXPECT_EQ(mem::alloc(SIZE_MAX - 10), nullptr);
  EXPECT_EQ(mem::alloc(SIZE_MAX), nullptr);
  EXPECT_EQ(mem::alloc_array<uint64_t>(SIZE_MAX / 4), nullptr);  // n * 8 would wrap
  mem::Stats after = mem::stats();
  EXPECT_EQ(after.refused, before.refused + 3);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_EQ(after.heap_bytes_in_use, before.heap_bytes_in_use);
  EXPECT_EQ(after.allocations, before.allocations);
}

// heap_bytes_in_use counts what the heap lends (header, 64-byte rounding); large blocks (which
// the ESP32 port places in PSRAM) are counted apart.
TEST(Allocator, HeapAndLargeBlockAccounting) {
  mem::Stats before = mem::stats();
  void* small = mem::alloc(100);                     // 64 + 100 -> 192
  void* large = mem::alloc(port::kLargeBlockBytes);  // 64 + 2048 -> 2112
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  mem::Stats mid = mem::stats();
  EXPECT_EQ(mid.bytes_in_use - before.bytes_in_use, 100u + port::kLargeBlockBytes);
  EXPECT_EQ(mid.heap_bytes_in_use - before.heap_bytes_in_use, 192u + 2112u);
  EXPECT_EQ(mid.large_bytes_in_use - before.large_bytes_in_use, 2112u);
  mem::release(small);
  mem::release(large);
  mem::Stats after = mem::stats();
  EXPECT_EQ(after.heap_bytes_in_use, before.heap_bytes_in_use);
  EXPECT_EQ(after.large_bytes_in_use, before.large_bytes_in_use);
}

// The budget exactly and one byte short: what a server takes is measured first (the profile's
// default pools, VIPER_DEFAULT_MAX_CONNECTIONS slots), so the test holds for any profile.
TEST(Allocator, ServerCreationFailsCleanlyOverBudget) {
  mem::Stats before = mem::stats();
  ServerOptions o;
  o.port = 0;
  o.max_connections = VIPER_DEFAULT_MAX_CONNECTIONS;
  const char* error = nullptr;
  mem::set_budget(0);
  Server* s = Server::create(o, &error);
  ASSERT_NE(s, nullptr) << error;
  uint64_t need = mem::stats().bytes_in_use - before.bytes_in_use;
  Server::destroy(s);
  ASSERT_EQ(mem::stats().bytes_in_use, before.bytes_in_use);
  if (VIPER_MEMORY_BUDGET_BYTES > 0) {
    EXPECT_LE(need, uint64_t(VIPER_MEMORY_BUDGET_BYTES));  // the defaults fit the device
  }

  mem::set_budget(before.bytes_in_use + need - 1);
  error = nullptr;
  EXPECT_EQ(Server::create(o, &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error).find("memory"), std::string::npos) << error;
  EXPECT_EQ(mem::stats().bytes_in_use, before.bytes_in_use);  // nothing leaked

  mem::set_budget(before.bytes_in_use + need);
  s = Server::create(o, &error);
  EXPECT_NE(s, nullptr) << error;
  if (s != nullptr) Server::destroy(s);
  EXPECT_EQ(mem::stats().bytes_in_use, before.bytes_in_use);
  mem::set_budget(before.budget);
}

TEST(Options, EachInvalidValueIsNamed) {
  ServerOptions ok;
  EXPECT_EQ(validate_options(ok), nullptr);
  struct Case {
    const char* name;
    void (*bad)(ServerOptions&);
  } cases[] = {
      {"max_connections",
       [](ServerOptions& o) { o.max_connections = VIPER_MAX_CONNECTIONS_CAP + 1; }},
      {"keepalive_timeout_s", [](ServerOptions& o) { o.keepalive_timeout_ms = 0; }},
      {"keepalive_max_requests", [](ServerOptions& o) { o.keepalive_max_requests = 0; }},
      {"header_timeout_s", [](ServerOptions& o) { o.header_timeout_ms = 0; }},
      {"max_header_bytes",
       [](ServerOptions& o) { o.limits.max_header_bytes = VIPER_IO_BUFFER_BYTES + 1; }},
      {"max_headers", [](ServerOptions& o) { o.limits.max_headers = VIPER_MAX_HEADERS_CAP + 1; }},
      {"max_headers", [](ServerOptions& o) { o.limits.max_headers = 0; }},
      {"max_uri_bytes",
       [](ServerOptions& o) { o.limits.max_uri_bytes = o.limits.max_header_bytes; }},
      {"max_body_bytes", [](ServerOptions& o) { o.limits.max_body_bytes = (64u << 20) + 1; }},
      {"host", [](ServerOptions& o) { o.host = ""; }},
      {"evict_idle_after_ms", [](ServerOptions& o) { o.evict_idle_after_ms = 3600001; }},
      {"evict_head_after_ms", [](ServerOptions& o) { o.evict_head_after_ms = 3600001; }},
      {"evict_silent_after_ms", [](ServerOptions& o) { o.evict_silent_after_ms = 3600001; }},
      {"slot_turn_ms", [](ServerOptions& o) { o.slot_turn_ms = 3600001; }},
      {"admission_timeout_ms", [](ServerOptions& o) { o.admission_timeout_ms = 3600001; }},
  };
  for (auto& c : cases) {
    ServerOptions o;
    c.bad(o);
    const char* got = validate_options(o);
    ASSERT_NE(got, nullptr) << c.name;
    EXPECT_STREQ(got, c.name);
  }
  // At the limits: valid.
  ServerOptions edge;
  edge.max_connections = VIPER_MAX_CONNECTIONS_CAP;
  edge.limits.max_header_bytes = VIPER_IO_BUFFER_BYTES;
  edge.limits.max_headers = VIPER_MAX_HEADERS_CAP;
  edge.limits.max_body_bytes = 64u << 20;
  EXPECT_EQ(validate_options(edge), nullptr);
}

TEST(Options, ZeroConnectionsMeansThePlatformDefault) {
  ServerOptions o;
  EXPECT_EQ(o.max_connections, 0u);
  uint32_t n = resolved_max_connections(o);
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, uint32_t(VIPER_DEFAULT_MAX_CONNECTIONS));
  o.max_connections = 3;
  EXPECT_EQ(resolved_max_connections(o), 3u);
}

class PollerTest : public ::testing::TestWithParam<net::PollerKind> {};

TEST_P(PollerTest, ReportsReadableWritableAndWake) {
  net::Poller* p = net::make_poller(GetParam(), 8);
  ASSERT_NE(p, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  int wake = port::wake_open();
  ASSERT_GE(wake, 0);
  ASSERT_TRUE(p->add(sv[0], net::kReadable, 7));
  ASSERT_TRUE(p->add(wake, net::kReadable, 9));
  net::PollEvent ev[4];
  EXPECT_EQ(p->wait(ev, 4, 0), 0);  // nothing ready
  ASSERT_EQ(write(sv[1], "x", 1), 1);
  ASSERT_EQ(p->wait(ev, 4, 1000), 1);
  EXPECT_EQ(ev[0].tag, 7u);
  EXPECT_TRUE(ev[0].events & net::kReadable);
  char c;
  ASSERT_EQ(read(sv[0], &c, 1), 1);
  port::wake_signal(wake);
  ASSERT_EQ(p->wait(ev, 4, 1000), 1);
  EXPECT_EQ(ev[0].tag, 9u);
  port::wake_drain(wake);
  EXPECT_EQ(p->wait(ev, 4, 0), 0);
  ASSERT_TRUE(p->modify(sv[0], net::kWritable, 8));
  ASSERT_EQ(p->wait(ev, 4, 1000), 1);
  EXPECT_EQ(ev[0].tag, 8u);
  EXPECT_TRUE(ev[0].events & net::kWritable);
  p->remove(sv[0]);
  EXPECT_EQ(p->wait(ev, 4, 0), 0);
  net::destroy_poller(p);
  close(sv[0]);
  close(sv[1]);
  port::wake_close(wake);
}

INSTANTIATE_TEST_SUITE_P(Backends, PollerTest,
                         ::testing::Values(net::PollerKind::Epoll, net::PollerKind::Select));

TEST(ServerSize, IdleConnectionCostsAtMost2KB) {
  EXPECT_LE(Server::bytes_per_idle_connection(), 2048u);
}
